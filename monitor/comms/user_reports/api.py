"""User reports (guide step 8)::

    POST /api/v1/reports                   responder: service/component, description,
                                           contact + channel (email | webhook | none), at
    GET  /api/v1/incidents/{key}/reports   viewer; contact details only for admins
    GET  /api/v1/reports?unattached=true   viewer; reports no incident matched

Every report counts in ``candor_user_reports_total{service}``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from monitor.api.deps import Provided, Responder, RuntimeDep, Viewer
from monitor.auth.models import Role
from monitor.comms.user_reports import service
from monitor.comms.user_reports.metrics import ReportMetrics
from monitor.comms.user_reports.models import ReportCreate, ReportPublic
from monitor.incidents import service as incidents

router = APIRouter(tags=["user reports"])
report_metrics = Provided[ReportMetrics]("report_metrics")


@router.post("/api/v1/reports", response_model=ReportPublic, status_code=201)
def create(runtime: RuntimeDep, who: Responder, body: ReportCreate,
           metrics: Annotated[ReportMetrics, Depends(report_metrics)]) -> ReportPublic:
    with runtime.unit() as s:
        report, incident, counted = service.create(s, body, actor=who.name, clock=runtime.clock,
                                                   settings=runtime.settings)
        out = ReportPublic.of(report, incident.key if incident else None,
                              with_contact=who.role.covers(Role.ADMIN))
    metrics.reports.labels(counted).inc()
    return out


@router.get("/api/v1/incidents/{key}/reports", response_model=list[ReportPublic])
def of_incident(runtime: RuntimeDep, who: Viewer, key: str) -> list[ReportPublic]:
    admin = who.role.covers(Role.ADMIN)
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        return [ReportPublic.of(r, key, with_contact=admin) for r in service.of_incident(s, incident)]


@router.get("/api/v1/reports", response_model=list[ReportPublic])
def list_reports(
    runtime: RuntimeDep, who: Viewer, unattached: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ReportPublic]:
    admin = who.role.covers(Role.ADMIN)
    with runtime.unit() as s:
        return [ReportPublic.of(r, key, with_contact=admin)
                for r, key in service.list_reports(s, unattached=unattached, limit=limit)]
