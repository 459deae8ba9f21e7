"""What every PromQL source answers with: plain values, times in Unix seconds."""

from __future__ import annotations

from typing import NamedTuple, Protocol


class InstantSample(NamedTuple):
    labels: dict[str, str]
    value: float


class RangeSeries(NamedTuple):
    labels: dict[str, str]
    points: list[tuple[float, float]]
    """``(unix_seconds, value)`` pairs, oldest first."""


class Queryable(Protocol):
    """Anything that answers PromQL: :class:`EmbeddedSource` or ``PrometheusClient``."""

    def query(self, expr: str, t: float) -> list[InstantSample]: ...

    def query_range(self, expr: str, start: float, end: float,
                    step: float) -> list[RangeSeries]: ...
