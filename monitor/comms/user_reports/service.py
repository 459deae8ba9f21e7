"""Store user reports, attach them to the incident they are about, tell reporters when it is fixed.

``create`` matches a report to the newest open incident sharing a service (the
report's own, or the services behind its status-page component) that was
detected no later than ``[comms.reports] match_window`` after the report's
time, and records ``user_report.received`` on it — report id, service,
component, channel kind and time; never the contact or the description.

``notify_reporters`` is one of the incident event hooks (``monitor.wiring``): when an incident
resolves, or a correction is published in the reporter's language, each linked
reporter with a contact gets one message through the outbox, keyed
``report:<id>:<incident key>:<event seq>`` (so a second run adds nothing).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor.clock import Clock, utc
from monitor.comms.models import NoticeVersion
from monitor.comms.subscribers.models import EMAIL
from monitor.comms.subscribers.service import mail_receiver
from monitor.comms.user_reports.models import Channel, ReportCreate, UserReport
from monitor.config import Settings
from monitor.errors import FieldProblem, Unavailable, Unprocessable
from monitor.event_types import DirectMessage, EventType
from monitor.i18n.public import Mail
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import OPEN
from monitor.incidents.models import Incident, IncidentEvent
from monitor.notify.channels import DIRECT
from monitor.notify.models import OutboxMessage

log = logging.getLogger("candor.comms")

RESOLVED, CORRECTED = DirectMessage.USER_REPORT_RESOLVED, DirectMessage.USER_REPORT_CORRECTED

SUBJECTS = {RESOLVED: Mail.report_resolved_subject, CORRECTED: Mail.report_corrected_subject}


def check(body: ReportCreate, settings: Settings) -> tuple[str, list[str]]:
    """The counted service and the services to match, or ``Unprocessable`` naming the field."""
    problems = []
    components = {c.name: c.services for c in settings.comms.components}
    services = [body.service] if body.service else []
    if body.component:
        if body.component not in components:
            problems.append(FieldProblem("$.component", f"unknown component {body.component!r}; "
                                         f"expected one of: {', '.join(components) or '(none)'}"))
        else:
            services += [s for s in components[body.component] if s not in services]
    if not body.service and not body.component:
        problems.append(FieldProblem("$.service", "give the service (e.g. 'redirect') or the "
                                     "status-page component the user had trouble with"))
    if body.channel is Channel.NONE and body.contact:
        problems.append(FieldProblem("$.contact", "contact given but channel is 'none'; set "
                                     "channel to 'email' or 'webhook', or leave contact out"))
    elif body.channel is not Channel.NONE and not body.contact:
        problems.append(FieldProblem("$.contact", f"channel {body.channel} needs a contact to "
                                     "tell the user when it is fixed"))
    elif body.channel is Channel.EMAIL and not EMAIL.match(body.contact or ""):
        problems.append(FieldProblem("$.contact", "channel email needs an e-mail address such "
                                     "as ana@example.org"))
    elif body.channel is Channel.WEBHOOK and not (body.contact or "").startswith(
            ("http://", "https://")):
        problems.append(FieldProblem("$.contact", "channel webhook needs an http(s):// URL"))
    if problems:
        raise Unprocessable("the report is not complete", problems=problems)
    if not services:
        raise Unprocessable("the report names no service", problems=[FieldProblem(
            "$.component", f"component {body.component!r} has no services in [[comms.components]]; "
            "give the service instead")])
    return services[0], services


def match(session: Session, services: list[str], at: datetime, settings: Settings) -> Incident | None:
    """The newest open incident touching ``services``, detected by ``at + match_window``."""
    window = settings.comms.reports.match_window
    rows = session.exec(select(Incident).where(col(Incident.state).in_([str(s) for s in OPEN]))
                        .order_by(col(Incident.id).desc())).all()
    for incident in rows:
        detected = utc(incident.detected_at or incident.created_at)
        if set(incident.services) & set(services) and detected <= at + window:
            return incident
    return None


def create(session: Session, body: ReportCreate, *, actor: str, clock: Clock,
           settings: Settings) -> tuple[UserReport, Incident | None, str]:
    """Store the report (attached if an incident fits); returns it, the incident, the service."""
    service, services = check(body, settings)
    now = clock.now()
    at = body.at or now
    incident = match(session, services, at, settings)
    report = UserReport(
        incident_id=incident.id if incident else None, service=service, component=body.component,
        description=body.description, contact=body.contact, channel=body.channel,
        lang=body.lang or settings.comms.default_lang, reported_at=at, created_at=now,
        created_by=actor,
    )
    session.add(report)
    session.flush()
    if incident is not None:
        incidents.record(session, incident, EventType.USER_REPORT_RECEIVED, {
            "report_id": report.id, "service": service, "component": body.component,
            "channel": report.channel, "reported_at": at,
        }, actor=actor, clock=clock)
    return report, incident, service


def of_incident(session: Session, incident: Incident) -> list[UserReport]:
    query = select(UserReport).where(UserReport.incident_id == incident.id)
    return list(session.exec(query.order_by(col(UserReport.id))))


def list_reports(session: Session, *, unattached: bool = False, limit: int = 100
                 ) -> list[tuple[UserReport, str | None]]:
    """Newest first, each with its incident's key (``None`` when unattached)."""
    query = select(UserReport, Incident).outerjoin(Incident, col(Incident.id) == UserReport.incident_id)
    if unattached:
        query = query.where(col(UserReport.incident_id).is_(None))
    rows = session.exec(query.order_by(col(UserReport.id).desc()).limit(limit)).all()
    return [(report, incident.key if incident else None) for report, incident in rows]


def _latest_title(session: Session, incident: Incident, lang: str) -> str:
    version = session.exec(select(NoticeVersion).where(
        NoticeVersion.incident_id == incident.id, NoticeVersion.lang == lang)
        .order_by(col(NoticeVersion.published_at).desc(), col(NoticeVersion.id).desc())).first()
    return str(version.content.get("title", "")) if version else ""


def _why(event: IncidentEvent) -> DirectMessage | None:
    if event.type == EventType.INCIDENT_TRANSITIONED and event.payload.get("to") == "resolved":
        return RESOLVED
    if event.type == EventType.NOTICE_CORRECTED:
        return CORRECTED
    return None


def notify_reporters(session: Session, incident: Incident, event: IncidentEvent,
                     settings: Settings) -> list[OutboxMessage]:
    """Tell each linked reporter that the incident is resolved or a notice was corrected."""
    why = _why(event)
    if why is None:
        return []
    base = settings.server.public_url.rstrip("/")
    created = []
    for report in of_incident(session, incident):
        if report.channel == Channel.NONE or not report.contact:
            continue
        if why == CORRECTED and event.payload.get("lang") != report.lang:
            continue
        key = f"report:{report.id}:{incident.key}:{event.seq}"
        if session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)).first():
            continue
        lang = report.lang
        title = _latest_title(session, incident, lang)
        subject = SUBJECTS[why](lang) + (f" — {title}" if title else "")
        text = event.payload.get("text", "") if why == CORRECTED else Mail.report_resolved_body(lang)
        text += Mail.report_more(lang, url=f"{base}/status/incidents/{incident.key}?lang={lang}")
        payload: dict[str, Any]
        if report.channel == Channel.WEBHOOK:
            receiver = DIRECT
            payload = {"url": report.contact, "body": {
                "version": "1", "type": why, "id": key,
                "timestamp": event.at.isoformat(),
                "data": {"incident": incident.key, "subject": subject, "text": text}}}
        else:
            try:
                mail = mail_receiver(settings)
            except Unavailable as exc:
                log.warning("not mailing reporter %s about %s: %s", report.id, incident.key, exc)
                continue
            receiver = mail.name
            payload = {"sender": mail.sender, "to": [report.contact], "subject": subject,
                       "text": text}
        message = OutboxMessage(idempotency_key=key, receiver=receiver, event_type=why,
                                incident_id=incident.id, payload=payload, created_at=event.at,
                                next_attempt_at=event.at)
        session.add(message)
        created.append(message)
    if created:
        session.flush()
    return created
