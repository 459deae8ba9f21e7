"""Story: support files what users tell them. A report about a broken service joins the open
incident (and counts on /metrics, so rules can alert on reports); when the incident is resolved
or a notice corrected, the users who reported it hear back. Their contacts never go public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from sqlmodel import func, select

from monitor.api.runtime import Runtime
from monitor.comms.models import Kind
from monitor.comms.user_reports.models import UserReport
from monitor.comms.user_reports.service import notify_reporters
from monitor.config import Settings
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident
from monitor.notify.delivery import deliver_due
from monitor.wiring import Candor
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.mail import body, mail_settings
from tests.monitor.comms.test_subscribers import publish
from tests.support.smtp import Inbox

BIA = "bia.personal@example.org"


@pytest.fixture
def settings(make_settings: Callable[..., Settings], smtp: Inbox) -> Settings:
    return mail_settings(make_settings, smtp.port)


@pytest.fixture
def inbox(smtp: Inbox) -> Inbox:
    return smtp


def report(client: TestClient, headers: dict[str, str], **values: Any) -> dict[str, Any]:
    sent = {"service": "redirect", "description": "My link opens an error page",
            "contact": BIA, "channel": "email", "lang": "en", **values}
    response = client.post("/api/v1/reports", json=sent, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def reports_counted(runtime: Runtime, service: str) -> float | None:
    return runtime.registry.get_sample_value("candor_user_reports_total", {"service": service})


def resolve(runtime: Runtime, incident: Incident) -> None:
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        for state in (State.VERIFYING, State.RESOLVED):
            incidents.transition(s, row, state, actor="ana", clock=runtime.clock)


def test_a_report_joins_the_open_incident_and_counts(
    client: TestClient, runtime: Runtime, responder: dict[str, str], incident: Incident
) -> None:
    made = report(client, responder)
    assert made["incident"] == incident.key and made["contact"] is None
    assert reports_counted(runtime, "redirect") == 1
    with runtime.unit() as s:
        event = incidents.events(s, incidents.get_by_key_or_raise(s, incident.key))[-1]
    assert event.type == "user_report.received"
    assert event.payload == {"report_id": made["id"], "service": "redirect", "component": "",
                             "channel": "email", "reported_at": "2026-03-02T09:00:00+00:00"}
    assert "candor_user_reports_total{service=\"redirect\"} 1.0" in client.get("/metrics").text


def test_a_report_nothing_matches_is_kept_unattached_and_still_counts(
    client: TestClient, runtime: Runtime, responder: dict[str, str], viewer: dict[str, str],
    incident: Incident,
) -> None:
    made = report(client, responder, service="auth", channel="none", contact=None)
    later = report(client, responder, at="2026-03-02T06:00:00+00:00")  # hours before detection
    assert made["incident"] is None and later["incident"] is None
    assert reports_counted(runtime, "auth") == 1 and reports_counted(runtime, "redirect") == 1
    unattached = client.get("/api/v1/reports", params={"unattached": "true"}, headers=viewer)
    assert [r["id"] for r in unattached.json()] == [later["id"], made["id"]]


def test_a_component_stands_for_its_services(
    client: TestClient, runtime: Runtime, responder: dict[str, str], incident: Incident
) -> None:
    made = report(client, responder, service="", component="Links")
    assert made["incident"] == incident.key and made["service"] == "redirect"


def test_contacts_are_shown_to_admins_only(
    client: TestClient, responder: dict[str, str], viewer: dict[str, str], admin: dict[str, str],
    incident: Incident,
) -> None:
    report(client, responder)
    path = f"/api/v1/incidents/{incident.key}/reports"
    assert client.get(path, headers=viewer).json()[0]["contact"] is None
    assert client.get(path, headers=admin).json()[0]["contact"] == BIA
    assert client.get("/api/v1/incidents/INC-99/reports", headers=viewer).status_code == 404
    assert client.post("/api/v1/reports", json={"service": "redirect", "description": "x"},
                       headers=viewer).status_code == 403


@pytest.mark.parametrize(("changes", "loc", "message"), [
    ({"contact": "bia-at-example"}, "$.contact", "needs an e-mail address"),
    ({"channel": "none"}, "$.contact", "contact given but channel is 'none'"),
    ({"channel": "webhook", "contact": "ftp://x"}, "$.contact", "needs an http(s):// URL"),
    ({"contact": None}, "$.contact", "channel email needs a contact"),
    ({"service": ""}, "$.service", "give the service"),
    ({"component": "Lnks"}, "$.component", "unknown component 'Lnks'"),
    ({"channel": "sms"}, "$.channel", "'email', 'webhook' or 'none'"),
    ({"at": "2026-03-02T09:00:00"}, "$.at", "timezone"),
    ({"description": ""}, "$.description", "at least 1 character"),
    ({"name": "Bia"}, "$.name", "Extra inputs are not permitted"),
])
def test_bad_reports_get_422_with_the_path_and_store_nothing(
    client: TestClient, runtime: Runtime, responder: dict[str, str], incident: Incident,
    changes: dict[str, Any], loc: str, message: str,
) -> None:
    sent = {"service": "redirect", "description": "broken", "contact": BIA, "channel": "email",
            **changes}
    response = client.post("/api/v1/reports", json=sent, headers=responder)
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["loc"] == loc and message in error["msg"], error
    with runtime.unit() as s:
        assert s.exec(select(func.count()).select_from(UserReport)).one() == 0
        assert incidents.events(s, incidents.get_by_key_or_raise(s, incident.key))[-1].type == (
            "incident.opened")
    assert reports_counted(runtime, "redirect") is None


def test_reporters_hear_back_when_it_is_corrected_and_when_it_is_resolved(
    client: TestClient, candor: Candor, responder: dict[str, str], inbox: Inbox,
    incident: Incident,
) -> None:
    runtime = candor.runtime
    report(client, responder)
    report(client, responder, contact="pt@example.org", lang="pt-BR")
    report(client, responder, channel="none", contact=None)
    publish(runtime, incident, "en")
    publish(runtime, incident, "en", kind=Kind.CORRECTION, what_was_wrong="We said links were safe.",
            what_is_right="Links made between 09:00 and 09:10 must be made again.")
    deliver_due(candor.courier)
    (correction,) = inbox.to(BIA)
    assert correction["Subject"].startswith("Correction about the problem you told us about")
    assert "must be made again" in body(correction)
    assert inbox.to("pt@example.org") == []  # the correction was in English only

    resolve(runtime, incident)
    with runtime.unit() as s:  # running the hook again for the same event adds nothing
        row = incidents.get_by_key_or_raise(s, incident.key)
        assert notify_reporters(s, row, incidents.events(s, row)[-1], runtime.settings) == []
    deliver_due(candor.courier)
    fixed = inbox.to(BIA)[-1]
    assert fixed["Subject"] == "Fixed: the problem you told us about — Short links are not opening"
    assert "http://testserver/status/incidents/INC-1?lang=en" in body(fixed)
    assert inbox.to("pt@example.org")[-1]["Subject"].startswith("Resolvido")
    assert len(inbox.received) == 3


def test_webhook_reporters_hear_back_by_webhook(
    client: TestClient, candor: Candor, responder: dict[str, str], httpserver: HTTPServer,
    incident: Incident,
) -> None:
    runtime = candor.runtime
    httpserver.expect_request("/desk", method="POST").respond_with_data("ok")
    report(client, responder, channel="webhook", contact=httpserver.url_for("/desk"))
    resolve(runtime, incident)
    assert deliver_due(candor.courier).delivered == 1
    (request, _), = httpserver.log
    assert request.get_json()["type"] == "report.resolved"


def test_personal_data_never_reaches_public_pages_or_status_json(
    client: TestClient, runtime: Runtime, responder: dict[str, str], incident: Incident
) -> None:
    publish(runtime, incident, "en")
    report(client, responder, description="PERSONAL-DESCRIPTION-4417 from Bia Souza")
    other = open_incident(runtime, services=["auth"])
    publish(runtime, other, "en")
    report(client, responder, service="auth", contact="carla.private@example.org",
           description="PERSONAL-DESCRIPTION-9001")
    pages = [client.get(path, params={"lang": "en"}).text for path in (
        "/status", f"/status/incidents/{incident.key}", f"/status/incidents/{other.key}",
        "/status.json", "/status/feed.atom", "/api/v1/banner")]
    for text in pages:
        for private in (BIA, "carla.private@example.org", "PERSONAL-DESCRIPTION", "Bia Souza"):
            assert private not in text
