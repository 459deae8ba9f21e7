"""Subscribers to public notices, and the tokens in their links.

An e-mail subscriber signs up, gets a confirmation link, and only then gets
notices (double opt-in)::

    pending ──confirm link──▶ confirmed ──unsubscribe link──▶ unsubscribed
       ▲                                                          │
       └──────────────── signs up again (new confirmation) ───────┘

Webhook subscribers are added by an admin and are confirmed at once. Tokens
are random, only their SHA-256 is stored; a confirmation token works once and
expires after ``[comms.subscribers] confirm_ttl``; every mail carries its own
unsubscribe token (one click, no login).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column

EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                   r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")


class State(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    UNSUBSCRIBED = "unsubscribed"


class Purpose(StrEnum):
    CONFIRM = "confirm"
    UNSUBSCRIBE = "unsubscribe"


def _ts(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=utc_column(**kwargs))


class Subscriber(SQLModel, table=True):
    __tablename__ = "subscriber"
    __table_args__ = (UniqueConstraint("kind", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str  # email | webhook
    address: str  # lower-cased e-mail address, or the webhook URL
    components: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    lang: str
    state: str = Field(index=True)
    secret: str | None = None  # webhook signing secret (whsec_…)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    confirmed_at: datetime | None = _ts()
    unsubscribed_at: datetime | None = _ts()


class SubscriberToken(SQLModel, table=True):
    __tablename__ = "subscriber_token"

    id: int | None = Field(default=None, primary_key=True)
    subscriber_id: int = Field(foreign_key="subscriber.id", index=True)
    purpose: str
    token_hash: str = Field(unique=True, index=True)
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    expires_at: datetime | None = _ts()
    used_at: datetime | None = _ts()


# ---- API schemas ----------------------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Lang: Any = PydanticField(None, pattern=r"^(pt-BR|en)$")
Components: Any = PydanticField(default_factory=list, max_length=50)


class SubscribeRequest(Strict):
    email: str = PydanticField(max_length=254)
    components: list[str] = Components
    lang: str | None = Lang

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip()
        if not EMAIL.match(value):
            raise ValueError("expected an e-mail address such as ana@example.org")
        return value.lower()


class WebhookSubscriberCreate(Strict):
    url: AnyHttpUrl
    components: list[str] = Components
    lang: str = PydanticField("pt-BR", pattern=r"^(pt-BR|en)$")


class SubscriberPublic(BaseModel):
    """What an admin sees (the webhook secret only once, on creation)."""

    id: int
    kind: str
    address: str
    components: list[str]
    lang: str
    state: str
    created_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    secret: str | None = None
