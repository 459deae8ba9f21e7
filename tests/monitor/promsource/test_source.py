"""``signal_source(runtime)`` in embedded mode: the PromQL engine over Candor's own store."""

from __future__ import annotations

import pytest

from monitor.api.runtime import Runtime
from monitor.errors import Unprocessable
from monitor.promql.labels import labels_from
from monitor.promsource import EmbeddedSource, InstantSample, signal_source
from tests.conftest import START

T0 = START.timestamp()


def test_embedded_source_reads_the_series_store(runtime: Runtime) -> None:
    labels = {"__name__": "candor_app_errors_total", "service": "redirect"}
    runtime.signals.store.append([(labels_from(labels), round((T0 + i) * 1000), float(i * 3))
                                  for i in range(11)], now_ms=round((T0 + 10) * 1000))
    source = signal_source(runtime)

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
def test_bad_queries_are_unprocessable_with_the_expression(runtime: Runtime, expr: str,
                                                           message: str) -> None:
    with pytest.raises(Unprocessable, match=message):
        signal_source(runtime).query(expr, T0)


def test_a_zero_step_is_refused(runtime: Runtime) -> None:
    with pytest.raises(Unprocessable, match="step must be positive seconds, got 0"):
        signal_source(runtime).query_range("up", T0, T0 + 10, 0)
