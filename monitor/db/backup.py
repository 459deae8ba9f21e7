"""``candor backup FILE`` / ``candor restore FILE`` for the SQLite store.

**Backup** is online and consistent: SQLite's backup API copies the whole database in one
read transaction, so the copy is the store as it was at one instant while the server goes
on writing (WAL mode: readers do not block writers). The copy is written beside FILE,
checked (``PRAGMA integrity_check``, a Candor schema at a known migration) and only then
renamed to FILE, so FILE is never half-written.

**Restore** checks the file first (an SQLite database, Candor's tables, a schema revision
this Candor knows: not one made by a newer Candor), copies it with the backup API into a
new file beside the store, brings its schema up to date, and swaps it in. It refuses,
unless ``--force``, to replace a store that is **in use** (a process has it open: SQLite
holds a lock on its ``-shm`` file for as long as a connection is open) or **newer** than
the backup (a later schema, or incident events after the backup's last one); even with
``--force`` a store in use is never replaced (stop ``candor serve`` first). A store that
cannot be read (damaged, or from a newer Candor) is replaced only with ``--force``.

PostgreSQL is backed up with its own tools (``pg_dump -Fc``, ``pg_restore``; see
``docs/deploy.md``). The embedded series store (``<data_dir>/series``) is not part of the
database: it holds at most ``[signals] retention`` of samples and refills from new ones.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from monitor.errors import Conflict, Unprocessable

__all__ = ["Snapshot", "backup", "in_use", "inspect", "restore", "sqlite_path"]

HEADER = b"SQLite format 3\x00"
CORE_TABLES = frozenset({"incident", "incident_event", "alembic_version", "api_token"})
_SHM_DMS = 128  # the byte of the -shm file every open SQLite connection holds a shared lock on


@dataclass(frozen=True)
class Snapshot:
    """What a Candor database holds: its schema revision, rows per table, newest event."""

    path: Path
    revision: str
    rows: dict[str, int]
    newest_event: str | None


def sqlite_path(url: str) -> Path:
    """The file of a ``sqlite:///…`` URL; ``Unprocessable`` for anything else."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        return Path(url.removeprefix("sqlite:///"))
    raise Unprocessable("candor backup and restore work on the SQLite store; this config uses "
                        f"{url.split(':', 1)[0]}. For PostgreSQL use pg_dump -Fc and pg_restore "
                        "(docs/deploy.md, \"Backups\")")


def inspect(path: Path, known: list[str]) -> Snapshot:
    """Check that ``path`` is a sound Candor database at a revision in ``known`` (oldest
    first); ``Unprocessable`` naming what is wrong otherwise."""
    if not path.is_file():
        raise Unprocessable(f"{path}: no such file")
    with path.open("rb") as f:
        if f.read(16) != HEADER:
            raise Unprocessable(f"{path} is not an SQLite database (no SQLite header)")
    connection = sqlite3.connect(path, timeout=30)  # read only; WAL needs the -shm writable
    try:
        ok = connection.execute("PRAGMA integrity_check").fetchone()[0]
        if ok != "ok":
            raise Unprocessable(f"{path} is damaged: PRAGMA integrity_check says {ok!r}")
        tables = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        missing = CORE_TABLES - set(tables)
        if missing:
            raise Unprocessable(f"{path} is not a Candor database (no table "
                                f"{', '.join(sorted(missing))})")
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        if revision is None or revision[0] not in known:
            raise Unprocessable(
                f"{path} is at schema revision {revision[0] if revision else '(none)'}, which this "
                f"Candor does not know (it knows {known[0]} … {known[-1]}): it was made by a newer "
                "Candor; restore it with that version")
        rows = {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]
                for t in tables}
        newest = connection.execute("SELECT max(at) FROM incident_event").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise Unprocessable(f"{path} cannot be read as a Candor database: {exc}") from None
    finally:
        connection.close()
    return Snapshot(path, revision[0], rows, str(newest) if newest is not None else None)


def in_use(path: Path) -> bool:
    """Whether another process has the database at ``path`` open (WAL mode: it holds a shared
    lock on the ``-shm`` file's DMS byte while connected). POSIX locks are per process, so
    call this from a process that does not have the database open itself (the CLI)."""
    shm = Path(f"{path}-shm")
    if not shm.exists():
        return False
    fd = os.open(shm, os.O_RDWR)
    try:
        fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _SHM_DMS)
    except OSError:
        return True
    else:
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _SHM_DMS)
        return False
    finally:
        os.close(fd)


def _copy(source: Path, target: Path) -> None:
    """SQLite's online backup of ``source`` into a new ``target``, in one step (one read
    transaction: a consistent snapshot)."""
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()


def backup(source: Path, dest: Path, known: list[str], *, force: bool = False) -> Snapshot:
    """Copy the store at ``source`` to ``dest`` (see the module docstring)."""
    inspect(source, known)
    if dest.exists() and not force:
        raise Conflict(f"{dest} exists; choose a new file or pass --force to replace it")
    if dest.resolve() == source.resolve():
        raise Conflict(f"{dest} is the store itself; back up to another file")
    partial = dest.with_name(f".{dest.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        _copy(source, partial)
        snapshot = inspect(partial, known)
        partial.replace(dest)
    finally:
        partial.unlink(missing_ok=True)
    return Snapshot(dest, snapshot.revision, snapshot.rows, snapshot.newest_event)


def restore(backup_file: Path, target: Path, known: list[str], *, force: bool = False,
            upgrade: object = None) -> Snapshot:
    """Replace the store at ``target`` with ``backup_file`` (see the module docstring).
    ``upgrade(path)`` brings a copy's schema to the newest revision."""
    taken = inspect(backup_file, known)
    if target.exists():
        if in_use(target):
            raise Conflict(f"{target} is in use by a running Candor (or another process); stop "
                           "it first: a store cannot be swapped under a running server")
        current = _current(target, known) if target.stat().st_size and not force else None
        if current is not None:
            if known.index(current.revision) > known.index(taken.revision):
                raise Conflict(f"{target} is at schema {current.revision}, newer than the "
                               f"backup's {taken.revision}; pass --force to replace it anyway")
            if _later(current.newest_event, taken.newest_event):
                raise Conflict(f"{target} holds incident events up to {current.newest_event}, "
                               f"after the backup's last ({taken.newest_event}); pass --force to "
                               "replace it and lose them")
    target.parent.mkdir(parents=True, exist_ok=True)
    fresh = target.with_name(f".{target.name}.restoring")
    fresh.unlink(missing_ok=True)
    try:
        _copy(backup_file, fresh)
        if callable(upgrade):
            upgrade(fresh)
        for leftover in (Path(f"{target}-wal"), Path(f"{target}-shm")):
            leftover.unlink(missing_ok=True)
        fresh.replace(target)
    finally:
        fresh.unlink(missing_ok=True)
    return inspect(target, known)


def _current(target: Path, known: list[str]) -> Snapshot:
    """The store about to be replaced, checked; one that cannot be read (damaged, or made by
    a newer Candor) is replaced only with ``--force``: it is what a restore is for."""
    try:
        return inspect(target, known)
    except Unprocessable as exc:
        raise Conflict(f"the store to replace: {exc.detail}; pass --force to replace it with "
                       "the backup") from None


def _later(a: str | None, b: str | None) -> bool:
    if a is None:
        return False
    if b is None:
        return True
    return datetime.fromisoformat(a) > datetime.fromisoformat(b)
