"""Alert intake (Alertmanager webhook, Prometheus-shaped alerts), silences, and an incident
with its alerts (``GET /api/v1/incidents/{key}``: alerting builds on incidents, so the view
that joins them lives here, not in ``monitor.incidents.api``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from sqlmodel import Session

from monitor.alerting import service
from monitor.alerting.identity import Alert, AlertStatus
from monitor.alerting.matchers import Matcher, MatchOp
from monitor.alerting.metrics import AlertMetrics
from monitor.alerting.models import (
    AlertmanagerWebhook,
    AlertPublic,
    IntakeResult,
    PrometheusAlert,
    Silence,
    SilenceCreate,
    SilencePublic,
)
from monitor.api.deps import Provided, Responder, RuntimeDep, Viewer, receiver
from monitor.api.runtime import Runtime
from monitor.auth.service import Principal
from monitor.incidents import service as incidents
from monitor.incidents.api import Key, public
from monitor.incidents.models import IncidentPublic

router = APIRouter(prefix="/api/v1", tags=["alerts"])
incident_router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])

SANITISED_TEXT = ("/api/v1/alertmanager", "/api/v1/alerts")
"""Intake routes where text outside the rule (``monitor.api.text``) is replaced by U+FFFD
instead of refused: Alertmanager never retries a 4xx, so a refusal would lose the alerts."""
alert_metrics = Provided[AlertMetrics]("alert_metrics")
Metrics = Annotated[AlertMetrics, Depends(alert_metrics)]


def _intake(runtime: Runtime, metrics: AlertMetrics, alerts: list[Alert], source: str) -> IntakeResult:
    def route(session: Session) -> tuple[service.Router, list[str]]:
        routed = service.receive(session, alerts, settings=runtime.settings, clock=runtime.clock,
                                 source=source)
        return routed, sorted({i.key for i in routed.touched_incidents()})

    result, keys = runtime.transaction(route)  # run again if a concurrent request got in first
    for outcome, count in result.outcomes.items():
        metrics.received.labels(source, outcome).inc(count)
    return IntakeResult(received=len(alerts), outcomes=dict(result.outcomes), incidents=keys)


@router.post("/alertmanager", response_model=IntakeResult, summary="Alertmanager webhook (version 4)")
def alertmanager_webhook(
    runtime: RuntimeDep,
    metrics: Metrics,
    _: Annotated[Principal, Depends(receiver("alertmanager"))],
    body: AlertmanagerWebhook,
) -> IntakeResult:
    alerts = [
        Alert(labels=a.labels, annotations=a.annotations, starts_at=a.startsAt, ends_at=a.endsAt,
              generator_url=a.generatorURL, status=AlertStatus(a.status))
        for a in body.alerts
    ]
    return _intake(runtime, metrics, alerts, "alertmanager")


@router.post("/alerts", response_model=IntakeResult, summary="Alerts as Prometheus sends them")
def prometheus_alerts(
    runtime: RuntimeDep,
    metrics: Metrics,
    _: Annotated[Principal, Depends(receiver("prometheus"))],
    body: list[PrometheusAlert],
) -> IntakeResult:
    now = runtime.clock.now()
    alerts = [
        Alert(labels=a.labels, annotations=a.annotations, starts_at=a.startsAt, ends_at=a.endsAt,
              generator_url=a.generatorURL,
              status=AlertStatus.RESOLVED if a.endsAt and a.endsAt <= now else AlertStatus.FIRING)
        for a in body
    ]
    return _intake(runtime, metrics, alerts, "prometheus")


def _public(silence: Silence, now: datetime) -> SilencePublic:
    out = SilencePublic.model_validate(silence)
    out.state = service.silence_state(silence, now)
    return out


@router.get("/silences", response_model=list[SilencePublic], tags=["silences"])
def list_silences(runtime: RuntimeDep, _: Viewer) -> list[SilencePublic]:
    with runtime.unit() as s:
        now = runtime.clock.now()
        return [_public(x, now) for x in service.list_silences(s)]


@router.post("/silences", response_model=SilencePublic, status_code=201, tags=["silences"])
def create_silence(runtime: RuntimeDep, who: Responder, body: SilenceCreate) -> SilencePublic:
    matchers = [Matcher(m.name, m.value, MatchOp(m.op)) for m in body.matchers]
    with runtime.unit() as s:
        silence = service.create_silence(
            s, matchers=matchers, comment=body.comment, created_by=who.name, clock=runtime.clock,
            starts_at=body.starts_at, ends_at=body.ends_at, duration=body.duration,
        )
        return _public(silence, runtime.clock.now())


@router.delete("/silences/{silence_id}", response_model=SilencePublic, tags=["silences"])
def expire_silence(runtime: RuntimeDep, _: Responder, silence_id: str) -> SilencePublic:
    with runtime.unit() as s:
        return _public(service.expire_silence(s, silence_id, clock=runtime.clock), runtime.clock.now())


class IncidentDetail(IncidentPublic):
    alerts: list[AlertPublic]


@incident_router.get("/{key}", response_model=IncidentDetail)
def show(runtime: RuntimeDep, _: Viewer, key: Key) -> Response:
    with runtime.unit() as s:
        incident = incidents.get_by_key_or_raise(s, key)
        alerts = [AlertPublic.model_validate(a) for a in service.alerts_of(s, incident)]
        shown = public(incident)
    # validated above, part by part: serialise once, not again through response_model
    detail = IncidentDetail.model_construct(**dict(shown), alerts=alerts)
    return Response(detail.model_dump_json(), media_type="application/json")
