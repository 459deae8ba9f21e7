"""Run promtool unit-test files (``promtool test rules`` format) against Candor's engine.

    ok, report = run_test_file("rules/tests/everlinks_test.yml")

Supported: ``rule_files`` (globs, relative to the test file), ``evaluation_interval``,
``group_eval_order``, and ``tests[]`` with ``name``, ``interval``, ``input_series``
(``series`` + ``values`` in the expanding notation ``1+2x10``, ``_``, ``_x3``, ``stale``),
``alert_rule_test`` (``eval_time``, ``alertname``, ``exp_alerts[].exp_labels /
exp_annotations``), ``promql_expr_test`` (``expr``, ``eval_time``, ``exp_samples[].labels /
value``), ``external_labels`` and ``external_url``. The evaluation loop is promtool's:
every group is evaluated at 0, interval, 2×interval … up to the largest ``eval_time``,
and alerts are compared at the last evaluation at or before each ``eval_time``.
"""

from __future__ import annotations

import glob
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from monitor.durations import format_duration
from monitor.promql.engine import Engine
from monitor.promql.errors import PromQLError
from monitor.promql.promqltest import expand_values, parse_series_line
from monitor.promql.storage import MemoryStorage
from monitor.promql.value import Scalar, Vector
from monitor.rules.evaluate import AlertState, GroupState, evaluate_group
from monitor.rules.loader import RuleFileError, load_rules, parse_prom_duration
from monitor.rules.models import AlertingRule, RuleGroup

__all__ = ["TestFileError", "run_test_file"]

_FILE_FIELDS = {"rule_files", "evaluation_interval", "group_eval_order", "tests"}
_TEST_FIELDS = {"name", "interval", "input_series", "alert_rule_test", "promql_expr_test",
                "external_labels", "external_url"}


class TestFileError(Exception):
    """The unit-test file itself is invalid (not a failing test)."""

    __test__ = False


def _fields(obj: Any, allowed: set[str], what: str) -> dict[str, Any]:
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise TestFileError(f"{what}: expected a mapping, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise TestFileError(f"{what}: field {unknown[0]} not found (expected one of: "
                            f"{', '.join(sorted(allowed))})")
    return obj


def _duration(value: Any, what: str, default: float | None = None) -> float:
    if value is None:
        if default is None:
            raise TestFileError(f"{what}: missing")
        return default
    try:
        return parse_prom_duration(str(value))
    except ValueError as exc:
        raise TestFileError(f"{what}: {exc}") from None


def _dur(seconds: float) -> str:
    return format_duration(seconds)


@dataclass
class _AlertCase:
    eval_time: float
    alertname: str
    expected: list[tuple[dict[str, str], dict[str, str]]]


@dataclass
class _Outcome:
    errors: list[str] = field(default_factory=list)


def _lbl(d: dict[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{_esc(v)}"' for k, v in sorted(d.items())) + "}"


def _esc(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _alerts_string(items: list[tuple[dict[str, str], dict[str, str]]]) -> str:
    if not items:
        return "[]"
    rows = [f"    {i}:\n      Labels:{_lbl(lb)}\n      Annotations:{_lbl(an)}"
            for i, (lb, an) in enumerate(items)]
    return "[\n" + ",\n".join(rows) + "\n    ]"


def _float_e(v: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'E', -1, 64)``: ``1E+00``, ``2.5E-01``."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    text = next(t for p in range(17) if float(t := f"{v:.{p}E}") == v)
    m, _, e = text.partition("E")
    return f"{m}E{e[0]}{int(e[1:]):02d}"


def _samples_string(items: list[tuple[dict[str, str], float]]) -> str:
    if not items:
        return "nil"
    return ",\n              ".join(f"{_lbl(lb)} {_float_e(v)}" for lb, v in items)


def _sort_key(labels: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(labels.items())


class _GroupRun:
    def __init__(self, base: Path, spec: dict[str, Any], rule_files: list[str],
                 eval_interval: float, order: list[str]) -> None:
        self.base = base
        self.spec = _fields(spec, _TEST_FIELDS, "tests[]")
        self.rule_files = rule_files
        self.eval_interval = eval_interval
        self.order = order

    def groups(self) -> list[RuleGroup]:
        groups: list[RuleGroup] = []
        for pattern in self.rule_files:
            full = str(self.base / pattern) if not Path(pattern).is_absolute() else pattern
            matches = sorted(glob.glob(full)) if glob.has_magic(full) else [full]
            for path in matches:
                groups.extend(load_rules(path).groups)
        if self.order:
            names = {g.name for g in groups}
            for name in self.order:
                if name not in names:
                    raise TestFileError(f"group name {name} in group_eval_order not found")
            pos = {n: i for i, n in enumerate(self.order)}
            groups.sort(key=lambda g: pos.get(g.name, 0))
        return groups

    def run(self) -> list[str]:
        spec = self.spec
        interval = _duration(spec.get("interval"), "interval", 60.0)
        storage = MemoryStorage()
        for i, series in enumerate(spec.get("input_series") or []):
            s = _fields(series, {"series", "values"}, f"input_series[{i}]")
            try:
                labels, _ = parse_series_line(str(s.get("series", "")))
                values = expand_values(str(s.get("values", "")).split())
            except ValueError as exc:
                raise TestFileError(f"input_series[{i}]: {exc}") from None
            storage.add(dict(labels), [(round(k * interval * 1000), v)
                                       for k, v in enumerate(values) if v is not None])
        ext = {str(k): str(v) for k, v in (spec.get("external_labels") or {}).items()}
        ext_url = str(spec.get("external_url") or "")
        engine = Engine(storage)
        groups = self.groups()

        alert_cases: list[_AlertCase] = []
        for i, case in enumerate(spec.get("alert_rule_test") or []):
            c = _fields(case, {"eval_time", "alertname", "exp_alerts"}, f"alert_rule_test[{i}]")
            expected = []
            for exp in c.get("exp_alerts") or []:
                e = _fields(exp, {"exp_labels", "exp_annotations"}, "exp_alerts[]")
                lbls = {str(k): str(v) for k, v in (e.get("exp_labels") or {}).items()}
                lbls["alertname"] = str(c.get("alertname", ""))
                anns = {str(k): str(v) for k, v in (e.get("exp_annotations") or {}).items()}
                expected.append((lbls, anns))
            alert_cases.append(_AlertCase(_duration(c.get("eval_time"), "eval_time", 0.0),
                                          str(c.get("alertname", "")), expected))
        expr_cases = [_fields(c, {"expr", "eval_time", "exp_samples"}, f"promql_expr_test[{i}]")
                      for i, c in enumerate(spec.get("promql_expr_test") or [])]
        max_t = max([c.eval_time for c in alert_cases]
                    + [_duration(c.get("eval_time"), "eval_time", 0.0) for c in expr_cases]
                    + [0.0])

        errors: list[str] = []
        name_line = f"    name: {spec['name']},\n" if spec.get("name") else ""
        states = [GroupState() for _ in groups]
        times = sorted({c.eval_time for c in alert_cases})
        cur = 0
        steps = int(math.floor(max_t / self.eval_interval + 1e-9))
        for n in range(steps + 1):
            ts = n * self.eval_interval
            eval_errors = []
            for gi, group in enumerate(groups):
                result = evaluate_group(group, engine, ts, states[gi], external_labels=ext,
                                        external_url=ext_url)
                states[gi] = result.state
                for s in result.samples:
                    storage.add(s.labels, [(s.t_ms, s.value)])
                for f in result.failures:
                    eval_errors.append(f"    rule: {f.rule}, time: {_dur(ts)}, err: {f.message}")
            if eval_errors:
                return errors + eval_errors
            while cur < len(times) and ts <= times[cur] < ts + self.eval_interval:
                t = times[cur]
                for case in (c for c in alert_cases if c.eval_time == t):
                    got = []
                    for gi, group in enumerate(groups):
                        for ri, rule in enumerate(group.rules):
                            if isinstance(rule, AlertingRule) and rule.alert == case.alertname:
                                for a in states[gi].alerts.get(ri, {}).values():
                                    if a.state is AlertState.FIRING:
                                        got.append((dict(a.labels), dict(a.annotations)))
                    def key(x: tuple[dict[str, str], dict[str, str]]) -> Any:
                        return (_sort_key(x[0]), _sort_key(x[1]))
                    got.sort(key=key)
                    exp = sorted(case.expected, key=key)
                    if got != exp:
                        errors.append(
                            f"{name_line}    alertname: {case.alertname}, time: {_dur(t)}, \n"
                            f"        exp:{_indent(_alerts_string(exp))}, \n"
                            f"        got:{_indent(_alerts_string(got))}")
                cur += 1

        for c in expr_cases:
            t = _duration(c.get("eval_time"), "eval_time", 0.0)
            expr = str(c.get("expr", ""))
            try:
                value = engine.query_instant(expr, t).value
                if isinstance(value, Scalar):
                    got_s = [({}, value.value)]
                elif isinstance(value, Vector):
                    got_s = [(dict(s.labels), s.value) for s in value]
                else:
                    raise PromQLError("rule result is not a vector or scalar")
            except PromQLError as exc:
                errors.append(f'    expr: "{expr}", time: {_dur(t)}, err: {exc}')
                continue
            exp_s: list[tuple[dict[str, str], float]] = []
            bad = False
            for sample in c.get("exp_samples") or []:
                s = _fields(sample, {"labels", "value"}, "exp_samples[]")
                try:
                    lb, _ = parse_series_line(str(s.get("labels", "")))
                except ValueError as exc:
                    errors.append(f'    expr: "{expr}", time: {_dur(t)}, err: labels '
                                  f'"{s.get("labels")}": {exc}')
                    bad = True
                    break
                exp_s.append((dict(lb), float(s.get("value", 0))))
            if bad:
                continue
            exp_s.sort(key=lambda x: _sort_key(x[0]))
            got_s.sort(key=lambda x: _sort_key(x[0]))
            if exp_s != got_s:
                errors.append(f'    expr: "{expr}", time: {_dur(t)},\n'
                              f"        exp: {_samples_string(exp_s)}\n"
                              f"        got: {_samples_string(got_s)}")
        return errors


def _indent(text: str) -> str:
    return text.replace("\n", "\n        ")


def run_test_file(path: str | Path) -> tuple[bool, str]:
    """Run one unit-test file; returns (passed, report text like promtool's).

    Raises :class:`TestFileError` (or ``RuleFileError``) when the file cannot be run."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TestFileError(f"cannot read {p}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TestFileError(f"{p}: invalid YAML: {exc}") from None
    spec = _fields(raw, _FILE_FIELDS, str(p))
    interval = _duration(spec.get("evaluation_interval"), "evaluation_interval", 60.0)
    if interval <= 0:
        raise TestFileError("evaluation_interval: must be greater than 0")
    rule_files = [str(f) for f in spec.get("rule_files") or []]
    order = [str(g) for g in spec.get("group_eval_order") or []]
    errors: list[str] = []
    for test in spec.get("tests") or []:
        try:
            errors.extend(_GroupRun(p.parent, test, rule_files, interval, order).run())
        except RuleFileError as exc:
            errors.append(str(exc))
    header = f"Unit Testing:  {path}\n"
    if errors:
        return False, header + "  FAILED:\n" + "\n".join(errors) + "\n"
    return True, header + "  SUCCESS\n"
