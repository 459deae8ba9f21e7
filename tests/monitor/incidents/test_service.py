"""Incident service on both stores: open, transition, list with filters and pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from monitor import db
from monitor.clock import FixedClock
from monitor.errors import Conflict, InvalidTransition, NotFound, Unprocessable
from monitor.event_types import EventType
from monitor.incidents import service
from monitor.incidents.lifecycle import State


def open_one(s, clock: FixedClock, title: str = "Redirects fail", **kw):
    kw.setdefault("severity", "SEV3")
    return service.open_incident(s, clock=clock, key_prefix="INC", actor="alice", title=title, **kw)


def test_open_records_the_opening_event_and_key(store: Engine, clock: FixedClock) -> None:
    with db.session(store) as s:
        incident = open_one(s, clock, services=["redirect", "redirect", "api"],
                            labels={"alertname": "HighErrorRate"})

    with db.session(store) as s:
        again = service.get_by_key_or_raise(s, incident.key)
        assert again.key == f"INC-{again.id}"
        assert again.state == State.DETECTED
        assert again.services == ["api", "redirect"]
        assert again.detected_at is not None and again.impact_started_at is not None
        [opened] = service.events(s, again)
        assert (opened.seq, opened.type, opened.actor) == (1, EventType.INCIDENT_OPENED, "alice")
        assert service.replayed(s, again) == service.view_of(again)


def test_transitions_walk_the_lifecycle_and_stamp_times(store: Engine, clock: FixedClock) -> None:
    path = [State.ACKNOWLEDGED, State.IDENTIFIED, State.FIXING, State.VERIFYING, State.RESOLVED,
            State.REOPENED, State.RETRACTED]
    with db.session(store) as s:
        incident = open_one(s, clock)
        for target in path:
            clock.advance(minutes=5)
            service.transition(s, incident, target, actor="bob", clock=clock)
    with db.session(store) as s:
        incident = service.get_by_key_or_raise(s, incident.key)
        assert incident.state == State.RETRACTED
        assert incident.acknowledged_at is not None and incident.resolved_at is None
        types = [e.type for e in service.events(s, incident)]
        assert types == [EventType.INCIDENT_OPENED] + [EventType.INCIDENT_TRANSITIONED] * len(path)
        assert service.replayed(s, incident) == service.view_of(incident)


def test_invalid_transition_names_the_allowed_ones_and_stores_nothing(
    store: Engine, clock: FixedClock
) -> None:
    with db.session(store) as s:
        incident = open_one(s, clock)
    with pytest.raises(InvalidTransition) as caught, db.session(store) as s:
        service.transition(s, service.get_by_key_or_raise(s, incident.key), State.RESOLVED,
                           actor="bob", clock=clock)
    assert "acknowledged, identified, fixing, verifying, retracted" in caught.value.detail
    with db.session(store) as s:
        assert len(service.events(s, service.get_by_key_or_raise(s, incident.key))) == 1


def test_commands_other_than_transitions(store: Engine, clock: FixedClock) -> None:
    with db.session(store) as s:
        first, second = open_one(s, clock), open_one(s, clock, "Logins slow")
        service.add_note(s, first, "looking at the redirect pods", actor="bob", clock=clock)
        service.change_severity(s, first, "SEV1", actor="bob", clock=clock, reason="all users")
        service.assign_commander(s, first, "carol", actor="bob", clock=clock)
        service.link(s, first, second.key, relation="caused_by", actor="bob", clock=clock)
        service.record_fix(s, first, "roll back 1.4.2", release="1.4.1", actor="bob", clock=clock)
        with pytest.raises(Conflict, match="already SEV1"):
            service.change_severity(s, first, "SEV1", actor="bob", clock=clock)
        with pytest.raises(Unprocessable, match="itself"):
            service.link(s, first, first.key, relation="related", actor="bob", clock=clock)
        with pytest.raises(NotFound):
            service.link(s, first, "INC-999", relation="related", actor="bob", clock=clock)
    with db.session(store) as s:
        first = service.get_by_key_or_raise(s, first.key)
        second = service.get_by_key_or_raise(s, second.key)
        assert (first.severity, first.commander, first.related) == ("SEV1", "carol", [second.key])
        assert second.related == [first.key]
        assert service.events(s, second)[-1].payload == {"key": first.key, "relation": "causes"}
        assert first.fix_deployed_at is not None
        for incident in (first, second):
            assert service.replayed(s, incident) == service.view_of(incident)


def test_list_filters_and_pages_newest_first(store: Engine, clock: FixedClock) -> None:
    with db.session(store) as s:
        for n in range(7):
            clock.advance(hours=1)
            incident = open_one(s, clock, f"incident {n}", severity="SEV1" if n % 2 else "SEV3",
                                services=["redirect"] if n < 4 else ["api"])
            if n == 6:
                service.transition(s, incident, State.ACKNOWLEDGED, actor="bob", clock=clock)
    start = clock.now() - timedelta(hours=7)

    with db.session(store) as s:
        def titles(**kw) -> list[str]:
            return [i.title for i in service.list_incidents(s, **kw)[0]]

        assert titles() == [f"incident {n}" for n in range(6, -1, -1)]
        assert titles(states=["acknowledged"]) == ["incident 6"]
        assert titles(severities=["SEV1"]) == ["incident 5", "incident 3", "incident 1"]
        assert titles(service="api") == ["incident 6", "incident 5", "incident 4"]
        assert titles(service="redirect", limit=2) == ["incident 3", "incident 2"]
        assert titles(since=start + timedelta(hours=6)) == ["incident 6", "incident 5"]
        assert titles(until=start + timedelta(hours=2, minutes=30)) == ["incident 1", "incident 0"]

        seen, cursor = [], None
        while True:
            page, cursor = service.list_incidents(s, service="redirect", limit=3, cursor=cursor)
            seen += [i.title for i in page]
            if cursor is None:
                break
        assert seen == ["incident 3", "incident 2", "incident 1", "incident 0"]


def test_a_page_exactly_full_has_no_next_cursor(store: Engine, clock: FixedClock) -> None:
    with db.session(store) as s:
        for n in range(3):
            open_one(s, clock, f"incident {n}")
        page, cursor = service.list_incidents(s, limit=3)
    assert len(page) == 3 and cursor is None


@pytest.mark.parametrize("cursor", ["nonsense", "aWQ6eA==", "Zm9vOjE=", "", "%%%"])
def test_cursor_not_issued_by_candor_is_rejected(store: Engine, cursor: str) -> None:
    with db.session(store) as s, pytest.raises(Unprocessable, match="cursor"):
        service.list_incidents(s, cursor=cursor or "=")
