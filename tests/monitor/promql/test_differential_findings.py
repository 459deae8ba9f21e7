"""What the differential harness (``tests/monitor/promql/differential``) found Candor
answering differently from Prometheus, each as the smallest query that showed it, with
Prometheus's answer as the expectation."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest

from monitor.config import Settings
from monitor.promql import Engine, EvalError, MemoryStorage, Vector


def _engine(*series: tuple[dict[str, str], Sequence[tuple[float, float]]], **kw: object) -> Engine:
    store = MemoryStorage()
    for labels, points in series:
        store.add(labels, [(round(t * 1000), v) for t, v in points])
    return Engine(store, **kw)  # type: ignore[arg-type]


def _answer(engine: Engine, expr: str, t: float = 600.0) -> list[tuple[dict[str, str], str]]:
    value = engine.instant(expr, t)
    assert isinstance(value, Vector)
    return [(dict(lb), v) for lb, v in sorted((s.labels, repr(s.value)) for s in value)]


COUNTER = ({"__name__": "c_total", "job": "a"}, [(t, t / 15) for t in range(0, 601, 15)])


def test_an_at_start_or_end_may_come_before_the_range() -> None:
    engine = _engine(COUNTER)

    assert (_answer(engine, "rate(c_total @ end()[5m])")
            == _answer(engine, "rate(c_total[5m] @ end())")
            == [({"job": "a"}, repr(1 / 15))])
    assert _answer(engine, "count_over_time(c_total @ start()[1m])") == [({"job": "a"}, "4.0")]



def test_histogram_quantile_0_with_an_empty_lowest_bucket_is_nan() -> None:
    # Was a ZeroDivisionError (rank 0 / count 0); Go's 0/0 is NaN. Any latency rule
    # histogram_quantile(q, rate(x_bucket[5m])) whose lowest bucket's rate is 0 can hit it.
    engine = _engine()
    buckets = ('label_replace(vector(0), "le", "0.1", "", "") '
               'or label_replace(vector(5), "le", "+Inf", "", "")')

    assert _answer(engine, f"histogram_quantile(0, {buckets})") == [({}, "nan")]
    assert _answer(engine, f"histogram_quantile(0.5, {buckets})") == [({}, "0.1")]


def test_clamp_follows_go_min_and_max_with_nan_and_infinities() -> None:
    engine = _engine()

    assert _answer(engine, "clamp_max(vector(-Inf), NaN)") == [({}, "-inf")]
    assert _answer(engine, "clamp_min(vector(Inf), NaN)") == [({}, "inf")]
    assert _answer(engine, "clamp_max(vector(1), NaN)") == [({}, "nan")]
    assert _answer(engine, "clamp(vector(NaN), -1, 1)") == [({}, "nan")]
    assert _answer(engine, "clamp_min(vector(-0.0), 0)") == [({}, "0.0")]
    assert _answer(engine, "clamp_max(vector(0), -0.0)") == [({}, "-0.0")]


def test_ceil_and_floor_keep_the_sign_of_zero() -> None:
    engine = _engine()

    assert _answer(engine, "1 / ceil(vector(-0.5))") == [({}, "-inf")]
    assert _answer(engine, "ceil(vector(-0.5)) ^ -1") == [({}, "-inf")]
    assert _answer(engine, "floor(vector(-0.0))") == [({}, "-0.0")]
    assert _answer(engine, "floor(vector(0.5))") == [({}, "0.0")]
    assert _answer(engine, 'count_values("v", ceil(vector(-0.5)))') == [({"v": "-0"}, "1.0")]


def test_count_values_sets_the_value_label_before_grouping() -> None:
    engine = _engine(({"__name__": "x", "v": "old", "job": "a"}, [(600, 1.0)]))

    assert _answer(engine, 'count_values without (v) ("v", vector(1))') == [({}, "1.0")]
    assert _answer(engine, 'count_values without (job) ("v", x)') == [({"v": "1"}, "1.0")]
    assert _answer(engine, 'count_values by (job) ("v", x)') == [({"job": "a", "v": "1"}, "1.0")]
    assert _answer(engine, 'count_values by (job) ("job", x)') == [({"job": "1"}, "1.0")]


def test_topk_and_bottomk_break_ties_like_prometheus_heap() -> None:
    # Prometheus keeps the k best in a heap whose root is replaced by a better sample;
    # among equal values the survivors follow that heap, not the input order.
    engine = _engine(({"__name__": "x", "i": "a"}, [(600, 1.0)]),
                     ({"__name__": "x", "i": "b"}, [(600, 1.0)]),
                     ({"__name__": "x", "i": "c"}, [(600, 0.0)]))

    assert [lb["i"] for lb, _ in _answer(engine, "bottomk(2, x)")] == ["b", "c"]
    assert [lb["i"] for lb, _ in _answer(engine, "topk(2, -x)")] == ["b", "c"]
    assert [lb["i"] for lb, _ in _answer(engine, "topk(1, x)")] == ["a"]


def test_names_are_dropped_at_once_unless_delayed_name_removal_is_on() -> None:
    series = (({"__name__": "x", "le": "a"}, [(600, -1.0)]),
              ({"__name__": "y", "le": "a"}, [(600, -2.0)]))
    query = 'label_replace(abs(x), "le", "static", "__name__", "")'

    # A default Prometheus server: abs() has dropped the name, the regex "" matches "".
    assert _answer(_engine(*series), query) == [({"le": "static"}, "1.0")]
    # promqltest (delayed name removal): the name is still there, "" does not match it.
    assert _answer(_engine(*series, delayed_name_removal=True), query) == [({"le": "a"}, "1.0")]


def test_series_that_differ_only_by_name_collide_where_the_name_is_dropped() -> None:
    series = (({"__name__": "x", "job": "a"}, [(t, t) for t in range(0, 601, 15)]),
              ({"__name__": "y", "job": "a"}, [(t, 2 * t) for t in range(0, 601, 15)]))
    eager, delayed = _engine(*series), _engine(*series, delayed_name_removal=True)

    for query in ('sum(abs({__name__=~"x|y"}))', 'sum(rate({__name__=~"x|y"}[5m]))',
                  'sum(-{__name__=~"x|y"})', 'count({__name__=~"x|y"} * 2)'):
        with pytest.raises(EvalError, match="vector cannot contain metrics with the same"):
            eager.instant(query, 600)
        assert _answer(delayed, query)[0][0] == {}
    # The rate of a fixed metric name cannot collide: the fast path stays open.
    [(labels, value)] = _answer(eager, 'sum(rate({__name__="x"}[5m]))')
    assert labels == {} and float(value) == pytest.approx(1.0)


def test_a_range_function_collides_over_the_whole_range_query() -> None:
    # x and y never overlap, yet rate() turns both into {job="a"} within one range query:
    # Prometheus refuses that (a whole-range check), as it does for one instant.
    series = (({"__name__": "x", "job": "a"}, [(t, t) for t in range(0, 301, 15)]),
              ({"__name__": "y", "job": "a"}, [(t, t) for t in range(900, 1201, 15)]))
    engine = _engine(*series)

    with pytest.raises(EvalError, match="vector cannot contain metrics with the same"):
        engine.range('rate({__name__=~"x|y"}[1m])', 0, 1200, 60)
    # abs() checks each step only: the two never meet.
    assert len(engine.range('abs({__name__=~"x|y"})', 0, 1200, 60)) == 1


def test_delayed_name_removal_is_an_engine_setting_off_by_default(
        make_settings: Callable[..., Settings]) -> None:
    from monitor.promsource.source import EmbeddedSource
    from monitor.rules.manager import RuleManager

    default, delayed = make_settings(), make_settings(engine={"delayed_name_removal": True})
    store = MemoryStorage()

    assert default.engine.delayed_name_removal is False
    for settings, expected in ((default, False), (delayed, True)):
        manager = RuleManager.from_settings(settings, store)  # type: ignore[arg-type]
        assert manager.engine.delayed_name_removal is expected
    assert EmbeddedSource(store, delayed_name_removal=True).engine.delayed_name_removal


def test_date_functions_take_any_value_as_go_does() -> None:
    # Was a ValueError (a 500) past year 9999; NaN was NaN where Prometheus (Go on amd64)
    # converts it to int64 -2**63 and gives that instant's calendar fields.
    engine = _engine()

    assert _answer(engine, "year(vector(1e15))") == [({}, "31690708.0")]
    assert _answer(engine, "hour(vector(-1e12))") == [({}, "22.0")]
    assert _answer(engine, "minute(vector(NaN))") == [({}, "30.0")]
    assert _answer(engine, "day_of_week(vector(NaN))") == [({}, "0.0")]
    assert _answer(engine, "month(vector(-Inf))") == [({}, "12.0")]
    assert _answer(engine, "days_in_month(vector(951782400))") == [({}, "29.0")]  # 2000-02


def test_sinh_and_cosh_overflow_where_go_exp_does() -> None:
    # Go computes both as Exp(|x|) * 0.5 beyond 21: +Inf from ~709.78, where Python's
    # sinh/cosh stay finite up to ~710.47; and sinh of a large negative value is -Inf
    # (was +Inf: the OverflowError was mapped to +Inf whatever the sign).
    engine = _engine()

    assert _answer(engine, "sinh(vector(709.9))") == [({}, "inf")]
    assert _answer(engine, "sinh(vector(-710))") == [({}, "-inf")]
    assert _answer(engine, "sinh(vector(-800))") == [({}, "-inf")]
    assert _answer(engine, "cosh(vector(710))") == [({}, "inf")]
    assert _answer(engine, "cosh(vector(-710.3))") == [({}, "inf")]
    assert _answer(engine, "sinh(vector(-Inf))") == [({}, "-inf")]
    assert _answer(engine, "cosh(vector(-Inf))") == [({}, "inf")]
    assert _answer(engine, "sinh(vector(NaN))") == [({}, "nan")]
    assert _answer(engine, "sinh(vector(-0.0))") == [({}, "-0.0")]
    assert _answer(engine, "sinh(vector(700))") == [({}, repr(math.exp(700) / 2))]
    assert _answer(engine, "cosh(vector(-22))") == [({}, repr(math.exp(22) / 2))]
