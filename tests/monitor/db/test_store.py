"""The store, on SQLite and on a real PostgreSQL: migrations, and events that cannot change."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from monitor import db
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident

FIRST = "0001_core"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def empty(store_url: str):
    engine = db.make_engine(store_url)
    yield engine
    engine.dispose()


def tables(engine: Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_upgrade_from_empty_reaches_head_and_is_idempotent(empty: Engine) -> None:
    assert db.current_revision(empty) is None

    db.upgrade(empty)
    db.upgrade(empty)

    assert db.current_revision(empty) == db.head_revision()
    assert {"incident", "incident_event", "alert", "silence", "api_token"} <= tables(empty)


def _insert_incident_at_first_revision(engine: Engine) -> None:
    """Raw SQL in the shape of revision 0001, so later migrations must carry it forward."""
    with engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO incident (id, key, title, summary, severity, state, services, labels, "
            "related, alerts_resolved, event_count, created_at, detected_at) VALUES (1, 'INC-1', "
            "'Redirects fail', '', 'SEV2', 'detected', :services, '{}', '[]', :f, 1, :t, :t)"),
            {"services": json.dumps(["redirect"]), "f": False, "t": T0})
        c.execute(sa.text(
            "INSERT INTO incident_event (incident_id, seq, type, at, actor, payload) "
            "VALUES (1, 1, 'incident.opened', :t, 'alice', :p)"),
            {"t": T0, "p": json.dumps({"title": "Redirects fail", "severity": "SEV2"})})


def test_upgrade_keeps_data_written_at_the_first_revision(empty: Engine) -> None:
    db.upgrade(empty, FIRST)
    _insert_incident_at_first_revision(empty)

    db.upgrade(empty)

    with empty.connect() as c:
        assert c.execute(sa.text("SELECT key, title, state FROM incident")).all() == [
            ("INC-1", "Redirects fail", "detected")
        ]
        assert c.execute(sa.text("SELECT seq, type, actor FROM incident_event")).all() == [
            (1, "incident.opened", "alice")
        ]


@pytest.mark.parametrize("statement", [
    "UPDATE incident_event SET actor = 'mallory'",
    "UPDATE incident_event SET payload = '{}' WHERE seq = 1",
    "DELETE FROM incident_event",
    "DELETE FROM incident_event WHERE seq = 1",
])
def test_database_refuses_to_change_or_remove_events(store: Engine, statement: str) -> None:
    _insert_incident_at_first_revision(store)

    with pytest.raises(DBAPIError, match="append-only"), store.begin() as c:
        c.execute(sa.text(statement))

    with store.connect() as c:
        assert c.execute(sa.text("SELECT seq, actor FROM incident_event")).all() == [(1, "alice")]


@pytest.mark.postgres
def test_postgres_refuses_truncate_of_events(pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    try:
        db.upgrade(engine)
        _insert_incident_at_first_revision(engine)

        for statement in ("TRUNCATE incident_event", "TRUNCATE incident, incident_event CASCADE"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
                c.execute(sa.text(statement))

        with engine.connect() as c:
            assert c.execute(sa.text("SELECT count(*) FROM incident_event")).scalar() == 1
    finally:
        engine.dispose()


def test_events_can_still_be_appended(store: Engine) -> None:
    _insert_incident_at_first_revision(store)

    with store.begin() as c:
        c.execute(sa.text(
            "INSERT INTO incident_event (incident_id, seq, type, at, actor, payload) "
            "VALUES (1, 2, 'note.added', :t, 'bob', '{\"text\": \"looking\"}')"), {"t": T0})

    with store.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM incident_event")).scalar() == 2


def test_sqlite_uses_write_ahead_logging(tmp_path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'wal.db'}")
    try:
        with engine.connect() as c:
            assert c.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_the_api_runs_unchanged_on_postgres(pg_url, make_settings, make_candor, monkeypatch):
    from fastapi.testclient import TestClient

    from monitor.app import create_app
    from monitor.auth.models import Role
    from tests.conftest import bearer

    monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", pg_url)
    candor = make_candor(make_settings(storage={"database_url": "env:CANDOR_TEST_DATABASE_URL"}))
    assert candor.runtime.engine.dialect.name == "postgresql"
    admin = bearer(candor.runtime, Role.ADMIN)
    with TestClient(create_app(candor), raise_server_exceptions=False) as client:
        created = client.post("/api/v1/incidents", json={"title": "Redirects fail"}, headers=admin)
        assert created.status_code == 201
        key = created.json()["key"]
        assert client.post(f"/api/v1/incidents/{key}/ack", headers=admin).status_code == 200
        assert client.get("/readyz").status_code == 200

        # PostgreSQL refuses NUL in text and ids beyond bigint: precise 4xx, nothing stored.
        nul = client.post("/api/v1/incidents", json={"title": "a\u0000b"}, headers=admin)
        assert nul.status_code == 422 and nul.json()["detail"]
        huge = client.delete("/api/v1/tokens/99999999999999999999", headers=admin)
        assert huge.status_code == 422
        listed = client.get("/api/v1/incidents", headers=admin).json()["data"]
        assert [(i["key"], i["state"]) for i in listed] == [(key, "acknowledged")]


# ---- 0007: one open incident per group on a database that already holds duplicates ------


def _open_incident_raw(c: sa.Connection, id_: int, group: str, *, state: str = "detected") -> None:
    payload = {"title": f"Redirects fail #{id_}", "severity": "SEV2", "group_key": group,
               "labels": {"alertname": "RedirectErrors"}, "services": []}
    c.execute(sa.text(
        "INSERT INTO incident (id, key, title, summary, severity, state, services, labels, group_key, "
        "related, alerts_resolved, event_count, created_at, detected_at, impact_started_at) VALUES "
        "(:id, :key, :title, '', 'SEV2', :state, '[]', :labels, :group, '[]', :f, 1, :t, :t, :t)"),
        {"id": id_, "key": f"INC-{id_}", "title": payload["title"], "labels": json.dumps(payload["labels"]),
         "group": group, "f": False, "t": T0, "state": state})
    c.execute(sa.text("INSERT INTO incident_event (incident_id, seq, type, at, actor, payload) "
                      "VALUES (:id, 1, 'incident.opened', :t, 'alertmanager', :p)"),
              {"id": id_, "t": T0, "p": json.dumps(payload)})


def _alert_raw(c: sa.Connection, id_: int, incident: int, fp: str, count: int) -> None:
    c.execute(sa.text(
        "INSERT INTO alert (id, fingerprint, name, status, source, labels, annotations, starts_at, "
        "generator_url, incident_id, receive_count, last_received_at) VALUES (:id, :fp, 'RedirectErrors', "
        "'firing', 'alertmanager', '{}', '{}', :t, '', :incident, :count, :t)"),
        {"id": id_, "fp": fp, "t": T0, "incident": incident, "count": count})


def test_0007_keeps_every_duplicate_open_incident_and_gives_the_group_to_the_newest(empty: Engine) -> None:
    db.upgrade(empty, "0006_notice_impact")
    with empty.begin() as c:
        for id_ in (1, 2, 3):
            _open_incident_raw(c, id_, "g1")  # three open incidents of one group (the old race)
        _open_incident_raw(c, 4, "g2")
        _open_incident_raw(c, 5, "g2", state="resolved")  # a closed one is not a duplicate
        _alert_raw(c, 1, 3, "fp", 2)
        _alert_raw(c, 2, 3, "fp", 3)  # the same fingerprint attached twice to INC-3
        _alert_raw(c, 3, 1, "fp", 1)

    db.upgrade(empty)

    with Session(empty) as s:
        rows = {i.key: i for i in s.exec(select(Incident))}
        assert {k: (i.state, i.group_key) for k, i in rows.items()} == {
            "INC-1": ("detected", None), "INC-2": ("detected", None), "INC-3": ("detected", "g1"),
            "INC-4": ("detected", "g2"), "INC-5": ("resolved", "g2")}
        released = incidents.events(s, rows["INC-1"])[-1]
        assert (released.seq, released.type, released.payload["kept_by"]) == (
            2, "incident.group_released", "INC-3")
        for key in ("INC-1", "INC-2", "INC-3"):  # the rows are still exactly what their events say
            assert incidents.replayed(s, rows[key]) == incidents.view_of(rows[key])
    with empty.connect() as c:
        assert c.execute(sa.text("SELECT id, incident_id, receive_count FROM alert ORDER BY id")).all() == [
            (2, 3, 5), (3, 1, 1)]
    with pytest.raises(sa.exc.IntegrityError), empty.begin() as c:
        _open_incident_raw(c, 6, "g1")
    with pytest.raises(sa.exc.IntegrityError), empty.begin() as c:
        _alert_raw(c, 4, 3, "fp", 1)
