"""Prometheus mode's source, ``PrometheusClient``, against a real Prometheus (Debian's 2.x)
holding the same samples as Candor's series store (backfilled with promtool): the same
questions get the same answers from both sources, and Prometheus's own refusals come
back as named errors.

Times are off the 15 s sample grid, so the one place 2.x and 3.x differ for these
queries (a range selector's left boundary) never decides an answer.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.errors import Unavailable, Unprocessable
from monitor.promql.labels import labels_from
from monitor.promsource import EmbeddedSource, InstantSample, PrometheusClient
from monitor.signals.store import SeriesStore
from tests.conftest import START
from tests.support.processes import prometheus_with_data

T0 = START.timestamp()
STEP = 15
COUNT = 121  # 30 minutes of samples

#: (metric, labels, value at sample i): counters that grow at different rates, a counter
#: reset, a gauge, and special values.
SERIES: list[tuple[str, dict[str, str], object]] = [
    ("candor_app_errors_total", {"service": "redirect", "kind": "timeout"}, lambda i: 3.0 * i),
    ("candor_app_errors_total", {"service": "redirect", "kind": "5xx"}, lambda i: 0.5 * i),
    ("candor_app_errors_total", {"service": "shortener", "kind": "5xx"},
     lambda i: float(i % 40)),  # resets every 10 minutes
    ("queue_depth", {"queue": "mail"}, lambda i: 100.0 + 10 * math.sin(i / 7)),
    ("weird", {"kind": "inf"}, lambda i: math.inf),
    ("weird", {"kind": "nan"}, lambda i: math.nan),
]

RULES = """
groups:
  - name: ratios
    interval: 30s
    rules:
      - record: service:errors:rate1m
        expr: sum by (service) (rate(candor_app_errors_total[1m]))
  - name: alerts
    rules:
      - alert: ErrorsHigh
        expr: service:errors:rate1m > 1
"""


def _om_value(v: float) -> str:
    return "NaN" if math.isnan(v) else ("+Inf" if v == math.inf else repr(v))


def _samples() -> list[tuple[dict[str, str], int, float]]:
    out = []
    for name, labels, value in SERIES:
        for i in range(COUNT):
            out.append(({"__name__": name, **labels}, round((T0 + STEP * i) * 1000),
                        value(i)))  # type: ignore[operator]
    return out


def _openmetrics() -> str:
    types = {"candor_app_errors_total": "counter", "queue_depth": "gauge", "weird": "gauge"}
    lines = []
    for name, kind in types.items():
        family = name.removesuffix("_total")
        lines.append(f"# TYPE {family} {kind}")
        for labels, t, v in _samples():
            if labels["__name__"] == name:
                text = ",".join(f'{k}="{x}"' for k, x in sorted(labels.items()) if k != "__name__")
                lines.append(f"{name}{{{text}}} {_om_value(v)} {t / 1000:.3f}")
    return "\n".join(lines) + "\n# EOF\n"


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusClient]:
    with prometheus_with_data(tmp_path_factory.mktemp("prometheus"), _openmetrics(),
                              rules=RULES) as url, PrometheusClient(url) as client:
        yield client


@pytest.fixture(scope="module")
def embedded() -> EmbeddedSource:
    store = SeriesStore(retention_ms=100 * 86_400_000, now_ms=round(T0 * 1000))
    store.append([(labels_from(labels), t, v) for labels, t, v in _samples()],
                 now_ms=round((T0 + STEP * COUNT) * 1000))
    return EmbeddedSource(store)


def _norm(samples: list[InstantSample]) -> list[tuple[list[tuple[str, str]], str]]:
    # NaN != NaN: compare values by their printed form, rounded past float noise
    return sorted((sorted(s.labels.items()), f"{s.value:.9g}") for s in samples)


INSTANT = [
    "sum by (service) (rate(candor_app_errors_total[1m]))",
    'candor_app_errors_total{service="redirect"}',
    "increase(candor_app_errors_total[5m])",
    "avg_over_time(queue_depth[2m]) > 100",
    "weird",
    "count by (kind) (candor_app_errors_total)",
    "1 + 1",
    "scalar(sum(candor_app_errors_total))",
    "absent(nothing_here)",
    "nothing_here",
]


@pytest.mark.parametrize("expr", INSTANT)
# the last two after the data: within the 5 min lookback, then past it
@pytest.mark.parametrize("offset", [37.5, 601.25, 1799.9, 1950.5, 2150.0])
def test_instant_queries_answer_as_the_embedded_engine_does(
        prometheus: PrometheusClient, embedded: EmbeddedSource, expr: str, offset: float) -> None:
    theirs = prometheus.query(expr, T0 + offset)
    assert _norm(theirs) == _norm(embedded.query(expr, T0 + offset))


@pytest.mark.parametrize("expr", INSTANT[:6])
def test_range_queries_answer_as_the_embedded_engine_does(
        prometheus: PrometheusClient, embedded: EmbeddedSource, expr: str) -> None:
    start, end, step = T0 + 300.5, T0 + 1900.5, 30.0
    theirs = prometheus.query_range(expr, start, end, step)
    ours = embedded.query_range(expr, start, end, step)
    assert sorted(s.labels.items() for s in theirs) == sorted(s.labels.items() for s in ours)
    by_labels = {tuple(sorted(s.labels.items())): s.points for s in ours}
    for series in theirs:
        points = by_labels[tuple(sorted(series.labels.items()))]
        assert [(t, f"{v:.9g}") for t, v in series.points] == [
            (t, f"{v:.9g}") for t, v in points], series.labels


def test_the_numbers_are_the_samples(prometheus: PrometheusClient) -> None:
    """Not only equal to Candor's: right. 3 + 0.5 errors per 15 s is 0.2333/s for redirect."""
    [redirect] = [s for s in prometheus.query(
        "sum by (service) (rate(candor_app_errors_total[1m]))", T0 + 601.25)
        if s.labels == {"service": "redirect"}]
    assert redirect.value == pytest.approx(3.5 / 15)
    weird = {s.labels["kind"]: s.value for s in prometheus.query("weird", T0 + 60)}
    assert weird["inf"] == math.inf and math.isnan(weird["nan"])
    [(t, v)] = prometheus.query_range('queue_depth{queue="mail"}', T0 + 150, T0 + 150, 1)[0].points
    assert (t, v) == (T0 + 150, pytest.approx(100 + 10 * math.sin(10 / 7)))


def test_the_rules_prometheus_evaluates_are_read_with_the_longest_interval(
        prometheus: PrometheusClient) -> None:
    recording, interval = prometheus.rules()
    assert recording == {
        "service:errors:rate1m": "sum by (service) (rate(candor_app_errors_total[1m]))"}
    assert interval == 60.0  # the alerts group's default (global) 1m beats 30s


def test_prometheus_refusals_are_unprocessable_and_quote_prometheus(
        prometheus: PrometheusClient) -> None:
    # real bad_data answers (HTTP 400) from Prometheus, not canned ones
    with pytest.raises(Unprocessable, match=r"rejected the query \(bad_data\): .*1:5: parse "
                                            r"error: unclosed left parenthesis"):
        prometheus.query("sum(", T0)
    with pytest.raises(Unprocessable, match=r"\(bad_data\): .*exceeded maximum resolution"):
        prometheus.query_range("up", T0, T0 + 86_400 * 30, 0.001)
    with pytest.raises(Unprocessable, match=r"\(bad_data\): .*end timestamp must not be before"):
        prometheus.query_range("up", T0 + 10, T0, 1)
    with pytest.raises(Unprocessable, match=r"step must be positive seconds, got -1"):
        prometheus.query_range("up", T0, T0 + 10, -1)


def test_a_range_vector_is_named_as_the_wrong_kind_of_answer(
        prometheus: PrometheusClient) -> None:
    with pytest.raises(Unavailable, match=r"resultType 'matrix'; expected a vector or scalar "
                                          r"\(is the expression a range vector like x\[5m\]\?\)"):
        prometheus.query("queue_depth[1m]", T0 + 600)
    with pytest.raises(Unprocessable, match="is a matrix; expected an instant vector"):
        EmbeddedSource(SeriesStore(retention_ms=1000)).query("queue_depth[1m]", T0 + 600)


def test_a_url_without_a_scheme_is_refused_before_any_request(tmp_path: Path) -> None:
    with pytest.raises(Unprocessable, match=r"'127.0.0.1:9090' must start with http:// or "
                                            r"https://, e.g. http://127.0.0.1:9090"):
        PrometheusClient("127.0.0.1:9090")
