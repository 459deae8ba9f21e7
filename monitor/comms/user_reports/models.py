"""User reports (guide step 8): what a user told support, tied to an incident when one fits.

A report is stored whether or not an incident matches (``incident_id`` is then
empty); either way it counts in ``candor_user_reports_total{service}``, so rules
can alert on reports before any other signal fires. ``contact`` is personal
data: it leaves the store only for admins and for the "it is fixed" message
to the reporter — never on public pages, in ``/status.json`` or in incident events.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict
from pydantic import Field as PydanticField
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column


class Channel(StrEnum):
    EMAIL = "email"
    WEBHOOK = "webhook"
    NONE = "none"


class UserReport(SQLModel, table=True):
    __tablename__ = "user_report"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)
    service: str = Field(index=True)
    component: str = ""
    description: str
    contact: str | None = None
    channel: str = Channel.NONE
    lang: str
    reported_at: datetime = Field(sa_column=utc_column(nullable=False))
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    created_by: str


class ReportCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    service: str = PydanticField("", max_length=200, pattern=r"^[A-Za-z0-9_.:-]*$")
    component: str = PydanticField("", max_length=100)
    description: str = PydanticField(min_length=1, max_length=10_000)
    contact: str | None = PydanticField(None, max_length=2000)
    channel: Channel = Channel.NONE
    lang: str | None = PydanticField(None, pattern=r"^(pt-BR|en)$")
    at: AwareDatetime | None = None


class ReportPublic(BaseModel):
    id: int
    incident: str | None
    service: str
    component: str
    description: str
    channel: str
    lang: str
    reported_at: datetime
    created_at: datetime
    created_by: str
    contact: str | None = None  # admins only

    @classmethod
    def of(cls, report: UserReport, incident_key: str | None, *, with_contact: bool) -> ReportPublic:
        values: dict[str, Any] = report.model_dump()
        values["incident"] = incident_key
        values["contact"] = report.contact if with_contact else None
        return cls.model_validate(values)
