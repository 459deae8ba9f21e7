"""PromQL evaluator with Prometheus 3.x semantics.

    engine = Engine(storage)                       # storage: monitor.promql.storage.Storage
    engine.instant('rate(http_requests_total[5m])', t=1_700_000_000.0)   # -> Vector/Scalar/...
    engine.range('up', start, end, step)           # -> Matrix
    engine.query_instant(expr, t)                  # -> QueryResult with warnings/infos

How it works: the expression is parsed, every selector's data is fetched from
storage once for the whole query window, then the tree is evaluated step by step
(a range query is a sequence of instant evaluations). Selector lookups use
``bisect`` on per-series timestamp lists; binary matching hashes label
signatures.

Metric names: by default a function or arithmetic drops the name at once, as a default
Prometheus server does (2.x, and 3.x without the ``promql-delayed-name-removal`` feature
flag), so ``label_replace(rate(x[5m]), "a", "$1", "__name__", "(.*)")`` sees no name, and
two series that differ only by name collide right there ("vector cannot contain metrics
with the same labelset"). ``Engine(..., delayed_name_removal=True)`` keeps the name until
the end of the query instead, as Prometheus's own test engine (promqltest) does.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field

from monitor.promql import ast, fastpath
from monitor.promql import kernels as K
from monitor.promql.aggregation import aggregate
from monitor.promql.errors import TOO_MANY_SAMPLES, EvalError
from monitor.promql.functions import call
from monitor.promql.labels import NAME, Labels, drop_name, label_get, labels_from, labels_string
from monitor.promql.lexer import line_col
from monitor.promql.parser import COMPARISON_OPS, FUNCTIONS
from monitor.promql.plan import QueryPlan, Reads, at_time
from monitor.promql.storage import (
    Matcher,
    Rows,
    Storage,
    Window,
    WindowStorage,
    rows_of,
    window_samples,
)
from monitor.promql.value import (
    Matrix,
    RangeSeries,
    Sample,
    Scalar,
    String,
    Value,
    Vector,
    finish_matrix,
    finish_vector,
)

__all__ = ["MAX_SAMPLES", "Engine", "QueryResult"]


MAX_SAMPLES = 50_000_000
"""Default cap on the samples a query may hold (Prometheus's ``--query.max-samples``)."""


@dataclass
class QueryResult:
    """A value plus the annotations collected while computing it."""

    value: Value
    warnings: list[str] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)


_Fetched = Rows


class Engine:
    """Evaluates PromQL against a :class:`~monitor.promql.storage.Storage`.

    ``lookback`` (seconds) is how far back an instant selector looks for a sample;
    ``subquery_step`` (seconds) is used for subqueries without an explicit step.

    A query is text, a parsed tree or a :class:`~monitor.promql.plan.QueryPlan`; a
    caller that runs the same expression again and again (a rule) keeps its plan and
    passes that.
    """

    def __init__(self, storage: Storage, lookback: float = 300.0,
                 subquery_step: float = 60.0, max_samples: int = MAX_SAMPLES,
                 delayed_name_removal: bool = False) -> None:
        self.storage = storage
        self.max_samples = max_samples
        #: Keep dropped metric names to the end of the query (Prometheus's
        #: ``promql-delayed-name-removal`` feature flag; off by default, as there).
        self.delayed_name_removal = delayed_name_removal
        #: ``storage`` when it offers rows and window summaries (checked once, here).
        self.window_storage: WindowStorage | None = (
            storage if isinstance(storage, WindowStorage) else None)
        self.lookback_ms = round(lookback * 1000)
        self.subquery_step_ms = round(subquery_step * 1000)

    def query_instant(self, expr: str | ast.Expr | QueryPlan, t: float) -> QueryResult:
        """Evaluate at time ``t`` (Unix seconds), returning the value and annotations."""
        plan = expr if type(expr) is QueryPlan else QueryPlan.of(expr)
        storage = self.window_storage
        if storage is not None and plan.fast is not None and (
                plan.fast.named or self.delayed_name_removal):
            # A rule's usual shape: see monitor.promql.fastpath. Without delayed name
            # removal, a selector without a fixed name could collide after the rate.
            t_ms = round(t * 1000)
            return QueryResult(fastpath.run(plan.fast, storage, self.max_samples, t_ms), [], [])
        try:
            return self._query_instant(plan, t)
        except RecursionError:
            raise EvalError("expression is nested too deeply to evaluate") from None

    def _query_instant(self, plan: QueryPlan, t: float) -> QueryResult:
        t_ms = round(t * 1000)
        node = plan.node
        ev = Evaluator(self, plan, t_ms, t_ms, 0)
        ev.prefetch(node, t_ms, t_ms)
        val = ev.eval(node, t_ms)
        if isinstance(val, Vector):
            val = finish_vector(val, t_ms)
        elif isinstance(val, Matrix):
            val = finish_matrix(val)
        return QueryResult(val, list(ev.warnings), list(ev.infos))

    def query_range(self, expr: str | ast.Expr | QueryPlan, start: float, end: float,
                    step: float) -> QueryResult:
        """Evaluate at ``start, start+step, ... <= end`` (seconds); the value is a Matrix."""
        try:
            return self._query_range(expr, start, end, step)
        except RecursionError:
            raise EvalError("expression is nested too deeply to evaluate") from None

    def _query_range(self, expr: str | ast.Expr | QueryPlan, start: float, end: float,
                     step: float) -> QueryResult:
        plan = QueryPlan.of(expr)
        node = plan.node
        if node.type not in (ast.SCALAR, ast.VECTOR):
            raise EvalError(f"invalid expression type {ast.TYPE_NAMES[node.type]!r} for range "
                            "query, must be scalar or instant vector")
        s_ms, e_ms, st_ms = round(start * 1000), round(end * 1000), round(step * 1000)
        if st_ms <= 0:
            raise EvalError("zero or negative query resolution step widths are not accepted")
        ev = Evaluator(self, plan, s_ms, e_ms, st_ms)
        ev.prefetch(node, s_ms, e_ms)
        out: dict[Labels, RangeSeries] = {}
        t = s_ms
        while t <= e_ms:
            val = ev.eval(node, t)
            if isinstance(val, Scalar):
                ev.count_samples(1)
                rs = out.setdefault((), RangeSeries(()))
                rs.ts.append(t)
                rs.vs.append(val.value)
            else:
                assert isinstance(val, Vector)
                ev.count_samples(len(val))
                for s in finish_vector(val, t):
                    rs = out.setdefault(s.labels, RangeSeries(s.labels))
                    rs.ts.append(t)
                    rs.vs.append(s.value)
            t += st_ms
        mat = Matrix(sorted(out.values(), key=lambda r: r.labels))
        return QueryResult(mat, list(ev.warnings), list(ev.infos))

    def data_windows(self, expr: str | ast.Expr | QueryPlan, start: float,
                     end: float) -> list[tuple[list[Matcher], int, int]]:
        """The ``(matchers, start_ms, end_ms)`` storage reads a query over
        ``[start, end]`` (seconds) would make. Useful to check what data a query can see."""
        plan = QueryPlan.of(expr)
        reads = Reads(self.lookback_ms, round(start * 1000), round(end * 1000))
        reads.collect(plan.node, reads.start_ms, reads.end_ms)
        return [(reads.selectors[k].matchers, lo, hi) for k, (lo, hi) in reads.windows.items()]

    def instant(self, expr: str | ast.Expr | QueryPlan, t: float) -> Value:
        """Evaluate at time ``t`` (Unix seconds), annotations left out."""
        plan = expr if type(expr) is QueryPlan else QueryPlan.of(expr)
        storage = self.window_storage
        if storage is not None and plan.fast is not None and (
                plan.fast.named or self.delayed_name_removal):  # as query_instant, minus a frame
            return fastpath.run(plan.fast, storage, self.max_samples, round(t * 1000))
        return self.query_instant(plan, t).value

    def range(self, expr: str | ast.Expr | QueryPlan, start: float, end: float,
              step: float) -> Matrix:
        """Evaluate at ``start, start+step, ... <= end`` (seconds); returns a Matrix."""
        val = self.query_range(expr, start, end, step).value
        assert isinstance(val, Matrix)
        return val


def _fetched_labels(f: _Fetched) -> Labels:
    return f.labels


def _sig_on(labels: Labels, names: frozenset[str]) -> Labels:
    return tuple(p for p in labels if p[0] in names)


def _sig_ignoring(labels: Labels, names: frozenset[str]) -> Labels:
    return tuple(p for p in labels if p[0] not in names and p[0] != NAME)


class Evaluator:
    """State of one query: fetched data, annotations, subquery memo.

    ``start_ms``/``end_ms``/``step_ms`` describe the whole query (equal start and end,
    step 0 for instant queries); they back ``@ start()``, ``start()``, ``step()`` etc.
    Function and aggregation implementations receive this object.
    """

    def __init__(self, engine: Engine, plan: QueryPlan, start_ms: int, end_ms: int,
                 step_ms: int):
        self.engine = engine
        self.plan = plan
        self.text = plan.text
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.step_ms = step_ms
        self.lookback = engine.lookback_ms
        self.reads = Reads(self.lookback, start_ms, end_ms)
        self.data: dict[int, list[_Fetched]] = {}
        self.summaries: dict[int, list[Rows | Window]] = {}  # window-only selectors
        self.sub_cache: dict[tuple[int, int], Value] = {}
        self.warnings: dict[str, None] = {}
        self.infos: dict[str, None] = {}
        self.samples = 0  # see count_samples
        self.delayed = engine.delayed_name_removal
        if not self.delayed:
            self.eval = self._eval_eager  # type: ignore[method-assign]  # no mode check per node
        # Without delayed name removal: per range function node, the input labels behind
        # each output label set (two inputs behind one output is a collision).
        self.origins: dict[int, dict[Labels, Labels]] = {}

    # -- annotations ---------------------------------------------------------
    def _pos(self, node: ast.Expr) -> str:
        line, col = line_col(self.text, node.pos)
        return f"({line}:{col})"

    def warn(self, msg: str, node: ast.Expr) -> None:
        self.warnings[f"PromQL warning: {msg} {self._pos(node)}"] = None

    def info(self, msg: str, node: ast.Expr) -> None:
        self.infos[f"PromQL info: {msg} {self._pos(node)}"] = None

    # -- data fetching ---------------------------------------------------------
    def _at_time(self, at: ast.AtModifier | None, t: int) -> int:
        return t if at is None else at_time(at, t, self.start_ms, self.end_ms)

    def prefetch(self, node: ast.Expr, start: int, end: int) -> None:
        """Read every selector's samples from storage, once, for the whole query."""
        window_only: frozenset[int] = frozenset()
        if start == end:
            window_only = self._plan_windows(node, start)
        else:
            self.reads.collect(node, start, end)
        engine = self.engine
        storage = engine.window_storage
        select_rows = storage.select_rows if storage is not None else None
        select_windows = storage.select_windows if storage is not None and window_only else None
        selectors = self.reads.selectors
        for key, (lo, hi) in self.reads.windows.items():
            matchers = selectors[key].matchers
            if select_windows is not None and key in window_only:
                windows = self.summaries[key] = select_windows(matchers, lo, hi)
                self.count_samples(window_samples(windows))
                continue
            if select_rows is not None:
                fetched: list[Rows] = select_rows(matchers, lo, hi)  # sorted by labels
            else:
                fetched = rows_of(engine.storage.select(matchers, lo, hi))
                if len(fetched) > 1:
                    fetched.sort(key=_fetched_labels)  # Prometheus storage returns sorted series
            self.count_samples(sum([len(f.ts) for f in fetched]))
            self.data[key] = fetched

    def count_samples(self, n: int) -> None:
        """Add ``n`` to the samples this query holds; over ``max_samples`` it fails, with
        Prometheus's message. Counted: samples read from storage, points of a range
        query's result and of subquery steps."""
        self.samples += n
        if self.samples > self.engine.max_samples:
            raise EvalError(TOO_MANY_SAMPLES)

    def _plan_windows(self, node: ast.Expr, t: int) -> frozenset[int]:
        """The storage windows for one instant ``t``, from the plan's windows relative to
        the evaluation time (worked out once per plan) unless an ``@ <timestamp>`` pins
        one. Returns the selectors read only by ``rate``, ``increase`` or ``delta`` (see
        :class:`~monitor.promql.plan.QueryPlan`)."""
        relative = self.plan.relative_reads(self.lookback)
        if relative is None:
            self.reads.collect(node, t, t)
            return frozenset()
        windows, selectors = self.reads.windows, self.reads.selectors
        for sel, lo, hi in relative:
            key = id(sel)
            selectors[key] = sel
            # +1: every window is open on the left (a sample at exactly `lo` is never used),
            # and reading one sample fewer lets matrix_rows take the fetched lists as is.
            windows[key] = (lo + t + 1, hi + t)
        return self.plan.window_only

    # -- results ------------------------------------------------------------------
    # -- evaluation ------------------------------------------------------------------
    def eval(self, node: ast.Expr, t: int) -> Value:
        method = _DISPATCH[type(node)]
        return method(self, node, t)

    def _eval_eager(self, node: ast.Expr, t: int) -> Value:
        """:meth:`eval` without delayed name removal: the names a function, operator or
        aggregation marked to be dropped are dropped now, and label sets that then
        collide are an error, where Prometheus checks them: at each step for instant
        functions, operators and ``-``; over the whole query for range functions (so
        two series that both ever produce a value collide, as ``rate`` does there)."""
        val = _DISPATCH[type(node)](self, node, t)
        if type(val) is not Vector or type(node) not in _NAMING:
            return val
        out = Vector()
        renamed = False
        for s in val:
            if s.drop_name:
                renamed = True
                out.append(Sample(drop_name(s.labels), s.value, s.t_ms))
            else:
                out.append(s)
        if not renamed:
            return val
        if type(node) is ast.Call and _takes_range(node):
            origins = self.origins.setdefault(id(node), {})
            for old, new in zip(val, out, strict=True):
                seen = origins.setdefault(new.labels, old.labels)
                if seen != old.labels:
                    raise EvalError("vector cannot contain metrics with the same labelset")
        elif len({s.labels for s in out}) != len(out):
            raise EvalError("vector cannot contain metrics with the same labelset")
        return out

    def eval_vector(self, node: ast.Expr, t: int) -> Vector:
        v = self.eval(node, t)
        assert isinstance(v, Vector)
        return v

    def eval_scalar(self, node: ast.Expr, t: int) -> float:
        v = self.eval(node, t)
        assert isinstance(v, Scalar)
        return v.value

    def _number(self, node: ast.NumberLiteral, t: int) -> Value:
        return Scalar(node.value, t)

    def _string(self, node: ast.StringLiteral, t: int) -> Value:
        return String(node.value, t)

    def _paren(self, node: ast.ParenExpr, t: int) -> Value:
        return self.eval(node.expr, t)

    def _vector_selector(self, node: ast.VectorSelector, t: int) -> Value:
        ref = self._at_time(node.at, t) - node.offset_ms
        lo = ref - self.lookback
        out = Vector()
        for f in self.data.get(id(node), ()):
            i = bisect_right(f.ts, ref) - 1
            if i < 0 or f.ts[i] <= lo:
                continue
            v = f.vs[i]
            if v is None:
                continue
            out.append(Sample(f.labels, v, f.ts[i]))
        return out

    def range_bounds(self, node: ast.Expr, t: int) -> tuple[int, int, int]:
        """(range_start, range_end, range_ms) of a matrix-typed argument at time t."""
        node = ast.unwrap_parens(node)
        if isinstance(node, ast.MatrixSelector):
            ref = self._at_time(node.selector.at, t) - node.selector.offset_ms
            return ref - node.range_ms, ref, node.range_ms
        assert isinstance(node, ast.SubqueryExpr)
        ref = self._at_time(node.at, t) - node.offset_ms
        return ref - node.range_ms, ref, node.range_ms

    def matrix_rows(self, node: ast.MatrixSelector,
                    t: int) -> list[tuple[Labels, list[int], list[float]]]:
        """``(labels, ts, vs)`` of every series of a matrix selector at ``t`` that has
        samples in the range (stale markers left out): the data of
        :meth:`_matrix_selector` without building :class:`RangeSeries`."""
        vs = node.selector
        ref = self._at_time(vs.at, t) - vs.offset_ms
        lo_t = ref - node.range_ms
        out: list[tuple[Labels, list[int], list[float]]] = []
        append = out.append
        for f in self.data.get(id(vs), ()):
            fts = f.ts
            # Rows.vs is typed float | None; without stale markers it holds no None (arg-type)
            if not f.has_stale and fts[-1] <= ref:
                # An instant query fetched just the range, plus any sample right on its
                # (open) left end: no search needed.
                if fts[0] > lo_t:
                    append((f.labels, fts, f.vs))  # type: ignore[arg-type]
                    continue
                if len(fts) > 1 and fts[1] > lo_t:
                    append((f.labels, fts[1:], f.vs[1:]))  # type: ignore[arg-type]
                    continue
            lo = bisect_right(fts, lo_t)
            hi = bisect_right(fts, ref, lo)
            if lo >= hi:
                continue
            if not f.has_stale:
                append((f.labels, fts[lo:hi], f.vs[lo:hi]))  # type: ignore[arg-type]
                continue
            ts: list[int] = []
            vals: list[float] = []
            fvs = f.vs
            for i in range(lo, hi):
                v = fvs[i]
                if v is not None:
                    ts.append(fts[i])
                    vals.append(v)
            if ts:
                append((f.labels, ts, vals))
        return out

    def _matrix_selector(self, node: ast.MatrixSelector, t: int) -> Value:
        return Matrix(RangeSeries(lb, ts, vs) for lb, ts, vs in self.matrix_rows(node, t))

    def _subquery(self, node: ast.SubqueryExpr, t: int) -> Value:
        ref = self._at_time(node.at, t) - node.offset_ms
        step = node.step_ms or self.engine.subquery_step_ms
        lo = ref - node.range_ms
        start = (lo // step) * step
        if start <= lo:
            start += step
        series: dict[Labels, RangeSeries] = {}
        ts = start
        while ts <= ref:
            key = (id(node), ts)
            val = self.sub_cache.get(key)
            if val is None:
                val = self.eval(node.expr, ts)
                self.count_samples(len(val) if isinstance(val, Vector) else 1)
                self.sub_cache[key] = val
            if isinstance(val, Scalar):
                val = Vector([Sample((), val.value, ts)])
            assert isinstance(val, Vector)
            for s in val:
                rs = series.get(s.labels)
                if rs is None:
                    rs = series[s.labels] = RangeSeries(s.labels, drop_name=s.drop_name)
                rs.ts.append(ts)
                rs.vs.append(s.value)
            ts += step
        return Matrix(series.values())

    def _unary(self, node: ast.UnaryExpr, t: int) -> Value:
        val = self.eval(node.expr, t)
        if isinstance(val, Scalar):
            return Scalar(-val.value, t)
        assert isinstance(val, Vector)
        return Vector(Sample(s.labels, -s.value, t, True) for s in val)

    # -- binary operators ------------------------------------------------------------
    def _binary(self, node: ast.BinaryExpr, t: int) -> Value:
        op = node.op
        threshold = self.plan.thresholds.get(node)
        if threshold is not None:  # the usual alert, `expr > 5`: filter, nothing else
            lhs = self.eval(node.lhs, t)
            if type(lhs) is Vector:
                cmp = K.COMPARISON[op]
                return Vector([Sample(s.labels, s.value, t, s.drop_name) for s in lhs
                               if cmp(s.value, threshold)])
        else:
            lhs = self.eval(node.lhs, t)
        rhs = self.eval(node.rhs, t)
        if isinstance(lhs, Scalar) and isinstance(rhs, Scalar):
            if op in COMPARISON_OPS:
                return Scalar(1.0 if K.COMPARISON[op](lhs.value, rhs.value) else 0.0, t)
            return Scalar(K.ARITHMETIC[op](lhs.value, rhs.value), t)
        if isinstance(lhs, Vector) and isinstance(rhs, Vector):
            assert node.matching is not None
            if op == "and":
                return self._and_unless(lhs, rhs, node.matching, True)
            if op == "unless":
                return self._and_unless(lhs, rhs, node.matching, False)
            if op == "or":
                return self._or(lhs, rhs, node.matching)
            return self._vector_binop(node, lhs, rhs, t)
        # vector/scalar
        swap = isinstance(lhs, Scalar)
        vec = rhs if swap else lhs
        sc = lhs if swap else rhs
        assert isinstance(vec, Vector) and isinstance(sc, Scalar)
        out = Vector()
        x = sc.value
        if op in COMPARISON_OPS:
            cmp = K.COMPARISON[op]
            for s in vec:
                keep = cmp(x, s.value) if swap else cmp(s.value, x)
                if node.return_bool:
                    out.append(Sample(s.labels, 1.0 if keep else 0.0, t, True))
                elif keep:
                    out.append(Sample(s.labels, s.value, t, s.drop_name))
            return out
        fn = K.ARITHMETIC[op]
        for s in vec:
            out.append(Sample(s.labels, fn(x, s.value) if swap else fn(s.value, x), t, True))
        return out

    def _sigf(self, m: ast.VectorMatching) -> Callable[[Labels], Labels]:
        names = frozenset(m.labels)
        if m.on:
            return lambda lb: _sig_on(lb, names)
        return lambda lb: _sig_ignoring(lb, names)

    def _and_unless(self, lhs: Vector, rhs: Vector, m: ast.VectorMatching, keep: bool) -> Vector:
        sigf = self._sigf(m)
        rsigs = {sigf(s.labels) for s in rhs}
        return Vector(s for s in lhs if (sigf(s.labels) in rsigs) == keep)

    def _or(self, lhs: Vector, rhs: Vector, m: ast.VectorMatching) -> Vector:
        if not lhs:
            return Vector(rhs)
        if not rhs:
            return Vector(lhs)
        sigf = self._sigf(m)
        lsigs = {sigf(s.labels) for s in lhs}
        out = Vector(lhs)
        out.extend(s for s in rhs if sigf(s.labels) not in lsigs)
        return out

    def _vector_binop(self, node: ast.BinaryExpr, lhs: Vector, rhs: Vector, t: int) -> Vector:
        m = node.matching
        assert m is not None
        if not lhs or not rhs:
            return Vector()
        op = node.op
        sigf = self._sigf(m)
        card = m.card
        if card == "one-to-many":
            lhs, rhs = rhs, lhs
        right: dict[Labels, Sample] = {}
        for rs in rhs:
            sig = sigf(rs.labels)
            dup = right.get(sig)
            if dup is not None:
                one_side = "left" if card == "one-to-many" else "right"
                d1, d2 = sorted((labels_string(rs.labels), labels_string(dup.labels)))
                raise EvalError(
                    f"found duplicate series for the match group {labels_string(sig)} "
                    f"on the {one_side} hand-side of the operation: [{d1}, {d2}]"
                    ";many-to-many matching not allowed: matching labels must be unique on one side"
                )
            right[sig] = rs
        is_cmp = op in COMPARISON_OPS
        fn_cmp = K.COMPARISON.get(op)
        fn_ar = K.ARITHMETIC.get(op)
        matched: dict[Labels, set[Labels] | None] = {}
        out = Vector()
        include = m.include
        on_names = frozenset(m.labels)
        for ls in lhs:
            sig = sigf(ls.labels)
            match = right.get(sig)
            if match is None:
                continue
            rs = match
            fl, fr = ls.value, rs.value
            if card == "one-to-many":
                fl, fr = fr, fl
            keep = True
            if is_cmp:
                assert fn_cmp is not None
                keep = fn_cmp(fl, fr)
                value = fl
                if node.return_bool:
                    value = 1.0 if keep else 0.0
            else:
                assert fn_ar is not None
                value = fn_ar(fl, fr)
            lbls = ls.labels if is_cmp else drop_name(ls.labels)
            if card == "one-to-one":
                if m.on:
                    lbls = tuple(p for p in lbls if p[0] in on_names)
                else:
                    lbls = tuple(p for p in lbls if p[0] not in on_names)
            if include:
                d = dict(lbls)
                for ln in include:
                    v = label_get(rs.labels, ln)
                    if v:
                        d[ln] = v
                    else:
                        d.pop(ln, None)
                lbls = labels_from(d)
            if card == "one-to-one":
                if sig in matched:
                    raise EvalError("multiple matches for labels: many-to-one matching must be "
                                    "explicit (group_left/group_right)")
                matched[sig] = None
            else:
                ins = matched.get(sig)
                if ins is None:
                    ins = matched[sig] = set()
                elif lbls in ins:
                    raise EvalError("multiple matches for labels: grouping labels must ensure "
                                    "unique matches")
                ins.add(lbls)
            if not keep and not node.return_bool:
                continue
            drop = node.return_bool or (is_cmp and ls.drop_name)
            out.append(Sample(lbls, value, t, drop))
        return out

    def eval_matrix(self, node: ast.Expr, t: int) -> Matrix:
        v = self.eval(node, t)
        assert isinstance(v, Matrix)
        return v



def _takes_range(node: ast.Call) -> bool:
    return ast.MATRIX in FUNCTIONS[node.func].args


#: The nodes whose results may carry names marked to be dropped.
_NAMING = frozenset({ast.Call, ast.BinaryExpr, ast.UnaryExpr, ast.AggregateExpr})

# Each handler takes the node type it is filed under, a pairing mypy cannot express (dict-item).
_DISPATCH: dict[type, Callable[[Evaluator, ast.Expr, int], Value]] = {
    ast.NumberLiteral: Evaluator._number,  # type: ignore[dict-item]
    ast.StringLiteral: Evaluator._string,  # type: ignore[dict-item]
    ast.ParenExpr: Evaluator._paren,  # type: ignore[dict-item]
    ast.VectorSelector: Evaluator._vector_selector,  # type: ignore[dict-item]
    ast.MatrixSelector: Evaluator._matrix_selector,  # type: ignore[dict-item]
    ast.SubqueryExpr: Evaluator._subquery,  # type: ignore[dict-item]
    ast.UnaryExpr: Evaluator._unary,  # type: ignore[dict-item]
    ast.BinaryExpr: Evaluator._binary,  # type: ignore[dict-item]
    ast.AggregateExpr: aggregate,  # type: ignore[dict-item]
    ast.Call: call,  # type: ignore[dict-item]
}
