"""Aggregation operators: ``sum``, ``avg``, ``count``, ``min``, ``max``, ``group``,
``stddev``, ``stdvar``, ``quantile``, ``topk``, ``bottomk``, ``limitk``,
``limit_ratio`` and ``count_values``, with ``by``/``without`` grouping."""

from __future__ import annotations

import math
from collections.abc import Callable

from monitor.promql import ast
from monitor.promql import kernels as K
from monitor.promql.context import EvalContext
from monitor.promql.errors import EvalError
from monitor.promql.functions import Grouped, fused_rates
from monitor.promql.gofmt import go_f, go_g, go_quote
from monitor.promql.labels import Labels, labels_from
from monitor.promql.plan import has_exact_name
from monitor.promql.value import Sample, Scalar, String, Value, Vector


def aggregate(ev: EvalContext, node: ast.AggregateExpr, t: int) -> Value:
    """Evaluate ``sum``, ``topk``, ``count_values``, ... at time ``t``."""
    op = node.op
    plan = ev.plan.aggregations[node]
    group_key, fused = plan.group_key, plan.fused
    if fused is not None and (ev.delayed or _named(fused)):
        # e.g. sum by (x) (rate(m[5m])): no intermediate Vector. Without delayed name
        # removal only for a fixed metric name (else the rate's series could collide).
        return reduce_groups(op, fused_rates(ev, fused, t, plan.grouping()), t)
    param: float | str | None = None
    if node.param is not None:
        pv = ev.eval(node.param, t)
        assert isinstance(pv, Scalar | String)
        param = pv.value
    vec = ev.eval_vector(node.expr, t)

    if op in ("topk", "bottomk", "limitk", "limit_ratio"):
        assert isinstance(param, float)
        return _aggregate_k(ev, node, op, param, vec, group_key)
    if op == "count_values":
        assert isinstance(param, str)
        return _count_values(ev, node, param, vec, group_key, t)
    if op == "quantile":
        assert isinstance(param, float)
        if param != param or param < 0 or param > 1:
            ev.warn(f"quantile value should be between 0 and 1, got {go_g(param)}",
                    node.param or node)
    groups: dict[Labels, list[Sample]] = {}
    for s in vec:
        key = group_key(s.labels)
        members = groups.get(key)
        if members is None:
            groups[key] = [s]
        else:
            members.append(s)
    out = Vector()
    for key, members in groups.items():
        vals = [s.value for s in members]
        # a name kept by by(__name__) is still dropped if an input had it marked
        out.append(Sample(key, _reduce(op, vals, param), t,
                          any(s.drop_name for s in members)))
    return out



def _named(call: ast.Call) -> bool:
    inner = ast.unwrap_parens(call.args[0])
    return isinstance(inner, ast.MatrixSelector) and has_exact_name(inner.selector)

def reduce_groups(op: str, groups: Grouped, t: int) -> Vector:
    """``op`` over each group's values; the results' names are marked to be dropped."""
    return Vector([Sample(key, reduce_values(op, vals), t, True)
                   for key, vals in groups.items()])


def reduce_values(op: str, vals: list[float]) -> float:
    """A simple aggregation (no parameter) over one group's values."""
    return K.kahan_sum(vals) if op == "sum" else _reduce(op, vals, None)


def reducer(op: str) -> Callable[[list[float]], float]:
    """:func:`reduce_values` with ``op`` fixed, to call once per group."""
    if op == "sum":
        return K.kahan_sum
    return lambda vals: _reduce(op, vals, None)


def _reduce(op: str, vals: list[float], param: float | str | None) -> float:
    """The value of aggregation ``op`` over a group's values (``param`` for quantile)."""
    if op == "sum":
        v = K.kahan_sum(vals)
    elif op == "avg":
        v = K.avg_over(vals)
    elif op == "count":
        v = float(len(vals))
    elif op == "group":
        v = 1.0
    elif op == "max":
        v = vals[0]
        for x in vals[1:]:
            if v < x or v != v:
                v = x
    elif op == "min":
        v = vals[0]
        for x in vals[1:]:
            if v > x or v != v:
                v = x
    elif op in ("stddev", "stdvar"):
        v = _stdvar(vals)
        if op == "stddev":
            v = math.sqrt(v) if v == v and v >= 0 else math.nan
    elif op == "quantile":
        assert isinstance(param, float)
        v = K.quantile(param, vals)
    else:  # pragma: no cover - parser guarantees known ops
        raise EvalError(f"unknown aggregation {op!r}")
    return v


def _aggregate_k(ev: EvalContext, node: ast.AggregateExpr, op: str, param: float, vec: Vector,
                 group_key: Callable[[Labels], Labels]) -> Vector:
    if op == "limit_ratio":
        if param != param:
            raise EvalError("Ratio value is NaN")
        if param > 1 or param < -1:
            bound = 1.0 if param > 1 else -1.0
            ev.warn(f"ratio value should be between -1 and 1, got {go_g(param)}, "
                    f"capping to {go_g(bound)}", node.param or node)
            param = bound
        if param == 0:
            return Vector()
        # Same deterministic choice as Prometheus: the label set's XXH64 hash, scaled
        # to [0, 1], is compared with the ratio.
        out = Vector()
        for s in vec:
            off = K.labels_hash(s.labels) / 18446744073709551615.0
            if (param >= 0 and off < param) or (param < 0 and off >= 1 + param):
                out.append(s)
        return out
    if param != param:
        raise EvalError("Parameter value is NaN")
    if param >= 9.223372036854775807e18:
        raise EvalError(f"Scalar value {go_g(param)} overflows int64")
    if param <= -9.223372036854775807e18:
        raise EvalError(f"Scalar value {go_g(param)} underflows int64")
    k = int(param)
    if k < 1:
        return Vector()
    groups: dict[Labels, list[Sample]] = {}
    for s in vec:
        groups.setdefault(group_key(s.labels), []).append(s)
    out = Vector()
    for members in groups.values():
        if op == "limitk":
            out.extend(members[:k])
            continue
        kept = _heap_k(members, k, top=(op == "topk"))
        # Prometheus sorts each group's heap: topk descending, bottomk ascending, NaN last.
        kept.sort(key=lambda s: (s.value != s.value, -s.value if op == "topk" else s.value))
        out.extend(kept)
    return out


def _heap_k(members: list[Sample], k: int, *, top: bool) -> list[Sample]:
    """The ``k`` samples Prometheus's topk (``top``) or bottomk keeps, ties included: its
    heap (Go's container/heap) holds the k best so far with the worst at the root, and a
    sample that beats the root replaces it. Among equal values, which ones stay depends
    on that heap's order, so it is reproduced step for step."""
    heap: list[Sample] = []

    def less(i: int, j: int) -> bool:  # vectorByValueHeap / vectorByReverseValueHeap
        vi, vj = heap[i].value, heap[j].value
        if vi != vi:
            return True
        return vi < vj if top else vi > vj

    def up(j: int) -> None:
        while j > 0:
            i = (j - 1) // 2
            if not less(j, i):
                break
            heap[i], heap[j] = heap[j], heap[i]
            j = i

    def down(i0: int) -> bool:
        i, n = i0, len(heap)
        while True:
            j = 2 * i + 1
            if j >= n:
                break
            if j + 1 < n and less(j + 1, j):
                j += 1
            if not less(j, i):
                break
            heap[i], heap[j] = heap[j], heap[i]
            i = j
        return i > i0

    for s in members:
        if len(heap) < k:
            heap.append(s)
            up(len(heap) - 1)
            continue
        root, v = heap[0].value, s.value
        if (root < v if top else root > v) or (root != root and v == v):
            heap[0] = s
            if k > 1 and not down(0):
                up(0)
    return heap


def _count_values(ev: EvalContext, node: ast.AggregateExpr, label: str, vec: Vector,
                  group_key: Callable[[Labels], Labels], t: int) -> Vector:
    """Prometheus sets the value label on each sample first, then groups: ``by`` keeps it
    too, and ``without`` may remove it (``count_values without (v) ("v", x)``)."""
    if any("\udc80" <= ch <= "\udcff" for ch in label) or not label:
        raise EvalError(f"invalid label name {go_quote(label)}")
    names = frozenset(node.grouping)
    counts: dict[Labels, float] = {}
    for s in vec:
        d = dict(s.labels)
        d[label] = go_f(s.value)
        if node.without:
            key = tuple(p for p in labels_from(d) if p[0] not in names and p[0] != "__name__")
        else:
            key = tuple(p for p in labels_from(d) if p[0] in names or p[0] == label)
        counts[key] = counts.get(key, 0.0) + 1
    return Vector(Sample(k, v, t) for k, v in counts.items())


def _stdvar(vals: list[float]) -> float:
    first = vals[0]
    if math.isnan(first) or math.isinf(first):
        acc = math.nan
    else:
        acc = 0.0
    mean = first
    count = 1.0
    for f in vals[1:]:
        count += 1
        delta = f - mean
        mean += delta / count
        acc += delta * (f - mean)
    return acc / count
