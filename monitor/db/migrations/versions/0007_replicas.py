"""Invariants for any number of writers: one open incident per alert group, one row per
(incident, alert fingerprint), outbox claims, and the leader lease.

Revision ID: 0007_replicas
Revises: 0006_notice_impact

Databases written before this revision may already hold what the new unique indexes
forbid (concurrent webhooks could open two incidents for one group). Nothing is lost:

- **Two or more open incidents of one alert group.** The newest one keeps the group (it
  is the one the router sent new alerts to); each older one gets an appended
  ``incident.group_released`` event naming the group and the incident that kept it, and
  its row's ``group_key`` becomes empty, exactly as replaying that event says. They stay
  open with their alerts, notes and history; their alerts' resolutions still reach them;
  a person closes or links them.
- **Two or more alert rows of one fingerprint on one incident.** Alert rows are the
  latest state of a fingerprint (the history is in the incident's events, untouched): the
  newest row stays, its ``receive_count`` becomes the sum of the rows', and the older
  copies are removed.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0007_replicas"
down_revision = "0006_notice_impact"

OPEN_GROUP = "group_key IS NOT NULL AND state NOT IN ('resolved', 'retracted')"
GROUP_RELEASED = "incident.group_released"
TS = sa.DateTime(timezone=True)

incident = sa.table("incident", sa.column("id", sa.Integer), sa.column("key", sa.String),
                    sa.column("group_key", sa.String), sa.column("state", sa.String),
                    sa.column("event_count", sa.Integer))
event = sa.table("incident_event", sa.column("incident_id", sa.Integer), sa.column("seq", sa.Integer),
                 sa.column("type", sa.String), sa.column("at", TS), sa.column("actor", sa.String),
                 sa.column("payload", sa.JSON))
alert = sa.table("alert", sa.column("id", sa.Integer), sa.column("incident_id", sa.Integer),
                 sa.column("fingerprint", sa.String), sa.column("receive_count", sa.Integer))


def _release_older_duplicates(bind: sa.Connection) -> None:
    rows = bind.execute(
        sa.select(incident.c.id, incident.c.key, incident.c.group_key, incident.c.event_count)
        .where(sa.text(OPEN_GROUP)).order_by(incident.c.group_key, incident.c.id.desc())
    ).all()
    now = datetime.now(UTC)
    keeper: dict[str, str] = {}
    for id_, key, group, count in rows:
        if group not in keeper:
            keeper[group] = key
            continue
        bind.execute(event.insert().values(
            incident_id=id_, seq=count + 1, type=GROUP_RELEASED, at=now, actor="candor",
            payload={"group_key": group, "kept_by": keeper[group],
                     "reason": f"{keeper[group]} is the open incident of this alert group; "
                     "migration 0007 allows one open incident per group"}))
        bind.execute(incident.update().where(incident.c.id == id_)
                     .values(group_key=None, event_count=count + 1))


def _merge_duplicate_alert_rows(bind: sa.Connection) -> None:
    duplicated = bind.execute(
        sa.select(alert.c.incident_id, alert.c.fingerprint, sa.func.max(alert.c.id),
                  sa.func.sum(alert.c.receive_count))
        .where(alert.c.incident_id.is_not(None))
        .group_by(alert.c.incident_id, alert.c.fingerprint).having(sa.func.count() > 1)
    ).all()
    for incident_id, fingerprint, newest, total in duplicated:
        bind.execute(alert.update().where(alert.c.id == newest).values(receive_count=total))
        bind.execute(alert.delete().where(alert.c.incident_id == incident_id,
                                          alert.c.fingerprint == fingerprint, alert.c.id != newest))


def upgrade() -> None:
    bind = op.get_bind()
    _release_older_duplicates(bind)
    op.create_index("uq_incident_open_group", "incident", ["group_key"], unique=True,
                    sqlite_where=sa.text(OPEN_GROUP), postgresql_where=sa.text(OPEN_GROUP))
    _merge_duplicate_alert_rows(bind)
    op.create_index("uq_alert_incident_fingerprint", "alert", ["incident_id", "fingerprint"],
                    unique=True)

    # Adding nullable (or defaulted) columns rewrites no row: the append-only triggers stay quiet.
    with op.batch_alter_table("incident_event", recreate="never") as batch:
        batch.add_column(sa.Column("leader_epoch", sa.Integer, nullable=True))
    with op.batch_alter_table("outbox_message", recreate="never") as batch:
        batch.add_column(sa.Column("claim", sa.String, nullable=True))
        batch.add_column(sa.Column("redeliveries", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("leader_epoch", sa.Integer, nullable=True))

    # Times of the lease are seconds since the epoch on the database's own clock.
    op.create_table(
        "leader_lease",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("holder", sa.String, nullable=False),
        sa.Column("epoch", sa.Integer, nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("renewed_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        # epoch as a key: a takeover (new epoch) waits for the old leader's fenced
        # transactions (FOR KEY SHARE on PostgreSQL); a renewal does not.
        sa.UniqueConstraint("name", "epoch", name="uq_leader_lease_epoch"),
    )
    op.create_table(
        "leader_term",
        sa.Column("name", sa.String, primary_key=True),
        sa.Column("epoch", sa.Integer, primary_key=True),
        sa.Column("holder", sa.String, nullable=False),
        sa.Column("acquired_at", sa.Float, nullable=False),
        sa.Column("previous_holder", sa.String, nullable=True),
        sa.Column("previous_renewed_at", sa.Float, nullable=True),
    )
    op.execute("INSERT INTO leader_lease (name, holder, epoch, acquired_at, renewed_at, expires_at) "
               "VALUES ('singleton', '', 0, 0, 0, 0)")


def downgrade() -> None:
    op.drop_table("leader_term")
    op.drop_table("leader_lease")
    with op.batch_alter_table("outbox_message", recreate="never") as batch:
        batch.drop_column("leader_epoch")
        batch.drop_column("redeliveries")
        batch.drop_column("claim")
    with op.batch_alter_table("incident_event", recreate="never") as batch:
        batch.drop_column("leader_epoch")
    op.drop_index("uq_alert_incident_fingerprint", "alert")
    op.drop_index("uq_incident_open_group", "incident")
