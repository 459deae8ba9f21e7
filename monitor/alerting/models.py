"""Alert and silence tables, and the intake payload schemas.

Alert rows are operational state (latest status of each fingerprint); what
happened to an incident is recorded as incident events, never here alone.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, model_validator
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column


class AlertRecord(SQLModel, table=True):
    __tablename__ = "alert"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(index=True)
    name: str = ""
    status: str
    source: str
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    annotations: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime | None = Field(default=None, sa_column=utc_column())
    generator_url: str = ""
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    silenced_by: str | None = None
    receive_count: int = 1
    last_received_at: datetime = Field(sa_column=utc_column(nullable=False))


class Silence(SQLModel, table=True):
    __tablename__ = "silence"

    id: str = Field(primary_key=True)
    matchers: list[dict[str, str]] = Field(sa_column=Column(JSON, nullable=False))
    starts_at: datetime = Field(sa_column=utc_column(nullable=False))
    ends_at: datetime = Field(sa_column=utc_column(nullable=False))
    created_by: str
    comment: str
    created_at: datetime = Field(sa_column=utc_column(nullable=False))


# ---- intake payloads ---------------------------------------------------------

LabelSet = dict[str, str]


class Tolerant(BaseModel):
    """Webhook senders add fields over time; unknown ones are ignored."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _alert_time(value: datetime | None) -> datetime | None:
    """Aware UTC; Go's zero time (``0001-01-01T00:00:00Z``, "no end yet") becomes ``None``."""
    if value is None or value.year <= 1:
        return None
    try:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    except OverflowError:
        raise ValueError("time out of range (expected an RFC 3339 time such as "
                         "2026-03-02T09:00:00Z)") from None


AlertTime = Annotated[datetime | None, AfterValidator(_alert_time)]


class PrometheusAlert(Tolerant):
    """One alert as Prometheus posts it to Alertmanager's ``/api/v2/alerts``."""

    labels: LabelSet = PydanticField(min_length=1)
    annotations: LabelSet = PydanticField(default_factory=dict)
    startsAt: AlertTime = None
    endsAt: AlertTime = None
    generatorURL: str = PydanticField("", max_length=4096)


class WebhookAlert(PrometheusAlert):
    status: str = PydanticField(pattern=r"^(firing|resolved)$")
    fingerprint: str = ""


class AlertmanagerWebhook(Tolerant):
    """Alertmanager's webhook body, payload version 4."""

    version: str = PydanticField(pattern=r"^4$")
    groupKey: str = ""
    truncatedAlerts: int = 0
    status: str = PydanticField(pattern=r"^(firing|resolved)$")
    receiver: str = ""
    groupLabels: LabelSet = PydanticField(default_factory=dict)
    commonLabels: LabelSet = PydanticField(default_factory=dict)
    commonAnnotations: LabelSet = PydanticField(default_factory=dict)
    externalURL: str = ""
    alerts: list[WebhookAlert]


class MatcherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = PydanticField(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")
    value: str = PydanticField(max_length=1024)
    op: str = PydanticField("=", pattern=r"^(=|!=|=~|!~)$")

    @model_validator(mode="after")
    def _regex_compiles(self) -> MatcherIn:
        if self.op in ("=~", "!~"):
            try:
                re.compile(self.value)
            except re.error as exc:
                raise ValueError(f"value {self.value!r} is not a valid regular expression ({exc}); "
                                 "escape special characters such as ( [ * with a backslash") from None
        return self


class SilenceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    matchers: list[MatcherIn] = PydanticField(min_length=1, max_length=50)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    duration: str | None = PydanticField(None, description="e.g. '2h'; instead of ends_at")
    comment: str = PydanticField(min_length=1, max_length=2000)


class SilencePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    matchers: list[dict[str, str]]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    created_at: datetime
    state: str = ""


class AlertPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    fingerprint: str
    name: str
    status: str
    source: str
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    silenced_by: str | None
    receive_count: int


class IntakeResult(BaseModel):
    received: int
    outcomes: dict[str, int]
    incidents: list[str]

    def as_dict(self) -> dict[str, Any]:
        return self.model_dump()
