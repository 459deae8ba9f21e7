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

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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
    return not differences(case.theirs, ours, rel_tol=rel_tol)


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
    """Both failed on many-to-many matching, naming the same two series in another order."""
    theirs = _DUPLICATES.match(case.theirs.error)
    ours = _DUPLICATES.match(case.ours.error)
    if not (theirs and ours and case.ours.failed):
        return False
    head, a, b, tail = theirs.groups()
    return case.ours.error == f"{head}[{min(a, b)}, {max(a, b)}]{tail}"


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


@contextmanager
def _regex_dot_2_42() -> Iterator[None]:
    """2.x compiled ``^(?:re)$``: ``.`` does not match a newline."""
    from monitor.promql import calls, storage

    def compile_anchored(pattern: str) -> re.Pattern[str]:
        return re.compile(f"(?:{storage._scope_inline_flags(pattern)})\\Z")

    with _patched(storage, "compile_anchored", compile_anchored), \
            _patched(calls, "compile_anchored", compile_anchored):
        yield


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
        "regex . matches a newline",
        "2.x anchored regexes as ^(?:re)$, where . does not match \\n; 3.x compiles "
        "^(?s:re)$ (#14505)",
        f"{V3} model/labels/regexp.go NewFastRegexMatcher (`\"^(?s:\" + v + \")$\"`), "
        "promql/functions.go funcLabelReplace; CHANGELOG 3.0.0",
        _emulated_with(_regex_dot_2_42)),
    Justification(
        "many-to-many error names its two series sorted",
        "Prometheus named the duplicate right-hand series in the order it met them; it now "
        "sorts the pair, so the message is the same on every run (after 3.14)",
        "prometheus/prometheus main@6b0f8f8 promql/engine.go VectorBinop (`if dupl1 > dupl2`); "
        "promqltest testdata/operators.test (\"must come out in a stable, sorted order\")",
        _pair_sorted),
]


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


