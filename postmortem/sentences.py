"""How timeline entries read, in the reader's language (the words are in ``monitor.i18n.reports``).

``describe(entry, lang)`` turns one timeline entry into a plain sentence. Candor's own
reasons are stored with a ``reason_code`` and read from the catalogue; older events that
carry only the English sentence are recognised, so their Portuguese reads right too. What
people wrote (notes, reasons, titles) is shown as they wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from monitor.comms.status import bare_title
from monitor.event_types import IMPACT_STARTED, EventType
from monitor.i18n import Msg, verdicts, when
from monitor.i18n.reports import Reports, Timeline, Words
from monitor.i18n.verdicts import ImpactWords
from postmortem.timeline import Entry

_SENTENCES: dict[str, Msg] = {
    EventType.INCIDENT_OPENED: Timeline.opened,
    EventType.INCIDENT_TRANSITIONED: Timeline.transitioned,
    EventType.ALERT_ATTACHED: Timeline.alert_fired,
    EventType.ALERT_RESOLVED: Timeline.alert_resolved,
    EventType.ALERTS_ALL_RESOLVED: Timeline.all_resolved,
    EventType.NOTE_ADDED: Timeline.note,
    EventType.SEVERITY_CHANGED: Timeline.severity,
    EventType.COMMANDER_ASSIGNED: Timeline.commander,
    EventType.INCIDENT_LINKED: Timeline.linked,
    EventType.INCIDENT_GROUP_RELEASED: Timeline.group_released,
    EventType.FIX_DEPLOYED: Timeline.fix,
    EventType.NOTICE_PUBLISHED: Timeline.notice_published,
    EventType.NOTICE_UPDATED: Timeline.notice_updated,
    EventType.NOTICE_CORRECTED: Timeline.notice_corrected,
    EventType.NOTICE_RETRACTED: Timeline.notice_retracted,
    EventType.VERIFICATION_PASSED: Timeline.verification_passed,
    EventType.USER_REPORT_RECEIVED: Timeline.user_report,
}
_NOTICES = (EventType.NOTICE_PUBLISHED, EventType.NOTICE_UPDATED, EventType.NOTICE_CORRECTED,
            EventType.NOTICE_RETRACTED)
# Reasons Candor wrote in English before they carried a code.
_LEGACY_REASONS = {message.en: code for code, message in Timeline.reason.words.items()}
_KNOWN: tuple[tuple[re.Pattern[str], Msg], ...] = (
    (re.compile(r"^verified: the signal stayed healthy for (?P<window>\S+)$"), Timeline.verified_for),
    (re.compile(r"^fix (?P<fix>\S+) recorded; verifying it from the signal$"), Timeline.fix_recorded),
    (re.compile(r"^alert (?P<alert>\S+) fired again while the fix was being verified$"),
     Timeline.fired_again),
    (re.compile(r"^back to fixing after the regression$"), Timeline.back_to_fixing),
)
"""Reasons Candor writes as English sentences with values, recognised to be read in ``lang``."""


class _Missing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _scalar_summary(payload: dict[str, Any], limit: int = 160) -> str:
    parts = [f"{k}={v}" for k, v in sorted(payload.items())
             if isinstance(v, str | int | float | bool) and v != ""]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reason(payload: dict[str, Any], lang: str) -> str:
    """The reason of an event in ``lang``: Candor's own from the catalogue, a person's as written."""
    code = payload.get("reason_code") or _LEGACY_REASONS.get(str(payload.get("reason", "")))
    if code in Timeline.reason:
        return Timeline.reason(lang, str(code))
    if code in verdicts.TRANSITION_CODES:
        return verdicts.transition_reason(str(code), payload.get("reason_values") or {}, lang)
    text = str(payload.get("reason") or "")
    for pattern, message in _KNOWN:
        if found := pattern.match(text):
            return message(lang, **found.groupdict())
    return text


def _title(payload: dict[str, Any]) -> str:
    return bare_title(next((str(payload[f]) for f in ("title", "headline", "summary")
                            if payload.get(f)), ""))


def describe(entry: Entry, lang: str = "en") -> str:
    """One sentence for an entry; unknown event types show their type and scalar fields."""
    payload = entry.payload
    if entry.type == IMPACT_STARTED:
        return Reports.impact_start_entry(lang)
    if entry.type == EventType.VERIFICATION_VERDICT:
        said = "; ".join(verdicts.reasons(payload, lang))
        head = verdicts.fix_text(payload.get("fix"), lang, str(payload.get("outcome", "?")))
        return f"{head} — {said}" if said else head
    if entry.type == EventType.IMPACT_MEASURED:
        if not payload.get("started_at"):
            return ImpactWords.none_measured(lang)
        text = verdicts.Verdicts.impact_measured(lang, start=when(payload["started_at"], lang, seconds=True))
        if payload.get("ended_at"):
            text += verdicts.Verdicts.impact_ended(lang, end=when(payload["ended_at"], lang, seconds=True))
        return text
    message = _SENTENCES.get(entry.type)
    if message is None:
        summary = _scalar_summary(payload)
        return f"{entry.type}: {summary}" if summary else entry.type
    values = _Missing(payload)
    values["from_"] = Words.state(lang, str(payload.get("from", "?")))
    if "to" in payload:
        values["to"] = Words.state(lang, str(payload["to"]))
    if entry.type == EventType.SEVERITY_CHANGED:
        values["from_"], values["to"] = payload.get("from", "?"), payload.get("to", "?")
    if entry.type == EventType.INCIDENT_LINKED:
        values["relation"] = Words.relation(lang, str(payload.get("relation", "related")))
    if entry.type == EventType.VERIFICATION_PASSED and payload.get("window"):
        message = Timeline.verification_window
    text = message.text(lang).format_map(values)
    if entry.type == EventType.FIX_DEPLOYED and payload.get("release"):
        text += f" ({payload['release']})"
    if entry.type in _NOTICES:
        if payload.get("lang"):
            text += f" ({payload['lang']})"
        if title := _title(payload):
            text += f": {title}"
    if why := reason(payload, lang):
        text += f" — {why}"
    return text
