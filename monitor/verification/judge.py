"""The verdict on a fix, from plain numbers: pure, deterministic, no I/O.

    policy = Policy(window=600, tolerance=0.5, tolerance_floor=0.001, confidence=0.95,
                    min_requests=500, min_coverage=0.8, latency_tolerance=0.25)
    judge(Observation(soak=Counts(errors=3, requests=4000),
                      baseline=Counts(errors=20, requests=36000), coverage=1.0), policy)
    # -> Judgement(outcome="verified", reasons=[{"code": "errors_within", ...}], tests={...})

In this order (the first that applies decides):

1. the alert expression was active again during the soak (after it had gone inactive,
   see ``monitor.verification.soak``) → **regressed**;
2. no soak or no baseline counts (no signal) → **inconclusive**;
3. fewer soak requests than ``min_requests`` → **inconclusive** (too little traffic);
4. soak samples cover less than ``min_coverage`` of the steps → **inconclusive** (gaps);
5. error ratio: an exact one-sided binomial test (``scipy.stats.binomtest``) of the soak's
   errors out of its requests against the allowed ratio
   ``p_allowed = baseline_ratio × (1 + tolerance) + tolerance_floor``:
   significantly above (p < 1 − confidence, ``alternative="greater"``) → **regressed**;
   significantly below (``alternative="less"``) → candidate for **verified**;
   neither → **inconclusive** (not enough evidence either way);
6. latency (when both windows have samples): Mann–Whitney U (``scipy.stats.mannwhitneyu``,
   soak greater than baseline, as Kayenta judges canaries); significant *and* the soak's
   median above baseline median × (1 + latency_tolerance) → **regressed**.

The baseline's own uncertainty is shown (its Clopper–Pearson interval) but the test takes
its ratio as given: baselines are normally much longer than the soak.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from statistics import median
from typing import Any, Literal

from scipy import stats

__all__ = ["Counts", "Judgement", "Observation", "Outcome", "Policy", "judge"]

Outcome = Literal["verified", "regressed", "inconclusive", "error"]


@dataclass(frozen=True)
class Policy:
    """The effective thresholds for one verification (seconds for durations)."""

    window: float
    baseline: float = 3600.0
    tolerance: float = 0.5
    tolerance_floor: float = 0.001
    confidence: float = 0.95
    min_requests: int = 500
    min_coverage: float = 0.8
    latency_tolerance: float = 0.25

    def allowed(self, baseline_ratio: float) -> float:
        return min(1.0, baseline_ratio * (1 + self.tolerance) + self.tolerance_floor)


@dataclass(frozen=True)
class Counts:
    errors: float
    requests: float

    @property
    def ratio(self) -> float | None:
        return self.errors / self.requests if self.requests > 0 else None


@dataclass(frozen=True)
class Observation:
    """What the queries returned, as plain numbers."""

    soak: Counts | None
    baseline: Counts | None
    coverage: float | None = None
    """Share of soak steps with fresh samples (``None``: not measured)."""
    alert_active: Sequence[float] = ()
    """Unix seconds at which the alert expression had a value during the soak."""
    latency_soak: Sequence[float] = ()
    latency_baseline: Sequence[float] = ()


@dataclass(frozen=True)
class Judgement:
    outcome: Outcome
    reasons: list[dict[str, Any]]
    """Each ``{"code": …, values}``; ``monitor.i18n.verdicts.reason`` writes it out."""
    tests: dict[str, Any] = field(default_factory=dict)


def _interval(errors: int, requests: int, confidence: float) -> list[float] | None:
    if requests <= 0:
        return None
    ci = stats.binomtest(errors, requests).proportion_ci(confidence_level=confidence,
                                                        method="exact")
    return [round(float(ci.low), 6), round(float(ci.high), 6)]


def error_test(soak: Counts, baseline: Counts, policy: Policy) -> dict[str, Any]:
    """The binomial test of the soak's error ratio against the allowed ratio (see above)."""
    errors, requests = round(soak.errors), round(soak.requests)
    errors = min(max(errors, 0), requests)
    base_ratio = baseline.ratio or 0.0
    allowed = policy.allowed(base_ratio)
    alpha = 1 - policy.confidence
    if allowed >= 1.0:
        above, below = 1.0, 0.0
    else:
        above = float(stats.binomtest(errors, requests, allowed, alternative="greater").pvalue)
        below = float(stats.binomtest(errors, requests, allowed, alternative="less").pvalue)
    verdict = "above" if above < alpha else "below" if below < alpha else "undecided"
    return {
        "test": "exact binomial, one-sided (scipy.stats.binomtest)",
        "soak_errors": errors, "soak_requests": requests,
        "soak_ratio": round(errors / requests, 6) if requests else None,
        "soak_interval": _interval(errors, requests, policy.confidence),
        "baseline_errors": round(baseline.errors), "baseline_requests": round(baseline.requests),
        "baseline_ratio": round(base_ratio, 6),
        "baseline_interval": _interval(min(round(baseline.errors), round(baseline.requests)),
                                       round(baseline.requests), policy.confidence),
        "allowed_ratio": round(allowed, 6),
        "p_value_above": round(above, 6), "p_value_below": round(below, 6),
        "alpha": round(alpha, 6), "result": verdict,
    }


def latency_test(soak: Sequence[float], baseline: Sequence[float], policy: Policy) -> dict[str, Any]:
    """Mann–Whitney U, soak greater than baseline, plus the median tolerance."""
    a = [v for v in soak if math.isfinite(v)]
    b = [v for v in baseline if math.isfinite(v)]
    result = stats.mannwhitneyu(a, b, alternative="greater")
    p = float(result.pvalue)
    soak_median, base_median = median(a), median(b)
    worse = p < 1 - policy.confidence and soak_median > base_median * (1 + policy.latency_tolerance)
    return {"test": "Mann-Whitney U, soak greater than baseline (scipy.stats.mannwhitneyu)",
            "soak_samples": len(a), "baseline_samples": len(b),
            "soak_median_seconds": round(soak_median, 6),
            "baseline_median_seconds": round(base_median, 6),
            "u": float(result.statistic), "p_value": round(p, 6),
            "result": "worse" if worse else "not worse"}


def _ratio_values(errors: dict[str, Any]) -> dict[str, Any]:
    return {"errors": errors["soak_errors"], "requests": errors["soak_requests"],
            "ratio": errors["soak_ratio"], "allowed": errors["allowed_ratio"],
            "baseline": errors["baseline_ratio"]}


def judge(observation: Observation, policy: Policy) -> Judgement:
    """The verdict for ``observation`` under ``policy`` (see the module docstring).

    Reasons are data (``{"code": …, values}``), written out in the reader's language by
    ``monitor.i18n.verdicts.reason``."""
    obs = observation
    tests: dict[str, Any] = {}
    if obs.alert_active:
        first = min(obs.alert_active)
        return Judgement("regressed", [{"code": "active_again", "first": _iso(first),
                                        "samples": len(obs.alert_active)}],
                         {"alert": {"active_samples": len(obs.alert_active), "first_active": first}})
    if obs.soak is None or obs.soak.requests <= 0:
        return Judgement("inconclusive", [{"code": "no_soak_requests"}])
    if obs.baseline is None or obs.baseline.requests <= 0:
        return Judgement("inconclusive", [{"code": "no_baseline"}])
    if obs.soak.requests < policy.min_requests:
        return Judgement("inconclusive", [{"code": "low_traffic", "requests": round(obs.soak.requests),
                                           "min_requests": policy.min_requests}])
    if obs.coverage is not None and obs.coverage < policy.min_coverage:
        return Judgement("inconclusive", [{"code": "gaps", "coverage": obs.coverage,
                                           "min_coverage": policy.min_coverage}])
    errors = error_test(obs.soak, obs.baseline, policy)
    tests["errors"] = errors
    if errors["result"] == "above":
        return Judgement("regressed", [{"code": "errors_above", **_ratio_values(errors),
                                        "p": errors["p_value_above"]}], tests)
    if len(obs.latency_soak) >= 3 and len(obs.latency_baseline) >= 3:
        latency = latency_test(obs.latency_soak, obs.latency_baseline, policy)
        tests["latency"] = latency
        if latency["result"] == "worse":
            return Judgement("regressed", [{"code": "latency_worse",
                                            "soak": latency["soak_median_seconds"],
                                            "baseline": latency["baseline_median_seconds"],
                                            "p": latency["p_value"]}], tests)
    if errors["result"] == "below":
        return Judgement("verified", [{"code": "errors_within", **_ratio_values(errors),
                                       "confidence": policy.confidence,
                                       "p": errors["p_value_below"]}], tests)
    return Judgement("inconclusive", [{"code": "undecided", **_ratio_values(errors),
                                       "p_above": errors["p_value_above"],
                                       "p_below": errors["p_value_below"]}], tests)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat()
