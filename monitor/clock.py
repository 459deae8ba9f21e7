"""The one clock. Everything that needs "now" gets a ``Clock`` passed in.

>>> clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
>>> clock.advance(seconds=30).now().isoformat()
'2026-01-01T00:00:30+00:00'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Wall-clock time, always timezone-aware UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to; for tests and simulations."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime (use tzinfo=UTC)")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, **delta: float) -> FixedClock:
        self._now += timedelta(**delta)
        return self

    def set(self, when: datetime) -> None:
        self._now = when


def utc(dt: datetime) -> datetime:
    """Return ``dt`` as aware UTC; naive datetimes (as SQLite returns them) are taken as UTC."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
