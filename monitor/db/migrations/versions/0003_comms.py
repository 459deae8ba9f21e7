"""Public notices (append-only published versions) and the notification outbox.

Revision ID: 0003_comms
Revises: 0001_core
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_comms"
down_revision = "0001_core"

TS = sa.DateTime(timezone=True)

# A published notice version is public record: the database refuses to change
# or remove it. Corrections are new rows linked to the previous one.
SQLITE_GUARDS = [
    """CREATE TRIGGER notice_version_no_update BEFORE UPDATE ON notice_version
       BEGIN SELECT RAISE(ABORT, 'notice_version is append-only: UPDATE is not allowed'); END""",
    """CREATE TRIGGER notice_version_no_delete BEFORE DELETE ON notice_version
       BEGIN SELECT RAISE(ABORT, 'notice_version is append-only: DELETE is not allowed'); END""",
]
# candor_append_only() is created by 0001_core.
POSTGRES_GUARDS = [
    """CREATE TRIGGER notice_version_append_only BEFORE UPDATE OR DELETE ON notice_version
       FOR EACH ROW EXECUTE FUNCTION candor_append_only()""",
    """CREATE TRIGGER notice_version_no_truncate BEFORE TRUNCATE ON notice_version
       FOR EACH STATEMENT EXECUTE FUNCTION candor_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "notice",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False, index=True),
        sa.Column("lang", sa.String, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
        sa.Column("latest_version", sa.Integer, nullable=False),
        sa.Column("draft", sa.JSON),
        sa.Column("draft_updated_at", TS),
    )
    op.create_table(
        "notice_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("notice_id", sa.Integer, sa.ForeignKey("notice.id"), nullable=False, index=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("lang", sa.String, nullable=False),
        sa.Column("previous_id", sa.Integer, sa.ForeignKey("notice_version.id")),
        sa.Column("content", sa.JSON, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.Column("published_by", sa.String, nullable=False),
        sa.Column("channels", sa.JSON, nullable=False),
        sa.Column("lint", sa.JSON, nullable=False),
        sa.Column("override_reason", sa.Text),
        sa.UniqueConstraint("notice_id", "version"),
    )
    op.create_table(
        "outbox_message",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("idempotency_key", sa.String, nullable=False, unique=True, index=True),
        sa.Column("receiver", sa.String, nullable=False, index=True),
        sa.Column("event_type", sa.String, nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), index=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("state", sa.String, nullable=False, index=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("next_attempt_at", TS, nullable=False, index=True),
        sa.Column("last_attempt_at", TS),
        sa.Column("delivered_at", TS),
        sa.Column("last_error", sa.Text),
    )
    guards = POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    for table in ("outbox_message", "notice_version", "notice"):
        op.drop_table(table)
