"""The instant fast path (the usual alert-rule shapes, run without the Evaluator) answers
exactly what the general evaluator answers, errors included."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.promql import EvalError, parse_expr
from monitor.promql.engine import Engine
from monitor.promql.labels import labels_from
from monitor.promql.plan import QueryPlan
from monitor.promql.storage import STALE_NAN, MemoryStorage, WindowStorage
from monitor.promql.value import Vector
from monitor.signals.store import SeriesStore

SERIES = [{"__name__": name, "job": job, "instance": inst}
          for name in ("req_total", "temp") for job in ("a", "b") for inst in ("1", "2")]

_step = st.one_of(st.floats(0.5, 50), st.floats(0.5, 50), st.floats(0.5, 50),
                  st.sampled_from([0.0, "reset", "nan", "stale"]))


@st.composite
def queries(draw: st.DrawFn) -> str:
    func = draw(st.sampled_from(["rate", "increase", "delta"]))
    metric = draw(st.sampled_from(["req_total", "temp", ""]))
    matcher = draw(st.sampled_from(["", '{job="a"}', '{job=~"a|b"}', '{instance!="2"}']))
    selector = metric + matcher if metric or 'instance' not in matcher else '{job="b"}'
    selector = selector or '{job="b"}'
    selector += "[" + draw(st.sampled_from(["10s", "1m"])) + "]"
    selector += draw(st.sampled_from(["", " offset 15s", " @ 90"]))
    expr = f"{func}({selector})"
    op = draw(st.sampled_from([None, "sum", "avg", "max", "count", "stddev", "topk"]))
    if op == "topk":
        expr = f"topk(1, {expr})"
    elif op is not None:
        grouping = draw(st.sampled_from(["", " by (job)", " without (instance)",
                                         " by (__name__)"]))
        expr = f"{op}{grouping} ({expr})"
    if draw(st.booleans()):
        expr = f"({expr})"
    comparison = draw(st.sampled_from([None, "> 0.5", "<= 2", "== 0", "> bool 1"]))
    return f"{expr} {comparison}" if comparison else expr


@settings(max_examples=300, deadline=None)
@given(query=queries(),
       steps=st.lists(st.lists(_step, min_size=4, max_size=4), min_size=2, max_size=25),
       at=st.integers(0, 1_000))
def test_the_fast_path_answers_like_the_evaluator(query: str, steps: list[list[object]],
                                                  at: int) -> None:
    store, memory = SeriesStore(retention_ms=10_000_000), MemoryStorage()
    totals = [0.0] * len(SERIES)
    for i, row in enumerate(steps):
        t_ms = i * 5_000
        batch = []
        for j, (labels, change) in enumerate(zip(SERIES, row * 2, strict=True)):
            if change == "reset":
                totals[j] = 0.0
            elif isinstance(change, float):
                totals[j] += change
            value = {"nan": math.nan, "stale": STALE_NAN}.get(change, totals[j])  # type: ignore[call-overload]
            batch.append((labels_from(labels), t_ms, value))
            memory.add(labels, [(t_ms, value)])
        store.append(batch, now_ms=t_ms)

    at = at * len(steps) * 5 // 1_000 + 1  # somewhere in the data, or just after it
    assert answer(Engine(store), query, at) == answer(Engine(memory), query, at)


def answer(engine: Engine, query: str, at: int) -> object:
    try:
        result = engine.instant(query, float(at))
    except EvalError as exc:
        return str(exc)
    assert isinstance(result, Vector)
    return [(s.labels, repr(s.value)) for s in result]


def test_rule_shapes_take_the_fast_path_and_others_do_not() -> None:
    taken = ['sum by (service) (rate(http_errors_total{service="x"}[5m])) > 5',
             "rate(req_total[1m])", "(increase(req_total[5m] offset 1m)) <= 3",
             "max without (instance) (delta(temp[10m]))"]
    general = ["rate(temp[5m])",  # may need the "not a counter" annotation
               "rate(req_total[5m] @ 100)", "sum(rate(req_total[5m])) > bool 1",
               "topk(1, rate(req_total[5m]))", "rate(req_total[5m]) > rate(req_total[1m])",
               "sum(rate(req_total[5m:1m]))", "irate(req_total[5m])"]

    assert all(QueryPlan(parse_expr(q)).fast is not None for q in taken)
    assert all(QueryPlan(parse_expr(q)).fast is None for q in general)


def test_the_fast_path_keeps_the_sample_limit() -> None:
    store = SeriesStore(retention_ms=10_000_000)
    store.append([(labels_from({"__name__": "req_total"}), t * 1_000, float(t)) for t in range(60)],
                 now_ms=60_000)
    query = "sum(rate(req_total[30s])) > 0"
    assert QueryPlan(parse_expr(query)).fast is not None

    assert Engine(store, max_samples=30).instant(query, 59.0)  # 30 samples in (29s, 59s]
    with pytest.raises(EvalError, match="too many samples"):
        Engine(store, max_samples=29).instant(query, 59.0)


def test_storages_with_window_summaries_are_recognised_once_by_shape() -> None:
    """The engine takes the fast paths for any storage shaped like a WindowStorage (the
    series store, the rule group's overlay on it), and reads others through ``select``."""
    store = SeriesStore(retention_ms=10_000_000)
    store.append([(labels_from({"__name__": "req_total"}), t * 1_000, float(t))
                  for t in range(60)], now_ms=60_000)
    query = "sum(rate(req_total[30s])) > 0"

    assert isinstance(store, WindowStorage) and Engine(store).window_storage is store
    assert not isinstance(MemoryStorage(), WindowStorage)
    assert Engine(MemoryStorage()).window_storage is None
    result = Engine(store).instant(query, 59.0)
    assert isinstance(result, Vector) and [s.value for s in result] == [1.0]
