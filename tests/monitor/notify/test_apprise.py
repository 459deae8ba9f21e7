"""Story: responders get incidents in their chat through an apprise URL kept in the
environment; the message is plain public text, and a failing chat is retried like any receiver."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_httpserver import HTTPServer

from monitor.config import Settings
from monitor.notify.delivery import deliver_due
from monitor.wiring import Candor
from tests.monitor.notify.conftest import open_incident
from tests.monitor.notify.test_delivery import make

CHAT = {"name": "chat", "kind": "apprise", "url": "env:CANDOR_TEST_CHAT_URL"}


@pytest.fixture
def candor(make_settings: Callable[..., Settings], make_candor: Callable[[Settings], Candor],
           httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Candor:
    monkeypatch.setenv("CANDOR_TEST_CHAT_URL",
                       f"json://127.0.0.1:{httpserver.port}/chat")
    return make(make_settings, make_candor, CHAT)


def test_the_chat_gets_title_and_public_text(candor: Candor, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/chat", method="POST").respond_with_data("ok")
    incident = open_incident(candor.runtime)  # the runtime's hook writes the outbox row

    assert deliver_due(candor.courier).delivered == 1

    (request, _), = httpserver.log
    sent = request.get_json()
    assert sent["title"] == f"[{incident.key}] incident.opened"
    assert sent["message"] == f"{incident.key}: detected"
    assert "redirect-svc" not in request.get_data(as_text=True)  # internal title stays inside


def test_a_failing_chat_is_retried_with_the_reason(candor: Candor, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/chat", method="POST").respond_with_data("down", status=500)
    open_incident(candor.runtime)

    stats = deliver_due(candor.courier)

    assert stats.retried == 1
    assert "apprise could not deliver to json:// (from CANDOR_TEST_CHAT_URL)" in (
        next(iter(stats.errors.values())))


def test_an_unset_or_unknown_url_says_which_variable(
    candor: Candor, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_incident(candor.runtime)
    monkeypatch.delenv("CANDOR_TEST_CHAT_URL")
    assert "environment variable CANDOR_TEST_CHAT_URL (the apprise URL) is not set" in (
        next(iter(deliver_due(candor.courier).errors.values())))
