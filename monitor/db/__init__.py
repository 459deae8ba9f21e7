"""The store: one SQLAlchemy engine per process, SQLite (WAL) or PostgreSQL.

``make_engine(settings)`` builds the engine; ``upgrade(engine)`` brings the
schema to the newest migration (Alembic, in ``monitor/db/migrations``);
``session(engine)`` opens a unit of work. Nothing here runs at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from monitor.config import Settings
from monitor.errors import ConfigError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine.interfaces import DBAPIConnection
    from sqlalchemy.pool import ConnectionPoolEntry

MIGRATIONS = Path(__file__).parent / "migrations"


class Row(Protocol):
    id: int | None


def id_of(row: Row) -> int:
    """The primary key of a row already written (the database gave it on flush): for the
    foreign keys of the rows that point at it."""
    if row.id is None:
        raise ValueError(f"this {type(row).__name__} has no id yet: add it and flush first")
    return row.id

EVENT_HOOKS = "candor.event_hooks"
"""``session.info`` key: the hooks ``monitor.incidents.service.record`` runs, in order, after
writing an incident event (``Runtime.unit`` puts the ones ``monitor.wiring.event_hooks``
declares here)."""


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
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine | None) -> Config:
    from alembic.config import Config  # alembic loads only when the schema is checked or changed

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every pending migration; existing data is kept."""
    from alembic import command

    command.upgrade(_alembic_config(engine), revision)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def session(engine: Engine) -> Iterator[Session]:
    """A unit of work: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as s:
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
