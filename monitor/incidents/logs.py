"""What an operator reads in the service's log about incidents: opened, moved, resolved,
retracted, and every notice version published — one line each, once the event is committed.

``announce`` is an event hook (``monitor.wiring.event_hooks`` runs it after the others); it
only queues the line on the session, which writes it after a successful commit
(``monitor.db.AFTER_COMMIT``), so a rolled-back change is never reported as done.
"""

from __future__ import annotations

import logging

from sqlmodel import Session

from monitor.db import AFTER_COMMIT
from monitor.event_types import NOTICE_VERSIONS, EventType
from monitor.incidents.models import Incident, IncidentEvent
from monitor.logs import fields

log = logging.getLogger("candor.incidents")

_ENDS = {"resolved": "incident resolved", "retracted": "incident retracted",
         "reopened": "incident reopened", "regressed": "incident regressed"}


def line(incident: Incident, event: IncidentEvent) -> tuple[int, str, dict[str, object]] | None:
    """``(level, message, fields)`` for an event worth a line, else ``None``."""
    base: dict[str, object] = {"incident": incident.key, "event": event.type, "seq": event.seq,
                               "actor": event.actor}
    payload = event.payload
    if event.type == EventType.INCIDENT_OPENED:
        return logging.INFO, "incident opened", {**base, "severity": incident.severity,
                                                 "services": ",".join(incident.services),
                                                 "title": incident.title}
    if event.type == EventType.INCIDENT_TRANSITIONED:
        to = str(payload.get("to", ""))
        return logging.INFO, _ENDS.get(to, "incident moved"), {
            **base, "from": payload.get("from"), "to": to, "reason": payload.get("reason") or None}
    if event.type in NOTICE_VERSIONS:
        return logging.INFO, "notice published", {
            **base, "kind": payload.get("kind"), "lang": payload.get("lang"),
            "notice": payload.get("notice_id"), "version": payload.get("version"),
            "channels": ",".join(payload.get("channels") or [])}
    if event.type == EventType.SEVERITY_CHANGED:
        return logging.INFO, "incident severity changed", {**base, "from": payload.get("from"),
                                                           "to": payload.get("to")}
    if event.type == EventType.FIX_DEPLOYED:
        return logging.INFO, "fix recorded", {**base, "release": payload.get("release") or None}
    return None


def announce(session: Session, incident: Incident, event: IncidentEvent) -> None:
    """Queue the event's log line to be written once the transaction commits."""
    found = line(incident, event)
    if found is None:
        return
    level, message, values = found
    clean = {k: v for k, v in values.items() if v not in (None, "")}
    session.info.setdefault(AFTER_COMMIT, []).append(
        lambda: log.log(level, message, extra=fields(**clean)))
