"""Story: on PostgreSQL an event's id is taken when it is written, not when it commits, so
a change can commit after a later one. The incident list must still show it: at once when
it went through this replica, within ``max_age`` when it went through another."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor import db
from monitor.api.runtime import Runtime
from monitor.incidents import service
from monitor.incidents.lifecycle import State
from monitor.wiring import Candor

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(pg_migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", pg_migrated_url)
    return {"database_url": "env:CANDOR_TEST_DATABASE_URL"}


def _states(client: TestClient, headers: dict[str, str]) -> dict[str, str]:
    page = client.get("/api/v1/incidents", headers=headers).json()
    return {i["key"]: i["state"] for i in page["data"]}


def _ack(session: Any, runtime: Runtime, key: str) -> None:
    service.transition(session, service.get_by_key_or_raise(session, key), State.ACKNOWLEDGED,
                       actor="test", clock=runtime.clock)


def _two(client: TestClient, headers: dict[str, str]) -> list[str]:
    return [client.post("/api/v1/incidents", json={"title": t}, headers=headers).json()["key"]
            for t in ("Redirects fail", "Sign-in slow")]


def test_a_change_committed_after_a_later_one_shows_at_once_on_its_replica(
    client: TestClient, candor: Candor, runtime: Runtime, responder: dict[str, str],
) -> None:
    early, late = _two(client, responder)
    candor.incident_lists.monotonic = lambda: 0.0  # nothing ages: only the version counts
    with runtime.unit() as first:
        _ack(first, runtime, early)  # takes the smaller event id, commits last
        with runtime.unit() as second:
            _ack(second, runtime, late)
        during = _states(client, responder)
        assert during[late] == "acknowledged" and during[early] != "acknowledged"
    assert _states(client, responder) == {early: "acknowledged", late: "acknowledged"}


def test_one_committed_out_of_order_by_another_replica_shows_within_max_age(
    client: TestClient, candor: Candor, runtime: Runtime, responder: dict[str, str],
) -> None:
    early, late = _two(client, responder)
    now = [0.0]
    lists = candor.incident_lists
    lists.monotonic = lambda: now[0]
    with db.session(runtime.engine) as first:  # another replica: this one's count stays
        _ack(first, runtime, early)
        with db.session(runtime.engine) as second:
            _ack(second, runtime, late)
        assert _states(client, responder)[early] != "acknowledged"
    now[0] += lists.max_age
    assert _states(client, responder) == {early: "acknowledged", late: "acknowledged"}
