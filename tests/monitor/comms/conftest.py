"""Settings with public components, and an incident to talk about."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.fernet import Fernet

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from monitor.notify.delivery import DeliveryStats, deliver_due
from monitor.wiring import Candor
from tests.monitor.comms.mail import SECRET_KEY_VAR


@pytest.fixture(autouse=True)
def secret_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """A Fernet key in the variable ``mail_settings`` names for ``[storage] secret_key``."""
    key = Fernet.generate_key().decode()
    monkeypatch.setenv(SECRET_KEY_VAR, key)
    return key


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(comms={"components": [
        {"name": "Links", "services": ["redirect"]}, {"name": "Accounts", "services": ["auth"]},
    ]})


def open_incident(runtime: Runtime, **overrides: Any) -> Incident:
    values: dict[str, Any] = {
        "title": "HighErrorRate redirect-svc", "severity": "SEV1", "services": ["redirect"],
        "summary": "5xx on redirect-svc-7f9c", "labels": {"team": "links"},
    }
    values.update(overrides)
    with runtime.unit() as session:
        return incidents.open_incident(session, clock=runtime.clock, key_prefix="INC",
                                       actor="alertmanager", **values)


@pytest.fixture
def incident(runtime: Runtime) -> Incident:
    return open_incident(runtime)


@pytest.fixture
def fixed(runtime: Runtime) -> FixedClock:
    assert isinstance(runtime.clock, FixedClock)
    return runtime.clock


def deliver(candor: Candor) -> DeliveryStats:
    """What the jobs do between a publish and the inbox: the subscriber fan-out, then one
    delivery pass."""
    from monitor.comms.subscribers.service import fan_out_due

    fan_out_due(candor.courier, candor.runtime.settings)
    return deliver_due(candor.courier)
