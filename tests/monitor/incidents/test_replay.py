"""Property: whatever happens to an incident, its row equals the replay of its events.

Hypothesis draws random sequences of commands (valid and invalid transitions, notes,
severity changes, commanders, links, fixes, alerts firing and resolving through the
alerting router, time passing) and checks every incident after every step.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from sqlmodel import select

from monitor.alerting import service as alerting
from monitor.alerting.identity import Alert, AlertStatus
from monitor.api.runtime import Runtime
from monitor.errors import CandorError
from monitor.incidents import service
from monitor.incidents.lifecycle import OPEN, State
from monitor.incidents.models import Incident

ALERTNAMES = ["HighErrorRate", "SlowRedirects"]
INSTANCES = ["a", "b"]
# Alerts may carry start times in any offset; the store must keep the instant.
OFFSETS = [UTC, timezone(timedelta(hours=-3)), timezone(timedelta(hours=5, minutes=30))]

commands = st.lists(st.one_of(
    st.tuples(st.just("transition"), st.integers(0, 2), st.sampled_from(list(State))),
    st.tuples(st.just("note"), st.integers(0, 2), st.text(min_size=1, max_size=20)),
    st.tuples(st.just("severity"), st.integers(0, 2), st.sampled_from(["SEV1", "SEV2", "SEV3", "SEV4"])),
    st.tuples(st.just("commander"), st.integers(0, 2), st.sampled_from(["carol", "dan"])),
    st.tuples(st.just("link"), st.integers(0, 2), st.integers(0, 2)),
    st.tuples(st.just("fix"), st.integers(0, 2), st.text(min_size=1, max_size=10)),
    st.tuples(st.just("fire"), st.sampled_from(ALERTNAMES), st.sampled_from(INSTANCES),
              st.sampled_from(OFFSETS)),
    st.tuples(st.just("resolve"), st.sampled_from(ALERTNAMES), st.sampled_from(INSTANCES)),
    st.tuples(st.just("wait"), st.sampled_from([1, 60, 3600, 30 * 3600])),
), min_size=1, max_size=25)


def incidents_of(runtime: Runtime, service_name: str) -> list[Incident]:
    with runtime.unit() as s:
        return [i for i in s.exec(select(Incident)) if service_name in i.services]


def assert_rows_equal_replay(runtime: Runtime, service_name: str) -> None:
    with runtime.unit() as s:
        for incident in s.exec(select(Incident)):
            if service_name in incident.services:
                assert service.view_of(incident) == service.replayed(s, incident), incident.key


@hypothesis_settings(max_examples=40, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=commands, mode=st.sampled_from(["verify", "resolve", "none"]))
def test_incident_row_always_equals_the_replay_of_its_events(
    runtime: Runtime, make_settings, clock, steps, mode
) -> None:
    settings = make_settings(incidents={"on_alerts_resolved": mode, "reopen_window": "1d"})
    svc = f"svc-{uuid.uuid4().hex[:8]}"  # keeps examples apart in the one store
    with runtime.unit() as s:
        service.open_incident(s, clock=clock, key_prefix="INC", actor="alice",
                              title="opened by hand", severity="SEV3", services=[svc])

    for step in steps:
        keys = [i.key for i in incidents_of(runtime, svc)]
        try:
            with runtime.unit() as s:
                run(s, step, keys, svc, settings, clock)
        except CandorError:
            pass  # an invalid command: rolled back, and the invariant must still hold
        assert_rows_equal_replay(runtime, svc)


def run(s, step, keys, svc, settings, clock) -> None:
    kind = step[0]
    if kind in ("fire", "resolve"):
        labels = {"alertname": step[1], "service": svc, "instance": step[2]}
        if kind == "fire":
            starts = clock.now().astimezone(step[3]) - timedelta(minutes=1)
            alert = Alert(labels=labels, starts_at=starts)
        else:
            alert = Alert(labels=labels, ends_at=clock.now(), status=AlertStatus.RESOLVED)
        alerting.receive(s, [alert], settings=settings, clock=clock, source="alertmanager")
        return
    if kind == "wait":
        clock.advance(seconds=step[1])
        return
    incident = service.get_by_key_or_raise(s, keys[step[1] % len(keys)])
    match kind:
        case "transition":
            service.transition(s, incident, step[2], actor="bob", clock=clock)
        case "note":
            service.add_note(s, incident, step[2], actor="bob", clock=clock)
        case "severity":
            service.change_severity(s, incident, step[2], actor="bob", clock=clock)
        case "commander":
            service.assign_commander(s, incident, step[2], actor="bob", clock=clock)
        case "link":
            service.link(s, incident, keys[step[2] % len(keys)], relation="related", actor="bob",
                         clock=clock)
        case "fix":
            service.record_fix(s, incident, step[2], release="r1", actor="bob", clock=clock)


def test_open_states_are_everything_but_resolved_and_retracted() -> None:
    assert frozenset(State) - OPEN == {State.RESOLVED, State.RETRACTED}


def test_impact_start_in_another_offset_is_kept_as_the_same_instant(runtime, clock) -> None:
    start = datetime(2026, 3, 2, 6, 0, tzinfo=timezone(timedelta(hours=-3)))  # 09:00 UTC
    with runtime.unit() as s:
        incident = service.open_incident(s, clock=clock, key_prefix="INC", actor="alice",
                                         title="t", severity="SEV3", impact_started_at=start)
    with runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, incident.key)
        assert service.view_of(incident).impact_started_at == start
        assert service.view_of(incident) == service.replayed(s, incident)
