"""Status-page subscribers (e-mail with double opt-in, webhooks), their tokens, user reports.

Revision ID: 0005_subscribers
Revises: 0004_postmortem
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_subscribers"
down_revision = "0004_postmortem"

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subscriber",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("address", sa.String, nullable=False),
        sa.Column("components", sa.JSON, nullable=False),
        sa.Column("lang", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False, index=True),
        sa.Column("secret", sa.String),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("confirmed_at", TS),
        sa.Column("unsubscribed_at", TS),
        sa.UniqueConstraint("kind", "address"),
    )
    op.create_table(
        "subscriber_token",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subscriber_id", sa.Integer, sa.ForeignKey("subscriber.id"), nullable=False,
                  index=True),
        sa.Column("purpose", sa.String, nullable=False),
        sa.Column("token_hash", sa.String, nullable=False, unique=True, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS),
        sa.Column("used_at", TS),
    )
    op.create_table(
        "user_report",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incident.id"), index=True),
        sa.Column("service", sa.String, nullable=False, index=True),
        sa.Column("component", sa.String, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("contact", sa.String),
        sa.Column("channel", sa.String, nullable=False),
        sa.Column("lang", sa.String, nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String, nullable=False),
    )


def downgrade() -> None:
    for table in ("user_report", "subscriber_token", "subscriber"):
        op.drop_table(table)
