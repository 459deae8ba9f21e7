"""Every known way Prometheus 2.42 answers differently from the 3.x semantics Candor
follows, each with the 3.x source or test that says so, in one list: :data:`JUSTIFIED`.

A differing answer is *justified* only when one entry explains it, and the entries
explain by evidence, not by pattern alone:

- **emulated**: the query is evaluated again by Candor with the 2.x behaviour put back
  (a rewritten query, or one engine function swapped for its 2.42 version, for the
  duration of that one evaluation); the difference is justified when Candor then answers
  exactly what Prometheus 2.42 answered.
- **refused**: Prometheus 2.42 refuses the query with the error the change explains
  (a function it does not have yet, a message that was reworded).

Anything else is *unexplained*, and fails the suite's differential test. An entry is
added here only with the 3.x source (file and function at ``v3.14.0``, or a promqltest
case) and the pull request that made the change.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from tests.monitor.promql.differential.compare import differences

if TYPE_CHECKING:
    from tests.monitor.promql.differential.harness import Candor, Case

# ---- evidence ----------------------------------------------------------------------------


def _outside_strings(expr: str, rewrite: Callable[[str], str]) -> str:
    """Apply ``rewrite`` to the parts of ``expr`` outside string literals."""
    parts = re.split(r'("(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`)', expr)
    return "".join(p if i % 2 else rewrite(p) for i, p in enumerate(parts))


_RANGE = re.compile(r"\[(\s*\d+(?:ms|[smhdwy])(?:\d+(?:ms|[smhdwy]))*\s*)([:\]])")


def closed_windows(expr: str) -> str:
    """``expr`` with every range and subquery range 1 ms longer: over millisecond
    timestamps, the left-open window ``(t-r-1ms, t]`` selects exactly the samples of the
    closed ``[t-r, t]`` that Prometheus 2.x used."""
    return _outside_strings(expr, lambda s: _RANGE.sub(r"[\g<1>1ms\2", s))


def _emulated(case: Case, candor: Candor, *, expr: str | None = None,
              rel_tol: float | None = None, **engine: Any) -> bool:
    """Candor, asked ``case``'s query again (``expr`` instead of the query's, an engine
    with ``engine`` settings), answers what Prometheus answered."""
    again = candor.variant(**engine)
    query = case.query if expr is None else case.query.with_expr(expr)
    ours = query.ask(again)
    if not differences(case.theirs, ours, rel_tol=rel_tol):
        return True
    # The emulation may now fail as Prometheus does, naming the pair in Prometheus's order.
    return _pair_sorted(replace(case, ours=ours), candor)


@contextmanager
def _patched(module: Any, name: str, replacement: Any) -> Iterator[None]:
    """``module.name`` is ``replacement`` for the duration (a test-only emulation)."""
    if not hasattr(module, name):
        raise AssertionError(f"{module.__name__}.{name} is gone: update the emulation in "
                             f"{__name__}")
    original = getattr(module, name)
    setattr(module, name, replacement)
    try:
        yield
    finally:
        setattr(module, name, original)


def _emulated_with(patches: Callable[[], Any]) -> Callable[[Case, Candor], bool]:
    def explains(case: Case, candor: Candor) -> bool:
        with patches():
            return _emulated(case, candor)
    return explains


_DUPLICATES = re.compile(r"^(found duplicate series for the match group .* hand-side of the "
                         r"operation: )\[(\{.*\}), (\{.*\})\](;many-to-many matching .*)$")


def _pair_sorted(case: Case, candor: Candor) -> bool:
    """Both failed on many-to-many matching of the same group on the same side, naming the
    same two series in another order; or, in a range query (whose intermediate series
    Prometheus keeps in a map, so which duplicates meet first varies), two others."""
    theirs = _DUPLICATES.match(case.theirs.error)
    ours = _DUPLICATES.match(case.ours.error)
    if not (theirs and ours and case.ours.failed):
        return False
    head, a, b, tail = theirs.groups()
    if case.ours.error == f"{head}[{min(a, b)}, {max(a, b)}]{tail}":
        return True
    return case.query.is_range and ours.group(1) == head


def _refused(pattern: str, *, uses: str) -> Callable[[Case, Candor], bool]:
    """Prometheus failed with a message matching ``pattern`` and the expression uses
    ``uses`` (a regex over the expression text)."""
    message, used = re.compile(pattern), re.compile(uses)

    def explains(case: Case, candor: Candor) -> bool:
        return (case.theirs.failed and bool(message.search(case.theirs.error))
                and bool(used.search(case.query.expr)))
    return explains


# ---- 2.42 behaviours, for the emulations ------------------------------------------------------


def _stdvar_2_42(vals: list[float]) -> float:
    """Prometheus 2.42's stdvar: the running sum starts at 0 whatever the first value
    (3.x starts it at NaN for a NaN or infinite first value)."""
    acc, mean, count = 0.0, vals[0], 1.0
    for f in vals[1:]:
        count += 1
        delta = f - mean
        mean += delta / count
        acc += delta * (f - mean)
    return acc / count


@contextmanager
def _stddev_2_42() -> Iterator[None]:
    from monitor.promql import aggregation

    with _patched(aggregation, "_stdvar", _stdvar_2_42):
        yield


def _heap_k_2_42(members: list[Any], k: int, *, top: bool) -> list[Any]:
    """Prometheus 2.42's topk/bottomk: a NaN root is replaced by any sample (NaN too),
    and a replacement pops the root and pushes the new sample (Go's container/heap)."""
    heap: list[Any] = []

    def less(i: int, j: int) -> bool:
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

    def down(i: int, n: int) -> None:
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

    for s in members:
        if not heap:
            heap.append(s)
            continue
        root = heap[0].value
        if len(heap) < k or (root < s.value if top else root > s.value) or root != root:
            if len(heap) == k:
                if k == 1:
                    heap[0] = s
                    continue
                n = len(heap) - 1
                heap[0], heap[n] = heap[n], heap[0]
                down(0, n)
                heap.pop()
            heap.append(s)
            up(len(heap) - 1)
    return heap


@contextmanager
def _topk_2_42() -> Iterator[None]:
    from monitor.promql import aggregation

    with _patched(aggregation, "_heap_k", _heap_k_2_42):
        yield


def _extrapolate_2_42(result: float, n1: int, first_t: int, last_t: int, first_v: float,
                      range_start: int, range_end: int, range_ms: int, is_counter: bool,
                      is_rate: bool) -> float:
    """Prometheus 2.42's extrapolatedRate: the counter's zero point is weighed against the
    whole distance to the window's start, before the half-interval cap (3.x caps first)."""
    to_start = (first_t - range_start) / 1000
    to_end = (range_end - last_t) / 1000
    sampled = (last_t - first_t) / 1000
    avg = sampled / n1
    if is_counter and result > 0 and first_v >= 0:
        to_start = min(to_start, sampled * (first_v / result))
    threshold = avg * 1.1
    interval = sampled + (to_start if to_start < threshold else avg / 2)
    interval += to_end if to_end < threshold else avg / 2
    value = result * (interval / sampled)
    return value / (range_ms / 1000) if is_rate else value


@contextmanager
def _rate_2_42() -> Iterator[None]:
    from monitor.promql import kernels

    with _patched(kernels, "extrapolate", _extrapolate_2_42):
        yield


def _kahan_inc_2_42(inc: float, s: float, c: float) -> tuple[float, float]:
    """2.42's kahanSumInc: no reset of the compensation once the sum is infinite, so
    Inf - Inf turns it NaN."""
    t = s + inc
    if abs(s) >= abs(inc):
        c += (s - t) + inc
    else:
        c += (inc - t) + s
    return t, c


@contextmanager
def _kahan_2_42() -> Iterator[None]:
    from monitor.promql import kernels

    with _patched(kernels, "kahan_inc", _kahan_inc_2_42):
        yield


@contextmanager
def _classic_fraction_2_42() -> Iterator[None]:
    """2.42's histogram_fraction read native histograms only: nothing for classic buckets."""
    from monitor.promql import functions
    from monitor.promql.value import Vector

    def nothing(ev: Any, node: Any, t: int) -> Vector:
        return Vector()

    with _patched(functions, "_f_histogram_fraction", nothing):
        old = functions.FUNCTIONS["histogram_fraction"]
        functions.FUNCTIONS["histogram_fraction"] = nothing
        try:
            yield
        finally:
            functions.FUNCTIONS["histogram_fraction"] = old


def _range_steps_dropped_with_at(case: Case, candor: Candor) -> bool:
    """2.42 left out steps of a range query over a range vector with ``@`` (its buffers
    were scoped to the step, not to the ``@`` time; #13559), so a step lacks a series or,
    past a binary operator (``unless``, ``and``, ``or``), keeps one its other side would
    have removed. Evidence: at the steps where the answers differ, Prometheus's own instant
    queries answer the series Candor's range query answered, and Prometheus's range query
    lacks none of Candor's steps for a series both have."""
    prom = candor.prometheus
    if not case.query.is_range or "@" not in case.query.expr or prom is None:
        return False
    if any(d.kind not in ("points", "missing", "extra") for d in case.diffs):
        return False
    theirs, ours = case.theirs.by_labels(), case.ours.by_labels()
    for d in case.diffs:
        if d.kind == "points" and {t for t, _ in theirs[d.labels]} - {t for t, _ in ours[d.labels]}:
            return False

    def at_step(answer: dict[Any, Any]) -> dict[int, set[Any]]:
        steps: dict[int, set[Any]] = {}
        for labels, points in answer.items():
            for t, _ in points:
                steps.setdefault(t, set()).add(labels)
        return steps

    mine, yours = at_step(ours), at_step(theirs)
    differing = sorted(t for t in set(mine) | set(yours) if mine.get(t) != yours.get(t))
    if not differing:
        return False
    # In an instant query start() and end() are its own time: pin them to the range's.
    # (A numeric @ may not come before a range: `x @ start()[5m]` becomes `x[5m] @ N`.)
    expr = case.query.expr
    for name, at in (("start", case.query.start), ("end", case.query.end)):
        expr = re.sub(rf"@\s*{name}\(\)\s*\[([^\]]+)\]", rf"[\1] @ {at:.3f}", expr)
        expr = re.sub(rf"@\s*{name}\(\)", f"@ {at:.3f}", expr)
    for t in sorted({differing[0], differing[len(differing) // 2], differing[-1]}):
        instant = case.query.with_instant(t / 1000).with_expr(expr).ask(prom)
        # Prometheus's own instant query answers Candor's series at that step (values may
        # differ: predict_linear and friends read the step time, which 2.42 mis-scoped too).
        if instant.failed or set(instant.by_labels()) != mine.get(t, set()):
            return False
    return True


def _unordered_ties(case: Case, candor: Candor) -> bool:
    """A range query's topk/bottomk kept other series among equal values (NaN included):
    at every step both kept the same values. Prometheus evaluates the inner expression of
    a range query into a map, so the order ties are met in, and the winners, vary."""
    if not case.query.is_range or not re.search(r"\b(topk|bottomk)\b", case.query.expr):
        return False

    def by_step(answer: Any) -> dict[int, list[str]]:
        steps: dict[int, list[str]] = {}
        for _, points in answer.series:
            for t, v in points:
                # 12 significant digits: the values compare within 1e-9 elsewhere too (Go's
                # Pow(10, 23) is 1e+23, Python's the next float up).
                steps.setdefault(t, []).append("NaN" if v == "NaN" else f"{float(v):.12g}")
        return {t: sorted(vs) for t, vs in steps.items()}

    if by_step(case.theirs) == by_step(case.ours):
        return True
    with _topk_2_42():  # 2.42 also kept other NaNs (see "topk/bottomk heap with NaN")
        return by_step(case.theirs) == by_step(case.query.ask(candor.variant()))


def _sum_avg_2_42(op: str, vals: list[float], param: Any = None) -> float:
    """2.42's sum (plain additions from the first value) and avg (an incremental mean from
    the first value); 3.x adds with Kahan compensation and adds the compensation at the
    end, which also turns a sum of negative zeros into +0."""
    if op == "sum":
        total = vals[0]
        for v in vals[1:]:
            total += v
        return total
    mean, count = vals[0], 1
    for v in vals[1:]:
        count += 1
        if math.isinf(mean):
            if math.isinf(v) and (mean > 0) == (v > 0):
                continue
            if not math.isinf(v) and v == v:
                continue
        mean += v / count - mean / count
    return mean


@contextmanager
def _sum_avg_2_42_patch() -> Iterator[None]:
    from monitor.promql import aggregation

    reduce, reduce_values = aggregation._reduce, aggregation.reduce_values

    def reduce_2_42(op: str, vals: list[float], param: Any = None) -> float:
        return _sum_avg_2_42(op, vals) if op in ("sum", "avg") else reduce(op, vals, param)

    def reduce_values_2_42(op: str, vals: list[float]) -> float:
        return _sum_avg_2_42(op, vals) if op in ("sum", "avg") else reduce_values(op, vals)

    with _patched(aggregation, "_reduce", reduce_2_42), \
            _patched(aggregation, "reduce_values", reduce_values_2_42):
        yield


def _filtered_before_matching(case: Case, candor: Candor) -> bool:
    """Candor refused a one-to-one comparison whose left side matched one right-hand
    series more than once; Prometheus 2.42 counted only the matches its filter kept."""
    return (case.ours.failed and not case.theirs.failed
            and case.ours.error.startswith("multiple matches for labels: many-to-one")
            and re.search(r"(==|!=|>=|<=|>|<)(?!\s*bool)", case.query.expr) is not None)


@contextmanager
def _regex_dot_2_42() -> Iterator[None]:
    """2.x compiled ``^(?:re)$``: ``.`` does not match a newline."""
    from monitor.promql import functions, storage

    def compile_anchored(pattern: str) -> re.Pattern[str]:
        return re.compile(f"(?:{storage._scope_inline_flags(pattern)})\\Z")

    with _patched(storage, "compile_anchored", compile_anchored), \
            _patched(functions, "compile_anchored", compile_anchored):
        yield


def _closed_windows_and(case: Case, candor: Candor) -> bool:
    """Two listed changes at once: Candor with every window 1 ms longer (the left-open
    windows) *and* one engine function swapped for its 2.42 version answers like 2.42.
    On the sample grid a window's left edge lands on a sample, so the rate extrapolation or
    the Kahan step then also sees the sample 2.42 included."""
    for patch in _PATCHES_2_42:
        with patch():
            if _emulated(case, candor, expr=closed_windows(case.query.expr), lookback=300.001,
                         rel_tol=1e-4):
                return True
    return False


# ---- the list -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Justification:
    """One 2.x→3.x change: what changed, where 3.x says so, and the evidence test."""

    name: str
    change: str
    source: str
    explains: Callable[[Case, Candor], bool]


V3 = "prometheus/prometheus@v3.14.0"

#: Functions and aggregations Prometheus added after 2.42 (all in Candor).
NEWER = ["mad_over_time", "first_over_time", "ts_of_first_over_time", "ts_of_last_over_time",
         "ts_of_max_over_time", "ts_of_min_over_time", "histogram_avg", "histogram_stddev",
         "histogram_stdvar", "limitk", "limit_ratio", "sort_by_label", "sort_by_label_desc",
         "double_exponential_smoothing"]

JUSTIFIED: list[Justification] = [
    Justification(
        "many-to-many error names its two series sorted",
        "Prometheus named the duplicate right-hand series in the order it met them; it now "
        "sorts the pair, so the message is the same on every run (after 3.14)",
        "prometheus/prometheus main@6b0f8f8 promql/engine.go VectorBinop (`if dupl1 > dupl2`); "
        "promqltest testdata/operators.test (\"must come out in a stable, sorted order\")",
        _pair_sorted),
    Justification(
        "function or aggregation newer than 2.42",
        "Prometheus 2.42 does not know mad_over_time (2.49), histogram_avg/stddev/stdvar "
        "(2.50-2.51), limitk/limit_ratio (2.54), first_over_time and ts_of_*_over_time "
        "(3.5), sort_by_label (2.49), double_exponential_smoothing (3.0)",
        f"{V3} promql/parser/functions.go (Functions), promql/parser/lex.go (key: LIMITK, "
        "LIMIT_RATIO); promqltest testdata/functions.test, limit.test",
        _refused(r'unknown function with name "(' + "|".join(NEWER) + r')"'
                 r'|unexpected <(by|without)>|unexpected "," in (aggregation|function)',
                 uses=r"\b(" + "|".join(NEWER) + r")\s*(\(|by|without)")),
    Justification(
        "left-open range and lookback windows",
        "2.x selected samples in [t-range, t] and looked back over [t-5m, t]; 3.x leaves a "
        "sample exactly on the left edge out, subquery steps included (#13904, #15431). "
        "Evidence: Candor with every window 1 ms longer answers like 2.42 (rate's "
        "extrapolation then starts 1 ms earlier, hence 1e-4 relative tolerance)",
        f"{V3} promql/engine.go vectorSelectorSingle (`t <= refTime-lookbackDelta`), "
        "matrixIterSlice (`floats[drop].T <= mint`), evalSubquery; CHANGELOG 3.0.0",
        lambda case, candor: _emulated(case, candor, expr=closed_windows(case.query.expr),
                                       lookback=300.001, rel_tol=1e-4)),
    Justification(
        "topk/bottomk with a NaN parameter",
        "2.42 converted NaN to int64 and failed with 'Scalar value NaN overflows int64'; "
        "3.x fails with 'Parameter value is NaN' (#16725)",
        f"{V3} promql/engine.go aggregation (`Parameter value is NaN`); "
        "promqltest testdata/aggregators.test (`topk(NaN, ...)`)",
        _refused(r"^Scalar value NaN overflows int64$", uses=r"\b(topk|bottomk)\b")),
    Justification(
        "stddev/stdvar of NaN or infinite values",
        "2.42 started the running variance at 0, so a group of one NaN or ±Inf had "
        "stddev 0; 3.x starts it at NaN (#14941)",
        f"{V3} promql/engine.go aggregation (case parser.STDVAR, parser.STDDEV: "
        "`math.IsNaN(f), math.IsInf(f, 0)` → NaN); CHANGELOG 3.0.0",
        _emulated_with(_stddev_2_42)),
    Justification(
        "topk/bottomk heap with NaN",
        "2.42 replaced a NaN at the heap's root by any sample, NaN too, popping the root and "
        "pushing the newcomer; 3.x replaces the root only by a number, in place (#12190, "
        "2.43), so which NaN-valued series topk/bottomk keep differs",
        f"{V3} promql/engine.go aggregationK (`case group.heap[0].F < s.F || "
        "(math.IsNaN(group.heap[0].F) && !math.IsNaN(s.F))`, `heap.Fix`)",
        _emulated_with(_topk_2_42)),
    Justification(
        "rate extrapolation capped before the zero point",
        "2.42 compared a counter's extrapolated zero point with the whole gap to the window's "
        "start; 3.x first caps that gap at half a sample interval (#13725, 2.50), so a "
        "counter that starts inside the window extrapolates less",
        f"{V3} promql/functions.go extrapolatedRate (`durationToStart >= "
        "extrapolationThreshold` before `durationToZero`); promqltest testdata/functions.test",
        _emulated_with(_rate_2_42)),
    Justification(
        "variance over time of infinite values",
        "2.42's Kahan step kept its compensation when the sum became infinite, so "
        "stddev_over_time/stdvar_over_time of a window with ±Inf was NaN; 3.x resets it and "
        "answers Inf (#14413, 2.54)",
        f"{V3} util/kahansum/kahansum.go Inc (`case isInf(t): c = 0`), promql/functions.go "
        "varianceOverTime",
        _emulated_with(_kahan_2_42)),
    Justification(
        "histogram_fraction of classic buckets",
        "2.42's histogram_fraction read native histograms only; 3.x also estimates it from "
        "classic le buckets (#16095, 3.3)",
        f"{V3} promql/functions.go funcHistogramFraction (`BucketFraction`); promqltest "
        "testdata/histograms.test (histogram_fraction over classic buckets)",
        _emulated_with(_classic_fraction_2_42)),
    Justification(
        "range query steps dropped with @",
        "2.42 left steps out of a range query whose range vector has an @ modifier (and past "
        "a binary operator kept what the missing side would have removed); its own instant "
        "queries at those steps answer the series Candor answers (#13559, 2.50)",
        f"{V3} promql/engine.go eval (*parser.Call, matrix argument: `stepRange`, buffers "
        "per series); promqltest testdata/at_modifier.test",
        _range_steps_dropped_with_at),
    Justification(
        "topk/bottomk ties in a range query",
        "in a range query Prometheus evaluates topk/bottomk's argument into a map, so which "
        "of several equal values it keeps is not fixed; every step keeps the same values",
        f"{V3} promql/engine.go rangeEval (`seriess map[uint64]Series`), aggregationK "
        "(ties go to the heap's order)",
        _unordered_ties),
    Justification(
        "sum and avg with Kahan compensation",
        "2.42 summed plainly from the first value and averaged incrementally; 3.x sums with "
        "Kahan compensation, adding it at the end (#14074, #14413: 2.53-2.54), so results "
        "differ in the last bits (and count_values labels with them) and a sum of negative "
        "zeros is +0",
        f"{V3} promql/engine.go aggregation (case parser.SUM: kahansum.Inc; "
        "`aggr.floatValue += aggr.floatKahanC`)",
        _emulated_with(_sum_avg_2_42_patch)),
    Justification(
        "many-to-one check before a comparison filters",
        "2.42 checked a one-to-one comparison for a left series matching twice only among "
        "the pairs the comparison kept; 3.x checks every pair (#17668, 3.8)",
        f"{V3} promql/engine.go VectorBinop (`matchedSigsPresent` checked before "
        "`if !keep`)",
        _filtered_before_matching),
    Justification(
        "regex . matches a newline",
        "2.x anchored regexes as ^(?:re)$, where . does not match \\n; 3.x compiles "
        "^(?s:re)$ (#14505)",
        f"{V3} model/labels/regexp.go NewFastRegexMatcher (`\"^(?s:\" + v + \")$\"`), "
        "promql/functions.go funcLabelReplace; CHANGELOG 3.0.0",
        _emulated_with(_regex_dot_2_42)),
    Justification(
        "left-open windows with another listed change",
        "two of the changes above in one answer: the left-open windows and one of 2.42's "
        "stddev/stdvar, topk/bottomk heap, rate extrapolation, Kahan step, classic "
        "histogram_fraction, sum/avg or regex dot (each emulated above, applied together)",
        f"the two entries' sources: {V3} promql/engine.go matrixIterSlice (left-open) and "
        "the other change's",
        _closed_windows_and),
]

#: The 2.42 functions the emulations swap in, for :func:`_closed_windows_and`.
_PATCHES_2_42: tuple[Callable[[], Any], ...] = (
    _stddev_2_42, _topk_2_42, _rate_2_42, _kahan_2_42, _classic_fraction_2_42,
    _sum_avg_2_42_patch, _regex_dot_2_42)


def classify(case: Case, candor: Candor) -> str | None:
    """The name of the first justification that explains ``case``, else None."""
    for justification in JUSTIFIED:
        if justification.explains(case, candor):
            return justification.name
    return None


def ordered(expr: str) -> bool:
    """Whether the answer's series order is defined (``sort``/``sort_desc`` outermost)."""
    return re.match(r"\s*(sort|sort_desc)\s*\(", expr) is not None and _closes_at_end(expr)


def _closes_at_end(expr: str) -> bool:
    depth = 0
    text = _outside_strings(expr, lambda s: s)
    stripped = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text).rstrip()
    for i, c in enumerate(stripped):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i == len(stripped) - 1
    return False


