"""Enqueue notifications in the cause's transaction; list, inspect and redeliver them.

``enqueue_for_event(session, incident, event, settings)`` is the one entry point, and
the first of the incident event hooks (``monitor.wiring.event_hooks``): it runs right
after an incident event is recorded, in the same session. It writes one outbox row per
matching receiver, keyed ``<receiver>:<incident key>:<event seq>``, so calling it twice
for the same event stores nothing new. Delivery happens later (``monitor.notify.delivery``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from monitor import db
from monitor.clock import utc
from monitor.config import Settings
from monitor.config.notify import ReceiverConfig
from monitor.errors import Conflict, NotFound
from monitor.event_types import EventType, Notification, PostmortemEventType
from monitor.incidents.models import Incident, IncidentEvent
from monitor.notify.models import Delivery, OutboxMessage
from monitor.notify.payloads import build

PAYLOAD_VERSION = "1"

# Transitions with a notification of their own (``incident.state_changed`` covers the rest).
_TRANSITION_NAMES = {
    "resolved": Notification.INCIDENT_RESOLVED,
    "regressed": Notification.INCIDENT_REGRESSED,
    "retracted": Notification.INCIDENT_RETRACTED,
}
_FOLLOW_UPS = frozenset({Notification.NOTICE_UPDATED, Notification.NOTICE_CORRECTED,
                         Notification.NOTICE_RETRACTED})
_NAMES: dict[str, Notification] = {
    EventType.INCIDENT_OPENED: Notification.INCIDENT_OPENED,
    EventType.NOTICE_PUBLISHED: Notification.NOTICE_PUBLISHED,
    EventType.NOTICE_UPDATED: Notification.NOTICE_UPDATED,
    EventType.NOTICE_CORRECTED: Notification.NOTICE_CORRECTED,
    EventType.NOTICE_RETRACTED: Notification.NOTICE_RETRACTED,
    PostmortemEventType.PUBLISHED: Notification.POSTMORTEM_PUBLISHED,
}


def event_name(type: str, payload: dict[str, Any]) -> Notification | None:
    """The notification name of an incident event, or ``None`` if it is not notified.

    >>> event_name("incident.transitioned", {"to": "resolved"})
    <Notification.INCIDENT_RESOLVED: 'incident.resolved'>
    >>> event_name("incident.transitioned", {"to": "acknowledged"})
    <Notification.INCIDENT_STATE_CHANGED: 'incident.state_changed'>
    >>> event_name("note.added", {}) is None
    True
    """
    if type == EventType.INCIDENT_TRANSITIONED:
        return _TRANSITION_NAMES.get(payload.get("to", ""), Notification.INCIDENT_STATE_CHANGED)
    return _NAMES.get(type)


def matches(receiver: ReceiverConfig, incident: Incident, name: str) -> bool:
    """Does ``receiver`` want notification ``name`` about ``incident``?

    A receiver listing ``incident.state_changed`` also gets resolved, regressed and
    retracted (they are state changes too); one listing ``notice.published`` also gets
    every later version — updates, corrections, retractions go wherever the notice went.
    Empty lists match everything. An smtp receiver without ``to`` only carries mail addressed
    per message (subscribers, user reports), so it matches no incident event.
    """
    if receiver.kind == "smtp" and not receiver.to:
        return False
    if receiver.events:
        wanted = set(receiver.events)
        if name not in wanted and not (
            (name in _TRANSITION_NAMES.values() and Notification.INCIDENT_STATE_CHANGED in wanted)
            or (name in _FOLLOW_UPS and Notification.NOTICE_PUBLISHED in wanted)
        ):
            return False
    if receiver.severities and incident.severity not in receiver.severities:
        return False
    if receiver.services and not set(receiver.services) & set(incident.services):
        return False
    return all(incident.labels.get(k) == v for k, v in receiver.labels.items())


def enqueue_for_event(
    session: Session, incident: Incident, event: IncidentEvent, settings: Settings
) -> list[OutboxMessage]:
    """Write outbox rows for ``event`` (same transaction as the event); returns the new rows."""
    name = event_name(event.type, event.payload)
    if name is None:
        return []
    public_url = settings.server.public_url
    now = utc(event.at)
    wanted = {f"{r.name}:{incident.key}:{event.seq}": r for r in settings.notify.receivers
              if matches(r, incident, name)}
    if not wanted:
        return []
    queued = set(session.exec(select(OutboxMessage.idempotency_key)
                              .where(col(OutboxMessage.idempotency_key).in_(list(wanted)))))
    created: list[OutboxMessage] = []
    for key, receiver in wanted.items():
        if key in queued:
            continue
        message = OutboxMessage(
            idempotency_key=key, receiver=receiver.name, event_type=name,
            incident_id=incident.id, created_at=now, next_attempt_at=now,
            payload=build(receiver, name=name, key=key, incident=incident, event=event,
                          public_url=public_url),
            leader_epoch=session.info.get(db.LEADER_EPOCH),
        )
        session.add(message)
        created.append(message)
    if created:
        session.flush()
    return created


def enqueue_direct(
    session: Session, receiver: ReceiverConfig, *, key: str, event_type: str,
    payload: dict[str, Any], now: datetime,
) -> OutboxMessage | None:
    """One outbox row not caused by an incident event (e.g. ``digest.published`` from a
    schedule); ``None`` when ``key`` is already queued, so a repeated run stores nothing —
    also when two run at once (two replicas): ``INSERT … ON CONFLICT DO NOTHING``, the second
    waits for the first to commit and stores nothing."""
    values = {"idempotency_key": key, "receiver": receiver.name, "event_type": event_type,
              "incident_id": None, "created_at": now, "next_attempt_at": now, "payload": payload,
              "state": Delivery.PENDING, "attempts": 0, "redeliveries": 0,
              "leader_epoch": session.info.get(db.LEADER_EPOCH)}
    new_id = db.insert_or_skip(session, OutboxMessage, values, unique=["idempotency_key"])
    return None if new_id is None else session.get(OutboxMessage, new_id)


# ---- reads and admin actions ----------------------------------------------------


def get_or_raise(session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"no outbox message {message_id}; list them with `candor outbox list` (GET /api/v1/outbox)")
    return message


def list_messages(
    session: Session, *, state: str | None = None, receiver: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    query = select(OutboxMessage)
    if state:
        query = query.where(OutboxMessage.state == state)
    if receiver:
        query = query.where(OutboxMessage.receiver == receiver)
    return list(session.exec(query.order_by(col(OutboxMessage.id).desc()).limit(limit)))


def redeliver(session: Session, message: OutboxMessage, *, now: datetime) -> OutboxMessage:
    """Put a dead-lettered message back in the queue with a fresh set of attempts."""
    if message.state != Delivery.DEAD:
        raise Conflict(
            f"outbox message {message.id} is {message.state}; only dead messages can be redelivered"
        )
    message.state = Delivery.PENDING
    message.attempts = 0
    message.next_attempt_at = now
    message.last_error = f"redelivery requested; previous error: {message.last_error}"
    session.add(message)
    session.flush()
    return message


def queue_stats(session: Session, now: datetime) -> tuple[dict[str, int], float]:
    """Pending message count per receiver, and the age in seconds of the oldest one."""
    rows = session.exec(
        select(OutboxMessage.receiver, OutboxMessage.created_at)
        .where(OutboxMessage.state == Delivery.PENDING)
    ).all()
    depth: dict[str, int] = {}
    oldest = 0.0
    for receiver, created_at in rows:
        depth[receiver] = depth.get(receiver, 0) + 1
        oldest = max(oldest, (now - utc(created_at)).total_seconds())
    return depth, oldest
