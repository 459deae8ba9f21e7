"""``candor backup`` while writes go on, ``candor restore`` into a fresh place, compared row by
row; and every refusal: a store in use or newer, a file that is not a Candor database or
was made by a newer Candor, a PostgreSQL config. The commands run as real processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from monitor.api.runtime import Runtime
from monitor.cli.main import app
from monitor.clock import SystemClock
from monitor.config import load
from monitor.incidents import service as incidents
from monitor.wiring import build_runtime
from tests.support.processes import candor_process, free_port, wait_for

pytestmark = pytest.mark.slow


def candor(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in its own process (a second process reading the store)."""
    return subprocess.run([str(Path(sys.executable).parent / "candor"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The same command in this process (quicker; this process holds no store open)."""
    result = CliRunner().invoke(app, list(args))
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def config(directory: Path, port: int = 0) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "config.toml"
    path.write_text(f'[server]\nlisten = "127.0.0.1:{port or free_port()}"\n'
                    f'[storage]\ndata_dir = "{directory / "data"}"\n[engine]\nrule_files = []\n')
    return path


def rows(db: Path) -> dict[str, list[tuple[object, ...]]]:
    connection = sqlite3.connect(db)
    try:
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr)
                for t in tables}
    finally:
        connection.close()


def wait_for_rows(done: list[str], count: int, writer: threading.Thread) -> None:
    wait_for(f"{count} incidents written", lambda: len(done) >= count or not writer.is_alive(),
             timeout=60, poll=0.01)
    assert writer.is_alive(), "the writer stopped (see its exception above)"


def write_until(runtime: Runtime, stop: threading.Event, done: list[str]) -> None:
    while not stop.is_set():
        with runtime.unit() as session:
            incident = incidents.open_incident(session, clock=runtime.clock, key_prefix="INC",
                                               actor="writer", title=f"load {len(done)}",
                                               severity="SEV3")
            incidents.add_note(session, incident, "still writing", actor="writer",
                               clock=runtime.clock)
            done.append(incident.key)


def test_a_backup_taken_under_writes_restores_to_the_same_rows(tmp_path: Path) -> None:
    source_config = config(tmp_path / "live")
    runtime = build_runtime(load(source_config), clock=SystemClock(), registry=CollectorRegistry())
    source_db = tmp_path / "live" / "data" / "candor.db"
    stop, done = threading.Event(), list[str]()
    writer = threading.Thread(target=write_until, args=(runtime, stop, done))
    writer.start()
    try:
        wait_for_rows(done, 20, writer)  # some rows before the backup starts
        made = candor("backup", str(tmp_path / "backup.db"), "--config", str(source_config),
                      "--json", cwd=tmp_path)
        at_backup = len(done)
        wait_for_rows(done, at_backup + 20, writer)  # and writes go on after it
    finally:
        stop.set()
        writer.join()
        runtime.close()
    assert made.returncode == 0, made.stderr
    assert '"revision"' in made.stdout

    fresh_config = config(tmp_path / "fresh")
    restored = cli("restore", str(tmp_path / "backup.db"), "--config", str(fresh_config),
                      cwd=tmp_path)
    assert restored.returncode == 0, restored.stderr
    fresh_db = tmp_path / "fresh" / "data" / "candor.db"
    backup_rows, fresh_rows, live_rows = rows(tmp_path / "backup.db"), rows(fresh_db), rows(source_db)

    assert fresh_rows == backup_rows  # row by row
    incidents_backed_up = len(backup_rows["incident"])
    assert 20 <= incidents_backed_up < len(live_rows["incident"])  # the writes went on
    for table, restored_rows in fresh_rows.items():  # one instant of the live store
        assert set(restored_rows) <= set(live_rows[table]), table
    events = fresh_rows["incident_event"]
    assert len(events) == 2 * incidents_backed_up  # opened + note, never half a transaction


def test_restore_refuses_a_store_in_use_or_newer_and_files_that_are_not_candors(
    tmp_path: Path,
) -> None:
    live = config(tmp_path / "live")
    runtime = build_runtime(load(live), clock=SystemClock(), registry=CollectorRegistry())
    with runtime.unit() as session:
        incidents.open_incident(session, clock=runtime.clock, key_prefix="INC", actor="a",
                                title="before the backup", severity="SEV3")
    assert cli("backup", str(tmp_path / "b.db"), "--config", str(live), cwd=tmp_path).returncode == 0
    again = cli("backup", str(tmp_path / "b.db"), "--config", str(live), cwd=tmp_path)
    assert again.returncode == 2 and "exists; choose a new file or pass --force" in again.stderr
    with runtime.unit() as session:
        incidents.open_incident(session, clock=runtime.clock, key_prefix="INC", actor="a",
                                title="after the backup", severity="SEV3")
    runtime.close()

    newer = cli("restore", str(tmp_path / "b.db"), "--config", str(live), cwd=tmp_path)
    assert newer.returncode == 2 and "after the backup's last" in newer.stderr
    assert "pass --force" in newer.stderr

    with candor_process(live, log=tmp_path / "serve.log"):
        running = cli("restore", str(tmp_path / "b.db"), "--config", str(live), "--force",
                         cwd=tmp_path)
    assert running.returncode == 2 and "in use by a running Candor" in running.stderr

    forced = cli("restore", str(tmp_path / "b.db"), "--config", str(live), "--force",
                    cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert [r[0] for r in rows(tmp_path / "live" / "data" / "candor.db")["incident"]] == [1]

    (tmp_path / "notes.txt").write_text("not a database")
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    future = tmp_path / "future.db"
    future.write_bytes((tmp_path / "b.db").read_bytes())
    with sqlite3.connect(future) as c:
        c.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    for file, words in ((tmp_path / "notes.txt", "not an SQLite database"),
                        (other, "not a Candor database"),
                        (future, "made by a newer Candor"),
                        (tmp_path / "missing.db", "no such file")):
        refused = cli("restore", str(file), "--config", str(config(tmp_path / "x")),
                         cwd=tmp_path)
        assert refused.returncode == 2 and words in refused.stderr, refused.stderr
        assert "Traceback" not in refused.stderr

    pg = tmp_path / "pg.toml"
    pg.write_text('[storage]\ndatabase_url = "env:CANDOR_PG"\n')
    postgres = subprocess.run([str(Path(sys.executable).parent / "candor"), "backup", "x.db",
                               "--config", str(pg)], cwd=tmp_path, capture_output=True, text=True,
                              env={"CANDOR_PG": "postgresql://u@h/db", "PATH": "/usr/bin:/bin"})
    assert postgres.returncode == 2 and "pg_dump -Fc" in postgres.stderr
