"""What the public may see: built only from published notice versions.

Nothing here reads incident titles, summaries, labels, notes, alert
annotations or responder names: the public title of an incident is the title
of its latest published notice or update, and an incident with no published
notice in the reader's language does not exist for the public. ``published_by``
and lint data are dropped from every version before it leaves this module.

``public_incidents(session, lang, now, settings)`` is the one query; the
pages, the feed, ``/status.json`` and the banner are views of its result, and
each is a pure function of it (render once per change, cache by its content).

What a reader sees first is the **current notice** (``current_notice(versions)``):
the last notice or update, with every correction published since applied to it
and shown beside it — the corrected statement struck through, the right one
next to it — never replacing it::

    v1 notice ──▶ v2 update ──▶ v3 correction ──▶ v4 correction        (what was published)
                  └──────── current: v2's parts, v3 and v4 applied; v3, v4 listed as corrections
    … ──▶ v5 retraction   current: v2..v4 as above, marked withdrawn, with the reason
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from monitor.clock import utc
from monitor.comms.models import Kind, Notice, NoticeVersion
from monitor.config import Settings
from monitor.i18n import when
from monitor.i18n.public import Public
from monitor.incidents.models import Incident

SEVERITY_STATUS = {"SEV1": "outage", "SEV2": "degraded", "SEV3": "degraded", "SEV4": "operational"}
PARTS = ("what_happened", "who_is_affected", "what_we_are_doing", "what_users_should_do")
"""The parts of a notice, in the order a reader meets them."""

_KIND_WORDS = sorted({m.en for m in Public.kind.words.values()}
                     | {m.pt for m in Public.kind.words.values()}, key=len, reverse=True)
_PREFIX = re.compile(r"^\s*(?:" + "|".join(map(re.escape, _KIND_WORDS)) + r")\s*[:·—–-]\s*",
                     re.IGNORECASE)


def bare_title(title: str) -> str:
    """A title without the kind words people type in front ("Correction: …", "Correção — …"):
    the page shows the kind itself, so it must not read twice.

    >>> bare_title("Correção: Correção: criar links também falhou")
    'Criar links também falhou'
    >>> bare_title("Update on short links")
    'Update on short links'
    """
    text = title.strip()
    while (stripped := _PREFIX.sub("", text, count=1)) != text and stripped:
        text = stripped
    return text[:1].upper() + text[1:] if text != title.strip() else text


def public_version(version: NoticeVersion, incident_key: str) -> dict[str, Any]:
    """A published version as the public sees it: no author, no lint, no override reason."""
    published_at = utc(version.published_at)
    title = bare_title(str(version.content.get("title", "")))
    if title.lower() in (word.lower() for word in _KIND_WORDS):
        title = ""  # only "Retraction": the page names the kind and the incident already
    return {
        "incident": incident_key, "notice_id": version.notice_id, "version": version.version,
        "kind": version.kind, "lang": version.lang, "content": dict(version.content),
        "title": title, "text": version.text, "published_at": published_at.isoformat(),
        "published_at_text": when(published_at, version.lang),
        "next_update_text": when(version.content.get("next_update_at"), version.lang),
    }


def current_notice(versions: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The notice as it stands, from one notice's public versions (oldest first).

    Shaped like a version (``kind``, ``lang``, ``content``, ``published_at_text``…) so the
    same templates render it, plus ``was`` (part → the statement a correction replaced),
    ``corrections`` (newest first), ``retraction`` (the version, or ``None``) and
    ``updated_at_text`` (the newest version's time)."""
    if not versions:
        raise ValueError("a current notice needs at least one published version")
    content: dict[str, Any] = {}
    was: dict[str, str] = {}
    base: dict[str, Any] = versions[0]
    corrections: list[dict[str, Any]] = []
    retraction = None
    for version in versions:
        given = version["content"]
        if version["kind"] in (Kind.INITIAL, Kind.UPDATE):
            base, was = version, {}
            content = {part: given.get(part, "") for part in PARTS}
            content.update(title=version["title"],
                           corrective_actions=list(given.get("corrective_actions") or []),
                           next_update_at=given.get("next_update_at"))
        elif version["kind"] == Kind.CORRECTION:
            corrections.insert(0, version)
            for part in PARTS:
                new = str(given.get(part) or "")
                if new and new != content.get(part):
                    if content.get(part) and part not in was:
                        was[part] = content[part]
                    content[part] = new
            for name in ("corrective_actions", "next_update_at"):
                if given.get(name):
                    content[name] = given[name]
        elif version["kind"] == Kind.RETRACTION:
            retraction = version
    newest = versions[-1]
    if corrections:
        content.update(what_was_wrong=corrections[0]["content"].get("what_was_wrong", ""),
                       what_is_right=corrections[0]["content"].get("what_is_right", ""))
    if retraction is not None:
        content["retraction_reason"] = retraction["content"].get("retraction_reason", "")
        content["next_update_at"] = None
    content.setdefault("title", base["title"])
    lang = newest["lang"]
    return {
        "incident": newest["incident"], "notice_id": newest["notice_id"], "lang": lang,
        "kind": newest["kind"], "title": content["title"], "content": content, "was": was,
        "corrections": corrections, "retraction": retraction,
        "published_at": base["published_at"], "published_at_text": base["published_at_text"],
        "updated_at": newest["published_at"], "updated_at_text": newest["published_at_text"],
        "next_update_text": when(content.get("next_update_at"), lang),
    }


@dataclass
class PublicIncident:
    key: str
    public_state: str  # open | resolved | retracted
    severity_status: str  # outage | degraded | operational
    services: list[str]
    versions: list[dict[str, Any]]  # newest first, every notice in this language
    first_published_at: datetime
    last_published_at: datetime
    channels: set[str] = field(default_factory=set)

    @property
    def latest(self) -> dict[str, Any]:
        return self.versions[0]

    @property
    def current(self) -> dict[str, Any]:
        """The current notice of the newest notice thread (see ``current_notice``)."""
        notice_id = self.versions[0]["notice_id"]
        return current_notice([v for v in reversed(self.versions) if v["notice_id"] == notice_id])

    @property
    def title(self) -> str:
        """The incident's public title: its current notice's, never a correction's."""
        return str(self.current["title"])

    @property
    def first_published_at_text(self) -> str:
        return when(self.first_published_at, self.latest["lang"])

    @property
    def last_published_at_text(self) -> str:
        return when(self.last_published_at, self.latest["lang"])

    def as_json(self) -> dict[str, Any]:
        current = self.current
        return {
            "key": self.key, "title": self.title, "state": self.public_state,
            "impact": self.severity_status,
            "first_published_at": self.first_published_at.isoformat(),
            "last_published_at": self.last_published_at.isoformat(),
            "current": _plain({k: v for k, v in current.items() if k not in ("corrections",
                                                                              "retraction")}),
            "versions": [_plain(version) for version in self.versions],
        }


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in value.items() if not k.endswith("_text")}


def _public_state(incident: Incident, current: dict[str, Any]) -> str:
    if current["retraction"] is not None or incident.state == "retracted":
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
                key=incident.key, public_state="open",
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
        entry.public_state = _public_state(incidents[entry.key], entry.current)
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


def banner(incidents: list[PublicIncident], lang: str, *, now: datetime,
           retraction_window: timedelta) -> dict[str, Any]:
    """What the product shows in its in-app banner (polls ``/api/v1/banner``): for each open
    incident whose notices went to the banner, the current notice (what happened, who is
    affected, what to do, when the next update comes) with its corrections; a retraction
    stays there for ``retraction_window`` so whoever saw the notice sees it withdrawn."""
    shown = [i for i in incidents if "banner" in i.channels and (
        i.public_state == "open" or (i.public_state == "retracted"
                                     and now - i.last_published_at <= retraction_window))]
    items = []
    for incident in shown:
        current = incident.current
        content = current["content"]
        items.append({
            "key": incident.key, "title": incident.title, "state": incident.public_state,
            "kind": current["kind"], "impact": incident.severity_status,
            "text": " ".join(t for t in (
                content.get("retraction_reason") if current["retraction"] else "",
                content.get("what_happened", ""), content.get("what_users_should_do", ""))
                if t),
            **{part: content.get(part, "") for part in PARTS},
            "next_update_at": content.get("next_update_at"),
            "corrections": [{"what_was_wrong": c["content"].get("what_was_wrong", ""),
                             "what_is_right": c["content"].get("what_is_right", ""),
                             "published_at": c["published_at"]} for c in current["corrections"]],
            "retraction_reason": content.get("retraction_reason", "") if current["retraction"]
            else "",
            "url": f"/status/incidents/{incident.key}?lang={lang}",
            "published_at": current["published_at"], "updated_at": current["updated_at"],
        })
    return {"lang": lang, "show": bool(items), "items": items}
