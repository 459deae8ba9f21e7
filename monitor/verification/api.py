"""Fix routes: record a fix (checked before anything is stored), read verdicts and impact.

``POST /api/v1/incidents/{key}/fixes`` refuses, with a precise 4xx and nothing stored, a fix
for an unknown (404) or closed (409) incident, overrides that cannot work (a window shorter
than the evaluation interval, a query that does not parse or returns nothing) and a
deployment for an unknown service (422). The composition root provides ``promql_source``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from monitor.api.deps import Provided, Responder, RuntimeDep, Viewer
from monitor.errors import Conflict
from monitor.incidents import service as incidents
from monitor.incidents.api import public
from monitor.incidents.lifecycle import OPEN, State
from monitor.incidents.models import FixRequest, IncidentPublic
from monitor.promsource import Queryable
from monitor.verification import service

router = APIRouter(prefix="/api/v1/incidents", tags=["verification"])
Key = Annotated[str, "incident key, e.g. INC-42"]
promql_source = Provided[Callable[[], Queryable]]("verification_source")
Source = Annotated[Callable[[], Queryable], Depends(promql_source)]


class VerificationPublic(BaseModel):
    key: str
    state: str
    verifying_since: Any
    verified_at: Any
    verdicts: list[dict[str, Any]]
    """Every verdict, oldest first, with its evidence (queries, windows, counts, tests)."""
    impact: dict[str, Any] | None
    """The latest impact measurement with its queries (``None``: no signal data)."""


def _close(source: Queryable) -> None:
    close = getattr(source, "close", None)
    if close is not None:
        close()


@router.post("/{key}/fixes", response_model=IncidentPublic, status_code=201)
def fix(runtime: RuntimeDep, who: Responder, key: Key, body: FixRequest, source: Source) -> IncidentPublic:
    now = runtime.clock.now()
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        if State(incident.state) not in OPEN:
            raise Conflict(f"{incident.key} is {incident.state}; fixes are recorded on open incidents "
                           "(a new problem opens a new incident)", extra={"state": incident.state})
        queryable = source()
        try:
            known = service.known_services(runtime.settings, incident, queryable, now) if body.service else []
            service.check_fix(settings=runtime.settings, overrides=body.verification, service=body.service,
                              incident=incident, source=queryable, now=now, known_services=known)
        finally:
            _close(queryable)
        incidents.record_fix(s, incident, body.description, release=body.release, actor=who.name,
                             clock=runtime.clock, deployed_at=body.deployed_at, service=body.service,
                             verification=body.verification)
        return public(incident)


@router.get("/{key}/verification", response_model=VerificationPublic)
def verification(runtime: RuntimeDep, _: Viewer, key: Key) -> VerificationPublic:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        events = incidents.events(s, incident)
        return VerificationPublic(key=incident.key, state=incident.state,
                                  verifying_since=incident.verifying_since, verified_at=incident.verified_at,
                                  verdicts=service.verdicts(events), impact=service.latest_impact(events))
