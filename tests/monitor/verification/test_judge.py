"""The verdict from plain numbers: each rule of monitor.verification.judge in order."""

from __future__ import annotations

import pytest

from monitor.config import Settings
from monitor.i18n.verdicts import reason
from monitor.promql import MemoryStorage
from monitor.promsource import EmbeddedSource
from monitor.verification import impact
from monitor.verification.impact import bounds
from monitor.verification.judge import Counts, Observation, Policy, judge

POLICY = Policy(window=600, tolerance=0.5, tolerance_floor=0.001, confidence=0.95, min_requests=500)
BASE = Counts(errors=72, requests=36000)  # 0.2 %


@pytest.mark.parametrize(("observation", "outcome", "says"), [
    (Observation(Counts(12, 6000), BASE, 1.0), "verified", "within the allowed 0.4000%"),
    (Observation(Counts(120, 6000), BASE, 1.0), "regressed", "significantly above"),
    (Observation(Counts(20, 6000), BASE, 1.0), "inconclusive", "not enough evidence"),
    (Observation(Counts(0, 120), BASE, 1.0), "inconclusive", "too little traffic"),
    (Observation(Counts(12, 6000), BASE, 0.5), "inconclusive", "gaps in the data"),
    (Observation(None, BASE), "inconclusive", "no signal"),
    (Observation(Counts(12, 6000), None), "inconclusive", "no baseline"),
    (Observation(Counts(12, 6000), BASE, 1.0, alert_active=[5.0, 20.0]), "regressed",
     "became active again at 1970-01-01 00:00:05 UTC"),
    (Observation(Counts(12, 6000), BASE, 1.0, latency_soak=[0.9, 1.0, 1.1, 1.2] * 5,
                 latency_baseline=[0.02, 0.03, 0.04, 0.05] * 5), "regressed", "latency is significantly higher"),
])
def test_each_rule_decides(observation: Observation, outcome: str, says: str) -> None:
    verdict = judge(observation, POLICY)
    assert verdict.outcome == outcome
    assert says in reason(verdict.reasons[0], "en"), verdict.reasons
    portuguese = reason(verdict.reasons[0], "pt-BR")       # the same data, the reader's language
    assert portuguese != reason(verdict.reasons[0], "en") and says not in portuguese


def test_the_evidence_names_the_test_and_its_numbers() -> None:
    errors = judge(Observation(Counts(12, 6000), BASE, 1.0), POLICY).tests["errors"]
    assert errors["test"] == "exact binomial, one-sided (scipy.stats.binomtest)"
    assert (errors["soak_errors"], errors["soak_requests"], errors["allowed_ratio"]) == (12, 6000, 0.004)
    assert errors["p_value_below"] < 0.05 < errors["p_value_above"]
    assert errors["soak_interval"][0] < 0.002 < errors["soak_interval"][1]


def test_impact_bounds_start_before_detection_and_end_after_the_last_bad_sample() -> None:
    ratio = [(t, 0.3 if 100 <= t <= 160 else 0.001) for t in range(0, 300, 15)]
    assert bounds(ratio, [], 0.004, detected=150, step=15) == (105, 165)
    assert bounds(ratio, [120, 135], 0.004, detected=150, step=15) == (105, 165)
    assert bounds([(t, 0.3) for t in range(0, 60, 15)], [], 0.004, detected=30, step=15) == (0, None)
    assert bounds([(t, 0.001) for t in range(0, 60, 15)], [], 0.004, detected=30, step=15) == (None, None)


def test_the_error_budget_share_is_read_over_the_slo_period() -> None:
    """Bad events during the impact over the budget of the SLO's whole period (``3d`` here):
    0.1 errors/s for 600 s against 1 % of 1 request/s for 3 days."""
    settings = Settings.model_validate({"slo": [{
        "name": "api", "service": "api", "objective": 0.99, "window": "3d",
        "sli": {"bad": "errors_total", "total": "requests_total"}}]})
    period = 3 * 86_400
    store = MemoryStorage()
    store.add({"__name__": "requests_total"}, [(t * 1000, float(t)) for t in range(0, period + 1, 60)])
    store.add({"__name__": "errors_total"}, [(t * 1000, t / 10) for t in range(0, period + 1, 60)])
    shown: dict[str, str] = {}
    budget = impact._budget(EmbeddedSource(store), settings.slo[0], 600.0, float(period), shown)
    assert budget["window"] == "3d"
    assert budget["budget_consumed"] == pytest.approx(0.1 * 600 / (0.01 * 1 * period), rel=0.01)
    assert shown["slo:api:total"] == f"(sum(rate(requests_total[3d]))) * {period} @ {period}.000"
