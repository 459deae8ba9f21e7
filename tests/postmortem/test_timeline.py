"""A timeline is the events, sorted, with offsets from impact start and overlays on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from monitor.event_types import IMPACT_STARTED
from postmortem.timeline import build_timeline, format_offset, key_figures
from tests.postmortem.conftest import event

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def opened(minutes: float = 2, impact: float = 0) -> SimpleNamespace:
    return event(1, "incident.opened", at(minutes), {"title": "x", "severity": "SEV2",
                                                      "impact_started_at": at(impact).isoformat()})


def test_entries_are_sorted_by_time_and_offset_from_impact_start():
    events = [opened(), event(3, "note.added", at(5), {"text": "late"}),
              event(2, "alert.attached", at(3), {"alertname": "A"})]
    entries = build_timeline(events)
    assert [e.type for e in entries] == [IMPACT_STARTED, "incident.opened", "alert.attached", "note.added"]
    assert [e.offset_text for e in entries] == ["T+0s", "T+2m00s", "T+3m00s", "T+5m00s"]


def test_same_instant_keeps_recording_order():
    events = [event(3, "note.added", at(2)), opened(), event(2, "alert.attached", at(2))]
    assert [e.seq for e in build_timeline(events)] == [0, 1, 2, 3]


def test_unknown_event_types_are_kept_as_other():
    entries = build_timeline([opened(impact=2), event(2, "chaos.monkey", at(3), {"target": "db"})])
    assert entries[-1].category == "other" and entries[-1].payload == {"target": "db"}


def test_notice_types_are_communications_whatever_their_suffix():
    entries = build_timeline([opened(impact=2), event(2, "notice.retracted", at(4))])
    assert entries[-1].category == "communication"


def test_overlays_mark_hide_and_annotate_without_touching_events():
    events = [opened(impact=2), event(2, "alert.attached", at(3)), event(3, "note.added", at(4))]
    before = [dict(e.payload) for e in events]
    notes = [SimpleNamespace(event_seq=3, kind=k, text=t, actor="@ana", at=at(9))
             for k, t in (("key_moment", ""), ("note", "mattered"), ("note", "twice"))]
    notes.append(SimpleNamespace(event_seq=2, kind="hide", text="", actor="@ana", at=at(9)))
    entries = {e.seq: e for e in build_timeline(events, annotations=notes)}
    assert entries[3].key_moment and entries[3].notes == ("mattered", "twice")
    assert entries[2].hidden
    assert [e.payload for e in events] == before


def test_later_overlay_wins_and_unknown_seq_is_ignored():
    notes = [SimpleNamespace(event_seq=1, kind=k, text="", actor="a", at=at(9))
             for k in ("unmark", "key_moment", "hide", "unhide")]
    notes.append(SimpleNamespace(event_seq=99, kind="hide", text="", actor="a", at=at(9)))
    entries = build_timeline([opened(impact=2)], annotations=notes)
    assert len(entries) == 1 and entries[0].key_moment and not entries[0].hidden


def test_key_figures_from_events():
    events = [
        opened(minutes=2, impact=0),
        event(2, "incident.transitioned", at(5), {"from": "detected", "to": "acknowledged"}),
        event(3, "notice.published", at(11), {}),
        event(4, "fix.deployed", at(20), {"description": "rollback"}),
        event(5, "alerts.all_resolved", at(23)),
        event(6, "incident.transitioned", at(23), {"from": "fixing", "to": "verifying"}),
        event(7, "verification.verdict", at(38), {"outcome": "verified"}),
        event(8, "incident.transitioned", at(38), {"from": "verifying", "to": "resolved"}),
    ]
    seconds = key_figures(events).as_seconds()
    assert seconds == {"time_to_detect": 120, "time_to_acknowledge": 180, "time_to_first_notice": 660,
                       "time_to_restore": 1380, "time_to_verify": 1080, "duration": 2280}
    # resolved by a person without a verified verdict: never "verified"
    assert key_figures(events[:6] + events[7:]).time_to_verify is None


def test_key_figures_not_reached_are_none():
    assert key_figures([opened()]).time_to_restore is None


def test_offsets_format_hours_and_negative():
    assert format_offset(timedelta(hours=1, minutes=2, seconds=5)) == "T+1h02m05s"
    assert format_offset(timedelta(seconds=-30)) == "T-30s"
