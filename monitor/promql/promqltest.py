"""Runner for Prometheus's ``promqltest`` script format (``*.test`` files).

    results = run_files(["functions.test"])
    print(format_report(results))      # "functions.test: 512 passed, 3 failed, 40 unsupported"

Commands: ``load <interval>`` (with ``1+2x10``, ``_``, ``_x3``, ``stale`` notation),
``load_with_nhcb``, ``clear``, ``eval instant at <t> <expr>``,
``eval range from <t> to <t> step <d> <expr>``, ``expect fail|warn|info|no_warn|no_info|
ordered [msg:|regex: ...]``, ``expect string``, legacy ``eval_fail``/``eval_warn``/
``eval_info``/``eval_ordered``, and ``ignore``/``resume``.

Every eval case ends up *passed*, *failed* (with an expected-vs-got message) or
*unsupported*: native histograms (``{{...}}``) are not implemented, so a case is
unsupported when its expectations contain one, or when its query would read a
native-histogram sample (a selector matches a series loaded with ``{{...}}``
samples, or created by ``load_with_nhcb``, and one of those samples lies in the
time window the selector reads). All other cases run normally, including cases
in load blocks that contain native histograms.
The runner never raises for bad input: any exception inside a case is a failure.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from monitor.promql.engine import Engine
from monitor.promql.errors import PromQLError
from monitor.promql.kernels import almost_equal
from monitor.promql.labels import Labels, format_labels, labels_from
from monitor.promql.lexer import parse_duration_ms, unquote
from monitor.promql.storage import STALE_NAN, MemoryStorage
from monitor.promql.value import Matrix, Scalar, String, Vector, format_value

__all__ = ["CaseResult", "FileResult", "format_report", "main", "run_file", "run_files"]

PASSED, FAILED, UNSUPPORTED = "passed", "failed", "unsupported"
EPSILON = 0.000001

_PAT_LOAD = re.compile(r"^load(?:_(with_nhcb))?\s+(.+?)$")
_PAT_INSTANT = re.compile(r"^eval(?:_(fail|warn|ordered|info))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)$")
_PAT_RANGE = re.compile(
    r"^eval(?:_(fail|warn|info))?\s+range\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+?)\s+(.+)$")
_PAT_RANGE_VECTOR = re.compile(r"^expect range vector\s+from\s+(.+)\s+to\s+(.+)\s+step\s+(.+)$")
_PAT_EXPECT = re.compile(
    r"^expect\s+(ordered|fail|warn|no_warn|info|no_info)(?:\s+(regex|msg):(.+))?$")
_NUM = (r"(?:[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?"
        r"|0[xX][0-9a-fA-F]+|[iI][nN][fF]|[nN][aA][nN])")
_PAT_ITEM = re.compile(rf"^([+-]?{_NUM})(?:([+-]{_NUM}))?x([0-9]+)$")
_PAT_NUMBER = re.compile(rf"^[+-]?{_NUM}$")
_HIST_TOKEN = re.compile(r"\{\{.*?\}\}(?:\+\{\{.*?\}\})?(?:x[0-9]+)?|\S+")


@dataclass
class CaseResult:
    """Outcome of one eval case."""

    line: int
    expr: str
    status: str
    message: str = ""
    #: True when the failure was an unexpected exception (a bug), not a wrong result
    crashed: bool = False


@dataclass
class FileResult:
    """Outcomes of all eval cases of one file."""

    path: str
    cases: list[CaseResult] = field(default_factory=list)
    error: str = ""

    def count(self, status: str) -> int:
        return sum(1 for c in self.cases if c.status == status)

    @property
    def passed(self) -> int:
        return self.count(PASSED)

    @property
    def failed(self) -> int:
        return self.count(FAILED) + (1 if self.error else 0)

    @property
    def unsupported(self) -> int:
        return self.count(UNSUPPORTED)


class _CaseFailure(Exception):
    pass


class _Unsupported(Exception):
    pass


def parse_time_ms(text: str) -> int:
    """``50m``, ``1h30m``, ``0`` or plain seconds -> milliseconds."""
    text = text.strip()
    ms = parse_duration_ms(text)
    if ms is not None:
        return ms
    if _PAT_NUMBER.match(text):
        return round(float(text) * 1000)
    raise ValueError(f"invalid duration or timestamp {text!r}")


def _parse_number(tok: str) -> float:
    low = tok.lower().lstrip("+-")
    sign = -1.0 if tok.startswith("-") else 1.0
    if low == "inf":
        return sign * math.inf
    if low == "nan":
        return math.nan
    if low.startswith("0x"):
        return sign * float(int(low, 16))
    return float(tok)


def expand_values(tokens: Sequence[str]) -> list[float | None]:
    """Expand series-notation tokens; ``None`` is an omitted sample (``_``)."""
    out: list[float | None] = []
    for tok in tokens:
        if tok == "_":
            out.append(None)
            continue
        if tok.startswith("_x") and tok[2:].isdigit():
            out.extend([None] * int(tok[2:]))
            continue
        if tok == "stale":
            out.append(STALE_NAN)
            continue
        m = _PAT_ITEM.match(tok)
        if m:
            v = _parse_number(m.group(1))
            inc = _parse_number(m.group(2)) if m.group(2) else 0.0
            for _ in range(int(m.group(3)) + 1):
                out.append(v)
                v += inc
            continue
        if _PAT_NUMBER.match(tok):
            out.append(_parse_number(tok))
            continue
        raise ValueError(f"invalid sample value {tok!r}")
    return out


def parse_series_line(line: str) -> tuple[Labels, list[float | None]]:
    """``metric{a="b"} 1+1x3 _ stale`` -> (labels, values)."""
    labels, i = parse_series_labels(line)
    return labels, expand_values(line[i:].split())


def parse_series_labels(line: str) -> tuple[Labels, int]:
    """The series part of a series line and the index where its values start."""
    i = 0
    n = len(line)
    labels: dict[str, str] = {}
    m = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line)
    if m:
        labels["__name__"] = m.group()
        i = m.end()
    while i < n and line[i] in " \t":
        i += 1
    if i < n and line[i] == "{" and not line.startswith("{{", i):
        i += 1
        while True:
            while i < n and line[i] in " \t,":
                i += 1
            if i >= n:
                raise ValueError("unterminated label set")
            if line[i] == "}":
                i += 1
                break
            if line[i] in "\"'`":
                name, i = _read_quoted(line, i)
                j = i
                while j < n and line[j] in " \t":
                    j += 1
                if j < n and line[j] in ",}":
                    labels["__name__"] = name
                    i = j
                    continue
            else:
                m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(line, i)
                if not m:
                    raise ValueError(f"invalid label name at column {i + 1}")
                name = m.group()
                i = m.end()
            while i < n and line[i] in " \t":
                i += 1
            if i >= n or line[i] != "=":
                raise ValueError(f"expected '=' at column {i + 1}")
            i += 1
            while i < n and line[i] in " \t":
                i += 1
            value, i = _read_quoted(line, i)
            labels[name] = value
    return labels_from(labels), i


def _read_quoted(line: str, i: int) -> tuple[str, int]:
    q = line[i] if i < len(line) else ""
    if q not in "\"'`" or not q:
        raise ValueError(f"expected quoted string at column {i + 1}")
    j = i + 1
    while j < len(line) and line[j] != q:
        if line[j] == "\\" and q != "`":
            j += 1
        j += 1
    if j >= len(line):
        raise ValueError("unterminated string")
    return unquote(line, line[i + 1 : j], q, i + 1), j + 1


@dataclass
class _Expect:
    kind: str
    mode: str | None = None  # "msg" | "regex"
    text: str = ""

    def __post_init__(self) -> None:
        # compile now, so a bad pattern is reported as a malformed case
        self._regex = re.compile(self.text) if self.mode == "regex" else None

    def matches(self, message: str) -> bool:
        if self.mode is None:
            return True
        if self._regex is None:
            return message == self.text
        return self._regex.search(message) is not None


@dataclass
class _Eval:
    line: int
    expr: str
    instant: bool
    start_ms: int
    end_ms: int = 0
    step_ms: int = 0
    expects: list[_Expect] = field(default_factory=list)
    series: list[tuple[Labels, list[float | None], int]] = field(default_factory=list)
    scalar: float | None = None
    string: str | None = None
    histograms: bool = False
    #: ``expect range vector from A to B step S``: grid of an instant query's matrix result
    range_vector: tuple[int, int, int] | None = None

    def has(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.expects)


def _lines(text: str) -> list[str]:
    out = []
    for raw in text.split("\n"):
        s = raw.strip()
        out.append("" if s.startswith("#") else s)
    return out


class _Runner:
    def __init__(self, path: str) -> None:
        self.path = path
        self.storage = MemoryStorage()
        # Prometheus's test engine (promqltest.NewTestEngine) enables delayed name removal.
        self.engine = Engine(self.storage, delayed_name_removal=True)
        #: series with native-histogram samples (not loaded): labels, sample timestamps
        self.histogram_series: list[tuple[dict[str, str], list[int]]] = []
        self.result = FileResult(path)

    def run(self, text: str) -> FileResult:
        lines = _lines(text)
        i = 0
        ignoring = False
        while i < len(lines):
            line = lines[i]
            if not line:
                i += 1
                continue
            word = line.split()[0]
            if word == "clear":
                self.storage.clear()
                self.histogram_series = []
                i += 1
            elif word == "ignore":
                ignoring = True
                i += 1
            elif word == "resume":
                ignoring = False
                i += 1
            elif word.startswith("load"):
                start = i
                try:
                    i = self._load(lines, i)
                except Exception as exc:  # e.g. a bad interval: report, skip the block
                    self.result.cases.append(CaseResult(start + 1, line, FAILED,
                                                        f"cannot load: {exc}"))
                    i = start + 1
                    while i < len(lines) and lines[i]:
                        i += 1
            elif word.startswith("eval"):
                start = i
                try:
                    i, case = self._parse_eval(lines, i)
                except Exception as exc:  # malformed case: report, skip its block
                    self.result.cases.append(CaseResult(start + 1, line, FAILED,
                                                        f"cannot parse eval: {exc}"))
                    i = start + 1
                    while i < len(lines) and lines[i]:
                        i += 1
                    continue
                if not ignoring:
                    self.result.cases.append(self._run_case(case))
            else:
                self.result.cases.append(CaseResult(i + 1, line, FAILED,
                                                    f"unknown command {word!r}"))
                i += 1
        return self.result

    # -- load ----------------------------------------------------------------
    def _load(self, lines: list[str], i: int) -> int:
        m = _PAT_LOAD.match(lines[i])
        if not m:
            self.result.cases.append(CaseResult(i + 1, lines[i], FAILED, "invalid load command"))
            i += 1
            while i < len(lines) and lines[i]:
                i += 1
            return i
        nhcb = bool(m.group(1))
        gap = parse_time_ms(m.group(2))
        i += 1
        while i < len(lines) and lines[i]:
            line = lines[i]
            i += 1
            hist_ts: list[int] = []
            try:
                if "{{" in line:
                    labels, start = parse_series_labels(line)
                    values: list[float | None] = []
                    for tok in _HIST_TOKEN.findall(line[start:]):
                        if tok.startswith("{{"):
                            m2 = re.search(r"\}\}x([0-9]+)$", tok)
                            reps = int(m2.group(1)) + 1 if m2 else 1
                            for _ in range(reps):
                                hist_ts.append(len(values) * gap)
                                values.append(None)
                        else:
                            values.extend(expand_values([tok]))
                else:
                    labels, values = parse_series_line(line)
            except Exception as exc:
                if "{{" in line:  # unparseable histogram: assume any query may touch it
                    self.histogram_series.append(({}, []))
                else:
                    self.result.cases.append(CaseResult(i, line, FAILED,
                                                        f"cannot parse series: {exc}"))
                continue
            if nhcb:
                d = {k: v for k, v in labels if k != "le"}
                name = d.get("__name__", "")
                if name.endswith("_bucket"):
                    d["__name__"] = name[: -len("_bucket")]
                self.histogram_series.append((d, [k * gap for k in range(len(values))]))
            if hist_ts:
                self.histogram_series.append((dict(labels), hist_ts))
            samples = [(k * gap, v) for k, v in enumerate(values) if v is not None]
            self.storage.add(dict(labels), samples)
        return i

    # -- eval parsing ------------------------------------------------------------
    def _parse_eval(self, lines: list[str], i: int) -> tuple[int, _Eval]:
        head = lines[i]
        mi = _PAT_INSTANT.match(head)
        mr = _PAT_RANGE.match(head)
        if mi:
            mod = mi.group(1)
            case = _Eval(i + 1, mi.group(3), True, parse_time_ms(mi.group(2) or "0"))
        elif mr:
            mod = mr.group(1)
            case = _Eval(i + 1, mr.group(5), False, parse_time_ms(mr.group(2)),
                         parse_time_ms(mr.group(3)), parse_time_ms(mr.group(4)))
        else:
            raise ValueError("invalid evaluation command")
        if mod:
            case.expects.append(_Expect(mod))
        i += 1
        pos = 0
        while i < len(lines) and lines[i]:
            line = lines[i]
            i += 1
            if "{{" in line:
                case.histograms = True
                continue
            if line.startswith("expect range vector"):
                mv = _PAT_RANGE_VECTOR.match(line)
                if not mv:
                    raise ValueError(f"invalid expect line {line!r}")
                case.range_vector = (parse_time_ms(mv.group(1)), parse_time_ms(mv.group(2)),
                                     parse_time_ms(mv.group(3)))
                continue
            if line.startswith("expect string"):
                rest = line[len("expect string"):].strip()
                case.string = unquote(rest, rest[1:-1], rest[0], 0) if rest else ""
                continue
            if line.split(" ")[0] == "expect":
                m = _PAT_EXPECT.match(line)
                if not m:
                    raise ValueError(f"invalid expect line {line!r}")
                case.expects.append(_Expect(m.group(1), m.group(2), (m.group(3) or "").strip()))
                continue
            if line.startswith(("expected_fail_message", "expected_fail_regexp")):
                mode = "msg" if line.startswith("expected_fail_message") else "regex"
                case.expects.append(_Expect("fail", mode, line.split(None, 1)[1].strip()))
                break
            if _PAT_NUMBER.match(line):
                case.scalar = _parse_number(line)
                break
            labels, values = parse_series_line(line)
            pos += 1
            case.series.append((labels, values, pos))
        return i, case

    # -- eval execution --------------------------------------------------------------
    def _run_case(self, case: _Eval) -> CaseResult:
        if case.histograms:
            return CaseResult(case.line, case.expr, UNSUPPORTED,
                              "native histogram expected in result")
        if self.histogram_series and self._touches_histograms(case):
            return CaseResult(case.line, case.expr, UNSUPPORTED,
                              "query selects series holding native histograms")
        try:
            self._check(case)
        except _CaseFailure as exc:
            return CaseResult(case.line, case.expr, FAILED, str(exc))
        except Exception as exc:  # never crash the run
            return CaseResult(case.line, case.expr, FAILED,
                              f"unexpected {type(exc).__name__}: {exc}", crashed=True)
        return CaseResult(case.line, case.expr, PASSED)

    def _touches_histograms(self, case: _Eval) -> bool:
        """Whether the query could read a native-histogram sample we did not load."""
        try:
            end = case.start_ms if case.instant else case.end_ms
            windows = self.engine.data_windows(case.expr, case.start_ms / 1000, end / 1000)
        except PromQLError:
            return False
        for matchers, lo, hi in windows:
            for lbls, stamps in self.histogram_series:
                if not lbls:
                    return True
                if all(m.matches(lbls.get(m.name, "")) for m in matchers) and any(
                    lo <= t <= hi for t in stamps
                ):
                    return True
        return False

    def _check(self, case: _Eval) -> None:
        try:
            if case.instant:
                res = self.engine.query_instant(case.expr, case.start_ms / 1000)
            else:
                res = self.engine.query_range(case.expr, case.start_ms / 1000,
                                              case.end_ms / 1000, case.step_ms / 1000)
        except PromQLError as exc:
            fails = [e for e in case.expects if e.kind == "fail"]
            if not fails:
                raise _CaseFailure(f"unexpected error: {exc}") from None
            msg = str(exc)
            for e in fails:
                if not e.matches(msg):
                    want = e.text if e.mode == "msg" else f"/{e.text}/"
                    raise _CaseFailure(f"expected error {want!r}, got {msg!r}") from None
            return
        if case.has("fail"):
            raise _CaseFailure(f"expected error, got result {res.value!r}")
        self._check_annotations(case, "warn", res.warnings)
        self._check_annotations(case, "info", res.infos)
        self._compare(case, res.value)

    def _check_annotations(self, case: _Eval, kind: str, got: list[str]) -> None:
        if case.has("no_" + kind) and got:
            raise _CaseFailure(f"expected no {kind} annotations, got {got}")
        wants = [e for e in case.expects if e.kind == kind]
        if not wants:
            return
        if not got:
            raise _CaseFailure(f"expected {kind} annotation, got none")
        for e in wants:
            if not any(e.matches(g) for g in got):
                raise _CaseFailure(f"expected {kind} annotation {e.text!r}, got {got}")
        for g in got:
            if not any(e.matches(g) for e in wants):
                raise _CaseFailure(f"unexpected {kind} annotation {g!r}")

    def _compare(self, case: _Eval, value: object) -> None:
        if case.string is not None:
            if not isinstance(value, String) or value.value != case.string:
                raise _CaseFailure(f"expected string {case.string!r}, got {value!r}")
            return
        if isinstance(value, Scalar):
            if case.scalar is None:
                raise _CaseFailure(f"expected vector or matrix result, got scalar {value.value}")
            if not almost_equal(case.scalar, value.value, EPSILON):
                raise _CaseFailure(f"expected scalar {format_value(case.scalar)}, "
                                   f"got {format_value(value.value)}")
            return
        if case.scalar is not None:
            raise _CaseFailure(f"expected scalar {format_value(case.scalar)}, got {value!r}")
        expected = {lbls: (vals, pos) for lbls, vals, pos in case.series}
        if isinstance(value, Vector):
            self._compare_vector(case, value, expected)
        elif isinstance(value, Matrix):
            self._compare_matrix(case, value, expected)
        else:
            raise _CaseFailure(f"unexpected result type {type(value).__name__}")

    def _compare_vector(self, case: _Eval, vec: Vector,
                        expected: dict[Labels, tuple[list[float | None], int]]) -> None:
        ordered = case.has("ordered")
        seen = set()
        for idx, s in enumerate(vec):
            exp = expected.get(s.labels)
            if exp is None:
                raise _CaseFailure(f"unexpected metric {format_labels(s.labels)} in result, "
                                   f"has value {format_value(s.value)}")
            vals, pos = exp
            if ordered and pos != idx + 1:
                raise _CaseFailure(f"expected metric {format_labels(s.labels)} at position "
                                   f"{pos} but was at {idx + 1}")
            want = vals[0] if vals else None
            if want is None or not almost_equal(want, s.value, EPSILON):
                raise _CaseFailure(f"expected {format_value(want) if want is not None else '_'}"
                                   f" for {format_labels(s.labels)} but got "
                                   f"{format_value(s.value)}")
            seen.add(s.labels)
        for lbls in expected:
            if lbls not in seen:
                raise _CaseFailure(f"expected metric {format_labels(lbls)} not found; "
                                   f"got {_show(vec)}")

    def _compare_matrix(self, case: _Eval, mat: Matrix,
                        expected: dict[Labels, tuple[list[float | None], int]]) -> None:
        if case.has("ordered"):
            raise _CaseFailure("expected ordered result, but query returned a matrix")
        seen = set()
        start, step = case.start_ms, case.step_ms or 1
        if case.range_vector is not None:
            start, _, step = case.range_vector
        for rs in mat:
            exp = expected.get(rs.labels)
            if exp is None:
                raise _CaseFailure(f"unexpected metric {rs!r} in result")
            want = [(start + k * step, v) for k, v in enumerate(exp[0]) if v is not None]
            got = list(zip(rs.ts, rs.vs, strict=True))
            if len(want) != len(got) or any(
                wt != gt or not almost_equal(wv, gv, EPSILON)
                for (wt, wv), (gt, gv) in zip(want, got, strict=True)
            ):
                wtxt = " ".join(f"{format_value(v)}@{t}" for t, v in want)
                raise _CaseFailure(f"for {format_labels(rs.labels)} expected [{wtxt}], got {rs!r}")
            seen.add(rs.labels)
        for lbls in expected:
            if lbls not in seen:
                raise _CaseFailure(f"expected metric {format_labels(lbls)} not found; "
                                   f"got {list(mat)!r}")


def _show(vec: Vector) -> str:
    return "[" + ", ".join(f"{format_labels(s.labels)} {format_value(s.value)}" for s in vec) + "]"


def run_file(path: str | Path) -> FileResult:
    """Run one ``.test`` file. Never raises: problems become failed cases."""
    p = str(path)
    runner = _Runner(p)
    try:
        text = Path(p).read_text(encoding="utf-8")
    except OSError as exc:
        runner.result.error = f"cannot read {p}: {exc}"
        return runner.result
    try:
        return runner.run(text)
    except Exception as exc:  # defensive: keep whatever ran
        runner.result.error = f"runner crashed: {type(exc).__name__}: {exc}"
        return runner.result


def run_files(paths: Iterable[str | Path]) -> list[FileResult]:
    return [run_file(p) for p in paths]


def format_report(results: Sequence[FileResult], verbose: bool = False) -> str:
    """Per-file lines ``name: N passed, N failed, N unsupported`` and a ``total:`` line.
    With ``verbose``, failures are listed under their file."""
    out: list[str] = []
    tp = tf = tu = 0
    for r in results:
        name = Path(r.path).name
        out.append(f"{name}: {r.passed} passed, {r.failed} failed, {r.unsupported} unsupported")
        if verbose:
            if r.error:
                out.append(f"  error: {r.error}")
            for c in r.cases:
                if c.status == FAILED:
                    out.append(f"  line {c.line}: {c.expr}\n    {c.message}")
        tp, tf, tu = tp + r.passed, tf + r.failed, tu + r.unsupported
    out.append(f"total: {tp} passed, {tf} failed, {tu} unsupported")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    """``promqltest [-v] FILE...``: print the report; exit 1 if anything failed."""
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = False
    if args and args[0] in ("-v", "--verbose"):
        verbose = True
        args = args[1:]
    if not args:
        print("usage: promqltest [-v] FILE...", file=sys.stderr)
        return 2
    results = run_files(args)
    print(format_report(results, verbose=verbose))
    return 1 if any(r.failed for r in results) else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
