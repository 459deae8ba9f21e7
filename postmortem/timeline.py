"""Compile an incident's append-only events into a postmortem timeline.

Pure: ``build_timeline(events, annotations=...)`` takes the stored events (any
objects with ``seq``, ``type``, ``at``, ``actor`` and ``payload``) and the
responders' overlays, and returns entries sorted by time with offsets from
impact start. Overlays are their own append-only rows (``TimelineAnnotation``):
they mark key moments, add notes and hide noise, and never touch an event.

>>> from types import SimpleNamespace as E
>>> t0 = datetime(2026, 1, 1, tzinfo=UTC)
>>> entries = build_timeline([E(seq=1, type="incident.opened", at=t0, actor="am", payload={})])
>>> entries[0].offset, entries[0].category
(datetime.timedelta(0), 'detection')

``key_figures(events)`` gives the durations leadership asks about first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from monitor.clock import utc
from monitor.event_types import IMPACT_STARTED, NOTICE_VERSIONS, EventType
from monitor.incidents.lifecycle import replay


class EventLike(Protocol):
    seq: int
    type: str
    at: datetime
    actor: str
    payload: dict[str, Any]


class AnnotationLike(Protocol):
    event_seq: int
    kind: str
    text: str
    actor: str
    at: datetime


class Overlay(StrEnum):
    """What a responder can say about one timeline entry (stored, never applied to events)."""

    KEY_MOMENT = "key_moment"
    UNMARK = "unmark"
    NOTE = "note"
    HIDE = "hide"
    UNHIDE = "unhide"


# Event type (or prefix ending in ".") -> category used for grouping, icons and chart markers.
# The prefixes place types this version does not know (older or newer rooms) in a category.
CATEGORIES: dict[str, str] = {
    IMPACT_STARTED: "impact",
    EventType.INCIDENT_OPENED: "detection",
    EventType.ALERT_ATTACHED: "alert",
    EventType.ALERT_RESOLVED: "alert",
    EventType.ALERTS_ALL_RESOLVED: "recovery",
    EventType.INCIDENT_TRANSITIONED: "response",
    EventType.NOTE_ADDED: "note",
    EventType.SEVERITY_CHANGED: "response",
    EventType.COMMANDER_ASSIGNED: "response",
    EventType.INCIDENT_LINKED: "note",
    EventType.INCIDENT_GROUP_RELEASED: "note",
    EventType.FIX_DEPLOYED: "fix",
    **dict.fromkeys(NOTICE_VERSIONS, "communication"),
    EventType.VERIFICATION_PASSED: "verification",
    EventType.VERIFICATION_VERDICT: "verification",
    EventType.IMPACT_MEASURED: "impact",
    EventType.USER_REPORT_RECEIVED: "user_report",
    "notice.": "communication",
    "verification.": "verification",
    "user_report.": "user_report",
    "report.": "user_report",
    "deploy.": "fix",
}
# Transitions that are key moments without anyone marking them.
_KEY_STATES = {"acknowledged", "identified", "resolved", "regressed", "reopened", "retracted"}


def category_of(event_type: str) -> str:
    """The category of an event type; unknown types are ``other`` (and still shown)."""
    if event_type in CATEGORIES:
        return CATEGORIES[event_type]
    for prefix, category in CATEGORIES.items():
        if prefix.endswith(".") and event_type.startswith(prefix):
            return category
    return "other"


@dataclass(frozen=True)
class Entry:
    """One line of the timeline. ``payload`` is the event's own, unchanged."""

    seq: int
    at: datetime
    offset: timedelta
    type: str
    category: str
    actor: str
    payload: dict[str, Any]
    key_moment: bool = False
    hidden: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def offset_text(self) -> str:
        return format_offset(self.offset)


def format_offset(delta: timedelta) -> str:
    """``T+1h02m05s`` / ``T-30s``: relative to impact start, to the second."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else "+"
    seconds = abs(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"T{sign}{hours}h{minutes:02d}m{secs:02d}s"
    if minutes:
        return f"T{sign}{minutes}m{secs:02d}s"
    return f"T{sign}{secs}s"


def _default_key(event_type: str, payload: dict[str, Any]) -> bool:
    if event_type in (EventType.INCIDENT_OPENED, EventType.FIX_DEPLOYED, EventType.ALERTS_ALL_RESOLVED):
        return True
    if event_type == EventType.INCIDENT_TRANSITIONED:
        return payload.get("to") in _KEY_STATES
    return event_type == EventType.NOTICE_PUBLISHED


def impact_start(events: Sequence[EventLike]) -> datetime | None:
    """When users were first hurt: the opened event's ``impact_started_at``, else its time."""
    for event in events:
        if event.type == EventType.INCIDENT_OPENED:
            raw = event.payload.get("impact_started_at")
            return utc(datetime.fromisoformat(raw)) if isinstance(raw, str) else utc(event.at)
    return utc(min(e.at for e in events)) if events else None


def build_timeline(
    events: Iterable[EventLike],
    *,
    annotations: Iterable[AnnotationLike] = (),
    impact_started_at: datetime | None = None,
) -> list[Entry]:
    """Events merged with overlays, sorted by (time, seq); offsets from impact start.

    When impact began before the first event (an alert fires after its first bad
    sample), a synthetic ``impact.started`` entry with seq 0 opens the list.
    Overlays apply in the order given (oldest first): the last key/unmark and
    hide/unhide for an entry wins, notes accumulate. Overlays naming a seq that
    no event has are ignored (they cannot invent history).
    """
    ordered = sorted(events, key=lambda e: (utc(e.at), e.seq))
    start = utc(impact_started_at) if impact_started_at else impact_start(ordered)
    start = start or datetime(1970, 1, 1, tzinfo=UTC)
    key: dict[int, bool] = {}
    hidden: dict[int, bool] = {}
    notes: dict[int, list[str]] = {}
    for note in annotations:
        match note.kind:
            case Overlay.KEY_MOMENT | Overlay.UNMARK:
                key[note.event_seq] = note.kind == Overlay.KEY_MOMENT
            case Overlay.HIDE | Overlay.UNHIDE:
                hidden[note.event_seq] = note.kind == Overlay.HIDE
            case Overlay.NOTE:
                notes.setdefault(note.event_seq, []).append(note.text)
    entries = [
        Entry(
            seq=e.seq, at=utc(e.at), offset=utc(e.at) - start, type=e.type,
            category=category_of(e.type), actor=e.actor, payload=dict(e.payload),
            key_moment=key.get(e.seq, _default_key(e.type, e.payload)),
            hidden=hidden.get(e.seq, False), notes=tuple(notes.get(e.seq, ())),
        )
        for e in ordered
    ]
    if entries and start < entries[0].at:
        entries.insert(0, Entry(seq=0, at=start, offset=timedelta(0), type=IMPACT_STARTED,
                                category="impact", actor="", payload={}, key_moment=True))
    return entries


@dataclass(frozen=True)
class KeyFigures:
    """Times of the incident's milestones and the durations between them (``None``: not yet)."""

    impact_started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    first_notice_at: datetime | None
    fix_deployed_at: datetime | None
    restored_at: datetime | None
    verified_at: datetime | None
    resolved_at: datetime | None

    @staticmethod
    def _between(a: datetime | None, b: datetime | None) -> timedelta | None:
        return b - a if a is not None and b is not None else None

    @property
    def time_to_detect(self) -> timedelta | None:
        return self._between(self.impact_started_at, self.detected_at)

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self._between(self.detected_at, self.acknowledged_at)

    @property
    def time_to_first_notice(self) -> timedelta | None:
        return self._between(self.impact_started_at, self.first_notice_at)

    @property
    def time_to_restore(self) -> timedelta | None:
        return self._between(self.impact_started_at, self.restored_at)

    @property
    def time_to_verify(self) -> timedelta | None:
        return self._between(self.fix_deployed_at or self.restored_at, self.verified_at)

    @property
    def duration(self) -> timedelta | None:
        return self._between(self.impact_started_at, self.resolved_at)

    def as_seconds(self) -> dict[str, float | None]:
        names = ("time_to_detect", "time_to_acknowledge", "time_to_first_notice",
                 "time_to_restore", "time_to_verify", "duration")
        out: dict[str, float | None] = {}
        for name in names:
            value: timedelta | None = getattr(self, name)
            out[name] = value.total_seconds() if value is not None else None
        return out


def key_figures(events: Sequence[EventLike]) -> KeyFigures:
    """Milestones as the events alone say: replayed through the lifecycle reducer.

    "Restored" is when every alert had resolved (or verification began), the
    first time that happened after impact start.
    """
    ordered = sorted(events, key=lambda e: (utc(e.at), e.seq))
    view = replay([(e.type, utc(e.at), e.payload) for e in ordered])
    restored = next(
        (utc(e.at) for e in ordered
         if e.type == EventType.ALERTS_ALL_RESOLVED
         or (e.type == EventType.INCIDENT_TRANSITIONED and e.payload.get("to") in ("verifying", "resolved"))),
        None,
    )
    return KeyFigures(
        impact_started_at=view.impact_started_at, detected_at=view.detected_at,
        acknowledged_at=view.acknowledged_at, first_notice_at=view.first_notice_at,
        fix_deployed_at=view.fix_deployed_at, restored_at=restored,
        verified_at=view.verified_at, resolved_at=view.resolved_at,
    )
