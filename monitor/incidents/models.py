"""Incident tables and API schemas.

``Incident`` is a projection: every column is the result of folding the rows
of ``IncidentEvent`` through ``lifecycle.apply``. Events are the record; the
database refuses UPDATE and DELETE on them (see migration 0001).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints
from pydantic import Field as PydanticField
from sqlalchemy import JSON, Column, Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from monitor.db.types import utc_column
from monitor.incidents.lifecycle import State


def _ts(**kwargs: Any) -> Any:
    return Field(default=None, sa_column=utc_column(**kwargs))


OPEN_GROUP = "group_key IS NOT NULL AND state NOT IN ('resolved', 'retracted')"
"""The rows of ``uq_incident_open_group``: at most one open incident per alert group (0007)."""


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (Index("uq_incident_open_group", "group_key", unique=True,
                            sqlite_where=text(OPEN_GROUP), postgresql_where=text(OPEN_GROUP)),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(index=True, unique=True)
    title: str
    summary: str = ""
    severity: str = Field(index=True)
    state: str = Field(index=True)
    services: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    labels: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    group_key: str | None = Field(default=None, index=True)
    commander: str | None = None
    related: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    alerts_resolved: bool = False
    event_count: int = 0
    created_at: datetime = Field(sa_column=utc_column(nullable=False))
    impact_started_at: datetime | None = _ts()
    detected_at: datetime | None = _ts()
    acknowledged_at: datetime | None = _ts()
    first_notice_at: datetime | None = _ts()
    fix_deployed_at: datetime | None = _ts()
    verifying_since: datetime | None = _ts()
    verified_at: datetime | None = _ts()
    resolved_at: datetime | None = _ts()


class IncidentEvent(SQLModel, table=True):
    __tablename__ = "incident_event"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    seq: int
    type: str = Field(index=True)
    at: datetime = Field(sa_column=utc_column(nullable=False))
    actor: str
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    leader_epoch: int | None = None
    """Set when a singleton job wrote the event: the epoch of the leader lease it held."""


# ---- API schemas -------------------------------------------------------------

class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IncidentCreate(Strict):
    title: str = PydanticField(min_length=1, max_length=500)
    summary: str = PydanticField("", max_length=10_000)
    severity: str = PydanticField("SEV3", pattern=r"^SEV[1-4]$")
    services: list[Annotated[str, StringConstraints(min_length=1, max_length=200)]] = PydanticField(
        default_factory=list, max_length=50)
    labels: dict[str, str] = PydanticField(default_factory=dict)
    impact_started_at: AwareDatetime | None = None


class TransitionRequest(Strict):
    to: State
    reason: str = PydanticField("", max_length=10_000)


class NoteRequest(Strict):
    text: str = PydanticField(min_length=1, max_length=10_000)


class SeverityRequest(Strict):
    severity: str = PydanticField(pattern=r"^SEV[1-4]$")
    reason: str = PydanticField("", max_length=10_000)


class CommanderRequest(Strict):
    commander: str = PydanticField(min_length=1, max_length=200)


class LinkRequest(Strict):
    key: str = PydanticField(pattern=r"^[A-Z][A-Z0-9]{0,9}-\d{1,12}$")
    relation: str = PydanticField("related", pattern=r"^(related|duplicate|caused_by|causes)$")


class FixRequest(Strict):
    description: str = PydanticField(min_length=1, max_length=10_000)
    release: str = PydanticField("", max_length=200)
    service: str = PydanticField("", max_length=200)
    """The service deployed; must be known (the incident's, a status-page component's, or
    seen in the signals)."""
    deployed_at: AwareDatetime | None = None
    """When it went out (default: now); may be before the alert fired."""
    verification: dict[str, Any] | None = None
    """Per-fix overrides: window, baseline, tolerance, tolerance_floor, confidence,
    min_requests, latency_tolerance, errors_query, total_query."""


class EventPublic(BaseModel):
    seq: int
    type: str
    at: datetime
    actor: str
    payload: dict[str, Any]


class IncidentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    title: str
    summary: str
    severity: str
    state: str
    services: list[str]
    labels: dict[str, str]
    commander: str | None
    related: list[str]
    alerts_resolved: bool
    allowed_transitions: list[str] = []
    created_at: datetime
    impact_started_at: datetime | None
    detected_at: datetime | None
    acknowledged_at: datetime | None
    first_notice_at: datetime | None
    fix_deployed_at: datetime | None
    verifying_since: datetime | None
    verified_at: datetime | None
    resolved_at: datetime | None
