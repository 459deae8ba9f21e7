"""``candor backup FILE`` and ``candor restore FILE``: the SQLite store, online and checked
(``monitor.db.backup``). PostgreSQL: ``pg_dump -Fc`` / ``pg_restore`` (docs/deploy.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor import db
from monitor.cli.common import ConfigOpt, JsonOpt, settings_from
from monitor.cli.output import emit, out, reported
from monitor.db import backup as store_backup
from monitor.db.sealed import SecretBox


def _known() -> list[str]:
    """Every schema revision this Candor knows, oldest first."""
    return db.revisions()


def _store(config: Path | None) -> Path:
    settings = settings_from(config)
    with reported():
        return store_backup.sqlite_path(db.database_url(settings))


def _summary(snapshot: store_backup.Snapshot) -> dict[str, object]:
    return {"file": str(snapshot.path), "revision": snapshot.revision,
            "rows": snapshot.rows, "newest_event": snapshot.newest_event}


def backup(
    file: Annotated[Path, typer.Argument(help="where to write the copy")],
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option("--force", help="replace FILE if it exists")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Copy the SQLite store to FILE while Candor runs (consistent: one instant)."""
    source = _store(config)
    with reported():
        snapshot = store_backup.backup(source, file, _known(), force=force)
    emit(_summary(snapshot), as_json, lambda: out.print(
        f"{file}: schema {snapshot.revision}, {sum(snapshot.rows.values())} rows in "
        f"{len(snapshot.rows)} tables, incident events up to {snapshot.newest_event or '(none)'}"))


def restore(
    file: Annotated[Path, typer.Argument(help="a file made by candor backup")],
    config: ConfigOpt = None,
    force: Annotated[bool, typer.Option(
        "--force", help="replace a store that is newer than the backup, or damaged")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the (stopped) SQLite store with FILE, after checking it; migrates it up
    (sealing a pre-0010 backup's webhook secrets with ``[storage] secret_key``)."""
    target = _store(config)
    box = SecretBox.from_settings(settings_from(config))

    def upgrade(path: Path) -> None:
        engine = db.make_engine(f"sqlite:///{path}")
        try:
            db.upgrade(engine, secret_box=box)
        finally:
            engine.dispose()

    with reported():
        snapshot = store_backup.restore(file, target, _known(), force=force, upgrade=upgrade)
    emit(_summary(snapshot), as_json, lambda: out.print(
        f"{target}: restored from {file}; schema {snapshot.revision}, "
        f"{sum(snapshot.rows.values())} rows"))
