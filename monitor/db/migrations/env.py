"""Alembic environment: runs against the engine handed in by ``monitor.db.upgrade``.

On PostgreSQL the run holds a transaction-scoped advisory lock, so replicas started
together migrate one after the other (the later ones find the schema current)."""

from alembic import context
from sqlalchemy import text

MIGRATION_LOCK = 0x63616E646F72  # "candor"

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    if engine.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(connection=connection, render_as_batch=engine.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()
