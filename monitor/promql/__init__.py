"""Embedded PromQL engine with Prometheus 3.x semantics.

    from monitor.promql import Engine, MemoryStorage

    store = MemoryStorage()
    store.add({"__name__": "http_requests_total", "job": "api"},
              [(t * 15_000, t * 10.0) for t in range(100)])
    engine = Engine(store)
    engine.instant("rate(http_requests_total[5m])", t=1200.0)   # -> Vector

Modules: :mod:`.lexer`, :mod:`.parser` and :mod:`.ast` (syntax), :mod:`.engine` and
:mod:`.functions` (evaluation), :mod:`.storage` (the ``Storage`` protocol the engine
reads through), :mod:`.value` (result types), :mod:`.errors`, and
:mod:`.promqltest` (runner for Prometheus's ``*.test`` conformance scripts).
"""

from monitor.promql.engine import Engine, QueryResult
from monitor.promql.errors import EvalError, ParseError, PromQLError
from monitor.promql.parser import parse_expr
from monitor.promql.storage import (
    STALE_NAN,
    Matcher,
    MatchType,
    MemoryStorage,
    Series,
    Storage,
    is_stale,
)
from monitor.promql.value import (
    Labels,
    Matrix,
    RangeSeries,
    Sample,
    Scalar,
    String,
    Value,
    Vector,
    labels_dict,
    labels_from,
)

__all__ = [
    "STALE_NAN",
    "Engine",
    "EvalError",
    "Labels",
    "MatchType",
    "Matcher",
    "Matrix",
    "MemoryStorage",
    "ParseError",
    "PromQLError",
    "QueryResult",
    "RangeSeries",
    "Sample",
    "Scalar",
    "Series",
    "Storage",
    "String",
    "Value",
    "Vector",
    "is_stale",
    "labels_dict",
    "labels_from",
    "parse_expr",
]
