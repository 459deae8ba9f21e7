"""Core: incidents and their append-only events, alerts, silences, API tokens.

Revision ID: 0001_core
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_core"
down_revision = None

TS = sa.DateTime(timezone=True)

# The event table is the record of what happened: the database itself refuses
# to change or remove a row, whatever the application does.
SQLITE_GUARDS = [
    """CREATE TRIGGER incident_event_no_update BEFORE UPDATE ON incident_event
       BEGIN SELECT RAISE(ABORT, 'incident_event is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER incident_event_no_delete BEFORE DELETE ON incident_event
       BEGIN SELECT RAISE(ABORT, 'incident_event is append-only: DELETE is not allowed'); END""",
]
POSTGRES_GUARDS = [
    """CREATE FUNCTION candor_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP; END;
       $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER incident_event_append_only BEFORE UPDATE OR DELETE ON incident_event
       FOR EACH ROW EXECUTE FUNCTION candor_append_only()""",
    """CREATE TRIGGER incident_event_no_truncate BEFORE TRUNCATE ON incident_event
       FOR EACH STATEMENT EXECUTE FUNCTION candor_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String, nullable=False, unique=True, index=True),
        sa.Column("title", sa.String, nullable=False),
        sa.Column("summary", sa.String, nullable=False),
        sa.Column("severity", sa.String, nullable=False, index=True),
        sa.Column("state", sa.String, nullable=False, index=True),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("group_key", sa.String, index=True),
        sa.Column("commander", sa.String),
        sa.Column("related", sa.JSON, nullable=False),
        sa.Column("alerts_resolved", sa.Boolean, nullable=False),
        sa.Column("event_count", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        *[sa.Column(name, TS) for name in (
            "impact_started_at", "detected_at", "acknowledged_at", "first_notice_at",
            "fix_deployed_at", "verifying_since", "verified_at", "resolved_at",
        )],
    )
    op.create_table(
        "incident_event",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False, index=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("type", sa.String, nullable=False, index=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.UniqueConstraint("incident_id", "seq"),
    )
    op.create_table(
        "alert",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String, nullable=False, index=True),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("status", sa.String, nullable=False),
        sa.Column("source", sa.String, nullable=False),
        sa.Column("labels", sa.JSON, nullable=False),
        sa.Column("annotations", sa.JSON, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS),
        sa.Column("generator_url", sa.String, nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), index=True),
        sa.Column("silenced_by", sa.String),
        sa.Column("receive_count", sa.Integer, nullable=False),
        sa.Column("last_received_at", TS, nullable=False),
    )
    op.create_table(
        "silence",
        sa.Column("id", sa.String, primary_key=True),
        sa.Column("matchers", sa.JSON, nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("comment", sa.String, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String, nullable=False, index=True),
        sa.Column("role", sa.String, nullable=False),
        sa.Column("prefix", sa.String, nullable=False),
        sa.Column("token_hash", sa.String, nullable=False, unique=True, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
    )
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    for table in ("api_token", "silence", "alert", "incident_event", "incident"):
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS candor_append_only() CASCADE")
