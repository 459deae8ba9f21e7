"""Pin the public surface of monitor.promql (other packages build on it)."""

from __future__ import annotations

import monitor.promql as promql


def test_exported_names_are_pinned() -> None:
    assert sorted(promql.__all__) == sorted([
        "STALE_NAN", "Engine", "EvalError", "Labels", "MatchType", "Matcher", "Matrix",
        "MemoryStorage", "ParseError", "PromQLError", "QueryPlan", "QueryResult", "RangeSeries",
        "Sample", "Scalar", "Series", "Storage", "String", "Value", "Vector", "Window",
        "WindowStorage", "is_stale", "labels_dict", "labels_from", "parse_expr",
    ])
    for name in promql.__all__:
        assert hasattr(promql, name), name


def test_error_hierarchy() -> None:
    assert issubclass(promql.ParseError, promql.PromQLError)
    assert issubclass(promql.EvalError, promql.PromQLError)


def test_memory_storage_satisfies_storage_protocol() -> None:
    store: promql.Storage = promql.MemoryStorage()
    store_impl = promql.MemoryStorage()
    store_impl.add({"__name__": "up", "job": "a"}, [(0, 1.0), (1000, promql.STALE_NAN)])
    (series,) = store_impl.select(
        [promql.Matcher(promql.MatchType.EQUAL, "__name__", "up")], 0, 1000)
    assert isinstance(series, promql.Series)
    assert dict(series.labels) == {"__name__": "up", "job": "a"}
    assert series.samples[0] == (0, 1.0)
    assert promql.is_stale(series.samples[1][1])
    assert store is not None
