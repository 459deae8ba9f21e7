"""Notices: draft, lint, publish; corrections and retractions as new linked versions.

Publishing is one transaction that (1) appends a ``NoticeVersion`` (the
database refuses to change it later) and (2) records an incident event —
``notice.published`` for the first version (it sets ``first_notice_at``),
``notice.updated`` / ``notice.corrected`` / ``notice.retracted`` after — whose
hooks (``Runtime.unit``, declared in ``monitor.wiring``) write the outbox rows for
every matching receiver and the subscribers' mail.

Writers of one notice take turns: ``hold`` locks the incident (as every event writer does
first, ``incidents.lock``) and then the notice row, and reads both afresh. So a draft
published twice at once becomes one version and the second request finds no draft (409);
two updates at once become consecutive versions; ``(notice_id, version)`` is unique in
the schema all the same. Channels come from
the incident's current severity and the affected-user share the responder
gave (``monitor.comms.impact``); a later version also goes to every channel
the notice already went to, and keeps the earlier share unless given a new one.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from monitor.clock import Clock
from monitor.comms import impact
from monitor.comms.linter import NoticeFinding, lint_content
from monitor.comms.models import (
    Content,
    Kind,
    Notice,
    NoticeVersion,
)
from monitor.comms.render import notice_text
from monitor.config import Settings
from monitor.db import id_of
from monitor.errors import Conflict, FieldProblem, Forbidden, NotFound, Unprocessable
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident

EVENT_FOR_KIND = {
    Kind.INITIAL: EventType.NOTICE_PUBLISHED,
    Kind.UPDATE: EventType.NOTICE_UPDATED,
    Kind.CORRECTION: EventType.NOTICE_CORRECTED,
    Kind.RETRACTION: EventType.NOTICE_RETRACTED,
}


def draft(
    session: Session, incident: Incident, *, lang: str, content: Content, actor: str, clock: Clock,
    affected_share: float | None = None,
) -> Notice:
    """Start a notice in ``lang`` for ``incident``; nothing is public until ``publish``."""
    notice = Notice(
        incident_id=id_of(incident), lang=lang, created_at=clock.now(), created_by=actor,
        draft=_draft(Kind.INITIAL, content, affected_share), draft_updated_at=clock.now(),
    )
    session.add(notice)
    session.flush()
    return notice


def _draft(kind: Kind, content: Content, affected_share: float | None) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": kind, "content": content.model_dump(mode="json")}
    if affected_share is not None:
        out["affected_share"] = affected_share
    return out


def hold(session: Session, notice: Notice) -> Notice:
    """Hold ``notice`` (and its incident, locked first like every event writer) until this
    transaction ends, and read it afresh: another publish of it waits here and then sees what
    this one did."""
    incident = session.get(Incident, notice.incident_id)
    assert incident is not None
    incidents.lock(session, incident)
    session.refresh(notice, with_for_update=True)
    return notice


def revise(
    session: Session, notice: Notice, *, kind: Kind, content: Content, clock: Clock,
    affected_share: float | None = None,
) -> Notice:
    """Replace the draft. Before the first publish the kind is always ``initial``."""
    hold(session, notice)
    last = latest(session, notice)
    if last is not None and last.kind == Kind.RETRACTION:
        raise Conflict(f"notice {notice.id} was retracted; a retraction is final. "
                       "Start a new notice if there is something new to say")
    if last is None:
        kind = Kind.INITIAL
    elif kind is Kind.INITIAL:
        raise Unprocessable("this notice is published; a change is an update, correction "
                            "or retraction")
    notice.draft = _draft(kind, content, affected_share)
    notice.draft_updated_at = clock.now()
    session.add(notice)
    session.flush()
    return notice


def check(notice: Notice, settings: Settings) -> list[NoticeFinding]:
    """Lint the draft (empty list when there is no draft)."""
    if not notice.draft:
        return []
    content = Content.model_validate(notice.draft["content"])
    return lint_content(content, Kind(notice.draft["kind"]), notice.lang,
                        settings.comms.linter)


def _problem(f: NoticeFinding) -> FieldProblem:
    message = f"{f.finding.rule}: {f.finding.reason}"
    if f.finding.excerpt:
        message += f" ({f.finding.excerpt!r})"
    return FieldProblem(f"$.content.{f.part}", message)


def channels_for(severity: str, settings: Settings, affected_share: float | None = None,
                 previous: list[str] | None = None) -> list[str]:
    comms = settings.comms
    # keyed by the Sev literal; impact looks them up by a plain str (Mapping keys are invariant)
    return impact.channels(severity, affected_share, by_severity=comms.channels,  # type: ignore[arg-type]
                           impact=comms.impact, previous=previous or [])


def publish(
    session: Session,
    notice: Notice,
    *,
    actor: str,
    is_admin: bool,
    clock: Clock,
    settings: Settings,
    override_reason: str | None = None,
    affected_share: float | None = None,
) -> NoticeVersion:
    """Publish the draft as the next version (see the module docstring). ``affected_share``
    given here wins over the draft's, which wins over the previous version's."""
    hold(session, notice)
    if not notice.draft:
        already = (f" (its last draft is version {notice.latest_version}, already published)"
                   if notice.latest_version else "")
        raise Conflict(f"notice {notice.id} has no draft to publish{already}; write one first "
                       f"(PUT /api/v1/notices/{notice.id}/draft)",
                       extra={"latest_version": notice.latest_version})
    findings = check(notice, settings)
    errors = [f for f in findings if f.severity == "error"]
    if errors and override_reason is None:
        raise Unprocessable(
            f"notice {notice.id} has {len(errors)} blocking lint finding(s); fix them, or an "
            "admin may publish anyway with override_reason",
            problems=[_problem(f) for f in errors],
            extra={"findings": [f.as_dict() for f in findings]},
        )
    if override_reason is not None and not is_admin:
        raise Forbidden("only an admin can publish over lint errors (override_reason)")
    incident = session.get(Incident, notice.incident_id)
    assert incident is not None
    kind = Kind(notice.draft["kind"])
    content = notice.draft["content"]
    previous = latest(session, notice)
    share = next((v for v in (affected_share, notice.draft.get("affected_share"),
                              previous.affected_share if previous else None) if v is not None),
                 None)
    channels = channels_for(incident.severity, settings, share,
                            previous=previous.channels if previous else None)
    now = clock.now()
    version = NoticeVersion(
        notice_id=id_of(notice), incident_id=id_of(incident), version=notice.latest_version + 1,
        kind=kind, lang=notice.lang, previous_id=previous.id if previous else None,
        content=content, text=notice_text(content, kind=kind, lang=notice.lang, published_at=now),
        published_at=now, published_by=actor, channels=channels, affected_share=share,
        lint={"findings": [f.as_dict() for f in findings]},
        override_reason=override_reason if errors else None,
    )
    session.add(version)
    notice.latest_version = version.version
    notice.draft = None
    notice.draft_updated_at = None
    session.add(notice)
    session.flush()
    payload: dict[str, Any] = {
        "notice_id": notice.id, "version": version.version, "kind": kind, "lang": notice.lang,
        "title": content.get("title", ""), "text": version.text, "channels": channels,
        "affected_share": share,
        "previous_version": previous.version if previous else None,
        "override_reason": version.override_reason,
    }
    incidents.record(session, incident, EVENT_FOR_KIND[kind], payload, actor=actor, clock=clock)
    return version


def publish_version(
    session: Session,
    notice: Notice,
    *,
    kind: Kind,
    content: Content,
    actor: str,
    is_admin: bool,
    clock: Clock,
    settings: Settings,
    override_reason: str | None = None,
    affected_share: float | None = None,
) -> NoticeVersion:
    """Update, correct or retract a published notice in one action."""
    if notice.latest_version == 0:
        raise Conflict(f"notice {notice.id} is not published yet; publish its draft first")
    revise(session, notice, kind=kind, content=content, clock=clock,
           affected_share=affected_share)
    return publish(session, notice, actor=actor, is_admin=is_admin, clock=clock,
                   settings=settings, override_reason=override_reason)


# ---- reads ---------------------------------------------------------------------------------


def get_or_raise(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound(f"no notice {notice_id}; list an incident's notices with "
                       "GET /api/v1/incidents/{key}/notices (`candor incident show KEY` "
                       "lists its notice events)")
    return notice


def latest(session: Session, notice: Notice) -> NoticeVersion | None:
    query = select(NoticeVersion).where(NoticeVersion.notice_id == notice.id)
    return session.exec(query.order_by(col(NoticeVersion.version).desc())).first()


def versions(session: Session, notice: Notice) -> list[NoticeVersion]:
    query = select(NoticeVersion).where(NoticeVersion.notice_id == notice.id)
    return list(session.exec(query.order_by(col(NoticeVersion.version))))


def notices_of(session: Session, incident: Incident) -> list[Notice]:
    query = select(Notice).where(Notice.incident_id == incident.id)
    return list(session.exec(query.order_by(col(Notice.id))))
