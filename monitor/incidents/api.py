"""Incident routes: thin handlers over ``monitor.incidents.service``. The incident with its
alerts (``GET /api/v1/incidents/{key}``) is served by ``monitor.alerting.api``, which builds on
this room."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlmodel import Session

from monitor.api.deps import Provided, Responder, RuntimeDep, Timestamp, Viewer
from monitor.incidents import service
from monitor.incidents.cache import ByLatestEvent
from monitor.incidents.lifecycle import State, allowed
from monitor.incidents.models import (
    CommanderRequest,
    EventPublic,
    Incident,
    IncidentCreate,
    IncidentPublic,
    LinkRequest,
    NoteRequest,
    SeverityRequest,
    TransitionRequest,
)

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
Key = Annotated[str, "incident key, e.g. INC-42"]


class IncidentPage(BaseModel):
    data: list[IncidentPublic]
    next_cursor: str | None


def public(incident: Incident) -> IncidentPublic:
    out = IncidentPublic.model_validate(incident)
    out.allowed_transitions = [str(s) for s in allowed(State(incident.state))]
    return out


incident_lists = Provided[ByLatestEvent]("incident_lists")
ListsDep = Annotated[ByLatestEvent, Depends(incident_lists)]


@router.get("", response_model=IncidentPage)
def list_incidents(
    runtime: RuntimeDep,
    lists: ListsDep,
    _: Viewer,
    state: Annotated[list[State] | None, Query()] = None,
    severity: Annotated[list[Literal["SEV1", "SEV2", "SEV3", "SEV4"]] | None, Query()] = None,
    service_name: Annotated[str | None, Query(alias="service", max_length=200)] = None,
    since: Timestamp | None = None,
    until: Timestamp | None = None,
    # An empty cursor is a client that lost next_cursor, not a request for the first page.
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Response:
    states, severities = sorted(str(x) for x in state or []), sorted(str(x) for x in severity or [])

    def build() -> bytes:
        with runtime.unit() as s:
            rows, next_cursor = service.list_incidents(
                s, states=states, severities=severities, service=service_name, since=since,
                until=until, cursor=cursor, limit=limit,
            )
            page = IncidentPage.model_construct(data=[public(r) for r in rows],
                                                next_cursor=next_cursor)
        return page.model_dump_json().encode()

    key = (tuple(states), tuple(severities), service_name, since, until, cursor, limit)
    return Response(lists.get(key, build), media_type="application/json")


@router.post("", response_model=IncidentPublic, status_code=201)
def create(runtime: RuntimeDep, who: Responder, body: IncidentCreate) -> IncidentPublic:
    service.check_label_set(body.labels, runtime.settings)
    with runtime.unit() as s:
        incident = service.open_incident(
            s, clock=runtime.clock, key_prefix=runtime.settings.incidents.key_prefix, actor=who.name,
            **body.model_dump(),
        )
        return public(incident)


@router.get("/{key}/events", response_model=list[EventPublic])
def events(runtime: RuntimeDep, _: Viewer, key: Key) -> list[EventPublic]:
    with runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        return [EventPublic.model_validate(e, from_attributes=True) for e in service.events(s, incident)]


def _act(runtime: RuntimeDep, key: str, action: Callable[[Session, Incident], object]) -> IncidentPublic:
    with runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        action(s, incident)
        return public(incident)


@router.post("/{key}/transitions", response_model=IncidentPublic)
def transition(runtime: RuntimeDep, who: Responder, key: Key, body: TransitionRequest) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.transition(
        s, i, body.to, actor=who.name, clock=runtime.clock, reason=body.reason))


@router.post("/{key}/ack", response_model=IncidentPublic)
def acknowledge(runtime: RuntimeDep, who: Responder, key: Key) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.transition(
        s, i, State.ACKNOWLEDGED, actor=who.name, clock=runtime.clock))


@router.post("/{key}/notes", response_model=IncidentPublic, status_code=201)
def note(runtime: RuntimeDep, who: Responder, key: Key, body: NoteRequest) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.add_note(s, i, body.text, actor=who.name, clock=runtime.clock))


@router.post("/{key}/severity", response_model=IncidentPublic)
def severity(runtime: RuntimeDep, who: Responder, key: Key, body: SeverityRequest) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.change_severity(
        s, i, body.severity, actor=who.name, clock=runtime.clock, reason=body.reason))


@router.post("/{key}/commander", response_model=IncidentPublic)
def commander(runtime: RuntimeDep, who: Responder, key: Key, body: CommanderRequest) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.assign_commander(
        s, i, body.commander, actor=who.name, clock=runtime.clock))


@router.post("/{key}/links", response_model=IncidentPublic)
def link(runtime: RuntimeDep, who: Responder, key: Key, body: LinkRequest) -> IncidentPublic:
    return _act(runtime, key, lambda s, i: service.link(
        s, i, body.key, relation=body.relation, actor=who.name, clock=runtime.clock))
