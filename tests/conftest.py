"""Shared fixtures: settings, a fixed clock, a migrated runtime, the assembled service, an
HTTP client, tokens, and real servers started by the tests themselves (PostgreSQL, SMTP; see
``tests/support``).

    def test_something(client, responder):
        response = client.post("/api/v1/incidents", json={"title": "Redirects fail"},
                               headers=responder)

``runtime`` is what ``monitor.wiring.build_runtime`` gives (the event hooks installed),
with the test clock and a fresh registry; ``candor`` is ``monitor.wiring.assemble`` of it
(signal hub, metrics, rule manager, courier) and ``client`` serves ``create_app(candor)``.
``make_settings(**sections)``, ``make_runtime(settings)`` and ``make_candor(settings)``
build variants (e.g. ``make_settings(incidents={"on_alerts_resolved": "resolve"})``).
``store_url`` runs a test once on SQLite and once on PostgreSQL.

``database`` is what ``make_settings`` merges into ``[storage]``: nothing here (SQLite in
``tmp_path``). A directory whose tests run on both databases overrides it with
``both_databases`` in its conftest::

    @pytest.fixture
    def database(both_databases: dict[str, str]) -> dict[str, str]:
        return both_databases

and every test there that builds settings runs twice, ``[sqlite]`` and ``[postgresql]``
(a fresh database cloned from a migrated template on the session's PostgreSQL server).
"""

from __future__ import annotations

import os
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings
from prometheus_client import CollectorRegistry
from pytest_postgresql.janitor import DatabaseJanitor
from sqlalchemy.engine import Engine

from monitor import db
from monitor.api.runtime import Runtime
from monitor.app import create_app
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.wiring import Candor, assemble, build_runtime
from tests.support.processes import postgres_cluster
from tests.support.smtp import Inbox, smtp_server

with warnings.catch_warnings():
    # Starlette 1.x asks for httpx2 (a UserWarning, so pyproject's DeprecationWarning filter
    # misses it); httpx works the same for the test client.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

# CI runs the property tests derandomized (the same examples every run: a red build is the
# code's fault, not the draw's); locally each run explores new examples.
hypothesis_settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
"""The fixed "now" every test starts at (a Monday morning, UTC)."""


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        out[key] = _merge(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


# ---- settings, clock, runtime, client ----------------------------------------


@pytest.fixture
def database() -> dict[str, str]:
    """The ``[storage]`` keys that choose the database: none, so SQLite under ``data_dir``.
    Directories that run on both databases override it (see ``both_databases``)."""
    return {}


@pytest.fixture
def make_settings(tmp_path: Path, database: dict[str, str]) -> Callable[..., Settings]:
    """``make_settings(incidents={"reopen_window": "1h"})``: defaults plus overrides,
    with the data directory in ``tmp_path`` and the database ``database`` chose."""

    def make(**sections: Any) -> Settings:
        data = _merge({"storage": {"data_dir": str(tmp_path / "data"), **database}}, sections)
        return Settings.model_validate(data)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def make_runtime(clock: FixedClock) -> Iterator[Callable[[Settings], Runtime]]:
    """Build a migrated runtime over ``settings`` with the test clock and a fresh registry;
    engines are disposed."""
    built: list[Runtime] = []

    def make(settings: Settings) -> Runtime:
        runtime = build_runtime(settings, clock=clock, registry=CollectorRegistry())
        built.append(runtime)
        return runtime

    yield make
    for runtime in built:
        runtime.close()


@pytest.fixture
def runtime(settings: Settings, make_runtime: Callable[[Settings], Runtime]) -> Runtime:
    return make_runtime(settings)


@pytest.fixture
def make_candor(make_runtime: Callable[[Settings], Runtime]) -> Iterator[Callable[[Settings], Candor]]:
    """``assemble`` a Candor over a new runtime for ``settings``; its series store is closed."""
    built: list[Candor] = []

    def make(settings: Settings) -> Candor:
        candor = assemble(make_runtime(settings))
        built.append(candor)
        return candor

    yield make
    for candor in built:
        candor.signals.close()


@pytest.fixture
def candor(runtime: Runtime) -> Iterator[Candor]:
    """The assembled service over ``runtime`` (the same runtime other fixtures see)."""
    assembled = assemble(runtime)
    yield assembled
    assembled.signals.close()


@pytest.fixture
def client(candor: Candor) -> Iterator[TestClient]:
    with TestClient(create_app(candor), raise_server_exceptions=False) as test_client:
        yield test_client


def bearer(runtime: Runtime, role: Role, name: str | None = None) -> dict[str, str]:
    """Create a token with ``role`` in ``runtime``'s store; returns the Authorization header."""
    with runtime.unit() as session:
        _, token = auth.create_token(session, name=name or f"test-{role}", role=role,
                                     clock=runtime.clock)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Role.ADMIN)


@pytest.fixture
def responder(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Role.RESPONDER)


@pytest.fixture
def viewer(runtime: Runtime) -> dict[str, str]:
    return bearer(runtime, Role.VIEWER)


# ---- real servers: PostgreSQL, SMTP -------------------------------------------


@pytest.fixture(scope="session")
def pg_server() -> Iterator[dict[str, Any]]:
    """A throwaway PostgreSQL cluster on a free port, for the whole session."""
    with postgres_cluster() as server:
        yield server


@pytest.fixture
def pg_url(pg_server: dict[str, Any]) -> Iterator[str]:
    """A fresh, empty database on the test PostgreSQL server; dropped afterwards."""
    name = f"candor_{uuid.uuid4().hex[:12]}"
    janitor = DatabaseJanitor(user=pg_server["user"], host=pg_server["host"],
                              port=pg_server["port"], dbname=name, connection_timeout=10)
    janitor.init()
    try:
        yield f"postgresql://{pg_server['user']}@{pg_server['host']}:{pg_server['port']}/{name}"
    finally:
        janitor.drop()


@pytest.fixture(scope="session")
def pg_template(pg_server: dict[str, Any]) -> str:
    """The name of a database migrated to the newest revision once per session; tests get
    copies (``CREATE DATABASE … TEMPLATE``, a file copy) instead of migrating each time."""
    name = "candor_template"
    DatabaseJanitor(user=pg_server["user"], host=pg_server["host"], port=pg_server["port"],
                    dbname=name, connection_timeout=10).init()
    engine = db.make_engine(f"postgresql://{pg_server['user']}@{pg_server['host']}:"
                            f"{pg_server['port']}/{name}")
    try:
        db.upgrade(engine)
    finally:
        engine.dispose()  # a template must have no connections when it is copied
    return name


@contextmanager
def migrated_copy(pg_server: dict[str, Any], template: str) -> Iterator[str]:
    """The URL of a fresh copy of ``template`` (migrated, empty); dropped on leaving."""
    name = f"candor_{uuid.uuid4().hex[:12]}"
    janitor = DatabaseJanitor(user=pg_server["user"], host=pg_server["host"],
                              port=pg_server["port"], dbname=name, template_dbname=template,
                              connection_timeout=10)
    janitor.init()
    try:
        yield f"postgresql://{pg_server['user']}@{pg_server['host']}:{pg_server['port']}/{name}"
    finally:
        janitor.drop()


@pytest.fixture
def pg_migrated_url(pg_server: dict[str, Any], pg_template: str) -> Iterator[str]:
    """A fresh database already at the newest migration (a copy of ``pg_template``);
    dropped afterwards."""
    with migrated_copy(pg_server, pg_template) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def both_databases(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """``database`` for directories that run on both: ``{}`` (SQLite), then a migrated
    PostgreSQL database named through ``env:CANDOR_TEST_DATABASE_URL`` (settings hold
    secrets only as references)."""
    if request.param == "sqlite":
        return {}
    monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", str(request.getfixturevalue("pg_migrated_url")))
    return {"database_url": "env:CANDOR_TEST_DATABASE_URL"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once for SQLite and once for a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def store(store_url: str) -> Iterator[Engine]:
    """A migrated engine over ``store_url`` (SQLite, then PostgreSQL)."""
    engine = db.make_engine(store_url)
    db.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    """A real SMTP server for one test; its ``Inbox`` has the ``port`` and what arrived."""
    with smtp_server() as inbox:
        yield inbox
