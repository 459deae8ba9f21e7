"""The same settings and incident helpers as the comms tests; the outbox runs on both
databases."""

import pytest

from tests.monitor.comms.conftest import fixed, incident, open_incident, settings

__all__ = ["fixed", "incident", "open_incident", "settings"]


@pytest.fixture
def database(both_databases: dict[str, str]) -> dict[str, str]:
    """Every test here that builds settings runs on SQLite, then PostgreSQL."""
    return both_databases
