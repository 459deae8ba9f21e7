"""Story: Ana signs up for status e-mail, confirms with the link we mail her, gets the SEV1
notice with a one-click unsubscribe link, uses it, and hears nothing more — not even the
correction. Webhook subscribers get the same notices, signed."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import ValidationError
from pytest_httpserver import HTTPServer
from sqlmodel import func, select

from monitor.api.runtime import Runtime
from monitor.app import create_app
from monitor.auth.models import Role
from monitor.clock import FixedClock
from monitor.comms import service as notices
from monitor.comms.models import Kind, NoticeVersion
from monitor.comms.subscribers.models import Subscriber, SubscriberToken
from monitor.comms.subscribers.service import fan_out_due, notify_subscribers
from monitor.config import Settings
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from monitor.notify.models import OutboxMessage
from monitor.notify.signing import verify
from monitor.wiring import Candor
from tests.conftest import bearer
from tests.monitor.comms.conftest import deliver, open_incident
from tests.monitor.comms.factories import content
from tests.monitor.comms.mail import body, link, mail_settings
from tests.support.smtp import Inbox

ANA = "ana@example.org"


@pytest.fixture
def database(both_databases: dict[str, str]) -> dict[str, str]:
    """Subscribers run on SQLite, then PostgreSQL."""
    return both_databases


@pytest.fixture
def settings(make_settings: Callable[..., Settings], smtp: Inbox) -> Settings:
    return mail_settings(make_settings, smtp.port)


@pytest.fixture
def inbox(smtp: Inbox) -> Inbox:
    return smtp


def publish(runtime: Runtime, incident: Incident, lang: str = "en",
            kind: Kind = Kind.INITIAL, **changes: Any) -> NoticeVersion:
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        existing = [n for n in notices.notices_of(s, row) if n.lang == lang]
        if not existing:
            notice = notices.draft(s, row, lang=lang, content=content(lang, **changes),
                                   actor="ana", clock=runtime.clock)
            return notices.publish(s, notice, actor="ana", is_admin=False, clock=runtime.clock,
                                   settings=runtime.settings)
        return notices.publish_version(s, existing[0], kind=kind, content=content(lang, **changes),
                                       actor="ana", is_admin=False, clock=runtime.clock,
                                       settings=runtime.settings)


def press(client: TestClient, path: str) -> Response:
    """Open a mailed link (GET: a page with one button) and press its button (POST)."""
    page = client.get(path)
    assert page.status_code == 200, page.text
    form = re.search(r'<form method="post" action="([^"]+)"><input type="hidden" name="token" '
                     r'value="([A-Za-z0-9_-]+)"><button type="submit">', page.text)
    assert form, page.text
    return client.post(form.group(1), data={"token": form.group(2)})


def subscribe_and_confirm(client: TestClient, candor: Candor, inbox: Inbox, email: str = ANA,
                          **extra: object) -> None:
    sent = {"email": email, "lang": "en", **extra}
    assert client.post("/status/subscribe", json=sent).status_code == 202
    deliver(candor)
    confirm = press(client, link(inbox.to(email)[-1], "/status/subscribe/confirm"))
    assert confirm.status_code == 200, confirm.text


def count(runtime: Runtime, model: type) -> int:
    with runtime.unit() as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_double_opt_in_then_notice_then_one_click_unsubscribe(
    client: TestClient, candor: Candor, inbox: Inbox, incident: Incident, admin: dict[str, str]
) -> None:
    runtime = candor.runtime
    response = client.post("/status/subscribe", json={"email": "Ana@Example.org", "lang": "en"})
    assert response.status_code == 202
    deliver(candor)
    (confirmation,) = inbox.to(ANA)
    assert "Confirm" in confirmation["Subject"]
    publish(runtime, incident)  # not confirmed yet: nothing for Ana
    deliver(candor)
    assert len(inbox.to(ANA)) == 1

    confirm_path = link(confirmation, "/status/subscribe/confirm")
    for _ in range(3):  # a mail scanner opening the link confirms nothing
        opened = client.get(confirm_path)
        assert opened.status_code == 200 and "Confirm subscription" in opened.text
    assert client.get("/api/v1/subscribers", headers=admin).json()[0]["state"] == "pending"
    confirmed = press(client, confirm_path)
    assert confirmed.status_code == 200 and "Subscribed" in confirmed.text
    again = client.get(confirm_path)
    assert again.status_code == 409 and "already used" in again.json()["detail"]
    twice = client.post("/status/subscribe/confirm", data={"token": confirm_path.split("=")[1]})
    assert twice.status_code == 409

    publish(runtime, incident, kind=Kind.UPDATE)
    deliver(candor)
    notice = inbox.to(ANA)[-1]
    assert notice["Subject"] == f"[{incident.key}] Short links are not opening"
    assert "Full timeline: http://testserver/status/incidents/" in body(notice)
    assert notice["List-Unsubscribe"].startswith("<http://testserver/status/unsubscribe?token=")
    assert "redirect-svc" not in body(notice)  # internal words stay inside

    leave = link(notice, "/status/unsubscribe")
    assert "Unsubscribe</button>" in client.get(leave).text  # opening it changes nothing
    assert client.get("/api/v1/subscribers", headers=admin).json()[0]["state"] == "confirmed"
    # RFC 8058: the mail client POSTs List-Unsubscribe=One-Click to the link as it is
    left = client.post(leave, content=b"List-Unsubscribe=One-Click",
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert left.status_code == 200 and "Unsubscribed" in left.text
    assert press(client, leave).status_code == 200  # pressing the page's button again is fine
    publish(runtime, incident, kind=Kind.CORRECTION, what_was_wrong="We said links were safe.",
            what_is_right="Links made between 09:00 and 09:10 must be made again.")
    deliver(candor)
    assert len(inbox.to(ANA)) == 2  # confirmation + one notice; nothing after unsubscribing


def test_repeated_sign_ups_keep_one_subscriber_and_a_confirmed_one_gets_no_more_mail(
    client: TestClient, candor: Candor, inbox: Inbox
) -> None:
    runtime = candor.runtime
    subscribe_and_confirm(client, candor, inbox)
    for _ in range(3):
        assert client.post("/status/subscribe", json={"email": ANA}).json()["status"] == "pending"
    deliver(candor)
    assert count(runtime, Subscriber) == 1
    assert len(inbox.to(ANA)) == 1


def test_repeated_sign_ups_of_a_pending_address_mail_a_new_link_only_after_a_pause(
    client: TestClient, candor: Candor, inbox: Inbox, fixed: FixedClock
) -> None:
    runtime = candor.runtime
    for _ in range(3):
        client.post("/status/subscribe", json={"email": ANA})
    deliver(candor)
    assert len(inbox.to(ANA)) == 1
    fixed.advance(minutes=11)
    client.post("/status/subscribe", json={"email": ANA})
    deliver(candor)
    assert len(inbox.to(ANA)) == 2 and count(runtime, Subscriber) == 1
    assert client.get(link(inbox.to(ANA)[0], "/status/subscribe/confirm")).status_code == 200


def test_an_expired_confirmation_link_asks_for_a_new_sign_up(
    client: TestClient, candor: Candor, inbox: Inbox, fixed: FixedClock
) -> None:
    client.post("/status/subscribe", json={"email": ANA})
    deliver(candor)
    fixed.advance(hours=49)
    response = client.get(link(inbox.to(ANA)[0], "/status/subscribe/confirm"))
    assert response.status_code == 409 and "expired; sign up again" in response.json()["detail"]


def test_an_html_form_signs_up_too(client: TestClient, candor: Candor, inbox: Inbox) -> None:
    response = client.post("/status/subscribe", data={"email": ANA, "components": "Links",
                                                       "lang": "pt-BR"})
    assert response.status_code == 202 and "Quase lá" in response.text
    deliver(candor)
    assert "Confirme" in inbox.to(ANA)[0]["Subject"]


@pytest.mark.parametrize(("lang", "label", "button"), [
    ("en", "Your e-mail address", "Subscribe"),
    ("pt-BR", "Seu endereço de e-mail", "Inscrever-se"),
])
def test_the_status_page_has_a_labelled_sign_up_form_that_needs_no_script(
    client: TestClient, runtime: Runtime, inbox: Inbox, lang: str, label: str, button: str
) -> None:
    html = client.get("/status", params={"lang": lang}).text
    assert '<form method="post" action="/status/subscribe"' in html
    assert f'<label for="subscribe-email">{label}</label>' in html
    assert '<input type="email" id="subscribe-email" name="email" required' in html
    assert f'<input type="hidden" name="lang" value="{lang}">' in html
    assert f'<button type="submit">{button}</button>' in html
    assert "<script" not in html
    # What a browser sends when Ana ticks both components and presses the button.
    sent = client.post("/status/subscribe", data={"lang": lang, "email": ANA,
                                                   "components": ["Links", "Accounts"]})
    assert sent.status_code == 202 and sent.headers["content-type"].startswith("text/html")
    with runtime.unit() as s:
        row = s.exec(select(Subscriber)).one()
    assert (row.address, row.lang, row.components) == (ANA, lang, ["Accounts", "Links"])


@pytest.mark.parametrize(("sent", "loc", "message"), [
    ({"email": "ana-at-example.org"}, "$.email", "expected an e-mail address"),
    ({"email": "ana@example.org", "components": ["Lnks"]}, "$.components[0]",
     "unknown component 'Lnks'; expected one of: Links, Accounts"),
    ({"email": "ana@example.org", "lang": "fr"}, "$.lang", "should match pattern"),
    ({"email": "ana@example.org", "plan": "gold"}, "$.plan", "Extra inputs are not permitted"),
    ({}, "$.email", "required field is missing"),
])
def test_bad_sign_ups_get_422_with_the_path_and_store_nothing(
    client: TestClient, runtime: Runtime, sent: dict, loc: str, message: str
) -> None:
    response = client.post("/status/subscribe", json=sent)
    assert response.status_code == 422, response.text
    (error,) = response.json()["errors"]
    assert error["loc"] == loc and message in error["msg"]
    assert count(runtime, Subscriber) == count(runtime, OutboxMessage) == 0


def test_broken_links_and_bodies_say_what_to_do(client: TestClient) -> None:
    assert client.get("/status/subscribe/confirm", params={"token": "x" * 40}).status_code == 404
    assert client.get("/status/unsubscribe", params={"token": "short"}).status_code == 422
    assert client.post("/status/subscribe/confirm", data={"token": "x" * 40}).status_code == 404
    bad_form = client.post("/status/subscribe/confirm", data={"token": "short"})
    assert bad_form.status_code == 422 and bad_form.json()["errors"][0]["loc"] == "$.token"
    no_token = client.post("/status/unsubscribe", content=b"List-Unsubscribe=One-Click",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert no_token.status_code == 422 and no_token.json()["errors"][0]["loc"] == "query:token"
    malformed = client.post("/status/subscribe", content=b"{nope",
                            headers={"content-type": "application/json"})
    assert malformed.status_code == 400 and "not valid JSON" in malformed.json()["detail"]


def test_sign_up_is_off_until_a_mail_receiver_is_configured(
    make_settings: Callable[..., Settings], make_candor: Callable[[Settings], Candor]
) -> None:
    with TestClient(create_app(make_candor(make_settings()))) as client:
        response = client.post("/status/subscribe", json={"email": ANA})
    # Off is how this deployment is, not an outage: 404, nothing to retry.
    assert response.status_code == 404
    assert "no e-mail sign-up ([comms.subscribers] receiver is not set)" in response.json()["detail"]


def test_subscribers_get_only_their_components_and_language(
    client: TestClient, candor: Candor, inbox: Inbox, incident: Incident
) -> None:
    runtime = candor.runtime
    subscribe_and_confirm(client, candor, inbox, "links@example.org", components=["Links"])
    subscribe_and_confirm(client, candor, inbox, "accounts@example.org", components=["Accounts"])
    subscribe_and_confirm(client, candor, inbox, "pt@example.org", lang="pt-BR")
    publish(runtime, incident, "en")
    publish(runtime, incident, "pt-BR")
    deliver(candor)
    assert [len(inbox.to(a)) for a in ("links@example.org", "accounts@example.org",
                                       "pt@example.org")] == [2, 1, 2]
    assert inbox.to("pt@example.org")[-1]["Subject"].endswith("Links curtos não estão abrindo")


def test_fan_out_is_idempotent_per_event(
    client: TestClient, candor: Candor, inbox: Inbox, incident: Incident
) -> None:
    runtime = candor.runtime
    subscribe_and_confirm(client, candor, inbox)
    publish(runtime, incident)
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        event = incidents.events(s, row)[-1]
        assert notify_subscribers(s, row, event, runtime.settings) == []
    deliver(candor)
    assert len(inbox.to(ANA)) == 2
    assert count(runtime, SubscriberToken) == 3  # confirm + its unsubscribe + the notice's


def test_notices_not_sent_to_the_subscribers_channel_reach_no_subscriber(
    client: TestClient, candor: Candor, inbox: Inbox
) -> None:
    runtime = candor.runtime
    subscribe_and_confirm(client, candor, inbox)
    minor = open_incident(runtime, severity="SEV3")  # SEV3: status page only
    publish(runtime, minor)
    deliver(candor)
    assert len(inbox.to(ANA)) == 1


def test_webhook_subscribers_get_signed_notices(
    client: TestClient, candor: Candor, admin: dict[str, str], responder: dict[str, str],
    httpserver: HTTPServer, incident: Incident,
) -> None:
    runtime = candor.runtime
    url = httpserver.url_for("/status-hook")
    assert client.post("/api/v1/subscribers/webhooks", json={"url": url},
                       headers=responder).status_code == 403
    created = client.post("/api/v1/subscribers/webhooks", json={"url": url, "lang": "en"},
                          headers=admin)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    listed = client.get("/api/v1/subscribers", headers=admin).json()
    assert listed[0]["secret"] is None  # shown once
    with runtime.unit() as s:  # kept sealed at rest, never in plain text
        stored = s.exec(select(Subscriber.secret)).one()
    assert stored is not None and stored.startswith("fernet:") and secret not in stored
    assert runtime.secrets is not None and runtime.secrets.open(stored) == secret
    again = client.post("/api/v1/subscribers/webhooks", json={"url": url}, headers=admin)
    assert again.status_code == 409
    bad = client.post("/api/v1/subscribers/webhooks", json={"url": "ftp://x"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == "$.url"

    httpserver.expect_request("/status-hook", method="POST").respond_with_data("ok")
    publish(runtime, incident)
    fan_out_due(candor.courier, runtime.settings)
    with runtime.unit() as s:
        queued = s.exec(select(OutboxMessage).where(OutboxMessage.receiver == "direct-webhook")).one()
    assert queued.payload["secret"] == stored  # the outbox copies it sealed
    assert deliver(candor).delivered == 1
    (request, _), = httpserver.log
    assert verify(secret, dict(request.headers.items()) | {
        k.lower(): v for k, v in request.headers.items()}, request.get_data())
    sent = request.get_json()
    assert sent["data"]["notice"]["title"] == "Short links are not opening"
    assert "redirect-svc" not in request.get_data(as_text=True)

    removed = client.delete(f"/api/v1/subscribers/{created.json()['id']}", headers=admin)
    assert removed.json()["state"] == "unsubscribed"
    publish(runtime, incident, kind=Kind.UPDATE)
    assert deliver(candor).claimed == 0


@pytest.mark.parametrize(("comms", "message"), [
    ({"subscribers": {"confirm_ttl": "soon"}}, "comms.subscribers.confirm_ttl"),
    ({"subscribers": {"resend_after": "-1m"}}, "comms.subscribers.resend_after"),
    ({"subscribers": {"reciever": "mail"}}, "comms.subscribers.reciever"),
    ({"reports": {"match_window": "an hour"}}, "comms.reports.match_window"),
])
def test_bad_subscriber_and_report_config_names_the_key(comms: dict, message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Settings.model_validate({"comms": comms})
    assert message in str(caught.value)


def test_the_sign_up_body_is_described_in_openapi_as_json_and_as_a_form(
    client: TestClient,
) -> None:
    operation = client.get("/openapi.json").json()["paths"]["/status/subscribe"]["post"]
    content = operation["requestBody"]["content"]
    assert sorted(content) == ["application/json", "application/x-www-form-urlencoded"]
    for media in content.values():
        schema = media["schema"]
        assert schema["required"] == ["email"]
        assert set(schema["properties"]) == {"email", "components", "lang"}
        assert schema["additionalProperties"] is False
    assert content["application/json"]["example"]["email"] == "ana@example.org"
    assert {"202", "404", "422"} <= set(operation["responses"])


def test_without_a_secret_key_no_webhook_subscriber_can_be_added(
    make_settings: Callable[..., Settings], make_candor: Callable[[Settings], Candor],
) -> None:
    candor = make_candor(make_settings())
    with TestClient(create_app(candor)) as client:
        response = client.post("/api/v1/subscribers/webhooks", json={"url": "https://x.example/h"},
                               headers=bearer(candor.runtime, Role.ADMIN))
    assert response.status_code == 409
    assert 'set [storage] secret_key = "env:CANDOR_SECRET_KEY"' in response.json()["detail"]
    assert count(candor.runtime, Subscriber) == 0
