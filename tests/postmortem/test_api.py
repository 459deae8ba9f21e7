"""The postmortem over HTTP: draft, edit, review, action items, overlays, render, digest."""

from __future__ import annotations

from monitor.auth.models import Role
from tests.conftest import bearer

BASE = "/api/v1/incidents/INC-1"
WRITTEN = {
    "executive_summary": "Links failed.", "customer_impact": "A third failed.", "lead_up": "A push.",
    "trigger": "Units.", "fault": "Few upstreams.", "detection": "Alert.", "response": "Ack.",
    "recovery": "Rollback.", "root_causes": ["No validation."],
}


def test_a_responder_drafts_writes_and_publishes_and_a_viewer_reads(pm_client, story, runtime, responder, viewer):
    reviewer = bearer(runtime, Role.RESPONDER, name="dora")
    assert pm_client.post(f"{BASE}/postmortem", headers=responder).status_code == 201
    draft = pm_client.patch(f"{BASE}/postmortem", json=WRITTEN, headers=responder).json()
    assert draft["status"] == "draft" and all(f["severity"] != "error" for f in draft["findings"])
    for action, headers in (("submit", responder), ("approve", reviewer), ("publish", reviewer)):
        response = pm_client.post(f"{BASE}/postmortem/review", json={"action": action}, headers=headers)
        assert response.status_code == 200, response.json()
    shown = pm_client.get(f"{BASE}/postmortem", headers=viewer).json()
    assert (shown["status"], shown["version"], shown["approvals"]) == ("published", 1, ["dora"])
    pm_client.patch(f"{BASE}/postmortem", json={"fault": "Two upstreams."}, headers=responder)
    versions = pm_client.get(f"{BASE}/postmortem/versions", headers=viewer).json()
    assert [v["version"] for v in versions] == [1, 2] and versions[0]["content"]["fault"] == "Few upstreams."
    history = pm_client.get(f"{BASE}/postmortem/history", headers=viewer).json()
    assert [h["type"] for h in history][-2:] == ["postmortem.published", "postmortem.edited"]
    old = pm_client.get(f"{BASE}/postmortem/render?format=md&version=1", headers=viewer).text
    assert "Few upstreams." in old and "Two upstreams." not in old


def test_viewer_cannot_write(pm_client, story, viewer):
    response = pm_client.post(f"{BASE}/postmortem", headers=viewer)
    assert response.status_code == 403 and "responder" in response.json()["detail"]


def test_submit_with_blame_is_422_naming_the_section(pm_client, story, responder):
    pm_client.post(f"{BASE}/postmortem", headers=responder)
    pm_client.patch(f"{BASE}/postmortem", json={**WRITTEN, "fault": "It was human error."}, headers=responder)
    response = pm_client.post(f"{BASE}/postmortem/review", json={"action": "submit"}, headers=responder)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == "$.content.fault"


def test_bad_review_action_and_unknown_section_are_precise_422s(pm_client, story, responder):
    pm_client.post(f"{BASE}/postmortem", headers=responder)
    response = pm_client.post(f"{BASE}/postmortem/review", json={"action": "ship"}, headers=responder)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == "$.action"
    response = pm_client.patch(f"{BASE}/postmortem", json={"faults": "x"}, headers=responder)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == "$.faults"


def test_action_items_crud_and_bad_input_stores_nothing(pm_client, story, responder, viewer):
    url = f"{BASE}/postmortem/action-items"
    body = {"title": "Validate units", "type": "prevent", "owner": "@bruno", "due": "2026-03-16",
            "priority": "P1", "ticket_url": "https://tracker.example/SRE-1"}
    bad = [({"owner": "Bruno Lima"}, "$.owner", "is not an owner"),
           ({"due": "2026-03-01"}, "$.due", "must be 2026-03-02 or later"),
           ({"type": "blame"}, "$.type", "prevent"),
           ({"ticket_url": "javascript:alert(1)"}, "$.ticket_url", "pattern")]
    for change, loc, words in bad:
        response = pm_client.post(url, json={**body, **change}, headers=responder)
        assert response.status_code == 422, change
        problem = response.json()["errors"][0]
        assert problem["loc"] == loc and words in problem["msg"], problem
    assert pm_client.get(url, headers=viewer).json() == []
    created = pm_client.post(url, json=body, headers=responder).json()
    response = pm_client.patch(f"{url}/{created['id']}", json={"status": "wont_do"}, headers=responder)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == "$.reason"
    done = pm_client.patch(f"{url}/{created['id']}", json={"status": "done"}, headers=responder).json()
    assert done["status"] == "done" and done["closed_at"] is not None
    assert pm_client.patch(f"{url}/999", json={"status": "done"}, headers=responder).status_code == 404


def test_overlays_shape_the_timeline_without_changing_events(pm_client, story, responder, viewer):
    events_before = pm_client.get(f"{BASE}/events", headers=viewer).json() if _has_events(pm_client) else None
    url = f"{BASE}/timeline/annotations"
    assert pm_client.post(url, json={"event_seq": 3, "kind": "hide"}, headers=responder).status_code == 201
    response = pm_client.post(url, json={"event_seq": 500, "kind": "hide"}, headers=responder)
    assert response.status_code == 422 and "event_seq 500 does not exist" in response.json()["detail"]
    response = pm_client.post(url, json={"event_seq": 3, "kind": "delete"}, headers=responder)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"] == "$.kind"
    timeline = pm_client.get(f"{BASE}/timeline", headers=viewer).json()
    assert [e["hidden"] for e in timeline if e["seq"] == 3] == [True]
    assert timeline[0]["type"] == "impact.started" and timeline[1]["offset_seconds"] == 120
    if events_before is not None:
        assert pm_client.get(f"{BASE}/events", headers=viewer).json() == events_before


def _has_events(client) -> bool:
    return any(getattr(r, "path", "") == "/api/v1/incidents/{key}/events" for r in client.app.routes)


def test_render_in_each_format_and_language(pm_client, story, viewer):
    md = pm_client.get(f"{BASE}/postmortem/render?format=md&lang=pt-BR", headers=viewer)
    assert md.headers["content-type"].startswith("text/markdown") and "Linha do tempo" in md.text
    html = pm_client.get(f"{BASE}/postmortem/render?format=html&lang=en", headers=viewer)
    assert html.headers["content-type"].startswith("text/html") and "<h2>Timeline</h2>" in html.text
    pdf = pm_client.get(f"{BASE}/postmortem/render?format=pdf", headers=viewer)
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_render_bad_input_is_precise(pm_client, story, viewer, responder):
    response = pm_client.get("/api/v1/incidents/INC-404/postmortem/render", headers=viewer)
    assert response.status_code == 404 and "no incident 'INC-404'" in response.json()["detail"]
    response = pm_client.get(f"{BASE}/postmortem/render?format=docx", headers=viewer)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"].startswith("query:format")
    response = pm_client.get(f"{BASE}/postmortem/render?lang=fr", headers=viewer)
    assert response.status_code == 422 and response.json()["errors"][0]["loc"].startswith("query:lang")
    response = pm_client.get(f"{BASE}/postmortem/render?version=1", headers=viewer)
    assert response.status_code == 404 and "has no postmortem yet" in response.json()["detail"]
    assert pm_client.post(f"{BASE}/postmortem", json={}, headers=responder).status_code == 201
    response = pm_client.get(f"{BASE}/postmortem/render?version=1", headers=viewer)
    assert response.status_code == 404 and "no version is published yet" in response.json()["detail"]


def test_digest_as_json_and_markdown(pm_client, story, viewer):
    data = pm_client.get("/api/v1/digest?period=week", headers=viewer).json()
    assert data["period"] == "week" and data["incidents"][0]["key"] == "INC-1"
    assert data["trends"]["time_to_detect"]["current"] == 120.0
    md = pm_client.get("/api/v1/digest?period=month&format=md&lang=en", headers=viewer)
    assert md.status_code == 200 and "Mean time to detect" in md.text
    bad = pm_client.get("/api/v1/digest?period=year", headers=viewer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"].startswith("query:period")


def test_the_old_digest_path_answers_the_same_and_is_marked_deprecated(pm_client, story, viewer):
    for query in ("period=week", "period=month&format=md&lang=en", "period=quarter&format=html"):
        old = pm_client.get(f"/api/v1/reports/digest?{query}", headers=viewer)
        new = pm_client.get(f"/api/v1/digest?{query}", headers=viewer)
        assert (old.status_code, old.headers["content-type"], old.content) == (
            new.status_code, new.headers["content-type"], new.content)
    assert pm_client.get("/api/v1/reports/digest?period=year", headers=viewer).status_code == 422
    paths = pm_client.get("/openapi.json").json()["paths"]
    assert paths["/api/v1/reports/digest"]["get"].get("deprecated") is True
    assert "deprecated" not in paths["/api/v1/digest"]["get"]
    assert paths["/api/v1/reports"]["get"]["tags"] == ["user reports"]
