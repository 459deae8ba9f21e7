"""Random PromQL over the same data through the real ``prometheus`` (Debian's 2.42) and
Candor: every answer is the same, or explained by a known 2.x→3.x change
(:mod:`tests.monitor.promql.differential.justified`). The longer run is
``make promql-diff N=5000``; see :mod:`tests.monitor.promql.differential`."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.monitor.promql.differential import justified
from tests.monitor.promql.differential.compare import answer, differences, same_value
from tests.monitor.promql.differential.data import T0, dataset, openmetrics
from tests.monitor.promql.differential.generator import Generator
from tests.monitor.promql.differential.harness import Candor, Prometheus, Query, Report, run

SEED = 18
COUNT = 250
GRID_COUNT = 80


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Prometheus]:
    with Prometheus.serve(tmp_path_factory.mktemp("promql-diff")) as prom:
        yield prom


@pytest.fixture(scope="module")
def candor() -> Candor:
    return Candor()


def _explain(report: Report) -> str:
    cases = "\n\n".join(case.report() for case in report.unexplained[:15])
    return f"{report.summary()}\n\nunexplained differences:\n\n{cases}"


def test_random_queries_answer_like_prometheus_off_the_sample_grid(
        prometheus: Prometheus, candor: Candor) -> None:
    report = run(prometheus, count=COUNT, seed=SEED, candor=candor)

    assert report.compared == COUNT * 7
    if report.unexplained:
        pytest.fail(_explain(report), pytrace=False)


def test_random_queries_answer_like_prometheus_on_the_sample_grid(
        prometheus: Prometheus, candor: Candor) -> None:
    report = run(prometheus, count=GRID_COUNT, seed=SEED + 1, grid=True, candor=candor)

    if report.unexplained:
        pytest.fail(_explain(report), pytrace=False)
    # On the grid, windows start exactly on samples: the 2.x closed windows show.
    assert report.justified["left-open range and lookback windows"] > 0


def test_both_sides_hold_the_same_samples(prometheus: Prometheus, candor: Candor) -> None:
    query = Query('{__name__=~".+"}[2h]', t=T0 + 3700.0)
    theirs = query.ask(prometheus)

    assert len(theirs.series) == len(dataset())
    assert differences(theirs, query.ask(candor)) == []


# ---- the harness's own parts ---------------------------------------------------------------


def test_the_generator_is_deterministic_and_varied() -> None:
    gen, again = Generator(random.Random(3)), Generator(random.Random(3))
    first = [gen.expression() for _ in range(5)]
    many = [Generator(random.Random(seed)).expression() for seed in range(200)]

    assert first == [again.expression() for _ in range(5)]
    assert len(set(many)) > 190
    for piece in ("offset", " @ ", "by (", "without (", "on(", "ignoring(", "group_left",
                  " bool ", " and ", " or ", " unless ", ":", "=~", "!~", "!=",
                  "histogram_quantile", "count_values", "topk", "label_replace"):
        assert any(piece in e for e in many), piece


def test_values_compare_within_1e9_relative_with_signs_of_zero_and_infinity() -> None:
    assert same_value("1", "1.0000000001")
    assert not same_value("1", "1.00001")
    assert same_value("NaN", "NaN")
    assert not same_value("NaN", "0")
    assert not same_value("-0", "0")
    assert not same_value("+Inf", "-Inf")
    assert same_value("-Inf", "-Inf")


def test_answers_are_read_from_prometheus_json() -> None:
    body = {"status": "success", "data": {"resultType": "vector", "result": [
        {"metric": {"job": "api"}, "value": [1700000000.5, "-0"]}]}}
    error = {"status": "error", "errorType": "bad_data",
             "error": 'invalid parameter "query": 1:5: parse error: x'}

    assert answer(body).series == (((("job", "api"),), ((1700000000500, "-0"),)),)
    assert answer(error).error == "1:5: parse error: x"


def test_closed_windows_lengthen_ranges_and_subqueries_outside_strings() -> None:
    expr = 'rate(x{a="[5m]"}[5m]) + max_over_time((y)[1h:30s] offset 1m) + z[90s]'

    assert justified.closed_windows(expr) == (
        'rate(x{a="[5m]"}[5m1ms]) + max_over_time((y)[1h1ms:30s] offset 1m) + z[90s1ms]')


def test_every_justification_names_its_3x_source() -> None:
    names = [j.name for j in justified.JUSTIFIED]

    assert len(names) == len(set(names))
    for j in justified.JUSTIFIED:
        assert "v3." in j.source or "main@" in j.source, j.name
        assert j.change, j.name


def test_sort_orders_are_compared_only_where_defined() -> None:
    assert justified.ordered("sort_desc(rate(x[5m]))")
    assert not justified.ordered("sort(x) + sort(y)")
    assert not justified.ordered("sum(sort(x))")


def test_the_data_survives_openmetrics_exactly(tmp_path: Path) -> None:
    text = openmetrics(dataset())

    assert text.endswith("# EOF\n")
    assert '\\"' in text and "\\n" in text and "NaN" in text and "-Inf" in text
