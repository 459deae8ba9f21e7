"""Instant queries in the shapes alert rules are usually made of, run without the general
evaluator's machinery (no :class:`~monitor.promql.engine.Evaluator`, no dispatch per
node): a group of 1,000 rules spends a good part of its time there otherwise.

The shapes, parentheses allowed anywhere::

    f(selector[range] offset d)         f is rate, increase or delta
    agg by|without (...) (f(...))       agg is sum, avg, count, group, min, max, stddev or stdvar
    either of the above <cmp> number    <cmp> a comparison without ``bool``

They are taken only when the storage offers ``select_windows``, the selector has no
``@``, and a counter function reads a metric whose name marks it a counter (so no "might
not be a counter" annotation can arise); any other query goes through the Evaluator. The
steps are the evaluator's own functions (window rates, aggregation, comparison, finishing
the vector), so the two paths cannot drift apart; a property test holds them equal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from monitor.promql import ast
from monitor.promql import functions as F
from monitor.promql.aggregation import SIMPLE_OPS, grouping_of, reduce_values
from monitor.promql.calls import RATE_KINDS, fused_call, rate_arg, window_rates
from monitor.promql.errors import TOO_MANY_SAMPLES, EvalError
from monitor.promql.parser import COMPARISON_OPS
from monitor.promql.storage import window_samples
from monitor.promql.value import Sample, Vector, finish_vector

if TYPE_CHECKING:
    from monitor.promql.engine import Engine

__all__ = ["FastQuery", "fast_plan"]


class FastQuery:
    """One query of a supported shape, ready to run at any instant."""

    __slots__ = ("agg", "compare", "is_counter", "is_rate", "matchers", "offset_ms", "range_ms",
                 "threshold")

    def __init__(self, call: ast.Call, agg: ast.AggregateExpr | None,
                 compare: Callable[[float, float], bool] | None, threshold: float) -> None:
        selector, _ = rate_arg(call)
        assert selector is not None
        matrix = ast.unwrap_parens(call.args[0])
        assert isinstance(matrix, ast.MatrixSelector)
        self.matchers = selector.matchers
        self.offset_ms = selector.offset_ms
        self.range_ms = matrix.range_ms
        self.is_counter, self.is_rate = RATE_KINDS[call.func]
        self.agg = agg
        self.compare = compare
        self.threshold = threshold

    def run(self, engine: Engine, t: int) -> Vector:
        """The query's finished instant vector at ``t`` (ms)."""
        ref = t - self.offset_ms
        start = ref - self.range_ms
        assert engine.select_windows is not None
        windows = engine.select_windows(self.matchers, start + 1, ref)
        # A window holds at most one sample per millisecond: count only if that could
        # pass the limit.
        if (len(windows) * self.range_ms > engine.max_samples
                and window_samples(windows) > engine.max_samples):
            raise EvalError(TOO_MANY_SAMPLES)
        agg = self.agg
        groups = window_rates(windows, start, ref, self.range_ms, self.is_counter, self.is_rate,
                              grouping_of(agg) if agg is not None else None)
        if agg is not None:
            op = agg.op
            values = [(key, reduce_values(op, vals)) for key, vals in groups.items()]
        else:
            values = [(labels, v) for labels, (v,) in groups.items()]
        compare, threshold = self.compare, self.threshold
        if compare is not None:
            values = [(labels, v) for labels, v in values if compare(v, threshold)]
        return finish_vector(Vector([Sample(labels, v, t, True) for labels, v in values]), t)


def fast_plan(node: ast.Expr) -> FastQuery | None:
    """``node``'s :class:`FastQuery`, or None when it is not one of the shapes. Worked out
    once per node."""
    found = node.__dict__.get("_fast", _UNSET)
    if found is _UNSET:
        found = node.__dict__["_fast"] = _analyse(node)
    return found  # type: ignore[no-any-return]


_UNSET = object()


def _analyse(node: ast.Expr) -> FastQuery | None:
    node = ast.unwrap_parens(node)
    compare, threshold = None, 0.0
    if isinstance(node, ast.BinaryExpr):
        rhs = ast.unwrap_parens(node.rhs)
        if (node.op not in COMPARISON_OPS or node.return_bool
                or not isinstance(rhs, ast.NumberLiteral)):
            return None
        compare, threshold = F.COMPARISON[node.op], rhs.value
        node = ast.unwrap_parens(node.lhs)
    agg = None
    if isinstance(node, ast.AggregateExpr):
        if node.op not in SIMPLE_OPS or node.param is not None:
            return None
        agg, node = node, node.expr
    call = fused_call(node)
    if call is None:
        return None
    selector, counter_name = rate_arg(call)
    if selector is None or selector.at is not None:
        return None
    if RATE_KINDS[call.func][0] and not counter_name:
        return None  # the evaluator adds the "might not be a counter" annotation
    return FastQuery(call, agg, compare, threshold)
