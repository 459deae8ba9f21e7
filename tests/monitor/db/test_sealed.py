"""Webhook subscribers' signing secrets are sealed at rest: a store from before (plain
``whsec_…`` in the subscriber row and in queued webhooks) is sealed by ``candor db upgrade``
with ``[storage] secret_key``; without the key the upgrade and the start say what to set."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from prometheus_client import CollectorRegistry
from typer.testing import CliRunner

from monitor import db
from monitor.cli.main import app
from monitor.config import Settings
from monitor.db.sealed import SecretBox, is_sealed
from monitor.errors import ConfigError
from monitor.notify.channels import DIRECT
from monitor.wiring import assemble, build_runtime

BEFORE = "0007_replicas"  # the revision before 0010_sealed_secrets


def plain_store(url: str) -> str:
    """A store at the revision before sealing, holding one webhook subscriber and one queued
    webhook with the same plain secret; returns that secret."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    engine = db.make_engine(url)
    db.upgrade(engine, BEFORE)
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with engine.begin() as c:
        c.execute(sa.text(
            "INSERT INTO subscriber (kind, address, components, lang, state, secret, created_at) "
            "VALUES ('webhook', 'https://hooks.example/s', '[]', 'en', 'confirmed', :s, :t)"),
            {"s": secret, "t": now})
        c.execute(sa.text(
            "INSERT INTO outbox_message (idempotency_key, receiver, event_type, payload, state, "
            "attempts, created_at, next_attempt_at) VALUES ('subscriber:1:INC-1:3', :r, "
            "'notice.published', :p, 'pending', 0, :t, :t)"),
            {"r": DIRECT, "t": now, "p": json.dumps({"url": "https://hooks.example/s",
                                                     "secret": secret, "body": {}})})
    engine.dispose()
    return secret


def stored(url: str) -> tuple[str, str]:
    engine = db.make_engine(url)
    with engine.connect() as c:
        row = c.execute(sa.text("SELECT secret FROM subscriber")).scalar_one()
        payload = c.execute(sa.text("SELECT payload FROM outbox_message")).scalar_one()
    engine.dispose()
    payload = json.loads(payload) if isinstance(payload, str) else payload
    return row, payload["secret"]


@pytest.fixture
def settings_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    def make(url: str, key: str | None) -> Settings:
        monkeypatch.setenv("CANDOR_TEST_DB", url)
        storage = {"data_dir": str(tmp_path / "data"), "database_url": "env:CANDOR_TEST_DB"}
        if key is not None:
            monkeypatch.setenv("CANDOR_TEST_SECRET_KEY", key)
            storage["secret_key"] = "env:CANDOR_TEST_SECRET_KEY"
        return Settings.model_validate({"storage": storage})

    return make


def test_an_upgrade_seals_plain_secrets_and_delivery_still_signs(store_url, settings_for) -> None:
    secret = plain_store(store_url)
    with pytest.raises(ConfigError) as refused:  # no key: the upgrade stops and says why
        build_runtime(settings_for(store_url, None), registry=CollectorRegistry())
    assert "storage.secret_key: 1 webhook subscriber(s) and 1 queued webhook(s)" in \
        str(refused.value)
    assert stored(store_url) == (secret, secret)  # nothing half-done

    key = Fernet.generate_key().decode()
    runtime = build_runtime(settings_for(store_url, key), registry=CollectorRegistry())
    row, queued = stored(store_url)
    assert is_sealed(row) and is_sealed(queued) and secret not in row + queued
    assert SecretBox([key]).open(row) == SecretBox([key]).open(queued) == secret
    assert db.current_revision(runtime.engine) == db.head_revision()
    runtime.close()

    # Once sealed, starting without the key is refused with what to set.
    bare = build_runtime(settings_for(store_url, None), registry=CollectorRegistry())
    with pytest.raises(ConfigError) as at_start:
        assemble(bare)
    assert "storage.secret_key: 1 webhook subscriber(s) keep a sealed signing secret" in \
        str(at_start.value)
    bare.close()


def test_candor_db_upgrade_without_the_key_exits_2_naming_it(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    plain_store(url)
    monkeypatch.setenv("CANDOR_TEST_DB", url)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path}"\ndatabase_url = "env:CANDOR_TEST_DB"\n')
    result = CliRunner().invoke(app, ["db", "upgrade", "--config", str(config)])
    assert result.exit_code == 2
    assert "storage.secret_key" in result.output and "Fernet" in result.output


def test_a_key_that_is_not_a_fernet_key_is_a_config_error(settings_for, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="storage.secret_key") as caught:
        build_runtime(settings_for(f"sqlite:///{tmp_path / 'x.db'}", "not-a-key"))
    assert "does not hold a Fernet key" in str(caught.value)


def test_rotation_the_first_key_seals_every_key_opens() -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_before = SecretBox([old]).seal("whsec_x")
    both = SecretBox([new, old])
    assert both.open(sealed_before) == "whsec_x"
    assert SecretBox([new]).open(both.seal("whsec_y")) == "whsec_y"
    with pytest.raises(ValueError, match="no key in"):
        SecretBox([new]).open(sealed_before)


def test_restoring_a_backup_from_before_sealing_seals_its_secrets_with_the_configured_key(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A backup taken before 0010 holds plain webhook secrets; restore migrates it up with
    [storage] secret_key, so it is sealed, not refused as "secret key missing"."""
    backup = tmp_path / "old.db"
    secret = plain_store(f"sqlite:///{backup}")
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("CANDOR_TEST_SECRET_KEY", key)
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
                    'secret_key = "env:CANDOR_TEST_SECRET_KEY"\n[engine]\nrule_files = []\n')
    result = CliRunner().invoke(app, ["restore", str(backup), "--config", str(path)])
    assert result.exit_code == 0, result.output
    row, queued = stored(f"sqlite:///{tmp_path / 'data' / 'candor.db'}")
    assert is_sealed(row) and is_sealed(queued)
    box = SecretBox.from_settings(Settings.model_validate(
        {"storage": {"secret_key": "env:CANDOR_TEST_SECRET_KEY"}}))
    assert box is not None and box.open(row) == secret
