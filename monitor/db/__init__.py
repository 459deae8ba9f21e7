"""The store: one SQLAlchemy engine per process, SQLite (WAL) or PostgreSQL.

``make_engine(settings)`` builds the engine; ``upgrade(engine)`` brings the
schema to the newest migration (Alembic, in ``monitor/db/migrations``);
``session(engine)`` opens a unit of work. Nothing here runs at import time.

Concurrent writers. The invariants live in the schema (one open incident per alert
group, one event per ``(incident, seq)``, one outbox row per idempotency key); code
reads what it is about to change under a lock:

- PostgreSQL: rows are locked where they are read (``SELECT … FOR UPDATE``, outbox
  claims with ``SKIP LOCKED``); reads elsewhere stay lock-free.
- SQLite: one writer at a time for the whole file. Python's sqlite3 driver opens a
  transaction only at the first INSERT/UPDATE/DELETE, so what a unit read before that
  may be stale by the time it writes; ``lock_for_write(session)`` starts the transaction
  with ``BEGIN IMMEDIATE`` first (waiting up to ``busy_timeout`` for the writer before it),
  so what the unit reads next is what it writes over. Readers never wait (WAL).

``conflict_kind(error)`` sorts what a concurrent writer can cause (a deadlock, a
serialization failure, a unique index another transaction filled first, a lost
connection), so ``Runtime.transaction`` can retry a unit and the API can answer 503
instead of 500.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, TextClause, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, create_engine

from monitor.config import Settings
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


class Row(Protocol):
    id: int | None


def id_of(row: Row) -> int:
    """The primary key of a row already written (the database gave it on flush): for the
    foreign keys of the rows that point at it."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id yet: add it and flush first")
    return row.id

AFTER_COMMIT = "candor.after_commit"
"""``session.info`` key: zero-argument callables ``session()`` runs after a successful commit."""
EVENT_HOOKS = "candor.event_hooks"
"""``session.info`` key: the hooks ``monitor.incidents.service.record`` runs, in order, after
writing an incident event (``Runtime.unit`` puts the ones ``monitor.wiring.event_hooks``
declares here)."""


WROTE_EVENTS = "candor.wrote_events"
"""``session.info`` key: set by ``monitor.incidents.service.record`` when the unit of work
wrote an incident event; ``Runtime.unit`` bumps its ``Changes`` once that unit committed."""


class Changes:
    """How many units of work that wrote incident events this process has committed.

    Caches of what incident events project (the public status page) compare it to know,
    without a query, that this process changed something; changes made by other processes
    (replicas) they find by polling ``max(incident_event.id)`` (see
    ``monitor.comms.public_cache``)."""

    def __init__(self) -> None:
        self.value = 0

    def bump(self) -> None:
        self.value += 1  # one bytecode store under the GIL: a lost race only costs a re-check


def database_url(settings: Settings) -> str:
    """The URL to connect to: the configured env reference, or SQLite in the data dir."""
    ref = settings.storage.database_url
    if ref is None:
        data_dir = Path(settings.storage.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / 'candor.db'}"
    url = ref.reveal()
    if not url:
        raise ConfigError(
            "database URL missing",
            lines=[f"storage.database_url: environment variable {ref.var} is not set"],
        )
    return url


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        # as many pooled connections as request threads (anyio's pool holds 40): past the
        # pool, SQLAlchemy opens a connection per request (and its PRAGMAs) and closes it
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               pool_size=40, max_overflow=10)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine | None, secret_box: object = None) -> Config:
    from alembic.config import Config  # alembic loads only when the schema is checked or changed

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    config.attributes["secret_box"] = secret_box
    return config


def upgrade(engine: Engine, revision: str = "head", *, secret_box: object = None) -> None:
    """Apply every pending migration; existing data is kept. ``secret_box``
    (``monitor.db.sealed.SecretBox``) seals secrets a migration finds in plain text."""
    from alembic import command

    command.upgrade(_alembic_config(engine, secret_box), revision)


def revisions() -> list[str]:
    """Every schema revision of the migration chain, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(None))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on any error. Callables put in
    ``session.info[AFTER_COMMIT]`` run once the commit succeeded (e.g. a log line saying an
    incident opened: never for a transaction that rolled back)."""
    with Session(engine, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        for announce in s.info.pop(AFTER_COMMIT, []):
            announce()


LEADER_EPOCH = "candor.leader_epoch"
"""``session.info`` key: the leader epoch a singleton job's transaction writes under (set by
``monitor.leader``'s fenced unit); events and outbox rows written in it carry it."""


def lock_for_write(session: Session) -> None:
    """On SQLite, make this unit the one writer now (``BEGIN IMMEDIATE``) unless it already is,
    so that what it reads next cannot change before it writes. Nothing on PostgreSQL, where
    the rows themselves are locked (``with_for_update``)."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


PENDING = "candor.pending_inserts"
"""``session.info`` key: rows queued by ``insert_on_flush``, per table, in order."""


def insert_on_flush(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """Queue one row for a plain ``INSERT`` (no ORM object, no id read back) written before
    the session's next flush or commit, one ``executemany`` per table: for rows written by
    the hundred in one unit that nothing in it reads back as objects (the alert intake's
    alert rows and ``alert.*`` events). ``write_pending`` writes them at once (before a read
    of the same table when nothing else in the session is dirty, say); a rollback drops them."""
    queued: dict[Any, list[dict[str, Any]]] = session.info.setdefault(PENDING, {})
    queued.setdefault(model.__table__, []).append(values)


def write_pending(session: Session) -> None:
    """Write the rows ``insert_on_flush`` queued (nothing when none are)."""
    queued = session.info.pop(PENDING, None)
    if queued:
        connection = session.connection()
        for table, rows in queued.items():
            connection.execute(table.insert(), rows)


@event.listens_for(OrmSession, "before_flush")
def _write_before_flush(session: OrmSession, *_: Any) -> None:
    write_pending(cast(Session, session))


@event.listens_for(OrmSession, "before_commit")
def _write_before_commit(session: OrmSession) -> None:
    write_pending(cast(Session, session))


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, *_: Any) -> None:
    session.info.pop(PENDING, None)


def insert_or_skip(session: Session, model: type[Any], values: dict[str, Any], *,
                   unique: Sequence[str], where: ColumnElement[bool] | TextClause | None = None
                   ) -> Any | None:
    """``INSERT … ON CONFLICT (unique) [WHERE where] DO NOTHING RETURNING id``: the new row's id,
    or ``None`` when the unique index (partial when ``where`` is given) already holds the key.
    A concurrent insert of the same key makes this wait for that transaction and then skip."""
    insert = postgresql.insert if session.connection().dialect.name == "postgresql" else sqlite.insert
    statement = (insert(model).values(**values)
                 .on_conflict_do_nothing(index_elements=list(unique), index_where=where)
                 .returning(model.__table__.c.id))
    return session.execute(statement).scalar()


def insert_or_skip_row(session: Session, model: type[T], values: dict[str, Any], *,
                       unique: Sequence[str], where: ColumnElement[bool] | TextClause | None = None
                       ) -> T | None:
    """``insert_or_skip`` that returns the new row itself (``RETURNING`` every column, loaded
    into the session as if read), or ``None`` when the unique index already holds the key.
    The statement is built once per model and index; ``values`` are its parameters."""
    statement = _insert_or_skip_row(session.connection().dialect.name, cast(Any, model), tuple(unique),
                                    where)
    return session.scalars(statement, [values]).first()


@functools.cache
def _insert_or_skip_row(dialect: str, model: type[Any], unique: tuple[str, ...],
                        where: ColumnElement[bool] | TextClause | None) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return (insert(model).on_conflict_do_nothing(index_elements=list(unique), index_where=where)
            .returning(model))


# SQLSTATE classes (PostgreSQL) and SQLite messages of the errors a concurrent writer causes.
_RETRY_STATES = {"40001": "serialization", "40P01": "deadlock", "23505": "unique"}
_DOWN_STATES = ("08", "57P01", "57P02", "57P03")  # connection exceptions, admin/crash shutdown


def conflict_kind(error: BaseException) -> str | None:
    """``"deadlock"``, ``"serialization"``, ``"unique"`` (another transaction stored the same
    key first), ``"unavailable"`` (the database is down or went away, or SQLite stayed locked
    past ``busy_timeout``), or ``None`` for anything else."""
    if not isinstance(error, DBAPIError):
        return None
    if error.connection_invalidated:
        return "unavailable"
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or ""
    if state in _RETRY_STATES:
        return _RETRY_STATES[state]
    if state.startswith(_DOWN_STATES):
        return "unavailable"
    message = str(orig)
    if message.startswith("UNIQUE constraint failed"):
        return "unique"
    if "database is locked" in message:
        return "unavailable"
    if not state and type(orig).__name__ in ("OperationalError", "InterfaceError") and (
            "connect" in message or "closed" in message or "terminat" in message):
        return "unavailable"
    return None
