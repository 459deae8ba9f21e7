"""Story: during an outage users hammer the status page; Candor renders each public view
once per change, answers repeat visitors with 304, touches no database while nothing
changed, and a publish on one replica reaches every replica's page within a second."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from monitor.auth.models import Role
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.incidents.models import Incident
from monitor.wiring import Candor
from tests.conftest import bearer
from tests.monitor.comms.test_api import draft, good
from tests.support.processes import serve_candor, wait_for

VIEWS = ["/status", "/status.json", "/status/feed.atom", "/api/v1/banner"]


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(sql)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def publish(client: TestClient, responder: dict[str, str], key: str, clock: FixedClock,
            **changes: Any) -> None:
    notice = draft(client, responder, key, "en", good("en", clock, **changes))["id"]
    assert client.post(f"/api/v1/notices/{notice}/publish", headers=responder).status_code == 201


def test_each_view_is_rendered_once_and_served_without_the_database(
    client: TestClient, candor: Candor, responder: dict[str, str], incident: Incident,
    fixed: FixedClock,
) -> None:
    publish(client, responder, incident.key, fixed)
    first = {path: client.get(path, params={"lang": "en"}) for path in VIEWS}
    renders = candor.public_pages.renders
    with statements(candor.runtime.engine) as seen:
        for _ in range(3):
            for path in VIEWS:
                again = client.get(path, params={"lang": "en"})
                assert again.status_code == 200
                assert again.content == first[path].content
                assert again.headers["etag"] == first[path].headers["etag"]
    assert seen == []
    assert candor.public_pages.renders == renders


def test_a_repeat_visitor_gets_304_and_caching_headers(
    client: TestClient, responder: dict[str, str], incident: Incident, fixed: FixedClock,
) -> None:
    publish(client, responder, incident.key, fixed)
    for path in [*VIEWS, f"/status/incidents/{incident.key}"]:
        page = client.get(path, params={"lang": "en"})
        assert page.status_code == 200
        assert page.headers["cache-control"].startswith("public, max-age=")
        assert page.headers["etag"].startswith('"')
        same = client.get(path, params={"lang": "en"},
                          headers={"if-none-match": page.headers["etag"]})
        assert same.status_code == 304 and same.content == b""
        assert same.headers["etag"] == page.headers["etag"]
        other = client.get(path, params={"lang": "en"}, headers={"if-none-match": '"stale"'})
        assert other.status_code == 200


def test_a_publish_shows_at_once_on_this_replica_and_changes_the_etag(
    client: TestClient, responder: dict[str, str], incident: Incident, fixed: FixedClock,
) -> None:
    publish(client, responder, incident.key, fixed)
    before = client.get("/status", params={"lang": "en"})
    fixed.advance(minutes=1)
    publish(client, responder, incident.key, fixed, title="Short links open slowly")
    after = client.get("/status", params={"lang": "en"})
    assert "Short links open slowly" in after.text
    assert after.headers["etag"] != before.headers["etag"]
    old = client.get("/status", params={"lang": "en"}, headers={"if-none-match": before.headers["etag"]})
    assert old.status_code == 200


def test_an_unknown_incident_page_is_a_404_and_is_not_kept(
    client: TestClient, candor: Candor,
) -> None:
    for _ in range(2):
        assert client.get("/status/incidents/INC-404", params={"lang": "en"}).status_code == 404
    assert candor.public_pages.renders == 0


@pytest.mark.postgres
def test_a_publish_on_one_replica_reaches_the_other_within_a_second(
    pg_url: str, tmp_path: Path, make_candor: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", pg_url)

    def replica(name: str) -> Candor:
        return make_candor(Settings.model_validate({"storage": {
            "data_dir": str(tmp_path / name), "database_url": "env:CANDOR_TEST_DATABASE_URL"}}))

    one, two = replica("one"), replica("two")
    responder = bearer(one.runtime, Role.RESPONDER)
    clock = one.runtime.clock
    assert isinstance(clock, FixedClock)
    with serve_candor(one) as url_one, serve_candor(two) as url_two:
        with httpx.Client(base_url=url_one, headers=responder) as a, httpx.Client(base_url=url_two) as b:
            key = a.post("/api/v1/incidents", json={"title": "Redirects fail",
                                                     "severity": "SEV1"}).json()["key"]
            assert "Short links are not opening" not in b.get("/status?lang=en").text
            notice = a.post(f"/api/v1/incidents/{key}/notices",
                            json={"lang": "en", "content": good("en", clock)}).json()["id"]
            assert a.post(f"/api/v1/notices/{notice}/publish").status_code == 201
            # replica two learns of it by its poll (once a second), not by this process
            assert two.public_pages.check_every == 1.0
            wait_for("the publish on replica one to show on replica two",
                     lambda: "Short links are not opening" in b.get("/status?lang=en").text,
                     timeout=10, poll=0.05)
