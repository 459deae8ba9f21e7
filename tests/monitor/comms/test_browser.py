"""Story: a user opens the status page in a real browser (headless Chromium): the front page
leads with the current notice and the correction is visible beside it, struck through; after a
retraction the withdrawn notice stays readable, struck through, with the reason; the page works
without JavaScript, and nothing internal leaks.
They sign up for e-mail with the form on the page (no script) and get the confirmation mail.

Chromium is Debian's (/usr/bin/chromium); Playwright only drives it. Screenshots are written
to the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright
from sqlmodel import select

from monitor.comms.subscribers.models import Subscriber
from monitor.config import Settings
from monitor.wiring import Candor
from tests.monitor.comms.conftest import deliver
from tests.monitor.comms.mail import body as mail_body
from tests.monitor.comms.mail import mail_settings
from tests.monitor.comms.test_api import INTERNAL, story  # noqa: F401  (fixture)
from tests.support.processes import serve_candor
from tests.support.smtp import Inbox

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.slow


@pytest.fixture
def settings(make_settings: Callable[..., Settings], smtp: Inbox) -> Settings:
    return mail_settings(make_settings, smtp.port)


@pytest.fixture
def server(candor: Candor) -> Iterator[str]:
    with serve_candor(candor) as url:
        yield url


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    """A full-page screenshot in the test's tmp dir (and in $CANDOR_SCREENSHOTS when set, so
    people can look at what the test saw)."""
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if os.environ.get("CANDOR_SCREENSHOTS"):
        shutil.copy(tmp_path / name, Path(os.environ["CANDOR_SCREENSHOTS"]) / name)


def test_status_pages_in_chromium(
    client: TestClient, candor: Candor, story: dict[str, Any], server: str,  # noqa: F811
    smtp: Inbox, tmp_path: Path, responder: dict[str, str],
) -> None:
    assert CHROMIUM.exists(), "install the Debian package chromium"
    key = story["key"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(java_script_enabled=False, locale="en-US",
                                          viewport={"width": 900, "height": 900})
            context.set_default_timeout(10_000)
            page = context.new_page()
            # The front page leads with the current notice, the correction beside it.
            page.goto(f"{server}/status")
            assert page.locator("html").get_attribute("lang") == "en"  # from Accept-Language
            assert page.get_by_role("heading", name="Current incidents").is_visible()
            incident = page.locator("section.incident")
            assert incident.get_by_role("heading", level=3).inner_text().startswith(
                "Short links are not opening")
            assert incident.get_by_text("What happened").is_visible()
            assert incident.get_by_text("Since 09:00 UTC many short links").is_visible()
            assert incident.locator("del", has_text="We said that creating links still worked."
                                    ).is_visible()
            assert "Correction · Correction" not in page.content()
            _shot(page, tmp_path, "status-en-correction.png")
            email = page.get_by_label("Your e-mail address")
            assert email.get_attribute("type") == "email" and email.is_visible()
            assert page.get_by_role("group", name="Only about these components").is_visible()

            page.get_by_role("link", name="Short links are not opening").click()
            assert page.url.endswith(f"/status/incidents/{key}?lang=en")
            struck = page.locator("del").first
            assert struck.is_visible()
            assert struck.inner_text() == "We said that creating links still worked."
            decoration = page.evaluate(
                "() => getComputedStyle(document.querySelector('del')).textDecorationLine")
            assert decoration == "line-through"
            assert page.locator("ins").first.inner_text().startswith("Creating links also failed")
            assert page.locator("article").count() == 3  # the current notice, then both versions
            _shot(page, tmp_path, "incident-en-correction.png")

            page.get_by_role("link", name="Português").click()
            assert page.locator("html").get_attribute("lang") == "pt-BR"
            html = page.content()
            page.goto(f"{server}/status?lang=pt-BR")
            _shot(page, tmp_path, "status-pt-BR.png")
            page.get_by_label("Seu endereço de e-mail").fill("bia@example.org")
            page.get_by_role("checkbox", name="Links", exact=True).check()
            page.get_by_role("button", name="Inscrever-se").click()
            assert page.get_by_role("heading", level=1).is_visible()
            assert "Quase lá" in page.content()

            # A retraction: the withdrawn notice stays readable, struck through, with the reason.
            for lang, reason in (("en", "Our alarm counted test traffic."),
                                 ("pt-BR", "Nosso alarme contou tráfego de teste.")):
                retracted = client.post(
                    f"/api/v1/notices/{story['ids'][lang]}/versions", headers=responder,
                    json={"kind": "retraction", "content": {"title": "Retraction",
                                                            "retraction_reason": reason}})
                assert retracted.status_code == 201, retracted.text
            # A new reader (pages are cacheable for 30 s: a fresh browser context has none).
            page = browser.new_context(java_script_enabled=False,
                                       viewport={"width": 900, "height": 900}).new_page()
            for lang, words in (("en", ("Recent history", "False alarm (retracted)",
                                        "We withdrew this notice")),
                                ("pt-BR", ("Histórico recente", "Alarme falso (retratado)",
                                           "Retiramos este aviso"))):
                page.goto(f"{server}/status?lang={lang}")
                assert page.get_by_role("heading", name=words[0]).is_visible()
                assert page.get_by_text(words[1]).first.is_visible()
                _shot(page, tmp_path, f"status-{lang}-retraction.png")
                page.goto(f"{server}/status/incidents/{key}?lang={lang}")
                assert page.get_by_text(words[2]).is_visible()
                current = page.locator("article.current")
                assert current.locator("del").count() >= 4  # every part, withdrawn
                _shot(page, tmp_path, f"incident-{lang}-retraction.png")
        finally:
            browser.close()
    assert (tmp_path / "incident-en-correction.png").stat().st_size > 1000
    deliver(candor)
    assert "Confirme" in smtp.to("bia@example.org")[0]["Subject"]
    banner = httpx.get(f"{server}/api/v1/banner", params={"lang": "en"}).json()
    assert banner["items"][0]["state"] == "retracted"
    assert banner["items"][0]["title"] == "Short links are not opening"
    feed = httpx.get(f"{server}/status/feed.atom", params={"lang": "en"}).text
    assert "<title>Correction: Creating links also failed</title>" in feed
    assert "<title>Retraction: Retraction</title>" not in feed
    bodies = [html] + [httpx.get(f"{server}{path}", params={"lang": lang}).text
                       for path in ("/status", f"/status/incidents/{key}", "/status/feed.atom",
                                    "/status.json", "/api/v1/banner")
                       for lang in ("en", "pt-BR")]
    for body in bodies:
        assert [s for s in INTERNAL if s in body] == []


def test_mailed_links_open_a_one_button_form_in_chromium(
    candor: Candor, server: str, smtp: Inbox, tmp_path: Path,
) -> None:
    """A mail scanner's GET confirms and cancels nothing; a person's click on the button does."""
    assert CHROMIUM.exists(), "install the Debian package chromium"
    sent = httpx.post(f"{server}/status/subscribe", json={"email": "caio@example.org",
                                                          "lang": "pt-BR"})
    assert sent.status_code == 202
    deliver(candor)
    text = mail_body(smtp.to("caio@example.org")[0])
    confirm = re.search(r"http://\S+/status/subscribe/confirm\?token=[\w-]+", text)
    leave = re.search(r"http://\S+/status/unsubscribe\?token=[\w-]+", text)
    assert confirm and leave, text
    # the mail says public_url; the browser goes to this test's server
    confirm_url = server + "/status" + confirm.group(0).split("/status", 1)[1]
    leave_url = server + "/status" + leave.group(0).split("/status", 1)[1]

    def state() -> str:
        with candor.runtime.unit() as session:
            return str(session.exec(select(Subscriber.state)).one())

    assert httpx.get(confirm_url).status_code == 200 and state() == "pending"  # the scanner
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(java_script_enabled=False, locale="pt-BR")
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(confirm_url)
            assert page.locator("html").get_attribute("lang") == "pt-BR"
            button = page.get_by_role("button", name="Confirmar inscrição")
            assert button.is_visible() and state() == "pending"
            page.screenshot(path=str(tmp_path / "confirm.png"))
            button.click()
            assert "Inscrição confirmada" in page.content() and state() == "confirmed"

            page.goto(leave_url)
            assert state() == "confirmed"
            page.get_by_role("button", name="Cancelar inscrição").click()
            assert "Inscrição cancelada" in page.content() and state() == "unsubscribed"
        finally:
            browser.close()
