"""Story: a user opens the status page in a real browser (headless Chromium): the correction
is visible and struck through, the page works without JavaScript, and nothing internal leaks.
They sign up for e-mail with the form on the page (no script) and get the confirmation mail.

Chromium is Debian's (/usr/bin/chromium); Playwright only drives it. Screenshots are written
to the test's tmp dir.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import sync_playwright

from monitor.config import Settings
from monitor.notify.delivery import deliver_due
from monitor.wiring import Candor
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


def test_status_pages_in_chromium(
    client: TestClient, candor: Candor, story: dict[str, Any], server: str,  # noqa: F811
    smtp: Inbox, tmp_path: Path,
) -> None:
    assert CHROMIUM.exists(), "install the Debian package chromium"
    key = story["key"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        try:
            context = browser.new_context(java_script_enabled=False, locale="en-US")
            context.set_default_timeout(10_000)
            page = context.new_page()
            page.goto(f"{server}/status")
            assert page.locator("html").get_attribute("lang") == "en"  # from Accept-Language
            assert page.get_by_role("heading", name="Current incidents").is_visible()
            page.screenshot(path=str(tmp_path / "status.png"), full_page=True)
            email = page.get_by_label("Your e-mail address")
            assert email.get_attribute("type") == "email" and email.is_visible()
            assert page.get_by_role("group", name="Only about these components").is_visible()

            page.get_by_role("link", name="Correction: creating links also failed").click()
            assert page.url.endswith(f"/status/incidents/{key}?lang=en")
            struck = page.locator("del").first
            assert struck.is_visible()
            assert struck.inner_text() == "We said that creating links still worked."
            decoration = page.evaluate(
                "() => getComputedStyle(document.querySelector('del')).textDecorationLine")
            assert decoration == "line-through"
            assert page.locator("ins").first.inner_text().startswith("Creating links also failed")
            assert page.locator("article").count() == 2  # the original stays readable
            page.screenshot(path=str(tmp_path / "incident.png"), full_page=True)

            page.get_by_role("link", name="Português").click()
            assert page.locator("html").get_attribute("lang") == "pt-BR"
            html = page.content()
            page.goto(f"{server}/status?lang=pt-BR")
            page.get_by_label("Seu endereço de e-mail").fill("bia@example.org")
            page.get_by_role("checkbox", name="Links", exact=True).check()
            page.get_by_role("button", name="Inscrever-se").click()
            assert page.get_by_role("heading", level=1).is_visible()
            assert "Quase lá" in page.content()
        finally:
            browser.close()
    assert (tmp_path / "incident.png").stat().st_size > 1000
    deliver_due(candor.courier)
    assert "Confirme" in smtp.to("bia@example.org")[0]["Subject"]
    bodies = [html] + [httpx.get(f"{server}{path}", params={"lang": lang}).text
                       for path in ("/status", f"/status/incidents/{key}", "/status/feed.atom",
                                    "/status.json", "/api/v1/banner")
                       for lang in ("en", "pt-BR")]
    for body in bodies:
        assert [s for s in INTERNAL if s in body] == []
