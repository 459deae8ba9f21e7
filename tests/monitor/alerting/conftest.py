"""Routing runs on both databases."""

from __future__ import annotations

import pytest


@pytest.fixture
def database(both_databases: dict[str, str]) -> dict[str, str]:
    """Every test here that builds settings runs on SQLite, then PostgreSQL."""
    return both_databases
