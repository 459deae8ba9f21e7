"""Postmortems: the document, its versions and review events, timeline overlays, action items.

Revision ID: 0004_postmortem
Revises: 0003_comms
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_postmortem"
down_revision = "0003_comms"

TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("postmortem_version", "postmortem_event", "timeline_annotation")


def _sqlite_guards(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE is not allowed'); END""",
        f"""CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
            BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE is not allowed'); END""",
    ]


def _postgres_guards(table: str) -> list[str]:
    # candor_append_only() is created by 0001_core.
    return [
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION candor_append_only()""",
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION candor_append_only()""",
    ]


def upgrade() -> None:
    op.create_table(
        "postmortem",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False,
                  unique=True, index=True),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("published_at", TS),
    )
    op.create_table(
        "postmortem_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("postmortem_id", sa.Integer, sa.ForeignKey("postmortem.id"), nullable=False,
                  index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.UniqueConstraint("postmortem_id", "version"),
    )
    op.create_table(
        "postmortem_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("postmortem_id", sa.Integer, sa.ForeignKey("postmortem.id"), nullable=False,
                  index=True),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
    )
    op.create_table(
        "timeline_annotation",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False,
                  index=True),
        sa.Column("event_seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("text", sa.String, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False,
                  index=True),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("type", sa.String, nullable=False),
        sa.Column("owner", sa.String, nullable=False),
        sa.Column("team", sa.String, nullable=False),
        sa.Column("due", sa.Date, nullable=False),
        sa.Column("priority", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False, index=True),
        sa.Column("reason", sa.String, nullable=False),
        sa.Column("ticket_url", sa.String, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("closed_at", TS),
    )
    guards = _postgres_guards if op.get_bind().dialect.name == "postgresql" else _sqlite_guards
    for table in APPEND_ONLY:
        for statement in guards(table):
            op.execute(statement)


def downgrade() -> None:
    for table in ("action_item", "timeline_annotation", "postmortem_event", "postmortem_version",
                  "postmortem"):
        op.drop_table(table)
