"""The incident view folded from events (``lifecycle.apply``/``replay``), event by event,
with the expected view written out by hand. Mutation testing (``make mutate``) found these
branches unasserted: the replay property test only compares the fold with itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.event_types import EventType
from monitor.incidents.lifecycle import IncidentView, State, apply, replay

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
OPENED = (EventType.INCIDENT_OPENED, T,
          {"title": "Redirects fail", "severity": "SEV2", "group_key": "g1"})


def test_opening_without_a_summary_leaves_it_empty_and_keeps_the_group() -> None:
    view = replay([OPENED])

    assert view.summary == ""
    assert view.title == "Redirects fail"
    assert view.group_key == "g1"
    assert view.impact_started_at == T == view.detected_at
    assert replay([(OPENED[0], T, {**OPENED[2], "summary": "502s"})]).summary == "502s"


def test_releasing_the_group_clears_the_group_key() -> None:
    view = replay([OPENED, (EventType.INCIDENT_GROUP_RELEASED, T + timedelta(minutes=1), {})])

    assert view.group_key is None
    assert view.title == "Redirects fail"


def test_only_a_verified_verdict_sets_verified_at() -> None:
    at = T + timedelta(minutes=9)
    view = replay([OPENED])

    assert apply(view, EventType.VERIFICATION_VERDICT, at, {"outcome": "verified"}).verified_at == at
    assert apply(view, EventType.VERIFICATION_VERDICT, at, {"outcome": "regressed"}) == view
    assert apply(view, EventType.VERIFICATION_VERDICT, at, {}) == view


def test_measured_impact_moves_the_impact_start_only_when_given() -> None:
    earlier = T - timedelta(minutes=7)
    view = replay([OPENED])

    measured = apply(view, EventType.IMPACT_MEASURED, T, {"started_at": earlier.isoformat()})
    assert measured.impact_started_at == earlier
    assert apply(view, EventType.IMPACT_MEASURED, T, {"started_at": None}) == view
    assert apply(view, EventType.IMPACT_MEASURED, T, {}) == view


def test_unknown_events_leave_the_view_as_it_is() -> None:
    view = replay([OPENED])

    assert apply(view, "something.else", T, {"to": "resolved"}) == view
    assert IncidentView().state is State.DETECTED
