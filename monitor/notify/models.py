"""The outbox: one row per (message, receiver), written in the cause's transaction.

::

    pending ──deliver ok──▶ delivered
       │  ▲
       │  └── attempt failed, attempts < max: next_attempt_at = now + backoff(attempts)
       └──── attempt failed, attempts == max ──▶ dead ──redeliver (admin)──▶ pending

``idempotency_key`` is unique: enqueuing the same cause twice stores one row,
and receivers see it as the ``webhook-id`` header so they can drop repeats
(delivery is at least once).

A worker claiming a row sets ``claim`` (its token), counts the attempt and leases the
row (``next_attempt_at`` = now + lease); recording the outcome clears ``claim``. A row
claimed again while ``claim`` is still set had its earlier attempt end unrecorded (the
worker crashed or overran the lease between sending and recording): the new attempt
may be a duplicate at the receiver, so ``redeliveries`` counts it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column


class Delivery(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


def _ts(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=utc_column(nullable=nullable, index=index))


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox_message"

    id: int | None = Field(default=None, primary_key=True)
    idempotency_key: str = Field(unique=True, index=True)
    receiver: str = Field(index=True)
    event_type: str
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    state: str = Field(default=Delivery.PENDING, index=True)
    attempts: int = 0
    created_at: datetime = _ts(nullable=False)
    next_attempt_at: datetime = _ts(nullable=False, index=True)
    last_attempt_at: datetime | None = _ts()
    delivered_at: datetime | None = _ts()
    last_error: str | None = None
    claim: str | None = None
    """``<replica>/<pass>`` of the worker holding the lease; cleared when the outcome is recorded."""
    redeliveries: int = 0
    """Attempts made after an earlier one ended unrecorded (possible duplicates)."""
    leader_epoch: int | None = None
    """Set when a singleton job enqueued the row: the epoch of the leader lease it held."""


class MessagePublic(BaseModel):
    id: int
    idempotency_key: str
    receiver: str
    event_type: str
    state: str
    attempts: int
    redeliveries: int = 0
    created_at: datetime
    next_attempt_at: datetime
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
