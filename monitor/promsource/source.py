"""The seam: one way to read series, whether Candor or an external Prometheus holds them.

Code that needs data (fix verification, impact, reports) asks for a :class:`Queryable`
and never cares where the series live::

    source = signal_source(settings.engine, hub.store)
    source.query('sum(rate(candor_app_errors_total{service="redirect"}[1m]))', t=now)
    # -> [InstantSample(labels={}, value=4.2)]
    source.query_range("candor_app_errors_total", start, end, step=15)
    # -> [RangeSeries(labels={...}, points=[(t, v), ...])]

``[engine] mode = "embedded"`` gives :class:`EmbeddedSource` (the PromQL engine over
the service's series store); ``mode = "prometheus"`` gives a
:class:`~monitor.promsource.client.PrometheusClient` for ``[engine] prometheus_url``.
Both return the same plain values, times in Unix seconds. Errors: a bad expression is
:class:`~monitor.errors.Unprocessable` from both; an unreachable Prometheus is
:class:`~monitor.errors.Unavailable`.
"""

from __future__ import annotations

from monitor.config.engine import EngineSettings
from monitor.errors import Unprocessable
from monitor.promql.engine import MAX_SAMPLES, Engine
from monitor.promql.errors import PromQLError
from monitor.promql.storage import Storage
from monitor.promql.value import Matrix, Scalar, Vector
from monitor.promsource.client import PrometheusClient
from monitor.promsource.queryable import InstantSample, Queryable, RangeSeries

__all__ = ["EmbeddedSource", "signal_source"]


class EmbeddedSource:
    """The embedded PromQL engine over a series store (the service's ``SignalHub.store``)."""

    def __init__(self, storage: Storage, *, lookback: float = 300.0,
                 max_samples: int = MAX_SAMPLES, delayed_name_removal: bool = False) -> None:
        self.engine = Engine(storage, lookback=lookback, max_samples=max_samples,
                             delayed_name_removal=delayed_name_removal)

    def query(self, expr: str, t: float) -> list[InstantSample]:
        try:
            value = self.engine.instant(expr, t)
        except PromQLError as exc:
            raise Unprocessable(f"cannot evaluate {expr!r}: {exc}") from None
        if isinstance(value, Scalar):
            return [InstantSample({}, value.value)]
        if isinstance(value, Vector):
            return [InstantSample(dict(s.labels), s.value) for s in value]
        raise Unprocessable(f"{expr!r} is a {type(value).__name__.lower()}; expected an "
                            "instant vector or scalar (drop the [range], or wrap it in rate())")

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[RangeSeries]:
        if step <= 0:
            raise Unprocessable(f"query_range step must be positive seconds, got {step}")
        try:
            matrix: Matrix = self.engine.range(expr, start, end, step)
        except PromQLError as exc:
            raise Unprocessable(f"cannot evaluate {expr!r}: {exc}") from None
        return [RangeSeries(dict(rs.labels), [(t / 1000, v) for t, v in zip(rs.ts, rs.vs,
                                                                                strict=True)])
                for rs in matrix]


def signal_source(engine: EngineSettings, store: Storage, *, timeout: float = 10.0) -> Queryable:
    """The :class:`Queryable` for the ``[engine]`` settings (see the module doc): the embedded
    engine over ``store``, or a client of ``engine.prometheus_url`` in prometheus mode.

    In prometheus mode the caller owns the returned client (``close()`` it, or use it as
    a context manager); the embedded source holds nothing that needs closing."""
    if engine.mode == "prometheus":
        return PrometheusClient(engine.prometheus_url, timeout=timeout)
    return EmbeddedSource(store, lookback=engine.lookback.total_seconds(),
                          max_samples=engine.max_samples,
                          delayed_name_removal=engine.delayed_name_removal)
