"""Operations: /healthz, /readyz (schema current?) and /metrics for Prometheus to scrape."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from monitor import db
from monitor.api.runtime import Runtime
from monitor.app import create_app
from monitor.wiring import assemble, build_runtime


def samples(client: TestClient) -> dict[tuple[str, frozenset], float]:
    response = client.get("/metrics")
    assert response.status_code == 200
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_healthz_answers_without_a_token(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_200_when_the_schema_is_current(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "schema": db.head_revision()}


def test_readyz_is_503_on_an_empty_database(settings, clock) -> None:
    candor = assemble(build_runtime(settings, clock=clock, migrate=False))
    with TestClient(create_app(candor)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert "candor db upgrade" in response.json()["detail"]
        assert client.get("/metrics").status_code == 200  # scraping still works
    candor.close()


def test_readyz_is_503_when_the_schema_is_behind(runtime: Runtime, client: TestClient) -> None:
    with runtime.engine.begin() as c:
        c.execute(sa.text("UPDATE alembic_version SET version_num = '0001_core'"))
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "schema is at 0001_core" in response.json()["detail"]


def test_metrics_show_incidents_transitions_alerts_and_request_durations(
    client: TestClient, responder
) -> None:
    key = client.post("/api/v1/incidents", json={"title": "x", "severity": "SEV2"},
                      headers=responder).json()["key"]
    client.post(f"/api/v1/incidents/{key}/ack", headers=responder)
    client.post("/api/v1/alertmanager", headers=responder, json={
        "version": "4", "status": "firing",
        "alerts": [{"status": "firing", "labels": {"alertname": "A", "severity": "critical"}}]})
    client.get("/api/v1/incidents/INC-404", headers=responder)

    found = samples(client)

    def value(name: str, **labels: str) -> float | None:
        return found.get((name, frozenset(labels.items())))

    assert value("candor_incidents_open", severity="SEV2", state="acknowledged") == 1
    assert value("candor_incidents_open", severity="SEV1", state="detected") == 1
    assert value("candor_incidents_open", severity="SEV3", state="detected") == 0
    assert value("candor_incident_transitions_total", to="acknowledged") == 1
    assert value("candor_alerts_received_total", source="alertmanager", outcome="new") == 1
    routes = {dict(labels).get("route") for name, labels in found
              if name == "candor_http_request_duration_seconds_count"}
    assert {"/api/v1/incidents", "/api/v1/incidents/{key}/ack", "/api/v1/alertmanager",
            "/api/v1/incidents/{key}"} <= routes
    assert not any(r and "INC-" in r for r in routes), "raw paths would explode cardinality"


def test_a_bug_is_one_clean_500_and_the_connection_stays_usable(candor, caplog) -> None:
    """Before: the 500 was sent, then the error re-raised into uvicorn, which closed the
    connection under the client (a reset for the next request on it)."""
    import logging

    import httpx

    from tests.support.processes import serve

    app = create_app(candor)

    def boom() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/boom", boom, methods=["POST"])
    with caplog.at_level(logging.ERROR), serve(app) as url, httpx.Client(base_url=url) as client:
        answers = [client.post("/api/v1/boom") for _ in range(3)]
        healthy = client.get("/healthz")

    assert [(r.status_code, r.headers["content-type"], r.json()["detail"]) for r in answers] == [
        (500, "application/problem+json", "Candor hit a bug; it is logged. Please report it.")] * 3
    assert all(r.headers.get("connection") != "close" for r in answers) and healthy.status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name.startswith("uvicorn")] == []
    assert [r.getMessage() for r in caplog.records if r.name == "candor.api"] == [
        "unhandled error on POST /api/v1/boom"] * 3
    assert candor.runtime.registry.get_sample_value("candor_http_request_duration_seconds_count", {
        "method": "POST", "route": "/api/v1/boom", "status": "500"}) == 3
