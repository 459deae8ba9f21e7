"""Operational routes: /healthz (process up), /readyz (store reachable, schema current), /metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from monitor import db
from monitor.api.deps import RuntimeDep
from monitor.api.problems import problem

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
def readyz(runtime: RuntimeDep) -> dict[str, str] | Response:
    try:
        with runtime.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = db.current_revision(runtime.engine)
    except SQLAlchemyError as exc:
        return problem(503, "Not ready", f"the database is not reachable: {type(exc).__name__}")
    head = db.head_revision()
    if current != head:
        return problem(503, "Not ready", f"schema is at {current}, code expects {head}: "
                       "run `candor db upgrade`")
    return {"status": "ready", "schema": str(current)}


@router.get("/metrics", response_class=Response, responses={200: {
    "description": "Prometheus text exposition", "content": {"text/plain": {"schema": {"type": "string"}}}}})
def metrics(runtime: RuntimeDep) -> Response:
    return Response(generate_latest(runtime.registry), media_type=CONTENT_TYPE_LATEST)
