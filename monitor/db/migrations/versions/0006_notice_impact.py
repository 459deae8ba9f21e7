"""Notice versions keep the affected-user share that, with the severity, chose their channels.

Revision ID: 0006_notice_impact
Revises: 0005_subscribers
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_notice_impact"
down_revision = "0005_subscribers"


def upgrade() -> None:
    # Adding a nullable column rewrites no row, so the append-only triggers are not involved.
    with op.batch_alter_table("notice_version", recreate="never") as batch:
        batch.add_column(sa.Column("affected_share", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notice_version", recreate="never") as batch:
        batch.drop_column("affected_share")
