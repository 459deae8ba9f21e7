"""Responders drive incidents through the API; invalid moves answer 409 with the options."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from monitor.incidents.lifecycle import State
from tests.monitor.incidents import diagram

S = State
# How to reach each state from "detected".
PATHS: dict[State, list[State]] = {
    S.DETECTED: [],
    S.ACKNOWLEDGED: [S.ACKNOWLEDGED],
    S.IDENTIFIED: [S.IDENTIFIED],
    S.FIXING: [S.FIXING],
    S.VERIFYING: [S.VERIFYING],
    S.REGRESSED: [S.VERIFYING, S.REGRESSED],
    S.RESOLVED: [S.VERIFYING, S.RESOLVED],
    S.REOPENED: [S.VERIFYING, S.RESOLVED, S.REOPENED],
    S.RETRACTED: [S.RETRACTED],
}


def open_incident(client: TestClient, headers: dict[str, str], **body) -> dict:
    body.setdefault("title", "Short links return 502")
    response = client.post("/api/v1/incidents", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def move(client: TestClient, headers: dict[str, str], key: str, to: State):
    return client.post(f"/api/v1/incidents/{key}/transitions", json={"to": to}, headers=headers)


def test_every_transition_is_allowed_or_a_409_listing_the_allowed_ones(
    client: TestClient, responder: dict[str, str]
) -> None:
    for source, path in PATHS.items():
        for target in State:
            key = open_incident(client, responder)["key"]
            for step in path:
                assert move(client, responder, key, step).status_code == 200
            response = move(client, responder, key, target)
            if target in diagram.MOVES[source]:  # the documented diagram, not the code's table
                assert response.status_code == 200, (source, target, response.text)
                assert response.json()["state"] == target
                assert sorted(response.json()["allowed_transitions"]) == sorted(diagram.MOVES[target])
            else:
                assert response.status_code == 409, (source, target)
                problem = response.json()
                assert response.headers["content-type"] == "application/problem+json"
                assert sorted(problem["allowed"]) == sorted(diagram.MOVES[source])
                assert f"Allowed from {source}" in problem["detail"]
                events = client.get(f"/api/v1/incidents/{key}/events", headers=responder).json()
                assert len(events) == 1 + len(path)


def test_a_responder_works_an_incident_from_detection_to_resolution(
    client: TestClient, responder: dict[str, str], viewer: dict[str, str], clock
) -> None:
    other = open_incident(client, responder, title="Logins slow")["key"]
    key = open_incident(client, responder, severity="SEV2", services=["redirect"],
                        labels={"team": "edge"}, summary="Users see 502 on short links")["key"]
    steps = [
        ("ack", None),
        ("notes", {"text": "502s from the redirect pods since 09:00"}),
        ("severity", {"severity": "SEV1", "reason": "every short link"}),
        ("commander", {"commander": "carol"}),
        ("links", {"key": other, "relation": "related"}),
        ("transitions", {"to": "identified", "reason": "bad config push"}),
        ("fixes", {"description": "rolled back config", "release": "cfg-41"}),  # → verifying
        ("transitions", {"to": "resolved", "reason": "a person decided"}),
    ]
    for path, body in steps:
        clock.advance(minutes=3)
        response = client.post(f"/api/v1/incidents/{key}/{path}", json=body, headers=responder)
        assert response.status_code in (200, 201), (path, response.text)

    incident = client.get(f"/api/v1/incidents/{key}", headers=viewer).json()
    assert incident["state"] == "resolved"
    assert (incident["severity"], incident["commander"], incident["related"]) == (
        "SEV1", "carol", [other])
    for stamp in ("detected_at", "acknowledged_at", "fix_deployed_at", "verifying_since", "resolved_at"):
        assert incident[stamp] is not None, stamp
    assert incident["verified_at"] is None  # resolved by a person: never reported as verified
    events = client.get(f"/api/v1/incidents/{key}/events", headers=viewer).json()
    assert [e["seq"] for e in events] == list(range(1, 11))
    assert {e["actor"] for e in events} == {"test-responder"}


def test_list_filters_and_cursor_pages(client: TestClient, responder, viewer) -> None:
    keys = [open_incident(client, responder, title=f"i{n}", severity=f"SEV{n % 4 + 1}",
                          services=["api" if n % 2 else "redirect"])["key"] for n in range(5)]
    move(client, responder, keys[0], State.ACKNOWLEDGED)

    def listed(**params) -> list[str]:
        response = client.get("/api/v1/incidents", params=params, headers=viewer)
        assert response.status_code == 200, response.text
        return [i["key"] for i in response.json()["data"]]

    assert listed() == keys[::-1]
    assert listed(state="acknowledged") == [keys[0]]
    assert listed(state=["acknowledged", "detected"]) == keys[::-1]
    assert listed(severity="SEV2") == [keys[1]]
    assert listed(service="api") == [keys[3], keys[1]]

    first = client.get("/api/v1/incidents", params={"limit": 2}, headers=viewer).json()
    second = client.get("/api/v1/incidents", params={"limit": 2, "cursor": first["next_cursor"]},
                        headers=viewer).json()
    assert [i["key"] for i in first["data"] + second["data"]] == keys[::-1][:4]


@pytest.mark.parametrize("params", [
    {"state": "sleeping"}, {"severity": "SEV9"}, {"limit": 0}, {"limit": 501},
    {"cursor": "bm9wZQ=="}, {"since": "yesterday"},
])
def test_list_rejects_bad_filters_with_422(client: TestClient, viewer, params) -> None:
    response = client.get("/api/v1/incidents", params=params, headers=viewer)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


def test_unknown_incident_is_404_for_every_command(client: TestClient, responder) -> None:
    for path, body in [("ack", None), ("notes", {"text": "x"}), ("transitions", {"to": "fixing"}),
                       ("severity", {"severity": "SEV1"}), ("commander", {"commander": "c"}),
                       ("fixes", {"description": "d"})]:
        response = client.post(f"/api/v1/incidents/INC-404/{path}", json=body, headers=responder)
        assert response.status_code == 404, path
        assert "INC-404" in response.json()["detail"]


@pytest.mark.parametrize(("body", "where"), [
    ({"title": "x", "impact_started_at": "2026-03-02T08:00:00"}, "$.impact_started_at"),
    ({"title": "x", "labels": {f"l{n}": "v" for n in range(65)}}, "$.labels"),
    ({"title": "x", "labels": {"team": "v" * 3000}}, "$.labels.team"),
    ({"title": "x", "services": ["s" * 201]}, "$.services[0]"),
    ({"title": ""}, "$.title"),
    ({"title": "x", "severity": "SEV5"}, "$.severity"),
])
def test_bad_incidents_are_422_naming_the_field_and_store_nothing(client, responder, body, where):
    response = client.post("/api/v1/incidents", json=body, headers=responder)
    assert response.status_code == 422, response.text
    assert where in [e["loc"] for e in response.json()["errors"]]
    assert client.get("/api/v1/incidents", headers=responder).json()["data"] == []
