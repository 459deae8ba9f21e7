"""Sign up, confirm, unsubscribe; and fan a published notice out to subscribers.

Every message goes through the outbox (``monitor.notify``), in the transaction
that causes it: confirmation mail is keyed ``confirm:<token id>``, a notice
to one subscriber ``subscriber:<id>:<incident key>:<event seq>`` — so running
the fan-out twice for one event stores nothing new. E-mail uses the smtp
receiver named in ``[comms.subscribers] receiver`` (its url and sender, the
subscriber's address); webhook subscribers get signed per-message webhooks
(``monitor.notify.channels.DIRECT``).

A published notice does not write its subscribers' messages itself: its transaction
writes one fan-out row (``notify_subscribers``), and the ``subscriber-fanout`` job
(``fan_out_due``) writes the messages in chunks, so publishing to 100,000 subscribers
returns at once.

A sign-up never tells the caller whether the address was already subscribed:
the answer is the same every time, and a confirmed address gets no new mail.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime, timedelta
from secrets import token_bytes, token_urlsafe
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlmodel import Session, col, select

from monitor import db
from monitor.clock import utc
from monitor.comms.subscribers.models import (
    Purpose,
    State,
    Subscriber,
    SubscribeRequest,
    SubscriberToken,
    WebhookSubscriberCreate,
)
from monitor.config import Settings
from monitor.config.notify import ReceiverConfig
from monitor.db import id_of
from monitor.db.sealed import SecretBox
from monitor.errors import Conflict, FieldProblem, NotFound, Unavailable, Unprocessable
from monitor.event_types import NOTICE_VERSIONS, DirectMessage
from monitor.i18n.public import Mail
from monitor.incidents.models import Incident, IncidentEvent
from monitor.notify.channels import DIRECT, FANOUT
from monitor.notify.delivery import Claimed, Courier, DeliveryStats, Outcome, claim, record
from monitor.notify.models import Delivery, OutboxMessage

log = logging.getLogger("candor.comms")

FANOUT_CHUNK = 500
"""Subscribers one fan-out transaction writes messages for."""

def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def mail_receiver(settings: Settings) -> ReceiverConfig:
    """The smtp receiver that carries subscriber mail, or ``Unavailable`` naming the fix."""
    name = settings.comms.subscribers.receiver
    if not name:
        raise Unavailable("e-mail sign-up is off: set [comms.subscribers] receiver to the name of "
                          "an smtp receiver in [[notify.receivers]]")
    for receiver in settings.notify.receivers:
        if receiver.name == name:
            if receiver.kind != "smtp":
                raise Unavailable(f"[comms.subscribers] receiver {name!r} is kind "
                                  f"{receiver.kind}; it must be an smtp receiver")
            return receiver
    raise Unavailable(f"[comms.subscribers] receiver {name!r} is not in [[notify.receivers]]; "
                      "add an smtp receiver with that name")


def _base(settings: Settings) -> str:
    return settings.server.public_url.rstrip("/")


def _token(session: Session, subscriber: Subscriber, purpose: Purpose, *, now: datetime,
           ttl: timedelta | None = None) -> tuple[SubscriberToken, str]:
    raw = token_urlsafe(32)
    assert subscriber.id is not None
    row = SubscriberToken(subscriber_id=subscriber.id, purpose=purpose, token_hash=hash_token(raw),
                          created_at=now,
                          expires_at=now + ttl if ttl is not None else None)
    session.add(row)
    session.flush()
    return row, raw


def _check_components(names: list[str], settings: Settings, where: str) -> list[str]:
    known = [c.name for c in settings.comms.components]
    problems = [FieldProblem(f"{where}[{i}]", f"unknown component {name!r}; expected one of: "
                             f"{', '.join(known) or '(none configured)'}")
                for i, name in enumerate(names) if name not in known]
    if problems:
        raise Unprocessable("components must be names shown on the status page", problems=problems)
    return sorted(set(names))


def _exists(session: Session, key: str) -> bool:
    return session.exec(select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)
                        ).first() is not None


def _mail(session: Session, receiver: ReceiverConfig, *, key: str, to: str, subject: str,
          text: str, now: datetime, event_type: str, incident_id: int | None = None,
          unsubscribe: str | None = None) -> OutboxMessage:
    payload: dict[str, Any] = {"sender": receiver.sender, "to": [to], "subject": subject,
                               "text": text}
    if unsubscribe:
        payload["headers"] = {"List-Unsubscribe": f"<{unsubscribe}>",
                              "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
    message = OutboxMessage(idempotency_key=key, receiver=receiver.name, event_type=event_type,
                            incident_id=incident_id, payload=payload, created_at=now,
                            next_attempt_at=now)
    session.add(message)
    session.flush()
    return message


def subscribe(session: Session, request: SubscribeRequest, *, now: datetime,
              settings: Settings) -> Subscriber:
    """Sign an address up (pending) and send it a confirmation link; see the module docstring.

    ``NotFound`` when sign-up is off (no ``[comms.subscribers] receiver``): the status page
    then offers no sign-up at all, which is a fact of this deployment, not an outage that a
    retry would get past (a 503 would say so, and count against Candor's availability)."""
    if not settings.comms.subscribers.receiver:
        raise NotFound("this status page offers no e-mail sign-up ([comms.subscribers] receiver "
                       "is not set); follow the page or its feed (/status/feed.atom) instead")
    receiver = mail_receiver(settings)
    comms = settings.comms
    components = _check_components(request.components, settings, "$.components")
    lang = request.lang or comms.default_lang
    subscriber = session.exec(select(Subscriber).where(
        Subscriber.kind == "email", Subscriber.address == request.email)).first()
    if subscriber is not None and subscriber.state == State.CONFIRMED:
        return subscriber
    if subscriber is None:
        subscriber = Subscriber(kind="email", address=request.email, state=State.PENDING,
                                created_at=now, lang=lang, components=components)
    subscriber.lang, subscriber.components = lang, components
    session.add(subscriber)
    session.flush()
    last = session.exec(select(SubscriberToken.created_at).where(
        SubscriberToken.subscriber_id == subscriber.id, SubscriberToken.purpose == Purpose.CONFIRM)
        .order_by(col(SubscriberToken.id).desc())).first()
    if last is not None and now - last < comms.subscribers.resend_after:
        return subscriber  # a link went out moments ago: no mail bombs through our sign-up
    token, confirm = _token(session, subscriber, Purpose.CONFIRM, now=now,
                            ttl=comms.subscribers.confirm_ttl)
    _, unsubscribe = _token(session, subscriber, Purpose.UNSUBSCRIBE, now=now)
    links = {"confirm": f"{_base(settings)}/status/subscribe/confirm?token={confirm}",
             "unsubscribe": f"{_base(settings)}/status/unsubscribe?token={unsubscribe}",
             "title": comms.status_title}
    _mail(session, receiver, key=f"confirm:{token.id}", to=subscriber.address,
          subject=Mail.confirm_subject(lang, **links), text=Mail.confirm_body(lang, **links),
          now=now, event_type=DirectMessage.SUBSCRIBER_CONFIRM, unsubscribe=links["unsubscribe"])
    return subscriber


def _by_token(session: Session, token: str, purpose: Purpose) -> tuple[SubscriberToken, Subscriber]:
    row = session.exec(select(SubscriberToken).where(
        SubscriberToken.token_hash == hash_token(token), SubscriberToken.purpose == purpose)).first()
    subscriber = session.get(Subscriber, row.subscriber_id) if row else None
    if row is None or subscriber is None:
        raise NotFound(f"this {purpose} link is not one we sent, or it was cut short; copy the "
                       "whole link from the e-mail")
    return row, subscriber


def confirmable(session: Session, token: str, *, now: datetime) -> Subscriber:
    """The subscriber a confirmation ``token`` would confirm, changing nothing (the page a
    link opens); ``NotFound``/``Conflict`` as :func:`confirm` would raise them."""
    return _confirmable(session, token, now=now)[1]


def _confirmable(session: Session, token: str, *, now: datetime
                 ) -> tuple[SubscriberToken, Subscriber]:
    row, subscriber = _by_token(session, token, Purpose.CONFIRM)
    if row.used_at is not None:
        raise Conflict("this confirmation link was already used; the subscription is "
                       f"{subscriber.state}. Sign up again for a new link")
    if row.expires_at is not None and now > row.expires_at:
        raise Conflict("this confirmation link has expired; sign up again for a new link")
    return row, subscriber


def unsubscribable(session: Session, token: str) -> Subscriber:
    """The subscriber an unsubscribe ``token`` belongs to, changing nothing."""
    return _by_token(session, token, Purpose.UNSUBSCRIBE)[1]


def confirm(session: Session, token: str, *, now: datetime) -> Subscriber:
    row, subscriber = _confirmable(session, token, now=now)
    row.used_at = now
    subscriber.state, subscriber.confirmed_at, subscriber.unsubscribed_at = State.CONFIRMED, now, None
    session.add_all([row, subscriber])
    session.flush()
    return subscriber


def unsubscribe(session: Session, token: str, *, now: datetime) -> Subscriber:
    """Stop all messages to the subscriber; the same link works again (and changes nothing)."""
    row, subscriber = _by_token(session, token, Purpose.UNSUBSCRIBE)
    if subscriber.state != State.UNSUBSCRIBED:
        subscriber.state, subscriber.unsubscribed_at = State.UNSUBSCRIBED, now
    row.used_at = row.used_at or now
    session.add_all([row, subscriber])
    session.flush()
    return subscriber


# ---- webhook subscribers (admin) ----------------------------------------------------------


def add_webhook(session: Session, body: WebhookSubscriberCreate, *, now: datetime,
                settings: Settings, secrets: SecretBox | None) -> tuple[Subscriber, str]:
    """A confirmed webhook subscriber with a fresh signing secret (``whsec_…``), returned
    beside it to be shown once; the row keeps it sealed with ``secrets``
    (``monitor.db.sealed``), so none can be added before ``[storage] secret_key`` is set."""
    if secrets is None:
        raise Conflict("webhook subscribers need a key to seal their signing secrets at rest: "
                       'set [storage] secret_key = "env:CANDOR_SECRET_KEY" and put a Fernet key '
                       "in that variable (see monitor/db/sealed.py), then restart Candor")
    components = _check_components(body.components, settings, "$.components")
    url = str(body.url)
    subscriber = session.exec(select(Subscriber).where(
        Subscriber.kind == "webhook", Subscriber.address == url)).first()
    if subscriber is not None and subscriber.state != State.UNSUBSCRIBED:
        raise Conflict(f"{url} is already subscriber {subscriber.id}; remove it first to change it")
    subscriber = subscriber or Subscriber(kind="webhook", address=url, created_at=now,
                                          lang=body.lang, state=State.CONFIRMED)
    subscriber.components, subscriber.lang = components, body.lang
    subscriber.state, subscriber.confirmed_at, subscriber.unsubscribed_at = State.CONFIRMED, now, None
    secret = "whsec_" + base64.b64encode(token_bytes(24)).decode()
    subscriber.secret = secrets.seal(secret)
    session.add(subscriber)
    session.flush()
    return subscriber, secret


def get_or_raise(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise NotFound(f"no subscriber {subscriber_id}; list them with GET /api/v1/subscribers")
    return subscriber


def remove(session: Session, subscriber: Subscriber, *, now: datetime) -> Subscriber:
    if subscriber.state != State.UNSUBSCRIBED:
        subscriber.state, subscriber.unsubscribed_at = State.UNSUBSCRIBED, now
        session.add(subscriber)
        session.flush()
    return subscriber


def list_subscribers(session: Session, *, state: str | None = None, kind: str | None = None
                     ) -> list[Subscriber]:
    query = select(Subscriber)
    if state:
        query = query.where(Subscriber.state == state)
    if kind:
        query = query.where(Subscriber.kind == kind)
    return list(session.exec(query.order_by(col(Subscriber.id))))


# ---- fan-out ---------------------------------------------------------------------------------


def components_of(incident: Incident, settings: Settings) -> set[str]:
    return {c.name for c in settings.comms.components
            if set(c.services) & set(incident.services)}


def wants(subscriber: Subscriber, *, lang: str, components: set[str]) -> bool:
    """Confirmed, same language, and (no component chosen, or one the incident touches)."""
    return (subscriber.state == State.CONFIRMED and subscriber.lang == lang
            and (not subscriber.components or bool(set(subscriber.components) & components)))


def notify_subscribers(session: Session, incident: Incident, event: IncidentEvent,
                       settings: Settings) -> list[OutboxMessage]:
    """For a notice version sent to ``subscribers``: one fan-out row (``channels.FANOUT``)
    in the publishing transaction, whatever the number of subscribers; the
    ``subscriber-fanout`` job (``fan_out_due``) writes their messages. Returns the new row
    (none when the event is not for subscribers or its fan-out is already queued)."""
    if event.type not in NOTICE_VERSIONS or "subscribers" not in event.payload.get("channels", []):
        return []
    now = event.at
    values = {"idempotency_key": f"fanout:{incident.key}:{event.seq}", "receiver": FANOUT,
              "event_type": event.type, "incident_id": incident.id, "created_at": now,
              "next_attempt_at": now, "payload": {"event_id": event.id, "after": 0},
              "state": Delivery.PENDING, "attempts": 0, "redeliveries": 0}
    new_id = db.insert_or_skip(session, OutboxMessage, values, unique=["idempotency_key"])
    row = None if new_id is None else session.get(OutboxMessage, new_id)
    return [row] if row is not None else []


def fan_out_due(courier: Courier, settings: Settings, *, chunk: int = FANOUT_CHUNK) -> int:
    """Turn due fan-out rows into one outbox message per interested subscriber; returns how
    many messages were written. Claimed like deliveries (``FOR UPDATE SKIP LOCKED`` and a
    lease, so passes on several replicas split the work); each ``chunk`` of subscribers (by
    id) is one transaction that also moves the row's cursor and renews its lease, so a pass
    that stops midway is continued where it stopped by the next, and a pass that lost its
    lease writes nothing more. Messages are keyed per subscriber and event and inserted
    with ``ON CONFLICT DO NOTHING``: each subscriber gets one, whoever writes it."""
    written = 0
    while True:
        claimed = claim(courier.engine, courier.clock.now(), courier.config,
                        worker=courier.worker, receivers=[FANOUT])
        for job in claimed:
            try:
                written += _fan_out(courier, settings, job, chunk=chunk)
            except Exception as exc:  # noqa: BLE001  (recorded as the row's failed attempt)
                log.exception("fan-out %s failed; it runs again after its backoff", job.key)
                with db.session(courier.engine) as session:
                    record(session, [(job, Outcome(False, f"{type(exc).__name__}: {exc}"[:300]))],
                           now=courier.clock.now(), config=courier.config,
                           metrics=courier.metrics, stats=DeliveryStats())
        if len(claimed) < courier.config.batch_size:
            return written


def _fan_out(courier: Courier, settings: Settings, job: Claimed, *, chunk: int) -> int:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    after = int(job.payload.get("after", 0))
    written = 0
    while True:
        now = courier.clock.now()
        with db.session(courier.engine) as session:
            event = session.get(IncidentEvent, job.payload["event_id"])
            incident = session.get(Incident, event.incident_id) if event is not None else None
            batch = [] if event is None or incident is None else list(session.exec(
                select(Subscriber).where(Subscriber.state == State.CONFIRMED,
                                         col(Subscriber.id) > after)
                .order_by(col(Subscriber.id)).limit(chunk)))
            new = 0
            if batch:
                assert event is not None and incident is not None
                new = _messages(session, incident, event, settings, batch)
                after = id_of(batch[-1])
            values: dict[str, Any] = {"payload": {**job.payload, "after": after},
                                      "next_attempt_at": now + courier.config.claim_lease}
            if len(batch) < chunk:
                values.update(state=Delivery.DELIVERED, delivered_at=now, claim=None,
                              last_error=None)
            moved = session.execute(update(table).where(table.c.id == job.id,
                                                        table.c.claim == job.claim).values(**values))
            if not cast(CursorResult[Any], moved).rowcount:
                session.rollback()
                log.warning("fan-out %s: its lease ran out and another pass took it over; "
                            "stopping this one", job.key)
                return written
            written += new
            if len(batch) < chunk:
                return written


def _messages(session: Session, incident: Incident, event: IncidentEvent, settings: Settings,
              subscribers: list[Subscriber]) -> int:
    """The messages of one notice version to ``subscribers`` (those who want it)."""
    payload = event.payload
    lang = payload.get("lang", "")
    touched = components_of(incident, settings)
    base = _base(settings)
    status_url = f"{base}/status/incidents/{incident.key}?lang={lang}"
    receiver: ReceiverConfig | None = None
    at = utc(event.at)
    written = 0
    for subscriber in subscribers:
        if not wants(subscriber, lang=lang, components=touched):
            continue
        key = f"subscriber:{subscriber.id}:{incident.key}:{event.seq}"
        subject = f"[{incident.key}] {payload.get('title', '')}"
        if subscriber.kind == "webhook":
            body = {"version": "1", "type": event.type, "id": key, "timestamp": at.isoformat(),
                    "data": {"incident": {"key": incident.key, "url": status_url},
                             "notice": {k: payload.get(k) for k in
                                        ("notice_id", "version", "kind", "lang", "title", "text")}}}
            values = {"idempotency_key": key, "receiver": DIRECT, "event_type": event.type,
                      "incident_id": incident.id, "created_at": at, "next_attempt_at": at,
                      # the secret stays sealed; the courier opens it to sign (monitor.notify.channels)
                      "payload": {"url": subscriber.address, "secret": subscriber.secret,
                                  "body": body},
                      "state": Delivery.PENDING, "attempts": 0, "redeliveries": 0}
            written += db.insert_or_skip(session, OutboxMessage, values,
                                         unique=["idempotency_key"]) is not None
            continue
        if _exists(session, key):
            continue
        try:
            receiver = receiver or mail_receiver(settings)
        except Unavailable as exc:  # config changed since sign-up: never block the fan-out
            log.warning("not mailing subscriber %s about %s: %s", subscriber.id, incident.key, exc)
            continue
        _, raw = _token(session, subscriber, Purpose.UNSUBSCRIBE, now=at)
        leave = f"{base}/status/unsubscribe?token={raw}"
        text = (payload.get("text") or "") + Mail.footer(lang, status=status_url, unsubscribe=leave)
        _mail(session, receiver, key=key, to=subscriber.address, subject=subject, text=text,
              now=at, event_type=event.type, incident_id=incident.id, unsubscribe=leave)
        written += 1
    session.flush()
    return written
