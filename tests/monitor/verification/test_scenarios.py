"""Fix verification stories with a controllable clock and synthetic series.

Each story writes the request counters the exporters library would have written
(``http_server_request_duration_seconds_count{service, http_response_status_code}``) into
an in-memory store, routes alerts through the real intake, and runs the real sweep
against the embedded PromQL engine over that store.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from monitor.alerting import service as alerting
from monitor.alerting.identity import Alert, AlertStatus
from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.event_types import EventType
from monitor.i18n.verdicts import reason
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.promql import MemoryStorage
from monitor.promsource import EmbeddedSource
from monitor.rules.loader import parse_rules
from monitor.rules.models import RecordingRule, RuleGroup
from monitor.verification.metrics import VerificationCollector
from monitor.verification.service import sweep
from tests.conftest import START

STEP = 15
COUNT = "http_server_request_duration_seconds_count"
RULES = """
groups:
  - name: redirect
    rules:
      - alert: RedirectErrorRatioHigh
        expr: >-
          sum by (service) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[1m]))
          / sum by (service) (rate(http_server_request_duration_seconds_count[1m])) > 0.05
        for: 2m
        labels: {severity: warning}
"""


LAGGING_RULES = """
groups:
  - name: redirect
    interval: 30s
    rules:
      - record: service:http_errors:ratio_rate5m
        expr: >-
          sum by (service) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5m]))
          / sum by (service) (rate(http_server_request_duration_seconds_count[5m]))
      - alert: RedirectErrorRatioHigh
        expr: service:http_errors:ratio_rate5m > 0.05
        for: 2m
        labels: {severity: warning}
"""


def groups(text: str = RULES) -> list[RuleGroup]:
    rule_file, problems = parse_rules(text, "test.yml")
    assert not problems, problems
    return list(rule_file.groups)


@dataclass
class World:
    """Synthetic traffic: ``segment(start, end, rps, ratio)`` appends counter samples every 15 s."""

    storage: MemoryStorage = field(default_factory=MemoryStorage)
    ok: float = 0.0
    failed: float = 0.0
    last: datetime | None = None
    service: str = "redirect"

    def segment(self, start: datetime, end: datetime, rps: float, ratio: float) -> None:
        t = start
        ok_samples, bad_samples = [], []
        while t < end:
            self.ok += rps * STEP * (1 - ratio)
            self.failed += rps * STEP * ratio
            ms = int(t.timestamp() * 1000)
            ok_samples.append((ms, self.ok))
            bad_samples.append((ms, self.failed))
            t += timedelta(seconds=STEP)
        self.storage.add({"__name__": COUNT, "service": self.service, "http_response_status_code": "200"},
                         ok_samples)
        self.storage.add({"__name__": COUNT, "service": self.service, "http_response_status_code": "503"},
                         bad_samples)
        self.last = end


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


@pytest.fixture
def story_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(verification={"window": "10m", "baseline": "1h", "resolution": "15s",
                                       "min_requests": 500, "late_data": "30m"},
                         incidents={"reopen_window": "1h"})


@dataclass
class Story:
    runtime: Runtime
    clock: FixedClock
    world: World
    settings: Settings
    swept: list[Any] = field(default_factory=list)

    def alert(self, status: str = "firing", *, service: str = "redirect", source: str = "engine",
              url: str = "", name: str = "RedirectErrorRatioHigh") -> None:
        labels = {"alertname": name, "service": service, "severity": "warning"}
        alert = Alert(labels=labels, annotations={"summary": "Short links fail"},
                      starts_at=self.clock.now() - timedelta(minutes=2), generator_url=url,
                      ends_at=self.clock.now() if status == "resolved" else None,
                      status=AlertStatus(status))
        with self.runtime.unit() as s:
            alerting.receive(s, [alert], settings=self.settings, clock=self.clock, source=source)

    rules: str = RULES

    def sweep(self, minutes: float | None = None, *, source: bool = True) -> Any:
        if minutes is not None:
            self.clock.set(at(minutes))
        with self.runtime.unit() as s:
            result = sweep(s, settings=self.settings, clock=self.clock,
                           source=(lambda: EmbeddedSource(self.world.storage)) if source else None,
                           groups=groups(self.rules))
        self.swept.append(result)
        return result

    def fix(self, description: str = "roll back the cache config", **kwargs: Any) -> None:
        with self.runtime.unit() as s:
            incident = incidents.get_by_key_or_raise(s, "INC-1")
            incidents.record_fix(s, incident, description, release=kwargs.pop("release", "r2"),
                                 actor="ana", clock=self.clock, **kwargs)

    def incident(self) -> Any:
        with self.runtime.unit() as s:
            incident = incidents.get_by_key_or_raise(s, "INC-1")
            s.expunge(incident)
            return incident

    def events(self, type: str | None = None) -> list[Any]:
        with self.runtime.unit() as s:
            found = incidents.events(s, incidents.get_by_key_or_raise(s, "INC-1"))
            for e in found:
                s.expunge(e)
        return [e for e in found if type is None or e.type == type]

    def verdicts(self) -> list[dict[str, Any]]:
        return [e.payload for e in self.events(EventType.VERIFICATION_VERDICT)]

    def states(self) -> list[str]:
        return [e.payload["to"] for e in self.events(EventType.INCIDENT_TRANSITIONED)]


@pytest.fixture
def story(story_settings: Settings, make_runtime: Callable[[Settings], Runtime],
          clock: FixedClock) -> Iterator[Story]:
    world = World()
    # two hours of healthy traffic (10 req/s, 0.2 % errors) before the incident
    world.segment(at(-120), at(-5), 10, 0.002)
    yield Story(make_runtime(story_settings), clock, world, story_settings)


def record_rules(world: World, text: str, start: datetime, end: datetime) -> None:
    """What the rule manager writes: each recording rule's series, every group interval."""
    source = EmbeddedSource(world.storage)
    for group in groups(text):
        for rule in group.rules:
            if not isinstance(rule, RecordingRule):
                continue
            for series in source.query_range(rule.expr, start.timestamp(), end.timestamp(),
                                             group.interval_s or 15):
                world.storage.add({**series.labels, "__name__": rule.record},
                                  [(int(t * 1000), v) for t, v in series.points])


def spike_then(story: Story, fixed_at: float, after_ratio: float, until: float = 60) -> None:
    """Errors from -5 min (30 %) until ``fixed_at``, then ``after_ratio`` until ``until``."""
    story.world.segment(at(-5), at(fixed_at), 10, 0.30)
    story.world.segment(at(fixed_at), at(until), 10, after_ratio)


def test_a_fix_that_works_is_verified_with_its_evidence_and_impact(story: Story) -> None:
    spike_then(story, fixed_at=5, after_ratio=0.002)
    story.alert()                                   # fires at START (errors began at -5 min)
    story.sweep(0)
    assert story.incident().impact_started_at < START  # impact start from the series, not the alert
    story.clock.set(at(5))
    story.fix()
    story.clock.set(at(7))
    story.alert("resolved")
    assert story.states() == ["verifying"]
    # the expression went inactive at 5:30 (its 1m rate held the last bad samples): the soak
    # runs 5:30 → 15:30, whatever Alertmanager's resolve at 7 says
    assert story.sweep(15.4).verdicts == []

    result = story.sweep(15.5)

    assert result.verdicts == [("INC-1", "verified")]
    [verdict] = story.verdicts()
    assert verdict["fix"] == "INC-1/fix-1" and verdict["release"] == "r2"
    assert verdict["window"]["start"] == at(5.5).isoformat() and verdict["window"]["end"] == at(15.5).isoformat()
    settling = verdict["settling"]
    assert settling["since"] == at(5).isoformat() and settling["inactive_at"] == at(5.5).isoformat()
    assert settling["active_steps_after_fix"] == 2 and settling["longest_range_seconds"] == 60
    assert reason(verdict["reasons"][0], "en").startswith("error ratio 12/6,000 = 0.2000% is within")
    assert reason(verdict["reasons"][0], "pt-BR").startswith("taxa de erros 12/6.000 = 0,2000% está")
    assert verdict["baseline_window"]["kind"] == "before impact start"
    test = verdict["tests"]["errors"]
    assert test["test"].startswith("exact binomial")
    assert test["soak_requests"] == 6000 and test["soak_errors"] == 12
    assert test["baseline_ratio"] == pytest.approx(0.002, abs=0.0005)
    assert test["p_value_below"] < 0.05 and test["result"] == "below"
    assert "soak_total" in verdict["queries"] and "alert" in verdict["queries"]
    assert verdict["policy"]["from"]["window"] == "[verification]"
    incident = story.incident()
    assert incident.state == State.RESOLVED and incident.verified_at is not None
    [impact] = [e.payload for e in story.events(EventType.IMPACT_MEASURED)][-1:]
    assert impact["started_at"] <= at(-4).isoformat()   # the first bad sample, before detection
    assert impact["ended_at"] is not None and impact["affected_requests"] > 0
    assert impact["peak_error_ratio"] == pytest.approx(0.3, abs=0.01)
    assert "error_ratio" in impact["queries"] and "affected_requests" in impact["queries"]


def test_a_fix_that_does_not_work_regresses_then_reopens_after_the_next_one(story: Story) -> None:
    spike_then(story, fixed_at=25, after_ratio=0.002, until=120)
    story.alert()
    story.clock.set(at(5))
    story.fix("bad rollback", release="r2")           # errors go on; the alert keeps firing
    # bounded wait: window 10m + lag (1m range + one 5s rule interval + one 15s step) = 11m20s
    assert story.sweep(16.3).verdicts == []
    assert story.sweep(16.34).verdicts == [("INC-1", "regressed")]
    assert story.incident().state == State.FIXING
    assert story.verdicts()[-1]["reasons"] == [{"code": "never_inactive", "deadline": at(16 + 1 / 3).isoformat(),
                                                "wait": 680.0}]
    regressed = [e for e in story.events(EventType.INCIDENT_TRANSITIONED) if e.payload["to"] == "regressed"]
    assert regressed[0].payload["reason"].startswith("regressed after fix INC-1/fix-1: the alert expression "
                                                     "was still active at 2026-03-02 09:16:20 UTC")

    story.clock.set(at(25))
    story.fix("real fix", release="r3")
    story.clock.set(at(27))
    story.alert("resolved")
    assert story.sweep(37).verdicts == [("INC-1", "verified")]
    assert story.incident().state == State.RESOLVED

    story.clock.set(at(50))                            # fires again inside the 1h reopen window
    story.alert()
    reopened = story.events(EventType.INCIDENT_TRANSITIONED)[-1]
    assert reopened.payload["to"] == "reopened"
    assert reopened.payload["reason"].startswith("regressed after fix INC-1/fix-2: alert RedirectErrorRatioHigh")
    assert story.incident().verified_at is None


def test_a_fix_that_works_is_never_called_regressed_while_the_signal_lags(story: Story) -> None:
    """The fix is recorded the moment the errors stop; the alert expression reads a recording
    rule over a 5m rate and stays active for minutes; Alertmanager never says resolved."""
    story.rules = LAGGING_RULES
    spike_then(story, fixed_at=5, after_ratio=0.002)
    record_rules(story.world, LAGGING_RULES, at(-115), at(60))
    story.alert()
    story.clock.set(at(5))
    story.fix()                                        # right after the errors stopped
    # lag: 5m (the recording rule's range) + 2 rules × 30s + one 15s step = 6m15s; wait 16m15s
    for minute in range(6, 19):                        # lagging until 9, then soaking: no verdict
        assert story.sweep(minute).verdicts == [], minute  # (at 15, "still firing": not any more)
    result = story.sweep(19)
    verdict = story.verdicts()[-1]
    assert result.verdicts == [("INC-1", "verified")], verdict["reasons"]
    settling = verdict["settling"]
    assert settling["longest_range_seconds"] == 300 and settling["rules_in_chain"] == 2
    assert settling["lag_seconds"] == 375 and settling["wait_seconds"] == 975
    assert settling["inactive_at"] == at(9).isoformat()  # 4 minutes after the fix, inside the wait
    assert settling["active_steps_after_fix"] == 16
    assert verdict["window"]["start"] == settling["inactive_at"]
    assert story.incident().state == State.RESOLVED


def test_a_gap_in_the_data_is_not_a_recovery(story: Story) -> None:
    """No samples at all for two minutes after the fix: the expression has no value, but
    neither do the request series, so the soak does not start in the gap."""
    story.world.segment(at(-5), at(5), 10, 0.30)
    story.world.last = None
    gap = World(storage=story.world.storage, ok=story.world.ok, failed=story.world.failed)
    gap.ok += 10 * 120 * 0.7                            # the counters moved on during the gap
    gap.failed += 10 * 120 * 0.3
    gap.segment(at(7), at(9), 10, 0.30)                 # still failing once samples come back
    gap.segment(at(9), at(60), 10, 0.002)
    story.alert()
    story.clock.set(at(5))
    story.fix()
    assert story.sweep(12).verdicts == []
    assert story.sweep(21).verdicts == [("INC-1", "verified")]
    settling = story.verdicts()[-1]["settling"]
    assert datetime.fromisoformat(settling["inactive_at"]) >= at(9)   # after the real recovery


def test_an_error_ratio_significantly_above_baseline_regresses_even_below_the_alert(story: Story) -> None:
    spike_then(story, fixed_at=5, after_ratio=0.02)    # 2 %: under the 5 % alert, 10× baseline
    story.alert()
    story.clock.set(at(5))
    story.fix()
    story.clock.set(at(7))
    story.alert("resolved")
    result = story.sweep(17)
    verdict = story.verdicts()[-1]
    assert result.verdicts == [("INC-1", "regressed")], (verdict["tests"], verdict["reasons"])
    assert verdict["tests"]["errors"]["result"] == "above"
    assert verdict["reasons"][0]["code"] == "errors_above"
    assert "significantly above" in reason(verdict["reasons"][0], "en")
    assert story.incident().state == State.FIXING


def test_low_traffic_is_inconclusive_extended_once_then_a_person_decides(story: Story) -> None:
    story.world.segment(at(-5), at(5), 10, 0.30)
    story.world.segment(at(5), at(60), 0.2, 0.0)       # 0.2 req/s: 120 requests in 10 min
    story.alert()
    story.clock.set(at(5))
    story.fix()
    story.clock.set(at(7))
    story.alert("resolved")

    assert story.sweep(17).verdicts == [("INC-1", "inconclusive")]
    first = story.verdicts()[-1]
    assert first["extended"] is True and first["reasons"][0]["code"] == "low_traffic"
    assert "too little traffic" in reason(first["reasons"][0], "en")
    start = datetime.fromisoformat(first["window"]["start"])
    story.clock.set(start + timedelta(minutes=20) - timedelta(seconds=1))
    assert story.sweep().verdicts == []                 # the window is now 20 min
    story.clock.set(start + timedelta(minutes=20))
    assert story.sweep().verdicts == [("INC-1", "inconclusive")]
    second = story.verdicts()[-1]
    assert second["final"] is True and second["reasons"][-1] == {"code": "person_decides"}
    assert "a person decides" in reason(second["reasons"][-1], "en")
    assert story.sweep(40).verdicts == []               # left alone
    assert story.incident().state == State.VERIFYING

    with story.runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, "INC-1")
        incidents.transition(s, incident, State.RESOLVED, actor="ana", clock=story.clock,
                             reason="traffic is low at night; checked the logs")
    assert story.incident().verified_at is None        # resolved by a person, never "verified"


def test_an_alertmanager_incident_without_a_signal_is_inconclusive_never_verified(story: Story) -> None:
    url = "http://prometheus:9090/graph?g0.expr=ghost_errors_ratio+%3E+0.1&g0.tab=1"
    story.alert(service="ghost", source="alertmanager", url=url, name="GhostErrors")
    story.clock.set(at(5))
    story.alert("resolved", service="ghost", source="alertmanager", url=url, name="GhostErrors")
    assert story.incident().state == State.VERIFYING
    assert story.sweep(15).verdicts == [("INC-1", "inconclusive")]
    assert story.sweep(25).verdicts == [("INC-1", "inconclusive")]
    reasons = [reason(v["reasons"][0], "en") for v in story.verdicts()]
    assert all(r.startswith("no signal") for r in reasons), reasons
    assert story.verdicts()[0]["signal"]["expression_from"] == "generatorURL"
    assert story.incident().verified_at is None and story.incident().state == State.VERIFYING
    assert story.events(EventType.IMPACT_MEASURED) == []   # no figure without data


def test_a_flapping_signal_regresses_although_the_alert_never_fired_again(story: Story) -> None:
    story.world.segment(at(-5), at(5), 10, 0.30)
    for minute in range(5, 60):                         # 20-second bursts every 3 minutes
        story.world.segment(at(minute), at(minute + 1), 10, 0.4 if minute % 3 == 0 else 0.002)
    story.alert()
    story.clock.set(at(5))
    story.fix()
    story.clock.set(at(7))
    story.alert("resolved")
    assert story.sweep(17).verdicts == [("INC-1", "regressed")]
    verdict = story.verdicts()[-1]
    assert verdict["reasons"][0]["code"] == "active_again"
    assert "became active again" in reason(verdict["reasons"][0], "en")
    assert verdict["tests"]["alert"]["active_samples"] > 0


def test_late_data_recomputes_the_impact_with_a_new_event(story: Story) -> None:
    late = World(storage=story.world.storage)           # the failed-request series arrive late
    story.world.segment(at(-5), at(-2), 10, 0.0)        # first: only the successes were shipped
    story.world.segment(at(-2), at(5), 10, 0.30)
    story.world.segment(at(5), at(60), 10, 0.002)
    story.alert()
    story.clock.set(at(5))
    story.fix()
    story.clock.set(at(7))
    story.alert("resolved")
    story.sweep(17)
    first = story.events(EventType.IMPACT_MEASURED)[-1].payload
    assert story.sweep(18).impacts == []                # nothing new: nothing recorded

    late.ok, late.failed = story.world.ok, 0.0
    samples = []
    t, failed = at(-5), 0.0
    while t < at(-2):                                   # 30 % failed between -5 and -2 after all
        failed += 10 * STEP * 0.3
        samples.append((int(t.timestamp() * 1000), failed))
        t += timedelta(seconds=STEP)
    story.world.storage.add({"__name__": COUNT, "service": "redirect", "http_response_status_code": "500"},
                            samples)
    assert story.sweep(19).impacts == ["INC-1"]
    second = story.events(EventType.IMPACT_MEASURED)[-1].payload
    assert second["revision"] == first["revision"] + 1 and second["reason"] == "late data changed the figures"
    assert second["started_at"] < first["started_at"]
    assert story.incident().impact_started_at.isoformat() <= second["started_at"]


def test_a_fix_deployed_before_the_alert_fired_is_judged_from_when_verification_began(story: Story) -> None:
    spike_then(story, fixed_at=3, after_ratio=0.002)
    story.alert()
    story.clock.set(at(1))
    story.fix(deployed_at=at(-10))                     # the marker says it went out before the alert
    story.clock.set(at(4))
    story.alert("resolved")
    assert story.sweep(13.4).verdicts == []
    assert story.sweep(13.5).verdicts == [("INC-1", "verified")]
    verdict = story.verdicts()[-1]
    assert verdict["settling"]["since"] == at(1).isoformat()   # verification began, not the deploy
    assert verdict["window"]["start"] == at(3.5).isoformat()   # the expression went inactive
    fix = story.events(EventType.FIX_DEPLOYED)[0].payload
    assert fix["deployed_at"] == at(-10).isoformat()


def test_a_failing_query_is_an_error_verdict_counted_once_and_apart(story: Story) -> None:
    spike_then(story, fixed_at=5, after_ratio=0.002)
    story.alert()
    story.clock.set(at(5))
    story.fix(verification={"errors_query": "sum(rate(x[$window])"})  # unbalanced: fails when run
    story.clock.set(at(7))
    story.alert("resolved")
    assert story.sweep(17).verdicts == [("INC-1", "error")]
    assert story.sweep(17.1).verdicts == []             # the same failure: not recorded again
    assert story.incident().state == State.VERIFYING
    registry = CollectorRegistry()
    registry.register(VerificationCollector(story.runtime.engine))
    assert registry.get_sample_value("candor_fix_verifications_total", {"outcome": "error"}) == 1
    assert registry.get_sample_value("candor_fix_verifications_total", {"outcome": "inconclusive"}) == 0
    assert registry.get_sample_value("candor_incidents_verifying") == 1


def test_metrics_count_verdicts_regressions_and_time_to_milestones(story: Story) -> None:
    spike_then(story, fixed_at=25, after_ratio=0.002)
    story.alert()
    story.sweep(0)
    story.clock.set(at(5))
    story.fix("bad rollback")
    story.sweep(17)                                    # never went inactive within 11m20s
    story.clock.set(at(25))
    story.fix("real fix", release="r3")
    story.clock.set(at(27))
    story.alert("resolved")
    story.sweep(37)
    registry = CollectorRegistry()
    registry.register(VerificationCollector(story.runtime.engine))
    value = registry.get_sample_value
    assert value("candor_fix_verifications_total", {"outcome": "verified"}) == 1
    assert value("candor_fix_verifications_total", {"outcome": "regressed"}) == 1
    assert value("candor_regressions_total", {"service": "redirect"}) == 1
    assert value("candor_incidents_verifying") == 0
    assert value("candor_time_to_verify_seconds_count") == 1
    assert value("candor_time_to_verify_seconds_sum") == 32 * 60   # first fix (5) → verified (37)
    assert value("candor_time_to_resolve_seconds_sum") == 37 * 60
    assert 0 < (value("candor_time_to_detect_seconds_sum") or 0) <= 5 * 60  # impact began before the alert
