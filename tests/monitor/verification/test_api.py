"""Recording a fix through the API: checked at submission, nothing stored when refused."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.wiring import Candor


def open_incident(client: TestClient, headers: dict[str, str], **body: Any) -> str:
    response = client.post("/api/v1/incidents", json={"title": "Redirects fail", "services": ["redirect"],
                                                       **body}, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["key"])


def events(client: TestClient, key: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    return client.get(f"/api/v1/incidents/{key}/events", headers=headers).json()


def test_a_fix_moves_the_incident_to_verifying_and_its_verdicts_are_readable(client, responder) -> None:
    key = open_incident(client, responder)
    response = client.post(f"/api/v1/incidents/{key}/fixes", headers=responder, json={
        "description": "roll back", "release": "r2", "service": "redirect",
        "deployed_at": "2026-03-02T08:55:00+00:00", "verification": {"window": "15m", "confidence": 0.99}})
    assert response.status_code == 201, response.text
    assert response.json()["state"] == "verifying"
    fix = [e for e in events(client, key, responder) if e["type"] == "fix.deployed"][0]["payload"]
    assert fix == {"id": f"{key}/fix-1", "description": "roll back", "release": "r2", "service": "redirect",
                   "deployed_at": "2026-03-02T08:55:00+00:00",
                   "verification": {"window": "15m", "confidence": 0.99}}
    shown = client.get(f"/api/v1/incidents/{key}/verification", headers=responder).json()
    assert (shown["state"], shown["verdicts"], shown["impact"]) == ("verifying", [], None)


def test_a_fix_for_an_unknown_or_closed_incident_is_404_or_409(client, responder) -> None:
    missing = client.post("/api/v1/incidents/INC-404/fixes", json={"description": "d"}, headers=responder)
    assert missing.status_code == 404 and "INC-404" in missing.json()["detail"]
    key = open_incident(client, responder)
    client.post(f"/api/v1/incidents/{key}/transitions", json={"to": "retracted"}, headers=responder)
    before = events(client, key, responder)
    closed = client.post(f"/api/v1/incidents/{key}/fixes", json={"description": "d"}, headers=responder)
    assert closed.status_code == 409 and "retracted" in closed.json()["detail"]
    assert events(client, key, responder) == before


@pytest.mark.parametrize(("body", "loc", "says"), [
    ({"verification": {"errors_query": "sum(rate(x[$window]"}}, "$.verification.errors_query",
     "not valid PromQL"),
    ({"verification": {"total_query": "nothing_here_total"}}, "$.verification.total_query",
     "returns nothing"),
    ({"verification": {"window": "500ms"}}, "$.verification.window", "shorter than the evaluation interval"),
    ({"verification": {"confidence": 1.5}}, "$.verification.confidence", "less than 1"),
    ({"verification": {"windw": "5m"}}, "$.verification.windw", "unknown key"),
    ({"service": "no-such-service"}, "$.service", "unknown service 'no-such-service'"),
])
def test_a_fix_that_cannot_be_verified_is_refused_at_submission(
    client: TestClient, responder, candor: Candor, body: dict[str, Any], loc: str, says: str
) -> None:
    key = open_incident(client, responder)
    before = events(client, key, responder)
    response = client.post(f"/api/v1/incidents/{key}/fixes", headers=responder,
                           json={"description": "roll back", **body})
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["detail"].endswith("nothing was recorded")
    assert [p["loc"] for p in problem["errors"]] == [loc]
    assert says in problem["errors"][0]["msg"]
    assert events(client, key, responder) == before
    assert client.get(f"/api/v1/incidents/{key}", headers=responder).json()["state"] == "detected"
