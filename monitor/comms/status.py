"""What the public may see: built only from published notice versions.

Nothing here reads incident titles, summaries, labels, notes, alert
annotations or responder names: the public title of an incident is the title
of its latest published notice, and an incident with no published notice in
the reader's language does not exist for the public. ``published_by`` and lint
data are dropped from every version before it leaves this module.

``public_incidents(session, lang, now, settings)`` is the one query; the
pages, the feed, ``/status.json`` and the banner are views of its result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from monitor.clock import utc
from monitor.comms.models import Kind, Notice, NoticeVersion
from monitor.comms.render import when
from monitor.config import Settings
from monitor.incidents.models import Incident

SEVERITY_STATUS = {"SEV1": "outage", "SEV2": "degraded", "SEV3": "degraded", "SEV4": "operational"}


@dataclass
class PublicIncident:
    key: str
    title: str
    public_state: str  # open | resolved | retracted
    severity_status: str  # outage | degraded | operational
    services: list[str]
    versions: list[dict[str, Any]]  # newest first
    first_published_at: datetime
    last_published_at: datetime
    channels: set[str] = field(default_factory=set)

    @property
    def latest(self) -> dict[str, Any]:
        return self.versions[0]

    @property
    def first_published_at_text(self) -> str:
        return when(self.first_published_at, self.latest["lang"])

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key, "title": self.title, "state": self.public_state,
            "impact": self.severity_status,
            "first_published_at": self.first_published_at.isoformat(),
            "last_published_at": self.last_published_at.isoformat(),
            "versions": [{k: v for k, v in version.items() if not k.endswith("_text")}
                         for version in self.versions],
        }


def public_version(version: NoticeVersion, incident_key: str) -> dict[str, Any]:
    """A published version as the public sees it: no author, no lint, no override reason."""
    published_at = utc(version.published_at)
    return {
        "incident": incident_key, "notice_id": version.notice_id, "version": version.version,
        "kind": version.kind, "lang": version.lang, "content": dict(version.content),
        "text": version.text, "published_at": published_at.isoformat(),
        "published_at_text": when(published_at, version.lang),
        "next_update_text": when(version.content.get("next_update_at"), version.lang),
    }


def _public_state(incident: Incident, kinds: set[str]) -> str:
    if Kind.RETRACTION in kinds or incident.state == "retracted":
        return "retracted"
    return "resolved" if incident.state == "resolved" else "open"


def public_incidents(session: Session, *, lang: str, now: datetime, settings: Settings,
                     key: str | None = None) -> list[PublicIncident]:
    """Incidents with a published notice in ``lang`` (newest first); history window applies
    to closed ones unless one ``key`` is asked for."""
    query = (
        select(NoticeVersion, Incident)
        .join(Notice, col(Notice.id) == NoticeVersion.notice_id)
        .join(Incident, col(Incident.id) == NoticeVersion.incident_id)
        .where(NoticeVersion.lang == lang)
    )
    if key is not None:
        query = query.where(Incident.key == key)
    rows = session.exec(query.order_by(col(NoticeVersion.published_at).desc(),
                                       col(NoticeVersion.id).desc())).all()
    by_key: dict[str, PublicIncident] = {}
    incidents: dict[str, Incident] = {}
    for version, incident in rows:
        entry = by_key.get(incident.key)
        public = public_version(version, incident.key)
        if entry is None:
            entry = by_key[incident.key] = PublicIncident(
                key=incident.key, title=version.content.get("title", ""), public_state="open",
                severity_status=SEVERITY_STATUS.get(incident.severity, "degraded"),
                services=list(incident.services), versions=[],
                first_published_at=utc(version.published_at),
                last_published_at=utc(version.published_at),
            )
            incidents[incident.key] = incident
        entry.versions.append(public)
        entry.first_published_at = utc(version.published_at)
        entry.channels |= set(version.channels)
    history = timedelta(days=settings.comms.history_days)
    out = []
    for entry in by_key.values():
        entry.public_state = _public_state(incidents[entry.key], {v["kind"] for v in entry.versions})
        if key is None and entry.public_state != "open" and now - entry.last_published_at > history:
            continue
        out.append(entry)
    return out


def components(settings: Settings, active: list[PublicIncident]) -> list[dict[str, str]]:
    """Each configured component's status: the worst impact of the open incidents touching it."""
    order = ["operational", "degraded", "outage"]
    out = []
    for component in settings.comms.components:
        status = "operational"
        for incident in active:
            if set(component.services) & set(incident.services):
                status = max(status, incident.severity_status, key=order.index)
        out.append({"name": component.name, "status": status})
    return out


def banner(active: list[PublicIncident], lang: str) -> dict[str, Any]:
    """What the product shows in its in-app banner (polls ``/api/v1/banner``)."""
    shown = [i for i in active if "banner" in i.channels]
    return {
        "lang": lang,
        "show": bool(shown),
        "items": [{
            "key": i.key, "title": i.title, "kind": i.latest["kind"], "impact": i.severity_status,
            "text": i.latest["content"].get("what_users_should_do", ""),
            "url": f"/status/incidents/{i.key}?lang={lang}",
            "published_at": i.latest["published_at"],
        } for i in shown],
    }
