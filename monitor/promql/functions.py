"""PromQL's functions (``rate``, ``label_replace``, ``histogram_quantile``, ...): the
table :data:`FUNCTIONS` and :func:`call`, which the evaluator dispatches a call node to.
The numeric kernels live in :mod:`monitor.promql.kernels`; this module applies them to
evaluated arguments. Function signatures (argument and return types) are in
:mod:`monitor.promql.ast`."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from monitor.promql import ast
from monitor.promql import kernels as K
from monitor.promql.context import EvalContext
from monitor.promql.errors import EvalError
from monitor.promql.gofmt import format_openmetrics_float, go_g, go_quote
from monitor.promql.labels import COUNTER_SUFFIXES, NAME, Labels, drop_name, label_get, labels_from
from monitor.promql.plan import RATE_KINDS, Grouping
from monitor.promql.storage import Rows, Window, compile_anchored
from monitor.promql.value import Sample, Scalar, String, Value, Vector


def call(ev: EvalContext, node: ast.Call, t: int) -> Value:
    """Evaluate a function call at time ``t``."""
    name = node.func
    impl = FUNCTIONS.get(name)
    if impl is not None:
        return impl(ev, node, t)
    if name in K.SIMPLE:
        fn = K.SIMPLE[name]
        vec = ev.eval_vector(node.args[0], t)
        return Vector(Sample(s.labels, fn(s.value), t, True) for s in vec)
    if name in K.DATE:
        fn = K.DATE[name]
        if not node.args:
            return Vector([Sample((), fn(t / 1000), t)])
        vec = ev.eval_vector(node.args[0], t)
        return Vector(Sample(s.labels, fn(s.value), t, True) for s in vec)
    if name in K.OVER_TIME:
        fn2 = K.OVER_TIME[name]
        keep_name = name in ("last_over_time", "first_over_time")
        mat = ev.eval_matrix(node.args[0], t)
        return Vector(Sample(rs.labels, fn2(rs.ts, rs.vs), t, rs.drop_name or not keep_name)
                      for rs in mat if rs.ts)
    raise EvalError(f"function {name!r} is not supported by this engine")



def _f_time(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar(t / 1000, t)


def _f_pi(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar(math.pi, t)


def _f_start(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar(ev.start_ms / 1000, t)


def _f_end(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar(ev.end_ms / 1000, t)


def _f_step(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar(ev.step_ms / 1000, t)


def _f_range(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Scalar((ev.end_ms - ev.start_ms) / 1000, t)


def _f_min_of(ev: EvalContext, node: ast.Call, t: int) -> Value:
    a, b = ev.eval_scalar(node.args[0], t), ev.eval_scalar(node.args[1], t)
    return Scalar(math.nan if a != a or b != b else min(a, b), t)


def _f_max_of(ev: EvalContext, node: ast.Call, t: int) -> Value:
    a, b = ev.eval_scalar(node.args[0], t), ev.eval_scalar(node.args[1], t)
    return Scalar(math.nan if a != a or b != b else max(a, b), t)


def _f_vector(ev: EvalContext, node: ast.Call, t: int) -> Value:
    return Vector([Sample((), ev.eval_scalar(node.args[0], t), t)])


def _f_scalar(ev: EvalContext, node: ast.Call, t: int) -> Value:
    vec = ev.eval_vector(node.args[0], t)
    return Scalar(vec[0].value if len(vec) == 1 else math.nan, t)


def _f_timestamp(ev: EvalContext, node: ast.Call, t: int) -> Value:
    arg = node.args[0]
    vec = ev.eval_vector(arg, t)
    raw = isinstance(ast.unwrap_parens(arg), ast.VectorSelector)
    return Vector(Sample(s.labels, (s.t_ms if raw else t) / 1000, t, True) for s in vec)


def _absent_labels(node: ast.Expr) -> Labels:
    node = ast.unwrap_parens(node)
    if isinstance(node, ast.MatrixSelector):
        node = node.selector
    if not isinstance(node, ast.VectorSelector):
        return ()
    d: dict[str, str] = {}
    has: set[str] = set()
    for m in node.matchers:
        if m.name == NAME:
            continue
        if m.type.value == "=" and m.name not in has:
            d[m.name] = m.value
            has.add(m.name)
        else:
            d.pop(m.name, None)
    return labels_from(d)


def _f_absent(ev: EvalContext, node: ast.Call, t: int) -> Value:
    vec = ev.eval_vector(node.args[0], t)
    if vec:
        return Vector()
    return Vector([Sample(_absent_labels(node.args[0]), 1.0, t)])


def _f_absent_over_time(ev: EvalContext, node: ast.Call, t: int) -> Value:
    mat = ev.eval_matrix(node.args[0], t)
    if any(rs.ts for rs in mat):
        return Vector()
    return Vector([Sample(_absent_labels(node.args[0]), 1.0, t)])


def _non_counter_info(ev: EvalContext, node: ast.Call, series: Iterable[Labels]) -> None:
    checked: set[str] = set()
    for labels in series:
        # Labels are name-sorted, so the metric name is nearly always the first pair.
        name = labels[0][1] if labels and labels[0][0] == NAME else label_get(labels, NAME)
        if not name or name in checked:
            continue
        checked.add(name)
        if not name.endswith(COUNTER_SUFFIXES):
            ev.info("metric might not be a counter, name does not end in "
                    f'_total/_sum/_count/_bucket: "{name}"', node.args[0])


def _matrix_rows(ev: EvalContext, arg: ast.Expr,
                 t: int) -> list[tuple[Labels, list[int], list[float]]]:
    """``(labels, ts, vs)`` of a matrix argument; a plain selector skips RangeSeries."""
    inner = ast.unwrap_parens(arg)
    if isinstance(inner, ast.MatrixSelector):
        return ev.matrix_rows(inner, t)
    return [(rs.labels, rs.ts, rs.vs) for rs in ev.eval_matrix(arg, t)]


Grouped = dict[Labels, list[float]]
"""Rate-like values by group: each group's labels and its series' values (names to be
dropped). Ungrouped, every series is its own group of one."""


def _rates(ev: EvalContext, node: ast.Call, t: int, is_counter: bool, is_rate: bool,
           grouping: Grouping | None = None) -> Grouped:
    """rate/increase/delta at ``t``, by series or, with ``grouping``, by group."""
    arg = node.args[0]
    rstart, rend, rng = ev.range_bounds(arg, t)
    selector, counter_name = ev.plan.rate_args[node]
    windows = ev.summaries.get(id(selector)) if selector is not None else None
    if windows is not None:
        if is_counter and not counter_name:
            _non_counter_info(ev, node, _window_labels(windows))
        return window_rates(windows, rstart, rend, rng, is_counter, is_rate, grouping)
    rows = _matrix_rows(ev, arg, t)
    if is_counter and not counter_name:
        _non_counter_info(ev, node, [labels for labels, ts, _ in rows if ts])
    rate = K.extrapolated_rate
    groups: Grouped = {}
    for labels, ts, vs in rows:
        v = rate(ts, vs, rstart, rend, rng, is_counter, is_rate)
        if v is not None:
            _add(groups, labels, v, grouping)
    return groups


def _add(groups: Grouped, labels: Labels, value: float, grouping: Grouping | None) -> None:
    """Put one series' value into its group (see :data:`Grouped`)."""
    if grouping is None:
        groups[labels] = [value]
        return
    group_key, memo = grouping
    key = memo.get(labels)
    if key is None:
        key = memo[labels] = group_key(labels)
    members = groups.get(key)
    if members is None:
        groups[key] = [value]
    else:
        members.append(value)


def _window_labels(windows: list[Rows | Window]) -> list[Labels]:
    """The labels of the series that have a sample in their window (stale markers aside)."""
    return [w.labels for w in windows
            if isinstance(w, Window) or any(v is not None for v in w.vs)]


def window_rates(windows: list[Rows | Window], rstart: int, rend: int, rng: int,
                 is_counter: bool, is_rate: bool, grouping: Grouping | None = None) -> Grouped:
    """:func:`_rates` over storage summaries (``select_windows``): a :class:`Window` needs
    no reset check and no copy; a :class:`Rows` is read like :meth:`matrix_rows` would.

    This is the loop a rule group spends most of its time in (once per series per rule),
    so the extrapolation (:func:`K.extrapolate`) and the grouping (:func:`_add`) are
    written out in it; property tests hold both equal to the general path."""
    rate = K.extrapolated_rate
    groups: Grouped = {}
    get = groups.get
    group_key, memo = grouping if grouping is not None else (None, {})
    per_second = rng / 1000
    for w in windows:
        if type(w) is Window:
            labels, count, t_first, v_first, t_last, v_last = w
            if count < 2:
                continue
            result = v_last - v_first
            to_start = (t_first - rstart) / 1000
            to_end = (rend - t_last) / 1000
            sampled = (t_last - t_first) / 1000
            avg = sampled / (count - 1)
            threshold = avg * 1.1
            if to_start >= threshold:
                to_start = avg / 2
            if is_counter and result > 0 and v_first >= 0:
                to_zero = sampled * (v_first / result)
                if to_zero < to_start:
                    to_start = to_zero
            if to_end >= threshold:
                to_end = avg / 2
            factor = (sampled + to_start + to_end) / sampled if sampled != 0 else 1.0
            value = result * (factor / per_second if is_rate else factor)
        else:
            assert isinstance(w, Rows)
            labels, ts, vs = w.labels, w.ts, w.vs
            if w.has_stale:
                kept = [(t, v) for t, v in zip(ts, vs, strict=True) if v is not None]
                ts, vs = [t for t, _ in kept], [v for _, v in kept]
            # no None left in vs: the stale markers were filtered out just above, if there were any
            found = rate(ts, vs, rstart, rend, rng, is_counter, is_rate)  # type: ignore[arg-type]
            if found is None:
                continue
            value = found
        if group_key is None:
            groups[labels] = [value]
            continue
        key = memo.get(labels)
        if key is None:
            key = memo[labels] = group_key(labels)
        members = get(key)
        if members is None:
            groups[key] = [value]
        else:
            members.append(value)
    return groups


def _rate_like(is_counter: bool, is_rate: bool) -> Callable[[EvalContext, ast.Call, int], Value]:
    def impl(ev: EvalContext, node: ast.Call, t: int) -> Value:
        return Vector([Sample(labels, v, t, True)
                       for labels, (v,) in _rates(ev, node, t, is_counter, is_rate).items()])

    return impl


def fused_rates(ev: EvalContext, node: ast.Call, t: int, grouping: Grouping) -> Grouped:
    """The values of a :func:`~monitor.promql.plan.fused_call` at ``t`` by group,
    without building a Vector (every one's metric name is marked to be dropped)."""
    is_counter, is_rate = RATE_KINDS[node.func]
    return _rates(ev, node, t, is_counter, is_rate, grouping)


def _instant_like(is_rate: bool) -> Callable[[EvalContext, ast.Call, int], Value]:
    def impl(ev: EvalContext, node: ast.Call, t: int) -> Value:
        mat = ev.eval_matrix(node.args[0], t)
        out = Vector()
        for rs in mat:
            v = K.instant_value(rs.ts, rs.vs, is_rate)
            if v is not None:
                out.append(Sample(rs.labels, v, t, True))
        return out

    return impl


def _f_deriv(ev: EvalContext, node: ast.Call, t: int) -> Value:
    out = Vector()
    for rs in ev.eval_matrix(node.args[0], t):
        if len(rs.ts) >= 2:
            slope, _ = K.linear_regression(rs.ts, rs.vs, rs.ts[0])
            out.append(Sample(rs.labels, slope, t, True))
    return out


def _f_predict_linear(ev: EvalContext, node: ast.Call, t: int) -> Value:
    mat = ev.eval_matrix(node.args[0], t)
    dur = ev.eval_scalar(node.args[1], t)
    out = Vector()
    for rs in mat:
        if len(rs.ts) >= 2:
            slope, icpt = K.linear_regression(rs.ts, rs.vs, t)
            out.append(Sample(rs.labels, slope * dur + icpt, t, True))
    return out


def _f_quantile_over_time(ev: EvalContext, node: ast.Call, t: int) -> Value:
    q = ev.eval_scalar(node.args[0], t)
    mat = ev.eval_matrix(node.args[1], t)
    out = Vector()
    for rs in mat:
        if not rs.ts:
            continue
        if q != q or q < 0 or q > 1:
            ev.warn(f"quantile value should be between 0 and 1, got {go_g(q)}", node.args[0])
        out.append(Sample(rs.labels, K.quantile(q, rs.vs), t, True))
    return out


def _f_des(ev: EvalContext, node: ast.Call, t: int) -> Value:
    mat = ev.eval_matrix(node.args[0], t)
    sf = ev.eval_scalar(node.args[1], t)
    tf = ev.eval_scalar(node.args[2], t)
    if not mat:
        return Vector()
    if not 0 < sf < 1:
        raise EvalError(f"invalid smoothing factor. Expected: 0 < sf < 1, got: {sf:f}")
    if not 0 < tf < 1:
        raise EvalError(f"invalid trend factor. Expected: 0 < tf < 1, got: {tf:f}")
    out = Vector()
    for rs in mat:
        v = K.double_exponential_smoothing(rs.vs, sf, tf)
        if v is not None:
            out.append(Sample(rs.labels, v, t, True))
    return out


def _f_clamp(ev: EvalContext, node: ast.Call, t: int) -> Value:
    vec = ev.eval_vector(node.args[0], t)
    name = node.func
    lo, hi = -math.inf, math.inf
    if name == "clamp":
        lo, hi = ev.eval_scalar(node.args[1], t), ev.eval_scalar(node.args[2], t)
    elif name == "clamp_min":
        lo = ev.eval_scalar(node.args[1], t)
    else:
        hi = ev.eval_scalar(node.args[1], t)
    if hi < lo:
        return Vector()

    def clamp(v: float) -> float:  # Prometheus: math.Max(min, math.Min(max, v))
        return K.go_max(lo, K.go_min(hi, v))

    return Vector(Sample(s.labels, clamp(s.value), t, True) for s in vec)


def _f_round(ev: EvalContext, node: ast.Call, t: int) -> Value:
    vec = ev.eval_vector(node.args[0], t)
    to = ev.eval_scalar(node.args[1], t) if len(node.args) > 1 else 1.0
    return Vector(Sample(s.labels, K.round_to(s.value, to), t, True) for s in vec)


def _sort_key(s: Sample) -> tuple[int, float]:
    return (1, 0.0) if s.value != s.value else (0, s.value)


def _f_sort(ev: EvalContext, node: ast.Call, t: int) -> Value:
    if ev.start_ms != ev.end_ms:
        ev.warn("sort is ineffective for range queries since results are always ordered by labels", node)
    vec = ev.eval_vector(node.args[0], t)
    if node.func == "sort":
        return Vector(sorted(vec, key=_sort_key))
    nums = sorted((s for s in vec if s.value == s.value), key=lambda s: s.value, reverse=True)
    return Vector(nums + [s for s in vec if s.value != s.value])


def _f_sort_by_label(ev: EvalContext, node: ast.Call, t: int) -> Value:
    if ev.start_ms != ev.end_ms:
        ev.warn("sort is ineffective for range queries since results are always ordered by labels", node)
    vec = ev.eval_vector(node.args[0], t)
    names = []
    for a in node.args[1:]:
        sv = ev.eval(a, t)
        assert isinstance(sv, String)
        names.append(sv.value)

    def key(s: Sample) -> tuple[list[list[tuple[int, int | str]]], Labels]:
        return [K.natural_key(label_get(s.labels, n)) for n in names], s.labels

    return Vector(sorted(vec, key=key, reverse=node.func == "sort_by_label_desc"))


def _valid_label_name(name: str) -> bool:
    return bool(name) and not any("\udc80" <= ch <= "\udcff" for ch in name)


def _merge_check(vec: Vector) -> Vector:
    seen: set[Labels] = set()
    for s in vec:
        key = drop_name(s.labels) if s.drop_name else s.labels
        if key in seen:
            raise EvalError("vector cannot contain metrics with the same labelset")
        seen.add(key)
    return vec


def _str_args(ev: EvalContext, node: ast.Call, t: int, start: int) -> list[str]:
    out = []
    for a in node.args[start:]:
        sv = ev.eval(a, t)
        assert isinstance(sv, String)
        out.append(sv.value)
    return out


def _f_label_replace(ev: EvalContext, node: ast.Call, t: int) -> Value:
    dst, repl, src, regex_s = _str_args(ev, node, t, 1)
    try:
        regex = compile_anchored(regex_s)
    except re.error:
        raise EvalError(f"invalid regular expression in label_replace(): {regex_s}") from None
    if not _valid_label_name(dst):
        raise EvalError(f"invalid destination label name in label_replace(): {dst}")
    vec = ev.eval_vector(node.args[0], t)
    out = Vector()
    for s in vec:
        val = label_get(s.labels, src)
        mt = regex.match(val)
        if mt is None:
            out.append(s)
            continue
        res = _expand(repl, mt)
        d = dict(s.labels)
        d[dst] = res
        out.append(Sample(labels_from(d), s.value, s.t_ms,
                          False if dst == NAME else s.drop_name))
    return _merge_check(out)


def _expand(template: str, mt: re.Match[str]) -> str:
    """Go regexp.Expand: ``$1``, ``${1}``, ``$name``, ``${name}``, ``$$``."""
    out: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        c = template[i]
        if c != "$" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        nxt = template[i + 1]
        if nxt == "$":
            out.append("$")
            i += 2
            continue
        if nxt == "{":
            j = template.find("}", i + 2)
            if j < 0:
                out.append(c)
                i += 1
                continue
            name = template[i + 2 : j]
            i = j + 1
        else:
            m2 = re.match(r"[A-Za-z0-9_]+", template[i + 1 :])
            if not m2:
                out.append(c)
                i += 1
                continue
            name = m2.group()
            i += 1 + len(name)
        try:
            g = mt.group(int(name)) if name.isdigit() else mt.group(name)
        except IndexError:
            g = ""
        out.append(g or "")
    return "".join(out)


def _f_label_join(ev: EvalContext, node: ast.Call, t: int) -> Value:
    strs = _str_args(ev, node, t, 1)
    dst, sep, srcs = strs[0], strs[1], strs[2:]
    for src in srcs:
        if not _valid_label_name(src):
            raise EvalError(f"invalid source label name in label_join(): {src}")
    if not _valid_label_name(dst):
        raise EvalError(f"invalid destination label name in label_join(): {dst}")
    vec = ev.eval_vector(node.args[0], t)
    out = Vector()
    for s in vec:
        d = dict(s.labels)
        d[dst] = sep.join(label_get(s.labels, x) for x in srcs)
        out.append(Sample(labels_from(d), s.value, s.t_ms, False if dst == NAME else s.drop_name))
    return _merge_check(out)


def _classic_buckets(ev: EvalContext, vec: Vector,
                     arg: ast.Expr) -> dict[Labels, list[tuple[float, float]]]:
    """Group classic-histogram bucket samples by their labels minus ``le``."""
    groups: dict[Labels, list[tuple[float, float]]] = {}
    for s in vec:
        le = label_get(s.labels, "le")
        try:
            ub = _parse_go_float(le)
        except ValueError:
            name = label_get(s.labels, NAME)
            msg = f'bucket label "le" is missing or has a malformed value of {go_quote(le)}'
            if name:
                msg += f' for metric name "{name}"'
            ev.warn(msg, arg)
            continue
        key = tuple(p for p in s.labels if p[0] != "le")
        groups.setdefault(key, []).append((ub, s.value))
    return groups


def _f_histogram_quantile(ev: EvalContext, node: ast.Call, t: int) -> Value:
    q = ev.eval_scalar(node.args[0], t)
    vec = ev.eval_vector(node.args[1], t)
    if q != q or q < 0 or q > 1:
        ev.warn(f"quantile value should be between 0 and 1, got {go_g(q)}", node.args[0])
    out = Vector()
    for key, buckets in _classic_buckets(ev, vec, node.args[1]).items():
        v, forced = K.bucket_quantile(q, buckets)
        if forced:
            _monotonicity_info(ev, key, node.args[1])
        out.append(Sample(key, v, t, True))
    return out


def _f_histogram_quantiles(ev: EvalContext, node: ast.Call, t: int) -> Value:
    """``histogram_quantiles(v, "q", 0.5, 0.9, ...)``: one series per quantile, labelled."""
    vec = ev.eval_vector(node.args[0], t)
    label_val = ev.eval(node.args[1], t)
    assert isinstance(label_val, String)
    label = label_val.value
    if not _valid_label_name(label):
        raise EvalError(f"invalid quantile label name in histogram_quantiles(): {label}")
    qs: list[tuple[float, str]] = []
    for arg in node.args[2:]:
        q = ev.eval_scalar(arg, t)
        if q != q or q < 0 or q > 1:
            ev.warn(f"quantile value should be between 0 and 1, got {go_g(q)}", arg)
        qs.append((q, format_openmetrics_float(q)))
    groups = _classic_buckets(ev, vec, node.args[0])
    out = Vector()
    for q, qstr in qs:
        for key, buckets in groups.items():
            v, forced = K.bucket_quantile(q, buckets)
            if forced:
                _monotonicity_info(ev, key, node.args[0])
            d = dict(key)
            d[label] = qstr
            out.append(Sample(labels_from(d), v, t, True))
    return out


def _monotonicity_info(ev: EvalContext, key: Labels, arg: ast.Expr) -> None:
    name = label_get(key, NAME)
    ev.info("input to histogram_quantile needed to be fixed for monotonicity (see "
            "https://prometheus.io/docs/prometheus/latest/querying/functions/"
            f'#histogram_quantile) for metric name "{name}"', arg)


def _f_histogram_fraction(ev: EvalContext, node: ast.Call, t: int) -> Value:
    lower = ev.eval_scalar(node.args[0], t)
    upper = ev.eval_scalar(node.args[1], t)
    vec = ev.eval_vector(node.args[2], t)
    return Vector(Sample(key, K.bucket_fraction(lower, upper, buckets), t, True)
                  for key, buckets in _classic_buckets(ev, vec, node.args[2]).items())


def _f_native_only(ev: EvalContext, node: ast.Call, t: int) -> Value:
    """histogram_count/sum/avg/stddev/stdvar only read native histograms, which this
    engine does not store; float samples are ignored, as in Prometheus."""
    ev.eval_vector(node.args[0], t)
    return Vector()


def _parse_go_float(s: str) -> float:
    low = s.strip().lower()
    if low in ("+inf", "inf", "infinity", "+infinity"):
        return math.inf
    if low in ("-inf", "-infinity"):
        return -math.inf
    if low == "nan":
        return math.nan
    if s != s.strip() or not s or "_" in s:
        raise ValueError(s)
    return float(s)


FUNCTIONS: dict[str, Callable[[EvalContext, ast.Call, int], Value]] = {
    "time": _f_time,
    "pi": _f_pi,
    "start": _f_start,
    "end": _f_end,
    "step": _f_step,
    "range": _f_range,
    "min_of": _f_min_of,
    "max_of": _f_max_of,
    "vector": _f_vector,
    "scalar": _f_scalar,
    "timestamp": _f_timestamp,
    "absent": _f_absent,
    "absent_over_time": _f_absent_over_time,
    "rate": _rate_like(True, True),
    "increase": _rate_like(True, False),
    "delta": _rate_like(False, False),
    "irate": _instant_like(True),
    "idelta": _instant_like(False),
    "deriv": _f_deriv,
    "predict_linear": _f_predict_linear,
    "quantile_over_time": _f_quantile_over_time,
    "double_exponential_smoothing": _f_des,
    "clamp": _f_clamp,
    "clamp_min": _f_clamp,
    "clamp_max": _f_clamp,
    "round": _f_round,
    "sort": _f_sort,
    "sort_desc": _f_sort,
    "sort_by_label": _f_sort_by_label,
    "sort_by_label_desc": _f_sort_by_label,
    "label_replace": _f_label_replace,
    "label_join": _f_label_join,
    "histogram_quantile": _f_histogram_quantile,
    "histogram_fraction": _f_histogram_fraction,
    "histogram_quantiles": _f_histogram_quantiles,
    "histogram_count": _f_native_only,
    "histogram_sum": _f_native_only,
    "histogram_avg": _f_native_only,
    "histogram_stddev": _f_native_only,
    "histogram_stdvar": _f_native_only,
}
