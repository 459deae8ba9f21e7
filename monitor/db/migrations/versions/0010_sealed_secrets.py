"""Webhook subscribers' signing secrets are sealed at rest (``monitor.db.sealed``).

Plain ``whsec_…`` secrets in ``subscriber.secret`` and in the payload of per-message
webhooks waiting in the outbox become ``fernet:…`` with ``[storage] secret_key``. With
such rows and no key the upgrade stops and says what to set; with none, no key is needed.

Revision ID: 0010_sealed_secrets
Revises: 0007_replicas
"""

import sqlalchemy as sa
from alembic import context, op

from monitor.errors import ConfigError

revision = "0010_sealed_secrets"
down_revision = "0007_replicas"

_SUBSCRIBERS = sa.table("subscriber", sa.column("id", sa.Integer), sa.column("secret", sa.String))
_OUTBOX = sa.table("outbox_message", sa.column("id", sa.Integer),
                   sa.column("receiver", sa.String), sa.column("payload", sa.JSON))
_DIRECT = "direct-webhook"  # monitor.notify.channels.DIRECT, as it was when this was written


def _rows(connection: sa.Connection) -> tuple[list[sa.Row], list[sa.Row]]:
    subscribers = [r for r in connection.execute(sa.select(_SUBSCRIBERS)).all()
                   if r.secret and not r.secret.startswith("fernet:")]
    outbox = [r for r in connection.execute(
        sa.select(_OUTBOX).where(_OUTBOX.c.receiver == _DIRECT)).all()
        if isinstance(r.payload, dict) and str(r.payload.get("secret") or "").startswith("whsec_")]
    return subscribers, outbox


def _convert(change) -> None:  # type: ignore[no-untyped-def]
    connection = op.get_bind()
    subscribers, outbox = _rows(connection)
    if not subscribers and not outbox:
        return
    box = context.config.attributes.get("secret_box")
    if box is None:
        raise ConfigError("secret key missing", lines=[
            f"storage.secret_key: {len(subscribers)} webhook subscriber(s) and {len(outbox)} "
            "queued webhook(s) keep a signing secret that must be sealed at rest; set "
            '[storage] secret_key = "env:CANDOR_SECRET_KEY" with a Fernet key in that variable '
            "(python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())') and run `candor db upgrade` again"])
    for row in subscribers:
        connection.execute(sa.update(_SUBSCRIBERS).where(_SUBSCRIBERS.c.id == row.id)
                           .values(secret=change(box, row.secret)))
    for row in outbox:
        payload = {**row.payload, "secret": change(box, row.payload["secret"])}
        connection.execute(sa.update(_OUTBOX).where(_OUTBOX.c.id == row.id).values(payload=payload))


def upgrade() -> None:
    _convert(lambda box, plain: box.seal(plain))


def downgrade() -> None:
    connection = op.get_bind()
    box = context.config.attributes.get("secret_box")
    sealed = [r for r in connection.execute(sa.select(_SUBSCRIBERS)).all()
              if r.secret and r.secret.startswith("fernet:")]
    if box is None:
        if not sealed:
            return
        raise ConfigError("secret key missing", lines=[
            "storage.secret_key: needed to unseal the webhook subscribers' secrets"])
    for row in sealed:
        connection.execute(sa.update(_SUBSCRIBERS).where(_SUBSCRIBERS.c.id == row.id)
                           .values(secret=box.open(row.secret)))
    for row in connection.execute(sa.select(_OUTBOX).where(_OUTBOX.c.receiver == _DIRECT)).all():
        secret = str((row.payload or {}).get("secret") or "")
        if secret.startswith("fernet:"):
            payload = {**row.payload, "secret": box.open(secret)}
            connection.execute(sa.update(_OUTBOX).where(_OUTBOX.c.id == row.id)
                               .values(payload=payload))
