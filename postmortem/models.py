"""Postmortem tables and API schemas.

    postmortem            one per incident; the editable head (status, content, version)
    postmortem_version    append-only: the content as it was at each publish and each later edit
    postmortem_event      append-only: review workflow moves and approvals
    timeline_annotation   append-only: responders' overlays on timeline entries
    action_item           preventive/corrective work, tracked to done after the postmortem

The three append-only tables refuse UPDATE and DELETE in the database itself
(migration 0004), like ``incident_event``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column
from postmortem.timeline import Overlay


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=utc_column(nullable=nullable))


class Status(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    PUBLISHED = "published"


class Postmortem(SQLModel, table=True):
    __tablename__ = "postmortem"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", unique=True, index=True)
    status: str = Status.DRAFT
    version: int = 0
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    published_at: datetime | None = _ts(nullable=True)


class PostmortemVersion(SQLModel, table=True):
    __tablename__ = "postmortem_version"
    __table_args__ = (UniqueConstraint("postmortem_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    version: int
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    actor: str
    at: datetime = _ts()


class PostmortemEvent(SQLModel, table=True):
    __tablename__ = "postmortem_event"

    id: int | None = Field(default=None, primary_key=True)
    postmortem_id: int = Field(foreign_key="postmortem.id", index=True)
    type: str
    actor: str
    at: datetime = _ts()
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class TimelineAnnotation(SQLModel, table=True):
    __tablename__ = "timeline_annotation"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    event_seq: int
    kind: str
    text: str = ""
    actor: str
    at: datetime = _ts()


class ItemType(StrEnum):
    PREVENT = "prevent"
    MITIGATE = "mitigate"
    DETECT = "detect"
    PROCESS = "process"
    REPAIR = "repair"
    INVESTIGATE = "investigate"


class ItemStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"


class Priority(StrEnum):
    P1 = "P1"
    P2 = "P2"
    P3 = "P3"


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    title: str
    type: str
    owner: str
    team: str = ""
    due: date
    priority: str = Priority.P2
    status: str = Field(default=ItemStatus.OPEN, index=True)
    reason: str = ""
    ticket_url: str = ""
    created_at: datetime = _ts()
    updated_at: datetime = _ts()
    closed_at: datetime | None = _ts(nullable=True)


# ---- API schemas -------------------------------------------------------------

OWNER = re.compile(
    r"^(@[A-Za-z0-9_.-]{1,64}|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|team:[a-z0-9_-]{1,64})$"
)
OWNER_HELP = "an owner is '@handle', an e-mail address or 'team:name' (e.g. '@ana', 'team:sre')"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Why(Strict):
    question: str = PydanticField(max_length=2000)
    answer: str = PydanticField(max_length=5000)


class Content(Strict):
    """The narrative sections a person writes; everything else is computed from events."""

    executive_summary: str = PydanticField("", max_length=20_000)
    customer_impact: str = PydanticField("", max_length=20_000)
    lead_up: str = PydanticField("", max_length=20_000)
    trigger: str = PydanticField("", max_length=20_000)
    fault: str = PydanticField("", max_length=20_000)
    detection: str = PydanticField("", max_length=20_000)
    response: str = PydanticField("", max_length=20_000)
    recovery: str = PydanticField("", max_length=20_000)
    root_causes: list[str] = PydanticField(default_factory=list, max_length=50)
    contributing_factors: list[str] = PydanticField(default_factory=list, max_length=50)
    five_whys: list[Why] = PydanticField(default_factory=list, max_length=10)
    went_well: list[str] = PydanticField(default_factory=list, max_length=50)
    went_wrong: list[str] = PydanticField(default_factory=list, max_length=50)
    got_lucky: list[str] = PydanticField(default_factory=list, max_length=50)
    links: list[str] = PydanticField(default_factory=list, max_length=50)


NARRATIVE = ("executive_summary", "customer_impact", "lead_up", "trigger", "fault", "detection",
             "response", "recovery")


class ContentPatch(Strict):
    """Fields to change; those not given stay as they are."""

    executive_summary: str | None = PydanticField(None, max_length=20_000)
    customer_impact: str | None = PydanticField(None, max_length=20_000)
    lead_up: str | None = PydanticField(None, max_length=20_000)
    trigger: str | None = PydanticField(None, max_length=20_000)
    fault: str | None = PydanticField(None, max_length=20_000)
    detection: str | None = PydanticField(None, max_length=20_000)
    response: str | None = PydanticField(None, max_length=20_000)
    recovery: str | None = PydanticField(None, max_length=20_000)
    root_causes: list[str] | None = PydanticField(None, max_length=50)
    contributing_factors: list[str] | None = PydanticField(None, max_length=50)
    five_whys: list[Why] | None = PydanticField(None, max_length=10)
    went_well: list[str] | None = PydanticField(None, max_length=50)
    went_wrong: list[str] | None = PydanticField(None, max_length=50)
    got_lucky: list[str] | None = PydanticField(None, max_length=50)
    links: list[str] | None = PydanticField(None, max_length=50)


class ActionItemCreate(Strict):
    title: str = PydanticField(min_length=1, max_length=500)
    type: ItemType
    owner: str = PydanticField(max_length=200)
    team: str = PydanticField("", max_length=100)
    due: date
    priority: Priority = Priority.P2
    ticket_url: str = PydanticField("", max_length=2000, pattern=r"^(|https?://\S+)$")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str) -> str:
        if not OWNER.match(value):
            raise ValueError(f"{value!r} is not an owner: {OWNER_HELP}")
        return value


class ActionItemUpdate(Strict):
    title: str | None = PydanticField(None, min_length=1, max_length=500)
    owner: str | None = PydanticField(None, max_length=200)
    team: str | None = PydanticField(None, max_length=100)
    due: date | None = None
    priority: Priority | None = None
    status: ItemStatus | None = None
    reason: str | None = PydanticField(None, max_length=5000)
    ticket_url: str | None = PydanticField(None, max_length=2000, pattern=r"^(|https?://\S+)$")

    @field_validator("owner")
    @classmethod
    def _owner(cls, value: str | None) -> str | None:
        if value is not None and not OWNER.match(value):
            raise ValueError(f"{value!r} is not an owner: {OWNER_HELP}")
        return value


class ActionItemPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    type: str
    owner: str
    team: str
    due: date
    priority: str
    status: str
    reason: str
    ticket_url: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    overdue: bool = False


class AnnotationCreate(Strict):
    event_seq: int = PydanticField(ge=1)
    kind: Overlay
    text: str = PydanticField("", max_length=5000)


class ReviewRequest(Strict):
    action: str = PydanticField(pattern=r"^(submit|approve|request_changes|publish)$")
    comment: str = PydanticField("", max_length=5000)


class PostmortemPublic(BaseModel):
    incident: str
    status: str
    version: int
    content: Content
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None
    approvals: list[str]
    findings: list[dict[str, Any]]
