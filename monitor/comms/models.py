"""Public notices: a mutable draft, and published versions nobody can change.

A ``Notice`` is one thread of public communication about one incident in one
language. Its ``draft`` (JSON) is the only thing ever edited. Publishing turns
the draft into a ``NoticeVersion`` row; that table is append-only and the
database refuses UPDATE and DELETE on it (migration 0003). A change after
publishing is a new version linked to the previous one::

    draft ──publish──▶ v1 (initial) ──▶ v2 (update) ──▶ v3 (correction) ──▶ v4 (retraction)
                        each version keeps previous_id → the one before; all stay readable
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column

LANGS = ("pt-BR", "en")


class Kind(StrEnum):
    INITIAL = "initial"
    UPDATE = "update"
    CORRECTION = "correction"
    RETRACTION = "retraction"


class Notice(SQLModel, table=True):
    __tablename__ = "notice"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    lang: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    created_by: str
    latest_version: int = 0
    draft: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    draft_updated_at: datetime | None = Field(default=None, sa_column=utc_column())


class NoticeVersion(SQLModel, table=True):
    __tablename__ = "notice_version"
    __table_args__ = (UniqueConstraint("notice_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    notice_id: int = Field(foreign_key="notice.id", index=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    version: int
    kind: str
    lang: str
    previous_id: int | None = Field(default=None, foreign_key="notice_version.id")
    content: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str
    published_at: datetime = Field(sa_column=utc_column(nullable=False))
    published_by: str
    channels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Share of users affected (0..1) as the responder gave it; with the severity it chose
    # the channels (monitor.comms.impact). None: not given, severity alone decided.
    affected_share: float | None = None
    lint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    override_reason: str | None = None


# ---- content and API schemas --------------------------------------------------


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


Text = PydanticField("", max_length=5000)
AffectedShare: Any = PydanticField(
    None, ge=0, le=1,
    description="Share of users affected, 0..1 (0.3 = 30%). With the severity it picks the "
                "channels ([comms.impact]); left out, a later version keeps the earlier share.",
)


class Content(Strict):
    """What a notice says. Empty parts are allowed in a draft; the linter blocks publishing them."""

    title: str = PydanticField("", max_length=300)
    what_happened: str = Text
    who_is_affected: str = Text
    what_we_are_doing: str = Text
    what_users_should_do: str = Text
    next_update_at: datetime | None = None
    corrective_actions: list[str] = PydanticField(default_factory=list, max_length=50)
    # A correction says what was wrong and what is right; a retraction says why.
    what_was_wrong: str = Text
    what_is_right: str = Text
    retraction_reason: str = Text


class DraftRequest(Strict):
    lang: str = PydanticField(pattern=r"^(pt-BR|en)$")
    content: Content
    affected_share: float | None = AffectedShare


class ReviseRequest(Strict):
    kind: Kind = Kind.UPDATE
    content: Content
    affected_share: float | None = AffectedShare

    @model_validator(mode="after")
    def _kind_fits(self) -> ReviseRequest:
        if self.kind is Kind.INITIAL:
            raise ValueError("kind 'initial' is set by Candor for the first version; "
                             "use update, correction or retraction")
        return self


class PublishRequest(Strict):
    override_reason: str | None = PydanticField(None, min_length=10, max_length=2000)
    affected_share: float | None = AffectedShare


class VersionRequest(ReviseRequest):
    """Revise and publish in one action (a correction must not wait for two round trips)."""

    override_reason: str | None = PydanticField(None, min_length=10, max_length=2000)


class FindingPublic(BaseModel):
    part: str
    rule: str
    severity: str
    line: int
    column: int
    start: int
    end: int
    excerpt: str
    reason: str
    suggestion: str


class VersionPublic(BaseModel):
    version: int
    kind: str
    lang: str
    content: dict[str, Any]
    text: str
    published_at: datetime
    published_by: str
    channels: list[str]
    affected_share: float | None = None
    override_reason: str | None


class NoticePublic(BaseModel):
    id: int
    incident: str
    lang: str
    latest_version: int
    draft: dict[str, Any] | None
    findings: list[FindingPublic] = []
    versions: list[VersionPublic] = []
