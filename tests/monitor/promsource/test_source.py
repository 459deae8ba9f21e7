"""``signal_source(settings.engine, store)`` in embedded mode: the PromQL engine over Candor's
own store."""

from __future__ import annotations

import pytest

from monitor.errors import Unprocessable
from monitor.promql.labels import labels_from
from monitor.promsource import EmbeddedSource, InstantSample, Queryable, signal_source
from monitor.wiring import Candor
from tests.conftest import START

T0 = START.timestamp()


def source_of(candor: Candor) -> Queryable:
    return signal_source(candor.runtime.settings.engine, candor.signals.store)


def test_embedded_source_reads_the_series_store(candor: Candor) -> None:
    labels = {"__name__": "candor_app_errors_total", "service": "redirect"}
    candor.signals.store.append([(labels_from(labels), round((T0 + i) * 1000), float(i * 3))
                                 for i in range(11)], now_ms=round((T0 + 10) * 1000))
    source = source_of(candor)

    assert isinstance(source, EmbeddedSource)
    assert source.query("sum by (service) (candor_app_errors_total)", T0 + 10) == [
        InstantSample({"service": "redirect"}, 30.0)]
    [series] = source.query_range("rate(candor_app_errors_total[5s])", T0 + 5, T0 + 10, 5)
    assert series.labels == {"service": "redirect"}
    assert series.points == [(T0 + 5, 3.0), (T0 + 10, 3.0)]
    assert source.query("1 + 1", T0) == [InstantSample({}, 2.0)]


@pytest.mark.parametrize(("expr", "message"), [
    ("sum(", "cannot evaluate 'sum\\('"),
    ("candor_app_errors_total[5m]", "is a matrix; expected an instant vector or scalar"),
])
def test_bad_queries_are_unprocessable_with_the_expression(candor: Candor, expr: str,
                                                           message: str) -> None:
    with pytest.raises(Unprocessable, match=message):
        source_of(candor).query(expr, T0)


def test_a_zero_step_is_refused(candor: Candor) -> None:
    with pytest.raises(Unprocessable, match="step must be positive seconds, got 0"):
        source_of(candor).query_range("up", T0, T0 + 10, 0)
