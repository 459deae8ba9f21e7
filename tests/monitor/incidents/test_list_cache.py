"""Story: during an incident many people reload the incident list; Candor builds each page
once per incident event and still shows every change at once, on every replica."""

from __future__ import annotations

from fastapi.testclient import TestClient

from monitor.wiring import Candor


def test_a_page_is_built_once_per_event_and_a_write_shows_at_once(
    client: TestClient, candor: Candor, responder: dict[str, str],
) -> None:
    created = client.post("/api/v1/incidents", json={"title": "Redirects fail"}, headers=responder)
    key = created.json()["key"]
    candor.incident_lists.monotonic = lambda: 0.0  # nothing ages: only events count here
    first = client.get("/api/v1/incidents", headers=responder)
    builds = candor.incident_lists.builds
    for _ in range(3):
        assert client.get("/api/v1/incidents", headers=responder).content == first.content
    assert candor.incident_lists.builds == builds
    assert client.post(f"/api/v1/incidents/{key}/ack", headers=responder).status_code == 200
    after = client.get("/api/v1/incidents", headers=responder).json()["data"]
    assert [(i["key"], i["state"]) for i in after] == [(key, "acknowledged")]
    assert candor.incident_lists.builds == builds + 1


def test_each_query_is_its_own_page(
    client: TestClient, responder: dict[str, str],
) -> None:
    for title in ("One", "Two", "Three"):
        client.post("/api/v1/incidents", json={"title": title}, headers=responder)
    everything = client.get("/api/v1/incidents", headers=responder).json()
    two = client.get("/api/v1/incidents", params={"limit": 2}, headers=responder).json()
    assert [i["title"] for i in everything["data"]] == ["Three", "Two", "One"]
    assert [i["title"] for i in two["data"]] == ["Three", "Two"] and two["next_cursor"]
    rest = client.get("/api/v1/incidents", params={"cursor": two["next_cursor"]},
                      headers=responder).json()
    assert [i["title"] for i in rest["data"]] == ["One"]
