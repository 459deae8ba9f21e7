"""Engine semantics: lookback, staleness, rate extrapolation, offset/@, subqueries,
vector matching, range queries and annotations."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pytest

from monitor.promql import (
    STALE_NAN,
    Engine,
    EvalError,
    Matrix,
    MemoryStorage,
    Scalar,
    Vector,
    is_stale,
    labels_dict,
)


def _store(*series: tuple[dict[str, str], Sequence[tuple[float, float]]]) -> MemoryStorage:
    """Build a MemoryStorage from (labels, [(seconds, value)])."""
    store = MemoryStorage()
    for labels, points in series:
        store.add(labels, [(round(t * 1000), v) for t, v in points])
    return store


def _values(vec: object) -> dict[str, float]:
    assert isinstance(vec, Vector)
    return {",".join(f"{k}={v}" for k, v in s.labels): s.value for s in vec}


COUNTER = {"__name__": "requests_total", "job": "api"}


@pytest.fixture
def counter_engine() -> Engine:
    # +1 every 15 s, from t=0 to t=600 s
    return Engine(_store((COUNTER, [(t, t / 15) for t in range(0, 601, 15)])))


def test_stale_nan_is_distinguished_from_nan() -> None:
    assert is_stale(STALE_NAN)
    assert not is_stale(math.nan)
    assert not is_stale(1.0)


def test_lookback_is_left_open_five_minutes() -> None:
    engine = Engine(_store(({"__name__": "up"}, [(0, 1.0)])))
    assert len(engine.instant("up", 299.999)) == 1  # type: ignore[arg-type]
    assert len(engine.instant("up", 300)) == 0  # type: ignore[arg-type]
    short = Engine(_store(({"__name__": "up"}, [(0, 1.0)])), lookback=60)
    assert len(short.instant("up", 61)) == 0  # type: ignore[arg-type]


def test_stale_marker_ends_series() -> None:
    engine = Engine(_store(({"__name__": "up"}, [(0, 1.0), (15, 1.0), (30, STALE_NAN)])))
    assert _values(engine.instant("up", 20)) == {"__name__=up": 1.0}
    assert _values(engine.instant("up", 31)) == {}
    # stale markers are not samples inside range vectors either
    assert _values(engine.instant("count_over_time(up[1m])", 40)) == {"": 2.0}


def test_range_selector_is_left_open(counter_engine: Engine) -> None:
    # (0, 60]: samples at 15, 30, 45, 60
    assert _values(counter_engine.instant("count_over_time(requests_total[1m])", 60)) == {
        "job=api": 4.0}


def test_rate_extrapolates_like_prometheus(counter_engine: Engine) -> None:
    res = _values(counter_engine.instant("rate(requests_total[1m])", 60))
    assert res["job=api"] == pytest.approx(1 / 15)
    res = _values(counter_engine.instant("increase(requests_total[1m])", 60))
    assert res["job=api"] == pytest.approx(4.0)


def test_rate_handles_counter_reset_and_extrapolation_to_zero() -> None:
    engine = Engine(_store((COUNTER, [(10, 5.0), (20, 10.0), (30, 2.0), (40, 7.0)])))
    # increase = (7-5) + 10 (reset) = 12 over 30 s sampled. Window (-15, 45]: the first
    # sample is 25 s from the start (> 1.1 x 10 s average interval), so extrapolate
    # half an interval (5 s); the last is 5 s from the end (< 11 s), so extrapolate fully.
    res = _values(engine.instant("increase(requests_total[1m])", 45))
    assert res["job=api"] == pytest.approx(12 * (30 + 5 + 5) / 30)


def test_irate_and_idelta_use_last_two_samples(counter_engine: Engine) -> None:
    assert _values(counter_engine.instant("irate(requests_total[1m])", 60))["job=api"] == (
        pytest.approx(1 / 15))
    assert _values(counter_engine.instant("idelta(requests_total[1m])", 60))["job=api"] == 1.0


def test_functions_drop_metric_name_but_last_over_time_keeps_it(counter_engine: Engine) -> None:
    assert list(_values(counter_engine.instant("abs(requests_total)", 60))) == ["job=api"]
    assert list(_values(counter_engine.instant("last_over_time(requests_total[1m])", 60))) == [
        "__name__=requests_total,job=api"]


def test_offset_and_at_modifiers(counter_engine: Engine) -> None:
    assert _values(counter_engine.instant("requests_total offset 1m", 300)) == {
        "__name__=requests_total,job=api": 16.0}
    assert _values(counter_engine.instant("requests_total offset -1m", 240)) == {
        "__name__=requests_total,job=api": 20.0}
    assert _values(counter_engine.instant("requests_total @ 150", 600)) == {
        "__name__=requests_total,job=api": 10.0}
    mat = counter_engine.range("requests_total @ start()", 60, 120, 30)
    assert mat[0].vs == [4.0, 4.0, 4.0]


def test_subquery_steps_are_aligned_to_absolute_time(counter_engine: Engine) -> None:
    # window (80, 125] with 20 s steps: aligned steps are 100 and 120 (not 85, 105, 125)
    res = counter_engine.instant("count_over_time(requests_total[45s:20s])", 125)
    assert _values(res) == {"job=api": 2.0}
    res = counter_engine.instant("last_over_time(requests_total[45s:20s])", 125)
    assert _values(res) == {"__name__=requests_total,job=api": 8.0}  # value at t=120
    res = counter_engine.instant("max_over_time(rate(requests_total[1m])[5m:])", 600)
    assert _values(res)["job=api"] == pytest.approx(1 / 15)


def test_vector_matching_one_to_one_and_group_left() -> None:
    engine = Engine(_store(
        ({"__name__": "errors", "job": "a", "code": "500"}, [(0, 5.0)]),
        ({"__name__": "errors", "job": "a", "code": "503"}, [(0, 1.0)]),
        ({"__name__": "total", "job": "a"}, [(0, 10.0)]),
    ))
    res = engine.instant("errors / ignoring(code) group_left total", 1)
    assert _values(res) == {"code=500,job=a": 0.5, "code=503,job=a": 0.1}
    with pytest.raises(EvalError, match="many-to-one matching must be explicit"):
        engine.instant("errors / ignoring(code) total", 1)
    with pytest.raises(EvalError, match="found duplicate series for the match group"):
        engine.instant("total / ignoring(code) errors", 1)


def test_comparison_filters_and_bool() -> None:
    engine = Engine(_store(({"__name__": "x", "i": "1"}, [(0, 1.0)]),
                           ({"__name__": "x", "i": "2"}, [(0, 5.0)])))
    assert _values(engine.instant("x > 2", 1)) == {"__name__=x,i=2": 5.0}
    assert _values(engine.instant("x > bool 2", 1)) == {"i=1": 0.0, "i=2": 1.0}
    assert _values(engine.instant("2 < x", 1)) == {"__name__=x,i=2": 5.0}


def test_set_operators() -> None:
    engine = Engine(_store(({"__name__": "a", "i": "1"}, [(0, 1.0)]),
                           ({"__name__": "a", "i": "2"}, [(0, 2.0)]),
                           ({"__name__": "b", "i": "2"}, [(0, 3.0)]),
                           ({"__name__": "b", "i": "3"}, [(0, 4.0)])))
    assert set(_values(engine.instant("a and b", 1))) == {"__name__=a,i=2"}
    assert set(_values(engine.instant("a unless b", 1))) == {"__name__=a,i=1"}
    assert set(_values(engine.instant("a or b", 1))) == {
        "__name__=a,i=1", "__name__=a,i=2", "__name__=b,i=3"}


def test_duplicate_labelsets_after_name_drop_fail() -> None:
    engine = Engine(_store(({"__name__": "a", "i": "1"}, [(0, 1.0)]),
                           ({"__name__": "b", "i": "1"}, [(0, 2.0)])))
    with pytest.raises(EvalError, match="same labelset"):
        engine.instant('-{i="1"}', 1)


def test_range_query_returns_sorted_matrix_and_scalar_series(counter_engine: Engine) -> None:
    mat = counter_engine.range("requests_total", 0, 60, 30)
    assert isinstance(mat, Matrix)
    assert [labels_dict(rs.labels) for rs in mat] == [COUNTER]
    assert mat[0].points == [(0, 0.0), (30_000, 2.0), (60_000, 4.0)]
    mat = counter_engine.range("time()", 0, 20, 10)
    assert mat[0].labels == () and mat[0].vs == [0.0, 10.0, 20.0]


def test_scalar_results_and_annotations(counter_engine: Engine) -> None:
    assert counter_engine.instant("1 + 2 * 3", 0) == Scalar(7.0, 0)
    res = counter_engine.query_instant('quantile(2, requests_total)', 60)
    assert res.warnings == [
        "PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)"]
    engine = Engine(_store(({"__name__": "gauge"}, [(0, 1.0), (30, 2.0)])))
    res = engine.query_instant("rate(gauge[1m])", 30)
    assert res.infos == ['PromQL info: metric might not be a counter, name does not end in '
                         '_total/_sum/_count/_bucket: "gauge" (1:6)']


def test_histogram_quantile_over_classic_buckets() -> None:
    def bucket(le: str, v: float) -> tuple[dict[str, str], list[tuple[float, float]]]:
        return {"__name__": "lat_bucket", "le": le}, [(0, v)]

    engine = Engine(_store(bucket("0.1", 50), bucket("0.5", 90), bucket("+Inf", 100)))
    res = _values(engine.instant("histogram_quantile(0.5, lat_bucket)", 1))
    assert res[""] == pytest.approx(0.1)
    res = _values(engine.instant("histogram_quantile(0.7, lat_bucket)", 1))
    assert res[""] == pytest.approx(0.1 + 0.4 * 0.5)


def test_label_replace_and_absent() -> None:
    engine = Engine(_store(({"__name__": "up", "instance": "host:9100"}, [(0, 1.0)])))
    res = engine.instant('label_replace(up, "host", "$1", "instance", "(.*):.*")', 1)
    assert _values(res) == {"__name__=up,host=host,instance=host:9100": 1.0}
    assert _values(engine.instant('absent(nope{job="x"})', 1)) == {"job=x": 1.0}
    assert _values(engine.instant("absent(up)", 1)) == {}


def test_division_by_zero_and_nan_do_not_raise() -> None:
    engine = Engine(MemoryStorage())
    assert engine.instant("1 / 0", 0) == Scalar(math.inf, 0)
    value = engine.instant("0 / 0", 0)
    assert isinstance(value, Scalar) and math.isnan(value.value)
    value = engine.instant("(-8) ^ 0.5", 0)
    assert isinstance(value, Scalar) and math.isnan(value.value)
    value = engine.instant("5 % 0", 0)
    assert isinstance(value, Scalar) and math.isnan(value.value)


def test_histogram_quantiles_labels_each_quantile() -> None:
    store = _store(*[({"__name__": "lat_bucket", "le": le}, [(0, v)])
                     for le, v in (("0.1", 50.0), ("0.5", 90.0), ("+Inf", 100.0))])
    res = Engine(store).instant('histogram_quantiles(lat_bucket, "q", 0.5, 1)', 1)
    assert _values(res) == {"q=0.5": pytest.approx(0.1), "q=1.0": pytest.approx(0.5)}


def test_metadata_labels_are_dropped_with_the_name() -> None:
    engine = Engine(_store(({"__name__": "x_total", "__type__": "counter", "__unit__": "s",
                             "job": "a"}, [(0, 1.0)])))
    assert _values(engine.instant("x_total * 2", 1)) == {"job=a": 2.0}


def test_aggregations_topk_limitk_count_values() -> None:
    engine = Engine(_store(*[({"__name__": "v", "i": str(i)}, [(0, float(i % 3))])
                             for i in range(6)]))
    top = engine.instant("topk(2, v)", 1)
    assert isinstance(top, Vector)
    assert [s.value for s in top] == [2.0, 2.0]
    assert len(engine.instant("limitk(4, v)", 1)) == 4  # type: ignore[arg-type]
    assert _values(engine.instant('count_values("val", v)', 1)) == {
        "val=0": 2.0, "val=1": 2.0, "val=2": 2.0}
    with pytest.raises(EvalError, match="Parameter value is NaN"):
        engine.instant("topk(NaN, v)", 1)


def test_sort_by_label_is_natural() -> None:
    engine = Engine(_store(*[({"__name__": "v", "i": name}, [(0, 1.0)])
                             for name in ("10", "9", "a2", "a10")]))
    res = engine.instant('sort_by_label(v, "i")', 1)
    assert isinstance(res, Vector)
    assert [dict(s.labels)["i"] for s in res] == ["9", "10", "a2", "a10"]


def test_deeply_nested_expressions_fail_with_typed_errors() -> None:
    engine = Engine(MemoryStorage())
    with pytest.raises(EvalError, match="nested too deeply"):
        engine.instant("1" + " + 1" * 5000, 0)
    assert engine.instant("(" * 100 + "1" + ")" * 100, 0) == Scalar(1.0, 0)


def test_a_query_holding_more_than_max_samples_fails_like_prometheus() -> None:
    store = _store((COUNTER, [(t, t / 15) for t in range(0, 601, 15)]))  # 40 in (0, 600]
    roomy, tight = Engine(store, max_samples=40), Engine(store, max_samples=39)

    assert roomy.instant("count_over_time(requests_total[10m])", 600.0)
    for query in ("count_over_time(requests_total[10m])", "rate(requests_total[10m])"):
        with pytest.raises(EvalError, match="^query processing would load too many samples "
                                            "into memory in query execution$"):
            tight.instant(query, 600.0)
    # range-query points and subquery steps count too
    with pytest.raises(EvalError, match="too many samples"):
        tight.range("vector(1)", 0, 39, 1)  # 40 points
    with pytest.raises(EvalError, match="too many samples"):
        tight.instant("max_over_time(vector(1)[40s:1s])", 600.0)  # 40 steps
    assert tight.range("vector(1)", 0, 38, 1)
