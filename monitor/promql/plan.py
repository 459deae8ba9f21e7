"""What the engine works out about an expression once, before any data is read: a
:class:`QueryPlan`.

A rule's expression is evaluated again and again, so everything that depends only on the
expression is decided here, once, and kept in the plan (the syntax tree stays plain
data): which comparisons are a filter against a number, how each aggregation groups its
series, which selectors only ``rate``, ``increase`` or ``delta`` read (a storage
:class:`~monitor.promql.storage.Window` summary is enough for them), the storage windows
relative to the evaluation time, and whether the whole query is one of the shapes alert
rules are usually made of (a :class:`FastQuery`, run by :mod:`monitor.promql.fastpath`
without the evaluator).

    plan = QueryPlan.of('sum by (job) (rate(http_errors_total[5m])) > 5')
    engine.query_instant(plan, t)       # a rule keeps its plan and passes it every time

A string or a tree passed to the engine gets a fresh plan per query.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from monitor.promql import ast
from monitor.promql.kernels import COMPARISON
from monitor.promql.labels import COUNTER_SUFFIXES, NAME, Labels
from monitor.promql.parser import COMPARISON_OPS, parse_expr
from monitor.promql.storage import MatchType

__all__ = ["RATE_KINDS", "SIMPLE_OPS", "AggregationPlan", "FastQuery", "Grouping", "QueryPlan",
           "RateArg", "Reads", "at_time", "fused_call"]

RATE_KINDS = {"rate": (True, True), "increase": (True, False), "delta": (False, False)}
"""The functions a storage :class:`~monitor.promql.storage.Window` can answer:
``name -> (is_counter, is_rate)``."""

SIMPLE_OPS = frozenset({"sum", "avg", "count", "group", "max", "min", "stddev", "stdvar"})
"""Aggregations without a parameter: they reduce a group's values to one number."""

_MEMO_MAX = 50_000

Grouping = tuple[Callable[[Labels], Labels], dict[Labels, Labels]]
"""How an aggregation groups series: its group-key function and a memo of its results."""


class RateArg(NamedTuple):
    """The argument of a ``rate``, ``increase`` or ``delta`` call."""

    selector: ast.VectorSelector | None
    """The vector selector of a plain range argument (None for a subquery or other
    expression)."""
    counter_name: bool
    """Whether its matchers fix a metric name that looks like a counter (so the "might
    not be a counter" annotation can never arise)."""


class AggregationPlan:
    """One aggregation's grouping (its group-key function and a memo of its results:
    rules group the same series every time) and the ``rate``-like call it is fused with
    (see :func:`fused_call`), if any."""

    __slots__ = ("fused", "group_key", "memo", "op")

    def __init__(self, node: ast.AggregateExpr) -> None:
        names = frozenset(node.grouping)
        if node.without:
            def group_key(lb: Labels) -> Labels:
                return tuple([p for p in lb if p[0] not in names and p[0] != NAME])
        else:
            def group_key(lb: Labels) -> Labels:
                return tuple([p for p in lb if p[0] in names])
        self.op = node.op
        self.group_key: Callable[[Labels], Labels] = group_key
        self.fused = fused_call(node.expr) if node.op in SIMPLE_OPS else None
        self.memo: dict[Labels, Labels] = {}

    def grouping(self) -> Grouping:
        """The group-key function and its memo (emptied when it has grown past
        ``_MEMO_MAX`` entries)."""
        if len(self.memo) > _MEMO_MAX:
            self.memo = {}
        return self.group_key, self.memo


class FastQuery:
    """An instant query of one of the shapes alert rules are usually made of, parentheses
    allowed anywhere::

        f(selector[range] offset d)         f is rate, increase or delta
        agg by|without (...) (f(...))       agg is one of SIMPLE_OPS
        either of the above <cmp> number    <cmp> a comparison without ``bool``

    with no ``@`` on the selector, and a counter function reading a metric whose name
    marks it a counter (so no annotation can arise). :func:`monitor.promql.fastpath.run`
    answers it straight from a storage's window summaries."""

    __slots__ = ("aggregation", "compare", "is_counter", "is_rate", "matchers", "named",
                 "offset_ms", "range_ms", "threshold")

    def __init__(self, selector: ast.VectorSelector, range_ms: int, func: str,
                 aggregation: AggregationPlan | None,
                 compare: Callable[[float, float], bool] | None, threshold: float) -> None:
        self.matchers = selector.matchers
        # The selector fixes the metric name: no two of its series can differ by name
        # alone, so dropping names early or late answers alike.
        self.named = has_exact_name(selector)
        self.offset_ms = selector.offset_ms
        self.range_ms = range_ms
        self.is_counter, self.is_rate = RATE_KINDS[func]
        self.aggregation = aggregation
        self.compare = compare
        self.threshold = threshold


def has_exact_name(selector: ast.VectorSelector) -> bool:
    """Whether ``selector``'s matchers fix the metric name (``x{...}``, ``{__name__="x"}``)."""
    return any(m.name == NAME and m.type is MatchType.EQUAL for m in selector.matchers)


def fused_call(node: ast.Expr) -> ast.Call | None:
    """``node`` (parentheses stripped) if it is ``rate``, ``increase`` or ``delta`` of a
    plain range selector, whose values an aggregation can take group by group without an
    intermediate vector."""
    node = ast.unwrap_parens(node)
    if not isinstance(node, ast.Call) or node.func not in RATE_KINDS:
        return None
    return node if isinstance(ast.unwrap_parens(node.args[0]), ast.MatrixSelector) else None


def at_time(at: ast.AtModifier | None, t: int, start_ms: int, end_ms: int) -> int:
    """The time a selector or subquery with modifier ``at`` reads at, evaluated at ``t``
    in a query over ``[start_ms, end_ms]``."""
    if at is None:
        return t
    if at.at_ms is not None:
        return at.at_ms
    return start_ms if at.special == "start" else end_ms


_SELECTORS = (ast.VectorSelector, ast.MatrixSelector)
_WRAPPERS = (ast.ParenExpr, ast.UnaryExpr)


class Reads:
    """The storage reads of a query over ``[start_ms, end_ms]``: every selector's window
    (``windows``, by ``id`` of the selector, ms, both ends inclusive) and the selectors
    themselves; ``pinned`` when an ``@ <timestamp>`` fixes a window."""

    def __init__(self, lookback_ms: int, start_ms: int, end_ms: int) -> None:
        self.lookback_ms = lookback_ms
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.windows: dict[int, tuple[int, int]] = {}
        self.selectors: dict[int, ast.VectorSelector] = {}
        self.pinned = False

    def collect(self, node: ast.Expr, start: int, end: int) -> None:
        """Add the window of every selector under ``node`` when it is evaluated at times
        in ``[start, end]`` (ms)."""
        if isinstance(node, _SELECTORS):
            vs = node if isinstance(node, ast.VectorSelector) else node.selector
            if vs.at is not None and vs.at.at_ms is not None:
                self.pinned = True
            back = node.range_ms if isinstance(node, ast.MatrixSelector) else self.lookback_ms
            s = at_time(vs.at, start, self.start_ms, self.end_ms) - vs.offset_ms
            e = at_time(vs.at, end, self.start_ms, self.end_ms) - vs.offset_ms
            lo, hi = s - back, e
            key = id(vs)
            self.selectors[key] = vs
            if key in self.windows:
                plo, phi = self.windows[key]
                lo, hi = min(lo, plo), max(hi, phi)
            self.windows[key] = (lo, hi)
        elif isinstance(node, ast.SubqueryExpr):
            if node.at is not None and node.at.at_ms is not None:
                self.pinned = True
            s = at_time(node.at, start, self.start_ms, self.end_ms) - node.offset_ms
            e = at_time(node.at, end, self.start_ms, self.end_ms) - node.offset_ms
            self.collect(node.expr, s - node.range_ms, e)
        elif isinstance(node, _WRAPPERS):
            self.collect(node.expr, start, end)
        elif isinstance(node, ast.BinaryExpr):
            self.collect(node.lhs, start, end)
            self.collect(node.rhs, start, end)
        elif isinstance(node, ast.Call):
            for a in node.args:
                self.collect(a, start, end)
        elif isinstance(node, ast.AggregateExpr):
            if node.param is not None:
                self.collect(node.param, start, end)
            self.collect(node.expr, start, end)


RelativeReads = list[tuple[ast.VectorSelector, int, int]]
"""Every selector's storage window relative to the evaluation time of an instant query."""


class QueryPlan:
    """Everything about one expression that does not depend on the data or the time
    (see the module doc). Made once per rule; pass it to ``Engine.query_instant`` in
    place of the expression.

    ``thresholds``: the number of every ``<expr> <comparison> <number>`` (no ``bool``),
    by node; ``rate_args``: every ``rate``/``increase``/``delta`` call's :class:`RateArg`;
    ``aggregations``: every aggregation's :class:`AggregationPlan`; ``window_only``: the
    ``id`` of every selector whose only reader is ``rate``, ``increase`` or ``delta`` of
    its range, evaluated once per instant (so not inside a subquery); ``fast``: the
    :class:`FastQuery`, when the expression is one of those shapes."""

    __slots__ = ("_reads", "aggregations", "fast", "node", "rate_args", "text", "thresholds",
                 "window_only")

    def __init__(self, node: ast.Expr, text: str = "") -> None:
        self.node = node
        self.text = text
        self.thresholds: dict[ast.BinaryExpr, float] = {}
        self.rate_args: dict[ast.Call, RateArg] = {}
        self.aggregations: dict[ast.AggregateExpr, AggregationPlan] = {}
        window_only: set[int] = set()
        # Iterative, not recursive: operator chains of hundreds of terms parse fine.
        stack: list[tuple[ast.Expr, bool]] = [(node, False)]
        while stack:
            n, in_subquery = stack.pop()
            if isinstance(n, ast.BinaryExpr):
                rhs = ast.unwrap_parens(n.rhs)
                if (isinstance(rhs, ast.NumberLiteral) and n.op in COMPARISON_OPS
                        and not n.return_bool):
                    self.thresholds[n] = rhs.value
            elif isinstance(n, ast.AggregateExpr):
                self.aggregations[n] = AggregationPlan(n)
            elif isinstance(n, ast.Call) and n.func in RATE_KINDS:
                arg = self.rate_args[n] = _rate_arg(n)
                if arg.selector is not None and not in_subquery:
                    window_only.add(id(arg.selector))
                    continue
            in_subquery = in_subquery or isinstance(n, ast.SubqueryExpr)
            stack.extend((child, in_subquery) for child in ast.children(n))
        self.window_only = frozenset(window_only)
        self.fast = self._fast_query()
        self._reads: tuple[int, RelativeReads | None] | None = None

    @classmethod
    def of(cls, expr: str | ast.Expr | QueryPlan) -> QueryPlan:
        """The plan of ``expr``: parsed (raising ``ParseError``) when it is text."""
        if isinstance(expr, QueryPlan):
            return expr
        if isinstance(expr, str):
            return cls(parse_expr(expr), expr)
        return cls(expr)

    def relative_reads(self, lookback_ms: int) -> RelativeReads | None:
        """Every selector's storage window relative to the evaluation time of an instant
        query, ``[(selector, lo, hi)]``; None when an ``@ <timestamp>`` pins a window.
        Worked out once (per lookback)."""
        cached = self._reads
        if cached is None or cached[0] != lookback_ms:
            reads = Reads(lookback_ms, 0, 0)
            reads.collect(self.node, 0, 0)
            found = None if reads.pinned else [
                (reads.selectors[k], lo, hi) for k, (lo, hi) in reads.windows.items()]
            cached = self._reads = (lookback_ms, found)
        return cached[1]

    def _fast_query(self) -> FastQuery | None:
        node = ast.unwrap_parens(self.node)
        compare, threshold = None, 0.0
        if isinstance(node, ast.BinaryExpr):
            found = self.thresholds.get(node)
            if found is None:
                return None
            compare, threshold = COMPARISON[node.op], found
            node = ast.unwrap_parens(node.lhs)
        aggregation = None
        if isinstance(node, ast.AggregateExpr):
            if node.op not in SIMPLE_OPS or node.param is not None:
                return None
            aggregation, node = self.aggregations[node], node.expr
        call = fused_call(node)
        if call is None:
            return None
        selector, counter_name = self.rate_args[call]
        if selector is None or selector.at is not None:
            return None
        if RATE_KINDS[call.func][0] and not counter_name:
            return None  # the evaluator adds the "might not be a counter" annotation
        matrix = ast.unwrap_parens(call.args[0])
        assert isinstance(matrix, ast.MatrixSelector)
        return FastQuery(selector, matrix.range_ms, call.func, aggregation, compare, threshold)


def _rate_arg(node: ast.Call) -> RateArg:
    inner = ast.unwrap_parens(node.args[0])
    selector = inner.selector if isinstance(inner, ast.MatrixSelector) else None
    names = [m.value for m in (selector.matchers if selector else [])
             if m.name == NAME and m.type is MatchType.EQUAL]
    return RateArg(selector, bool(names) and names[0].endswith(COUNTER_SUFFIXES))
