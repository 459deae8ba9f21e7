"""The scheduled digest: at each ``[postmortem] digest_schedule`` time, send it to receivers.

``monitor.wiring`` runs ``send_due`` as the scheduler's ``postmortem-digest`` job when
``scheduled(settings)`` (a schedule and at least one receiver); it checks every minute
whether a cron time has passed (within ``GRACE``, so a restart near 08:00 still sends)
and, for each receiver in
``digest_receivers``, enqueues one outbox message keyed
``<receiver>:digest:<fire time>``: running twice, or on two instances, stores one.
The digest covers the ``digest_period`` ending at the fire time; Markdown and HTML.

SMTP receivers get a real HTML mail: ``multipart/alternative`` with the Markdown as the
plain-text part and the HTML, whose trend charts are PNG images attached inline
(``multipart/related``, ``cid:`` links; mail readers do not show SVG). Webhook receivers
get JSON ``{"type": "digest.published", ...}`` with the HTML (charts as inline SVG).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor import db
from monitor.config import Settings
from monitor.config.notify import ReceiverConfig
from monitor.config.postmortem import cron_trigger
from monitor.errors import ConfigError
from monitor.event_types import DirectMessage
from monitor.notify.models import OutboxMessage
from monitor.notify.service import enqueue_direct
from monitor.promsource import Queryable
from postmortem.digest import Digest, charts_of, load_digest
from postmortem.render import render

EVENT = DirectMessage.DIGEST_PUBLISHED
GRACE = timedelta(hours=6)


def receivers(settings: Settings) -> list[ReceiverConfig]:
    """The ``[[notify.receivers]]`` named by ``digest_receivers``; ``ConfigError`` names the key."""
    section = settings.postmortem
    known = {r.name: r for r in settings.notify.receivers}
    missing = [n for n in section.digest_receivers if n not in known]
    if missing:
        raise ConfigError(f"postmortem.digest_receivers: no [[notify.receivers]] named "
                          f"{', '.join(map(repr, missing))}; known: {', '.join(known) or 'none'}")
    wrong = [f"{n!r} ({known[n].kind})" for n in section.digest_receivers
             if known[n].kind not in ("webhook", "smtp")]
    if wrong:
        raise ConfigError(f"postmortem.digest_receivers: {', '.join(wrong)} cannot carry a "
                          "document; name a webhook or smtp receiver")
    blind = [n for n in section.digest_receivers if known[n].kind == "smtp" and not known[n].to]
    if blind:
        raise ConfigError(f"postmortem.digest_receivers: smtp receiver(s) {', '.join(map(repr, blind))} "
                          "have no 'to' addresses; add them so the digest has somewhere to go")
    return [known[n] for n in section.digest_receivers]


def scheduled(settings: Settings) -> bool:
    """Is a digest to be sent: a schedule and receivers? ``ConfigError`` names a bad receiver."""
    return bool(settings.postmortem.digest_schedule.strip() and receivers(settings))


def last_fire(expression: str, now: datetime, grace: timedelta = GRACE) -> datetime | None:
    """The latest time the cron ``expression`` fired in ``(now - grace, now]``, if any."""
    trigger = cron_trigger(expression)
    found = None
    at = trigger.get_next_fire_time(None, now - grace + timedelta(seconds=1))
    while at is not None and at <= now:
        found = at
        at = trigger.get_next_fire_time(at, at + timedelta(seconds=1))
    return found


def mail_parts(digest: Digest, lang: str, stamp: str, templates_dir: str = "") -> tuple[str, dict[str, str]]:
    """The digest's HTML for mail, its charts pointing at ``cid:`` images, and those images
    (Content-ID → base64 PNG) for ``monitor.notify.delivery.send_mail`` to attach inline."""
    cids = {name: f"{name}.{stamp}@candor" for name in ("per_day", "mttr_per_week")}
    pngs = charts_of(digest, lang, "png")
    html = str(render(digest, "html", lang, template="digest", templates_dir=templates_dir,
                      cid=cids))
    return html, {cids[name]: base64.b64encode(pngs[name]).decode() for name in cids}


def payload(receiver: ReceiverConfig, digest: Digest, *, markdown: str, html: str, subject: str,
            mail: tuple[str, dict[str, str]] | None = None) -> dict[str, Any]:
    if receiver.kind == "smtp":
        mail_html, images = mail if mail is not None else (html, {})
        return {"sender": receiver.sender, "to": list(receiver.to), "subject": subject,
                "text": markdown, "html": mail_html, "images": images}
    return {"type": EVENT, "version": "1", "subject": subject, "period": digest.period,
            "start": digest.start.isoformat(), "end": digest.end.isoformat(),
            "markdown": markdown, "html": html, "digest": digest.as_dict()}


def send_due(engine: Engine, settings: Settings, *, now: datetime,
             signals: Callable[[], Queryable],
             unit: Callable[[], AbstractContextManager[Session]] | None = None) -> list[str]:
    """Enqueue the digest if a scheduled time has come and it is not queued yet; the new keys.

    ``signals`` gives the PromQL source for the SLOs' remaining budgets (asked only when
    ``[[slo]]`` is configured and a digest is due). ``unit`` opens the transaction (the
    leader's fenced unit in the service; ``db.session(engine)`` by default). Two runs at once
    still store one row per receiver (``enqueue_direct`` inserts or skips)."""
    section = settings.postmortem
    targets = receivers(settings)
    if not section.digest_schedule.strip() or not targets:
        return []
    fired = last_fire(section.digest_schedule, now)
    if fired is None:
        return []
    stamp = fired.strftime("%Y-%m-%dT%H:%MZ")
    keys = {r.name: f"{r.name}:digest:{stamp}" for r in targets}
    with (unit or (lambda: db.session(engine)))() as session:
        queued = set(session.exec(select(OutboxMessage.idempotency_key)
                                  .where(col(OutboxMessage.idempotency_key).in_(keys.values()))))
        if queued == set(keys.values()):
            return []
        digest = load_digest(session, section.digest_period, fired, settings=settings,
                             signals=signals() if settings.slo else None)
        lang = section.default_lang
        markdown = str(render(digest, "md", lang, template="digest", templates_dir=section.templates_dir))
        html = str(render(digest, "html", lang, template="digest", templates_dir=section.templates_dir))
        subject = markdown.splitlines()[0].lstrip("# ").strip()
        mail = (mail_parts(digest, lang, fired.strftime("%Y%m%dT%H%MZ"), section.templates_dir)
                if any(r.kind == "smtp" for r in targets) else None)
        created = []
        for receiver in targets:
            row = enqueue_direct(session, receiver, key=keys[receiver.name], event_type=EVENT,
                                 payload=payload(receiver, digest, markdown=markdown, html=html,
                                                 subject=subject, mail=mail), now=now)
            if row is not None:
                created.append(row.idempotency_key)
        return created
