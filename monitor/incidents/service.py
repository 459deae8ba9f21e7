"""Incident service: every change is an appended event folded into the row.

Functions are keyword-only after the session and take the clock explicitly.
``*_or_raise`` names say that ``NotFound`` may come back instead of ``None``.

Concurrent writers: ``record`` first takes the incident's row for its transaction
(``lock``: ``SELECT … FOR UPDATE`` on PostgreSQL, the one write lock on SQLite) and reads
it afresh, so the next ``seq`` and the folded view come from the committed row, never
from a copy another request has since moved on. Functions that decide from the
incident's state (``transition``, ``change_severity`` …) lock it before they decide.
``open_for_group`` is the insert-or-nothing that keeps one open incident per alert group.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import fields
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, text
from sqlmodel import Session, col, select

from monitor import db
from monitor.clock import Clock, utc
from monitor.config import Settings
from monitor.db import EVENT_HOOKS, WROTE_EVENTS, id_of
from monitor.errors import Conflict, FieldProblem, InvalidTransition, LimitExceeded, NotFound, Unprocessable
from monitor.event_types import EventType
from monitor.i18n import verdicts
from monitor.incidents.lifecycle import (
    CLOSED,
    OPEN,
    IncidentView,
    State,
    allowed,
    apply,
    can_transition,
    replay,
)
from monitor.incidents.models import OPEN_GROUP, Incident, IncidentEvent

_VIEW_FIELDS = [f.name for f in fields(IncidentView)]

EventHook = Callable[[Session, Incident, IncidentEvent], object]
"""Runs right after an event is written, in its transaction (e.g. the notification outbox);
``record`` runs the ones in ``session.info[monitor.db.EVENT_HOOKS]``, in order."""


def _jsonable(payload: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(payload, default=lambda v: v.isoformat()))


def view_of(incident: Incident) -> IncidentView:
    values = {name: getattr(incident, name) for name in _VIEW_FIELDS}
    values["state"] = State(values["state"])
    values["services"] = tuple(values["services"])
    values["related"] = tuple(values["related"])
    for name, value in values.items():
        if isinstance(value, datetime):
            values[name] = utc(value)
    return IncidentView(**values)


def _store_view(incident: Incident, before: IncidentView, view: IncidentView) -> None:
    """Set the fields ``apply`` changed (each assignment to a mapped attribute costs)."""
    for name in _VIEW_FIELDS:
        value = getattr(view, name)
        if value == getattr(before, name):
            continue
        if isinstance(value, tuple):
            value = list(value)
        setattr(incident, name, str(value) if name == "state" else value)


LOCKED = "candor.locked_incidents"
"""``session.info`` key: ids of the incidents this transaction holds (see ``lock``)."""


def lock(session: Session, incident: Incident) -> Incident:
    """Hold ``incident``'s row until this transaction ends, and read it afresh.

    PostgreSQL: ``SELECT … FOR UPDATE`` (another writer of the same incident waits here;
    writers of other incidents do not). SQLite: the transaction becomes the one writer
    (``db.lock_for_write``) before the row is read again. Done once per transaction."""
    held = session.info.setdefault(LOCKED, set())
    if incident.id in held:
        return incident
    db.lock_for_write(session)
    session.flush()
    session.refresh(incident, with_for_update=True)
    held.add(incident.id)
    return incident


def record(
    session: Session,
    incident: Incident,
    type: str,
    payload: dict[str, Any],
    *,
    actor: str,
    clock: Clock,
    flush: bool = True,
) -> IncidentEvent:
    """Append one event and fold it into the incident row (the only writer of both).

    The row is locked and read afresh first (``lock``), so two requests writing to one
    incident at once get consecutive ``seq`` numbers, one after the other. ``flush=False``
    queues the event for one plain ``INSERT`` of many at the session's next flush
    (``db.insert_on_flush``; the alert intake writes a webhook's ``alert.*`` events so) and
    leaves the row for that flush: hooks get the event without its ``id``, and the returned
    event is not in the session."""
    lock(session, incident)
    at = clock.now()
    payload = _jsonable(payload)
    incident.event_count += 1
    values: dict[str, Any] = {
        "incident_id": id_of(incident), "seq": incident.event_count, "type": type, "at": at,
        "actor": actor, "payload": payload, "leader_epoch": session.info.get(db.LEADER_EPOCH)}
    event = IncidentEvent(**values)
    before = view_of(incident)
    _store_view(incident, before, apply(before, type, at, payload))
    session.add(incident)
    if flush:
        session.add(event)
        session.flush()
    else:
        db.insert_on_flush(session, IncidentEvent, values)
    session.info[WROTE_EVENTS] = True
    for hook in session.info.get(EVENT_HOOKS, ()):
        hook(session, incident, event)
    return event


def check_label_set(labels: dict[str, str], settings: Settings, loc: str = "$.labels") -> None:
    """Raise ``LimitExceeded`` when one label set (of an incident, say) is over the limits."""
    limits = settings.limits
    problems = []
    if len(labels) > limits.max_labels:
        problems.append(FieldProblem(loc, f"{len(labels)} labels; the limit is {limits.max_labels}"))
    for name, value in labels.items():
        if len(name) > limits.max_label_name_length:
            problems.append(FieldProblem(f"{loc}.{name[:40]}…",
                                         f"name longer than {limits.max_label_name_length}"))
        if len(value) > limits.max_label_value_length:
            problems.append(FieldProblem(f"{loc}.{name[:40]}",
                                         f"value longer than {limits.max_label_value_length}"))
    if problems:
        raise LimitExceeded("labels over the configured limits (see [limits] in config.toml)",
                            problems[:20])


def open_incident(
    session: Session,
    *,
    clock: Clock,
    key_prefix: str,
    actor: str,
    title: str,
    severity: str,
    summary: str = "",
    services: list[str] | None = None,
    labels: dict[str, str] | None = None,
    group_key: str | None = None,
    impact_started_at: datetime | None = None,
) -> Incident:
    incident = Incident(
        key=f"pending-{uuid.uuid4()}", title=title, severity=severity, state=State.DETECTED,
        created_at=clock.now(),
    )
    session.add(incident)
    session.flush()
    session.info.setdefault(LOCKED, set()).add(incident.id)  # new: no one else sees it yet
    return _opened(session, incident, clock=clock, key_prefix=key_prefix, actor=actor,
                   title=title, severity=severity, summary=summary, services=services,
                   labels=labels, group_key=group_key, impact_started_at=impact_started_at)


_OPEN_GROUP = text(OPEN_GROUP)
_NEW_INCIDENT: dict[str, Any] = {"summary": "", "services": [], "labels": {}, "commander": None, "related": [],
                 "alerts_resolved": False, "event_count": 0,
                 **dict.fromkeys(["impact_started_at", "detected_at", "acknowledged_at",
                                  "first_notice_at", "fix_deployed_at", "verifying_since",
                                  "verified_at", "resolved_at"])}
"""A new row's columns before ``incident.opened`` is folded in (``created_at`` is set)."""


def open_for_group(
    session: Session,
    *,
    group_key: str,
    clock: Clock,
    key_prefix: str,
    actor: str,
    title: str,
    severity: str,
    summary: str = "",
    services: list[str] | None = None,
    labels: dict[str, str] | None = None,
    impact_started_at: datetime | None = None,
) -> Incident | None:
    """Open the incident of alert group ``group_key``, or ``None`` when an open one exists.

    One ``INSERT … ON CONFLICT DO NOTHING`` against ``uq_incident_open_group``: of two
    requests opening the same group at once, the second waits for the first to commit and
    gets ``None`` (it then joins the first's incident), on SQLite and PostgreSQL alike."""
    values = {**_NEW_INCIDENT, "key": f"pending-{uuid.uuid4()}", "title": title,
              "severity": severity, "state": str(State.DETECTED), "created_at": clock.now(),
              "group_key": group_key}
    incident = db.insert_or_skip_row(session, Incident, values, unique=["group_key"],
                                     where=_OPEN_GROUP)
    if incident is None:
        return None
    session.info.setdefault(LOCKED, set()).add(incident.id)
    return _opened(session, incident, clock=clock, key_prefix=key_prefix, actor=actor,
                   title=title, severity=severity, summary=summary, services=services,
                   labels=labels, group_key=group_key, impact_started_at=impact_started_at)


_OPEN_IN_GROUP = (select(Incident).where(col(Incident.group_key) == bindparam("group_key"),
                                         col(Incident.state).not_in([str(s) for s in CLOSED]))
                  .with_for_update().execution_options(populate_existing=True))


def open_in_group(session: Session, group_key: str) -> Incident | None:
    """The open incident of alert group ``group_key`` (there is at most one), locked for this
    transaction and read afresh; ``None`` when the group has none open."""
    db.lock_for_write(session)
    incident = session.exec(_OPEN_IN_GROUP, params={"group_key": group_key}).first()
    if incident is not None:
        session.info.setdefault(LOCKED, set()).add(incident.id)
    return incident


def _opened(session: Session, incident: Incident, *, clock: Clock, key_prefix: str, actor: str,
            title: str, severity: str, summary: str, services: list[str] | None,
            labels: dict[str, str] | None, group_key: str | None,
            impact_started_at: datetime | None) -> Incident:
    incident.key = f"{key_prefix}-{incident.id}"
    payload = {
        "key": incident.key, "title": title, "summary": summary, "severity": severity,
        "services": sorted(set(services or [])), "labels": labels or {}, "group_key": group_key,
        "impact_started_at": impact_started_at,
    }
    record(session, incident, EventType.INCIDENT_OPENED, payload, actor=actor, clock=clock)
    return incident


def transition(
    session: Session, incident: Incident, to: State, *, actor: str, clock: Clock, reason: str = "",
    reason_code: str = "", reason_values: Mapping[str, Any] | None = None,
) -> IncidentEvent:
    """Move ``incident`` to ``to`` (``InvalidTransition`` lists the allowed moves). ``reason`` is
    what a person wrote; Candor's own reasons also carry a ``reason_code`` from the catalogue
    (``monitor.i18n.reports.Timeline.reason``, or ``monitor.i18n.verdicts`` with
    ``reason_values``) so each reader gets them in their language."""
    source = State(lock(session, incident).state)
    if not can_transition(source, to):
        options = ", ".join(allowed(source)) or "none (final state)"
        raise InvalidTransition(
            f"{incident.key} is {source}; it cannot move to {to}. Allowed from {source}: {options}",
            extra={"state": source, "allowed": list(allowed(source))},
        )
    if source in CLOSED and to in OPEN and incident.group_key is not None:
        other = open_in_group(session, incident.group_key)
        if other is not None and other.id != incident.id:
            raise Conflict(
                f"{other.key} is the open incident of {incident.key}'s alert group (one open "
                f"incident per group); resolve or retract {other.key} first, or link the two",
                extra={"open_incident": other.key})
    payload: dict[str, Any] = {"from": source, "to": to, "reason": reason}
    if reason_code:
        payload["reason_code"] = reason_code
    if reason_values:
        payload["reason_values"] = dict(reason_values)
    return record(session, incident, EventType.INCIDENT_TRANSITIONED, payload, actor=actor, clock=clock)


def add_note(session: Session, incident: Incident, text: str, *, actor: str, clock: Clock) -> IncidentEvent:
    return record(session, incident, EventType.NOTE_ADDED, {"text": text}, actor=actor, clock=clock)


def change_severity(
    session: Session, incident: Incident, severity: str, *, actor: str, clock: Clock, reason: str = ""
) -> IncidentEvent:
    if severity == lock(session, incident).severity:
        raise Conflict(f"{incident.key} is already {severity}; nothing to change")
    payload = {"from": incident.severity, "to": severity, "reason": reason}
    return record(session, incident, EventType.SEVERITY_CHANGED, payload, actor=actor, clock=clock)


def assign_commander(
    session: Session, incident: Incident, commander: str, *, actor: str, clock: Clock
) -> IncidentEvent:
    payload = {"commander": commander, "previous": lock(session, incident).commander}
    return record(session, incident, EventType.COMMANDER_ASSIGNED, payload, actor=actor, clock=clock)


def link(
    session: Session, incident: Incident, other_key: str, *, relation: str, actor: str, clock: Clock
) -> IncidentEvent:
    other = get_by_key_or_raise(session, other_key)
    if other.id == incident.id:
        raise Unprocessable(f"{incident.key} cannot be linked to itself; give another incident's key")
    for row in sorted((incident, other), key=lambda i: i.id or 0):  # one lock order: no deadlock
        lock(session, row)
    payload = {"key": other.key, "relation": relation}
    event = record(session, incident, EventType.INCIDENT_LINKED, payload, actor=actor, clock=clock)
    back = {"key": incident.key, "relation": _INVERSE.get(relation, relation)}
    record(session, other, EventType.INCIDENT_LINKED, back, actor=actor, clock=clock)
    return event


_INVERSE = {"caused_by": "causes", "causes": "caused_by"}


def record_fix(
    session: Session, incident: Incident, description: str, *, release: str, actor: str, clock: Clock,
    deployed_at: datetime | None = None, service: str = "", verification: dict[str, Any] | None = None,
) -> IncidentEvent:
    """A fix or deployment went out: recorded with its id (``INC-7/fix-2``), and the incident
    moves to ``verifying`` where it can, so fix verification judges it from the signal.
    ``deployed_at`` (default now) may be earlier than the record, even before detection;
    ``verification`` holds per-fix overrides (``monitor.config.verification.Overrides``
    keys, ``errors_query``, ``total_query``), checked by the caller."""
    if State(lock(session, incident).state) not in OPEN:
        raise Conflict(f"{incident.key} is {incident.state}; fixes are recorded on open incidents",
                       extra={"state": incident.state})
    number = 1 + sum(1 for e in events(session, incident) if e.type == EventType.FIX_DEPLOYED)
    payload: dict[str, Any] = {"id": f"{incident.key}/fix-{number}", "description": description,
                               "release": release}
    if deployed_at is not None:
        payload["deployed_at"] = utc(deployed_at)
    if service:
        payload["service"] = service
    if verification:
        payload["verification"] = verification
    event = record(session, incident, EventType.FIX_DEPLOYED, payload, actor=actor, clock=clock)
    if can_transition(State(incident.state), State.VERIFYING):
        transition(session, incident, State.VERIFYING, actor=actor, clock=clock,
                   reason=verdicts.Verdicts.fix_recorded("en", fix=payload["id"]),
                   reason_code="fix_recorded", reason_values={"fix": payload["id"]})
    return event


def regress(
    session: Session, incident: Incident, *, reason: Mapping[str, Any], evidence: dict[str, Any],
    actor: str, clock: Clock,
) -> IncidentEvent:
    """A ``regressed`` verdict with its evidence, then ``regressed`` → ``fixing``: the outbox
    tells responders (``incident.regressed``) in the same transaction. ``reason`` is data
    (``{"code": "active_again", …}``, see ``monitor.i18n.verdicts``); the transitions carry
    it too, so every reader gets it in their language."""
    fix = last_fix_id(session, incident)
    payload = {"outcome": "regressed", "fix": fix, "reasons": [dict(reason)], **evidence}
    event = record(session, incident, EventType.VERIFICATION_VERDICT, payload, actor=actor, clock=clock)
    values = {"fix": fix, "verdict_reason": dict(reason)}
    transition(session, incident, State.REGRESSED, actor=actor, clock=clock,
               reason=verdicts.transition_reason("regressed", values, "en"),
               reason_code="regressed", reason_values=values)
    transition(session, incident, State.FIXING, actor=actor, clock=clock,
               reason=verdicts.Verdicts.back_to_fixing("en"), reason_code="back_to_fixing")
    return event


def last_fix_id(session: Session, incident: Incident) -> str | None:
    """The id of the incident's latest fix (``INC-7/fix-2``), or ``None`` without one."""
    fixes = [e for e in events(session, incident) if e.type == EventType.FIX_DEPLOYED]
    if not fixes:
        return None
    return str(fixes[-1].payload.get("id") or f"{incident.key}/fix-{len(fixes)}")


# ---- reads -------------------------------------------------------------------


_BY_KEY = select(Incident).where(col(Incident.key) == bindparam("key"))
"""Built once: building the expression on every call cost more than running it."""


def get_by_key(session: Session, key: str) -> Incident | None:
    return session.exec(_BY_KEY, params={"key": key}).first()


def get_by_key_or_raise(session: Session, key: str) -> Incident:
    incident = get_by_key(session, key)
    if incident is None:
        raise NotFound(f"no incident {key!r}; list incidents with `candor incident list` (GET /api/v1/incidents)")
    return incident


def events(session: Session, incident: Incident) -> list[IncidentEvent]:
    query = select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
    return list(session.exec(query.order_by(col(IncidentEvent.seq))))


def replayed(session: Session, incident: Incident) -> IncidentView:
    """The incident as its events alone say it is (must equal ``view_of(incident)``)."""
    return replay([(e.type, utc(e.at), e.payload) for e in events(session, incident)])


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(f"id:{last_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
        kind, _, value = text.partition(":")
        if kind != "id":
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise Unprocessable(
            "cursor is not one Candor issued; pass next_cursor from the previous page unchanged"
        ) from None


def list_incidents(
    session: Session,
    *,
    states: list[str] | None = None,
    severities: list[str] | None = None,
    service: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> tuple[list[Incident], str | None]:
    """Newest first; returns the page and the cursor for the next one (or ``None``)."""
    query = select(Incident)
    if states:
        query = query.where(col(Incident.state).in_(states))
    if severities:
        query = query.where(col(Incident.severity).in_(severities))
    if since:
        query = query.where(col(Incident.created_at) >= since)
    if until:
        query = query.where(col(Incident.created_at) < until)
    before = decode_cursor(cursor) if cursor else None
    page: list[Incident] = []
    while len(page) <= limit:
        batch_query = query if before is None else query.where(col(Incident.id) < before)
        batch = list(session.exec(batch_query.order_by(col(Incident.id).desc()).limit(limit + 1)))
        page += [i for i in batch if service is None or service in i.services]
        if len(batch) <= limit:
            break
        before = batch[-1].id
    more = len(page) > limit
    page = page[:limit]
    return page, encode_cursor(page[-1].id) if more and page[-1].id else None


def with_events_between(session: Session, start: datetime, end: datetime,
                        types: Collection[str]) -> list[Incident]:
    """Incidents with an event of one of ``types`` at ``[start, end)``, whenever they began
    (a correction published this week to last year's incident), oldest first."""
    ids = select(IncidentEvent.incident_id).where(
        col(IncidentEvent.type).in_(types), col(IncidentEvent.at) >= start, col(IncidentEvent.at) < end)
    return list(session.exec(select(Incident).where(col(Incident.id).in_(ids)).order_by(col(Incident.id))))


def count_open(session: Session) -> list[tuple[str, str, int]]:
    query = (
        select(Incident.severity, Incident.state, func.count())
        .where(col(Incident.state).in_([str(s) for s in OPEN]))
        .group_by(Incident.severity, Incident.state)
    )
    return [(sev, state, n) for sev, state, n in session.exec(query)]
