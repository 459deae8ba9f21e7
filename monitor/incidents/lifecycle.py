"""The incident lifecycle as data, and the reducer that folds events into a view.

::

    detected ─▶ acknowledged ─▶ identified ─▶ fixing ─▶ verifying ─▶ resolved
       │             │              │           ▲  │         │            │
       │             └──────────────┴───────────┘  │         ▼            ▼
       └─── (any earlier open state may skip ahead to fixing/verifying)  regressed   reopened ─▶ …
                                                   │         │
    any open state ─────────────────────────────▶ retracted (false alarm; terminal)

``resolved`` is reached only through ``verifying``: a fix counts once the
signal has been watched. ``verified_at`` is set only by a ``verification.verdict`` whose
outcome is ``verified``: an incident a person resolved after an inconclusive verdict is
resolved, never "verified". ``impact.measured`` moves impact start to the first bad
sample the series show (usually before detection). ``apply(view, event)`` is the single place that knows
what each event does to an incident; the service stores its result as the
incident row, and ``replay(events)`` recomputes it from scratch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from monitor.event_types import EventType


class State(StrEnum):
    DETECTED = "detected"
    ACKNOWLEDGED = "acknowledged"
    IDENTIFIED = "identified"
    FIXING = "fixing"
    VERIFYING = "verifying"
    REGRESSED = "regressed"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    RETRACTED = "retracted"


S = State
TRANSITIONS: dict[State, tuple[State, ...]] = {
    S.DETECTED: (S.ACKNOWLEDGED, S.IDENTIFIED, S.FIXING, S.VERIFYING, S.RETRACTED),
    S.ACKNOWLEDGED: (S.IDENTIFIED, S.FIXING, S.VERIFYING, S.RETRACTED),
    S.IDENTIFIED: (S.FIXING, S.VERIFYING, S.RETRACTED),
    S.FIXING: (S.VERIFYING, S.RETRACTED),
    S.VERIFYING: (S.RESOLVED, S.REGRESSED, S.RETRACTED),
    S.REGRESSED: (S.FIXING, S.VERIFYING, S.RETRACTED),
    S.RESOLVED: (S.REOPENED,),
    S.REOPENED: (S.ACKNOWLEDGED, S.IDENTIFIED, S.FIXING, S.VERIFYING, S.RETRACTED),
    S.RETRACTED: (),
}
CLOSED = frozenset({S.RESOLVED, S.RETRACTED})
OPEN = frozenset(State) - CLOSED
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")


def allowed(source: State) -> tuple[State, ...]:
    return TRANSITIONS[source]


def can_transition(source: State, target: State) -> bool:
    return target in TRANSITIONS[source]


@dataclass(frozen=True)
class IncidentView:
    """Everything the incident row shows, as a plain value derived only from events."""

    title: str = ""
    summary: str = ""
    severity: str = "SEV3"
    state: State = S.DETECTED
    services: tuple[str, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)
    group_key: str | None = None
    commander: str | None = None
    related: tuple[str, ...] = ()
    impact_started_at: datetime | None = None
    detected_at: datetime | None = None
    acknowledged_at: datetime | None = None
    first_notice_at: datetime | None = None
    fix_deployed_at: datetime | None = None
    verifying_since: datetime | None = None
    verified_at: datetime | None = None
    resolved_at: datetime | None = None
    alerts_resolved: bool = False


def _parse_time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def apply(view: IncidentView, type: str, at: datetime, payload: dict[str, Any]) -> IncidentView:
    """The view after one event. Unknown event types leave the view as it is."""
    match type:
        case EventType.INCIDENT_OPENED:
            return replace(
                view,
                title=payload["title"],
                summary=payload.get("summary", ""),
                severity=payload["severity"],
                services=tuple(payload.get("services", ())),
                labels=dict(payload.get("labels", {})),
                group_key=payload.get("group_key"),
                impact_started_at=_parse_time(payload.get("impact_started_at")) or at,
                detected_at=at,
            )
        case EventType.INCIDENT_TRANSITIONED:
            target = State(payload["to"])
            changes: dict[str, Any] = {"state": target}
            if target is S.ACKNOWLEDGED and view.acknowledged_at is None:
                changes["acknowledged_at"] = at
            if target is S.VERIFYING:
                changes["verifying_since"] = at
            if target is S.RESOLVED:
                changes["resolved_at"] = at
            if target is S.REOPENED:
                changes.update(resolved_at=None, verified_at=None, alerts_resolved=False)
            return replace(view, **changes)
        case EventType.INCIDENT_GROUP_RELEASED:
            return replace(view, group_key=None)
        case EventType.ALERT_ATTACHED:
            return replace(view, alerts_resolved=False)
        case EventType.ALERTS_ALL_RESOLVED:
            return replace(view, alerts_resolved=True)
        case EventType.SEVERITY_CHANGED:
            return replace(view, severity=payload["to"])
        case EventType.COMMANDER_ASSIGNED:
            return replace(view, commander=payload["commander"])
        case EventType.INCIDENT_LINKED:
            return replace(view, related=tuple(sorted({*view.related, payload["key"]})))
        case EventType.VERIFICATION_VERDICT if payload.get("outcome") == "verified":
            return replace(view, verified_at=at)
        case EventType.IMPACT_MEASURED if payload.get("started_at"):
            return replace(view, impact_started_at=_parse_time(payload["started_at"]))
        case EventType.FIX_DEPLOYED:
            return replace(view, fix_deployed_at=view.fix_deployed_at or at)
        case EventType.NOTICE_PUBLISHED:
            return replace(view, first_notice_at=view.first_notice_at or at)
    return view


def replay(events: list[tuple[str, datetime, dict[str, Any]]]) -> IncidentView:
    """Fold ``(type, at, payload)`` events, oldest first, into the incident's view."""
    view = IncidentView()
    for type, at, payload in events:
        view = apply(view, type, at, payload)
    return view
