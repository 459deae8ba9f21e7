"""Embedded PromQL engine with Prometheus 3.x semantics.

    from monitor.promql import Engine, MemoryStorage

    store = MemoryStorage()
    store.add({"__name__": "http_requests_total", "job": "api"},
              [(t * 15_000, t * 10.0) for t in range(100)])
    engine = Engine(store)
    engine.instant("rate(http_requests_total[5m])", t=1200.0)   # -> Vector

Modules: :mod:`.lexer`, :mod:`.parser` and :mod:`.ast` (syntax), :mod:`.plan` (what is
worked out once per expression), :mod:`.engine`, :mod:`.functions`, :mod:`.aggregation`,
:mod:`.kernels` and :mod:`.fastpath` (evaluation), :mod:`.storage` (the ``Storage``
protocol the engine reads through), :mod:`.labels` (label sets), :mod:`.value` (result
types), :mod:`.gofmt` (numbers and strings as Go writes them), :mod:`.errors`, and
:mod:`.promqltest` (runner for Prometheus's ``*.test`` conformance scripts).
"""

from monitor.promql.engine import Engine, QueryResult
from monitor.promql.errors import EvalError, ParseError, PromQLError
from monitor.promql.labels import Labels, labels_dict, labels_from
from monitor.promql.parser import parse_expr
from monitor.promql.plan import QueryPlan
from monitor.promql.storage import (
    STALE_NAN,
    Matcher,
    MatchType,
    MemoryStorage,
    Series,
    Storage,
    Window,
    WindowStorage,
    is_stale,
)
from monitor.promql.value import (
    Matrix,
    RangeSeries,
    Sample,
    Scalar,
    String,
    Value,
    Vector,
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
    "QueryPlan",
    "QueryResult",
    "RangeSeries",
    "Sample",
    "Scalar",
    "Series",
    "Storage",
    "String",
    "Value",
    "Vector",
    "Window",
    "WindowStorage",
    "is_stale",
    "labels_dict",
    "labels_from",
    "parse_expr",
]
