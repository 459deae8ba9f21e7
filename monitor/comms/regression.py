"""When a fix does not hold, the people we told are owed the news (guide steps 4 and 5).

A regression (``verifying → regressed``) or a reopening (``resolved → reopened``) after a
public notice went out makes what users last read wrong: "we are fixing it" or "it is
fixed". Candor does not publish on its own — a person publishes public notices — but it
makes the right thing the easy, visible thing:

1. every published, unretracted notice of the incident that has no draft in progress gets a
   **draft update** in its language, from the message catalogue: the last version's
   text, with a title and "what we are doing" saying plainly that the fix did not solve it,
   and the time of the update after it: ``[comms.cadence] first_notice`` (when this one is
   due) plus ``update`` (one hour without a cadence) — a promise with a time, as the
   linter asks, which the person publishing may change;
2. an **update is owed** from that moment: ``candor_notices_overdue{due="update"}`` counts
   the incident once ``[comms.cadence] first_notice`` has passed since the regression without
   a new version (the same urgency as the first notice), so the overdue-notice alert fires.

Subscribers and the status page get the update when a person publishes it, through the
usual channels. A person's draft in progress is never overwritten. Incidents nobody was told
about (no published notice) owe nothing new.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from monitor.clock import utc
from monitor.comms import service
from monitor.comms.models import Kind, Notice
from monitor.comms.status import bare_title
from monitor.config import Settings
from monitor.event_types import EventType
from monitor.i18n.public import Public
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident, IncidentEvent

__all__ = ["TOLD_AGAIN", "draft_update_on_regression"]

TOLD_AGAIN = (State.REGRESSED, State.REOPENED)
"""Transitions after which users who were told must be told again."""


def draft_update_on_regression(session: Session, incident: Incident, event: IncidentEvent,
                               settings: Settings) -> list[Notice]:
    """Event hook (see the module docstring): the notices that got a draft update."""
    if event.type != EventType.INCIDENT_TRANSITIONED or event.payload.get("to") not in TOLD_AGAIN:
        return []
    drafted = []
    for notice in service.notices_of(session, incident):
        last = service.latest(session, notice)
        if last is None or last.kind == Kind.RETRACTION or notice.draft:
            continue
        lang = notice.lang
        content = {k: v for k, v in dict(last.content).items()
                   if k not in ("what_was_wrong", "what_is_right", "retraction_reason",
                                "next_update_at")}
        content["title"] = Public.fix_did_not_hold_title(lang, title=bare_title(str(last.content.get(
            "title") or incident.title)))[:300]
        content["what_we_are_doing"] = Public.fix_did_not_hold(lang)
        content["next_update_at"] = _next_update(incident, event, settings)
        notice.draft = {"kind": Kind.UPDATE, "content": content}
        notice.draft_updated_at = utc(event.at)
        session.add(notice)
        drafted.append(notice)
    return drafted


def _next_update(incident: Incident, event: IncidentEvent, settings: Settings) -> str:
    """When the drafted update promises the next one: this one's deadline plus the cadence."""
    cadence = settings.comms.cadence.get(incident.severity)  # type: ignore[call-overload]
    this_one = (cadence and cadence.first_notice) or timedelta()
    then = (cadence and cadence.update) or timedelta(hours=1)
    return (utc(event.at) + this_one + then).isoformat()
