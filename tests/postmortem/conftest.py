"""Fixtures for postmortem tests: the demo incident in a real store, an app with our router;
every test that builds settings runs on SQLite, then PostgreSQL."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from monitor.api.runtime import Runtime
from monitor.app import create_app
from monitor.clock import FixedClock
from monitor.incidents.models import Incident
from monitor.wiring import Candor
from postmortem import examples

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


@pytest.fixture
def database(both_databases: dict[str, str]) -> dict[str, str]:
    """Postmortems, reports and the digest run on both databases."""
    return both_databases


@pytest.fixture
def story(runtime: Runtime, clock: FixedClock) -> Incident:
    """INC-1: the demo incident (SEV2, resolved, notices, a correction, a fix), no postmortem yet."""
    with runtime.unit() as session:
        incident = examples.demo_incident(session, clock, runtime.settings)
    return incident


@pytest.fixture
def pm_client(candor: Candor) -> Iterator[TestClient]:
    with TestClient(create_app(candor), raise_server_exceptions=False) as test_client:
        yield test_client


def event(seq: int, type: str, at: Any, payload: dict[str, Any] | None = None,
          actor: str = "test") -> SimpleNamespace:
    return SimpleNamespace(seq=seq, type=type, at=at, actor=actor, payload=payload or {})
