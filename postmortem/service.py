"""Postmortem service: drafts, edits, the review workflow, overlays and action items.

Incidents are read only through ``monitor.incidents.service``. Review moves
are a transition table (``REVIEW``); every move and approval is appended to
``postmortem_event``; once published, each edit appends a new
``postmortem_version`` and old versions stay readable.

    draft ──submit──▶ in_review ──approve (× required_approvals)──▶ reviewed ──publish──▶ published
      ▲                   │                                            │                      │
      └──request_changes──┴────────────────────────────────────────────┘              edit = new version
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.clock import Clock
from monitor.config import Settings
from monitor.db import id_of
from monitor.errors import Conflict, FieldProblem, NotFound, Unprocessable
from monitor.event_types import EventType, PostmortemEventType
from monitor.i18n import duration, when
from monitor.i18n.reports import Drafts
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident, IncidentEvent
from postmortem.lint import blocking, lint
from postmortem.models import (
    ActionItem,
    ActionItemCreate,
    ActionItemUpdate,
    AnnotationCreate,
    Content,
    ContentPatch,
    ItemStatus,
    Postmortem,
    PostmortemEvent,
    PostmortemVersion,
    Status,
    TimelineAnnotation,
)
from postmortem.timeline import key_figures

SYSTEM = "candor-postmortem"
REVIEW: dict[tuple[Status, str], Status] = {
    (Status.DRAFT, "submit"): Status.IN_REVIEW,
    (Status.IN_REVIEW, "approve"): Status.IN_REVIEW,  # becomes reviewed at the approval threshold
    (Status.IN_REVIEW, "request_changes"): Status.DRAFT,
    (Status.REVIEWED, "request_changes"): Status.DRAFT,
    (Status.REVIEWED, "publish"): Status.PUBLISHED,
}
REVIEW_EVENTS = {
    "submit": PostmortemEventType.SUBMITTED,
    "approve": PostmortemEventType.APPROVED,
    "request_changes": PostmortemEventType.CHANGES_REQUESTED,
    "publish": PostmortemEventType.PUBLISHED,
}
"""The event each review action appends."""


# ---- reads -------------------------------------------------------------------


def get(session: Session, incident: Incident) -> Postmortem | None:
    return session.exec(select(Postmortem).where(Postmortem.incident_id == incident.id)).first()


def get_or_raise(session: Session, incident: Incident) -> Postmortem:
    pm = get(session, incident)
    if pm is None:
        raise NotFound(f"{incident.key} has no postmortem yet; create one with "
                       f"`candor postmortem create {incident.key}` "
                       f"(POST /api/v1/incidents/{incident.key}/postmortem)")
    return pm


def history(session: Session, pm: Postmortem) -> list[PostmortemEvent]:
    query = select(PostmortemEvent).where(PostmortemEvent.postmortem_id == pm.id)
    return list(session.exec(query.order_by(col(PostmortemEvent.id))))


def versions(session: Session, pm: Postmortem) -> list[PostmortemVersion]:
    query = select(PostmortemVersion).where(PostmortemVersion.postmortem_id == pm.id)
    return list(session.exec(query.order_by(col(PostmortemVersion.version))))


def version_or_raise(session: Session, pm: Postmortem, number: int) -> PostmortemVersion:
    for row in versions(session, pm):
        if row.version == number:
            return row
    if not pm.version:
        raise NotFound(f"postmortem has no version {number}: it is a draft, no version is published yet")
    raise NotFound(f"postmortem has no version {number}; published versions are 1..{pm.version}")


def approvals(session: Session, pm: Postmortem) -> list[str]:
    """Who approved since the last submit (a request for changes starts over)."""
    approvers: list[str] = []
    for event in history(session, pm):
        if event.type in (PostmortemEventType.SUBMITTED, PostmortemEventType.CHANGES_REQUESTED):
            approvers = []
        elif event.type == PostmortemEventType.APPROVED and event.actor not in approvers:
            approvers.append(event.actor)
    return approvers


def overlays(session: Session, incident: Incident) -> list[TimelineAnnotation]:
    query = select(TimelineAnnotation).where(TimelineAnnotation.incident_id == incident.id)
    return list(session.exec(query.order_by(col(TimelineAnnotation.id))))


# ---- drafting ----------------------------------------------------------------


def _prefill(incident: Incident, events: list[IncidentEvent], lang: str = "en") -> Content:
    """What the events already tell, written in ``lang`` as a starting point for people to correct."""
    figures = key_figures(events)
    alerts = sorted({e.payload.get("alertname", "") for e in events if e.type == EventType.ALERT_ATTACHED} - {""})
    fixes = [f for f in (e.payload.get("description", "") for e in events
                         if e.type == EventType.FIX_DEPLOYED) if f]
    detection = ""
    if figures.detected_at:
        at = when(figures.detected_at, lang, seconds=True)
        detection = (Drafts.detected_by(lang, len(alerts), at=at, alerts=", ".join(alerts)) if alerts
                     else Drafts.detected_at(lang, at=at))
        if figures.time_to_detect is not None:
            detection += Drafts.after_impact(lang, offset=duration(figures.time_to_detect, lang))
        else:
            detection += "."
    response = []
    acknowledged = next((e for e in events if e.type == EventType.INCIDENT_TRANSITIONED
                         and e.payload.get("to") == State.ACKNOWLEDGED), None)
    if acknowledged is not None and figures.time_to_acknowledge is not None:
        response.append(Drafts.acknowledged(lang, who=acknowledged.actor,
                                            offset=duration(figures.time_to_acknowledge, lang)))
    if figures.time_to_first_notice is not None:
        response.append(Drafts.first_notice(lang, offset=duration(figures.time_to_first_notice, lang)))
    corrections = sum(1 for e in events if e.type == EventType.NOTICE_CORRECTED)
    if corrections:
        response.append(Drafts.corrections(lang, corrections))
    return Content(
        executive_summary=incident.summary, detection=detection, response=" ".join(response),
        recovery=Drafts.fixes(lang, len(fixes), fixes="; ".join(fixes)) if fixes else "",
    )


def _create(session: Session, incident: Incident, *, actor: str, clock: Clock,
            lang: str = "en") -> Postmortem:
    now = clock.now()
    content = _prefill(incident, incidents.events(session, incident), lang)
    pm = Postmortem(incident_id=id_of(incident), status=Status.DRAFT, content=content.model_dump(),
                    created_at=now, updated_at=now)
    session.add(pm)
    session.flush()
    _event(session, pm, PostmortemEventType.DRAFTED, actor=actor, clock=clock)
    return pm


def create(session: Session, incident: Incident, *, actor: str, clock: Clock,
           lang: str = "en") -> Postmortem:
    """A draft on demand (any state, any severity), prefilled in ``lang``."""
    if get(session, incident) is not None:
        raise Conflict(f"{incident.key} already has a postmortem; edit it "
                       f"(`candor postmortem edit {incident.key} --section NAME --file F`)")
    return _create(session, incident, actor=actor, clock=clock, lang=lang)


def draft_for_incident(session: Session, incident: Incident, clock: Clock,
                       settings: Settings) -> Postmortem | None:
    """Draft when a resolved incident's severity needs one; ``None`` when nothing was drafted.

    Safe to call more than once (an existing postmortem is left alone). Hook it
    right after an incident moves to ``resolved``, or run ``draft_due`` on a schedule.
    """
    section = settings.postmortem
    if incident.state != State.RESOLVED or incident.severity not in section.auto_draft_severities:
        return None
    if get(session, incident) is not None:
        return None
    return _create(session, incident, actor=SYSTEM, clock=clock, lang=section.default_lang)


def draft_due(session: Session, *, clock: Clock, settings: Settings, limit: int = 500) -> list[str]:
    """Sweep: draft every resolved incident that needs one and has none; returns their keys."""
    section = settings.postmortem
    rows, _ = incidents.list_incidents(session, states=[State.RESOLVED],
                                       severities=list(section.auto_draft_severities), limit=limit)
    return [i.key for i in rows if draft_for_incident(session, i, clock, settings) is not None]


def _event(session: Session, pm: Postmortem, type: PostmortemEventType, *, actor: str, clock: Clock,
           **payload: Any) -> PostmortemEvent:
    event = PostmortemEvent(postmortem_id=id_of(pm), type=type, actor=actor, at=clock.now(),
                            payload=payload)
    session.add(event)
    session.flush()
    return event


# ---- editing and review ------------------------------------------------------


def edit(session: Session, pm: Postmortem, patch: ContentPatch, *, actor: str, clock: Clock) -> Postmortem:
    """Change sections. In review: refused. Published: appends a new version."""
    if pm.status in (Status.IN_REVIEW, Status.REVIEWED):
        raise Conflict(f"the postmortem is {pm.status}; ask for changes (review action "
                       "'request_changes') to move it back to draft before editing")
    changes = patch.model_dump(exclude_none=True)
    if not changes:
        raise Unprocessable("nothing to change: send at least one section, e.g. {\"fault\": \"…\"}")
    content = Content.model_validate({**pm.content, **changes}).model_dump()
    pm.content = content
    pm.updated_at = clock.now()
    if pm.status == Status.PUBLISHED:
        pm.version += 1
        session.add(PostmortemVersion(postmortem_id=id_of(pm), version=pm.version, content=content,
                                      actor=actor, at=clock.now()))
    session.add(pm)
    _event(session, pm, PostmortemEventType.EDITED, actor=actor, clock=clock, sections=sorted(changes),
           version=pm.version)
    return pm


def review(session: Session, pm: Postmortem, action: str, *, actor: str, clock: Clock,
           settings: Settings, comment: str = "") -> Postmortem:
    source = Status(pm.status)
    target = REVIEW.get((source, action))
    if target is None:
        options = sorted(a for (s, a) in REVIEW if s == source) or ["none: edit to make a new version"]
        raise Conflict(f"a {source} postmortem cannot '{action}'; allowed now: {', '.join(options)}",
                       extra={"state": str(source), "allowed": options})
    if action == "submit":
        errors = blocking(lint(pm.content))
        if errors:
            raise Unprocessable(
                f"the blameless lint found {len(errors)} problem(s); fix them before review",
                problems=[FieldProblem(f"$.content.{f.section}", f"{f.rule}: {f.reason} ({f.excerpt!r})")
                          for f in errors],
            )
    if action == "approve" and actor in approvals(session, pm):
        raise Conflict(f"{actor} has already approved this postmortem; another reviewer must approve")
    _event(session, pm, REVIEW_EVENTS[action], actor=actor, clock=clock, comment=comment)
    if action == "approve" and len(approvals(session, pm)) >= settings.postmortem.required_approvals:
        target = Status.REVIEWED
        _event(session, pm, PostmortemEventType.REVIEWED, actor=SYSTEM, clock=clock)
    if action == "publish":
        pm.version += 1
        pm.published_at = clock.now()
        session.add(PostmortemVersion(postmortem_id=id_of(pm), version=pm.version, content=pm.content,
                                      actor=actor, at=clock.now()))
    pm.status = target
    pm.updated_at = clock.now()
    session.add(pm)
    session.flush()
    return pm


# ---- timeline overlays -------------------------------------------------------


def annotate(session: Session, incident: Incident, body: AnnotationCreate, *, actor: str,
             clock: Clock) -> TimelineAnnotation:
    if body.event_seq > incident.event_count:
        raise Unprocessable(
            f"{incident.key} has events 1..{incident.event_count}; event_seq {body.event_seq} "
            f"does not exist (see `candor incident show {incident.key}`)",
            problems=[FieldProblem("$.event_seq", f"must be between 1 and {incident.event_count}")],
        )
    if body.kind == "note" and not body.text.strip():
        raise Unprocessable("a note needs text", problems=[FieldProblem("$.text", "must not be empty")])
    row = TimelineAnnotation(incident_id=id_of(incident), event_seq=body.event_seq, kind=body.kind,
                             text=body.text, actor=actor, at=clock.now())
    session.add(row)
    session.flush()
    return row


# ---- action items ------------------------------------------------------------


def is_overdue(item: ActionItem, today: date) -> bool:
    return item.status in (ItemStatus.OPEN, ItemStatus.IN_PROGRESS) and item.due < today


def items(session: Session, incident: Incident | None = None) -> list[ActionItem]:
    query = select(ActionItem)
    if incident is not None:
        query = query.where(ActionItem.incident_id == incident.id)
    return list(session.exec(query.order_by(col(ActionItem.id))))


def item_or_raise(session: Session, incident: Incident, item_id: int) -> ActionItem:
    item = session.get(ActionItem, item_id)
    if item is None or item.incident_id != incident.id:
        raise NotFound(f"{incident.key} has no action item {item_id}; list them with "
                       f"`candor postmortem item list {incident.key}` "
                       f"(GET /api/v1/incidents/{incident.key}/postmortem/action-items)")
    return item


def add_item(session: Session, incident: Incident, body: ActionItemCreate, *, clock: Clock) -> ActionItem:
    today = clock.now().date()
    if body.due < today:
        raise Unprocessable(f"due date {body.due} is in the past; give today ({today}) or later",
                            problems=[FieldProblem("$.due", f"must be {today} or later")])
    now = clock.now()
    item = ActionItem(incident_id=id_of(incident), **body.model_dump(), created_at=now, updated_at=now)
    session.add(item)
    session.flush()
    return item


def update_item(session: Session, item: ActionItem, body: ActionItemUpdate, *, clock: Clock) -> ActionItem:
    changes = body.model_dump(exclude_none=True)
    if not changes:
        raise Unprocessable("nothing to change: send at least one field, e.g. {\"status\": \"done\"}")
    today = clock.now().date()
    if "due" in changes and changes["due"] < today and changes["due"] != item.due:
        raise Unprocessable(f"due date {changes['due']} is in the past; give today ({today}) or later",
                            problems=[FieldProblem("$.due", f"must be {today} or later")])
    status = changes.get("status", item.status)
    reason = changes.get("reason", item.reason)
    if status == ItemStatus.WONT_DO and not reason.strip():
        raise Unprocessable("an item marked wont_do needs a reason saying why it will not be done",
                            problems=[FieldProblem("$.reason", "required when status is wont_do")])
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = clock.now()
    closed = status in (ItemStatus.DONE, ItemStatus.WONT_DO)
    item.closed_at = (item.closed_at or clock.now()) if closed else None
    session.add(item)
    session.flush()
    return item


def completion(rows: list[ActionItem]) -> dict[str, Any]:
    """Done, open and the share closed, for one incident's (or one team's) items."""
    closed = [i for i in rows if i.status in (ItemStatus.DONE, ItemStatus.WONT_DO)]
    return {"total": len(rows), "closed": len(closed),
            "ratio": round(len(closed) / len(rows), 3) if rows else None}


def overdue_counts(session: Session, today: date) -> dict[tuple[str, str], int]:
    """Overdue items by (priority, team) for the metrics collector."""
    counts: dict[tuple[str, str], int] = {}
    query = select(ActionItem).where(col(ActionItem.status).in_([ItemStatus.OPEN, ItemStatus.IN_PROGRESS]))
    for item in session.exec(query.where(col(ActionItem.due) < today)):
        counts[(item.priority, item.team)] = counts.get((item.priority, item.team), 0) + 1
    return counts


def now_date(clock: Clock) -> date:
    return clock.now().date()


def published_between(session: Session, since: datetime, until: datetime) -> list[Postmortem]:
    query = select(Postmortem).where(col(Postmortem.published_at) >= since,
                                     col(Postmortem.published_at) < until)
    return list(session.exec(query))
