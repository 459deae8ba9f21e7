"""What each receiver kind is sent. Built once, at enqueue time, and stored in the outbox.

Generic webhook (``kind = "webhook"``), payload version ``"1"``::

    {
      "version": "1",
      "type": "notice.corrected",            # see monitor.event_types.Notification
      "id": "ops:INC-7:5",                   # also the webhook-id header; dedupe on it
      "timestamp": "2026-03-02T09:14:00+00:00",
      "data": {
        "incident": {"key", "title", "severity", "state", "services", "labels", "url"},
        "event": {"seq", "type", "at", "payload"},
        "notice": {"id", "version", "kind", "lang", "title", "text"} | null
      }
    }

Alertmanager (``kind = "alertmanager"``): the webhook body Alertmanager sends,
``version: "4"``, one alert per incident (``alertname = incident key``),
``status`` ``resolved`` once the incident is resolved or retracted.

apprise (``kind = "apprise"``): ``{"title", "body"}``, plain text, public words only.

SMTP (``kind = "smtp"``): ``{"sender", "to", "subject", "text"}`` (optional
``"headers"``, e.g. ``List-Unsubscribe``). Mail may
go to subscribers, so it carries only public words: the notice text for
notice events, otherwise the incident key and its state.
"""

from __future__ import annotations

import hashlib
from typing import Any

from monitor.config.notify import ReceiverConfig
from monitor.incidents.models import Incident, IncidentEvent

VERSION = "1"
CLOSED = {"resolved", "retracted"}


def _incident(incident: Incident, public_url: str) -> dict[str, Any]:
    return {
        "key": incident.key, "title": incident.title, "severity": incident.severity,
        "state": incident.state, "services": list(incident.services),
        "labels": dict(incident.labels),
        "url": f"{public_url.rstrip('/')}/api/v1/incidents/{incident.key}",
    }


def _notice(event: IncidentEvent) -> dict[str, Any] | None:
    if not event.type.startswith("notice."):
        return None
    p = event.payload
    return {
        "id": p.get("notice_id"), "version": p.get("version"), "kind": p.get("kind"),
        "lang": p.get("lang"), "title": p.get("title"), "text": p.get("text"),
    }


def webhook(*, name: str, key: str, incident: Incident, event: IncidentEvent,
            public_url: str) -> dict[str, Any]:
    return {
        "version": VERSION,
        "type": name,
        "id": key,
        "timestamp": event.at.isoformat(),
        "data": {
            "incident": _incident(incident, public_url),
            "event": {"seq": event.seq, "type": event.type, "at": event.at.isoformat(),
                      "payload": event.payload},
            "notice": _notice(event),
        },
    }


def alertmanager(*, receiver: str, name: str, incident: Incident, event: IncidentEvent,
                 public_url: str) -> dict[str, Any]:
    status = "resolved" if incident.state in CLOSED else "firing"
    labels = {
        **incident.labels,
        "alertname": incident.key, "severity": incident.severity,
        "service": ",".join(incident.services), "candor_event": name,
    }
    url = _incident(incident, public_url)["url"]
    starts = (incident.detected_at or event.at).isoformat()
    ends = (incident.resolved_at or event.at).isoformat() if status == "resolved" else (
        "0001-01-01T00:00:00Z"
    )
    annotations = {"summary": incident.title, "description": incident.summary, "state": incident.state}
    notice = _notice(event)
    if notice:
        annotations["notice"] = notice["text"] or ""
    return {
        "version": "4",
        "groupKey": f"{{}}:{{alertname=\"{incident.key}\"}}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": receiver,
        "groupLabels": {"alertname": incident.key},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": public_url,
        "alerts": [{
            "status": status, "labels": labels, "annotations": annotations,
            "startsAt": starts, "endsAt": ends, "generatorURL": url,
            "fingerprint": hashlib.sha256(incident.key.encode()).hexdigest()[:16],
        }],
    }


def mail(receiver: ReceiverConfig, *, name: str, incident: Incident,
         event: IncidentEvent) -> dict[str, Any]:
    notice = _notice(event)
    if notice:
        subject = f"[{incident.key}] {notice['title']}"
        text = notice["text"] or ""
    else:
        subject = f"[{incident.key}] {name}"
        text = f"{incident.key}: {incident.state}\n"
    return {"sender": receiver.sender, "to": list(receiver.to), "subject": subject, "text": text}


def chat(*, name: str, incident: Incident, event: IncidentEvent) -> dict[str, Any]:
    """apprise (chat, e-mail …): plain text, public words only — like ``mail``."""
    notice = _notice(event)
    if notice:
        return {"title": f"[{incident.key}] {notice['title']}", "body": notice["text"] or ""}
    return {"title": f"[{incident.key}] {name}", "body": f"{incident.key}: {incident.state}"}


def build(receiver: ReceiverConfig, *, name: str, key: str, incident: Incident,
          event: IncidentEvent, public_url: str) -> dict[str, Any]:
    if receiver.kind == "apprise":
        return chat(name=name, incident=incident, event=event)
    if receiver.kind == "alertmanager":
        return alertmanager(receiver=receiver.name, name=name, incident=incident, event=event,
                            public_url=public_url)
    if receiver.kind == "smtp":
        return mail(receiver, name=name, incident=incident, event=event)
    return webhook(name=name, key=key, incident=incident, event=event, public_url=public_url)
