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
    store_impl = promql.MemoryStorage()
    store: promql.Storage = store_impl  # mypy checks the protocol (it is not runtime-checkable)
    store_impl.add({"__name__": "up", "job": "a"}, [(0, 1.0), (1000, promql.STALE_NAN)])
    store_impl.add({"__name__": "up", "job": "b"}, [(500, 2.0)])
    up = promql.Matcher(promql.MatchType.EQUAL, "__name__", "up")
    (series,) = store.select([up, promql.Matcher(promql.MatchType.EQUAL, "job", "a")], 0, 1000)
    assert isinstance(series, promql.Series)
    assert dict(series.labels) == {"__name__": "up", "job": "a"}
    assert series.samples[0] == (0, 1.0)
    assert promql.is_stale(series.samples[1][1])
    # the time bounds are inclusive and filter samples; matchers filter series
    assert [list(x.samples) for x in store.select([up], 500, 500)] == [[(500, 2.0)]]
    assert store.select([promql.Matcher(promql.MatchType.EQUAL, "job", "c")], 0, 1000) == []
