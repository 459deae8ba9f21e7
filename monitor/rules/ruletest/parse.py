"""Read a promtool unit-test file into plain values; ``TestFileError`` when it cannot be run.

Each function checks its part of the file (unknown fields, durations, series notation)
and says where the problem is. The runner calls them in promtool's order (a test's
input series, then the rule files, then its cases), so a test file with several
problems reports the same one promtool would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitor.promql.promqltest import expand_values, parse_series_line
from monitor.rules.loader import parse_prom_duration

FILE_FIELDS = {"rule_files", "evaluation_interval", "group_eval_order", "tests"}
TEST_FIELDS = {"name", "interval", "input_series", "alert_rule_test", "promql_expr_test",
               "external_labels", "external_url"}

Labels = dict[str, str]
ExpectedAlert = tuple[Labels, Labels]
"""An alert as compared: (labels, annotations)."""
Sample = tuple[Labels, float]


class TestFileError(Exception):
    """The unit-test file itself is invalid (not a failing test)."""

    __test__ = False


@dataclass(frozen=True)
class TestFile:
    """The file-level fields; ``tests`` stay raw until each test runs."""

    base: Path
    """The directory rule files are relative to."""
    rule_files: list[str]
    evaluation_interval: float
    group_eval_order: list[str]
    tests: list[Any]


@dataclass(frozen=True)
class InputSeries:
    labels: Labels
    points: list[tuple[int, float]]
    """(milliseconds, value); omitted samples (``_``) are left out."""


@dataclass(frozen=True)
class TestInputs:
    """What one test feeds the rules: series, and the labels and URL templates may read."""

    name: str
    interval: float
    series: list[InputSeries]
    external_labels: Labels
    external_url: str


@dataclass(frozen=True)
class AlertCase:
    eval_time: float
    alertname: str
    expected: list[ExpectedAlert]


@dataclass(frozen=True)
class ExprCase:
    expr: str
    eval_time: float
    exp_samples: Any
    """Raw, read by ``expected_samples`` only once the expression has an answer (as promtool)."""


@dataclass(frozen=True)
class BadLabels:
    """An expected sample whose labels do not parse: a failing test, not an invalid file."""

    text: Any
    message: str


def fields(obj: Any, allowed: set[str], what: str) -> dict[str, Any]:
    """``obj`` as a mapping holding only ``allowed`` keys (``None`` is empty)."""
    if obj is None:
        return {}
    if not isinstance(obj, dict):
        raise TestFileError(f"{what}: expected a mapping, got {type(obj).__name__}")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise TestFileError(f"{what}: field {unknown[0]} not found (expected one of: "
                            f"{', '.join(sorted(allowed))})")
    return obj


def duration(value: Any, what: str, default: float | None = None) -> float:
    """Seconds of a Prometheus duration (``90s``, ``1m30s``); ``default`` when absent."""
    if value is None:
        if default is None:
            raise TestFileError(f"{what}: missing")
        return default
    try:
        return parse_prom_duration(str(value))
    except ValueError as exc:
        raise TestFileError(f"{what}: {exc}") from None


def read_file(path: Path) -> TestFile:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TestFileError(f"cannot read {path}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise TestFileError(f"{path}: invalid YAML: {exc}") from None
    spec = fields(raw, FILE_FIELDS, str(path))
    interval = duration(spec.get("evaluation_interval"), "evaluation_interval", 60.0)
    if interval <= 0:
        raise TestFileError("evaluation_interval: must be greater than 0")
    return TestFile(base=path.parent, rule_files=[str(f) for f in spec.get("rule_files") or []],
                    evaluation_interval=interval,
                    group_eval_order=[str(g) for g in spec.get("group_eval_order") or []],
                    tests=list(spec.get("tests") or []))


def test_inputs(raw: Any) -> TestInputs:
    """The fields of one ``tests[]`` entry, its ``interval`` and its ``input_series``."""
    spec = fields(raw, TEST_FIELDS, "tests[]")
    interval = duration(spec.get("interval"), "interval", 60.0)
    series = []
    for i, item in enumerate(spec.get("input_series") or []):
        s = fields(item, {"series", "values"}, f"input_series[{i}]")
        try:
            labels, _ = parse_series_line(str(s.get("series", "")))
            values = expand_values(str(s.get("values", "")).split())
        except ValueError as exc:
            raise TestFileError(f"input_series[{i}]: {exc}") from None
        series.append(InputSeries(dict(labels), [(round(k * interval * 1000), v)
                                                 for k, v in enumerate(values) if v is not None]))
    return TestInputs(
        name=f"{spec['name']}" if spec.get("name") else "",
        interval=interval,
        series=series,
        external_labels={str(k): str(v) for k, v in (spec.get("external_labels") or {}).items()},
        external_url=str(spec.get("external_url") or ""),
    )


def test_cases(raw: Any) -> tuple[list[AlertCase], list[ExprCase]]:
    """The ``alert_rule_test`` and ``promql_expr_test`` cases of one test (fields checked)."""
    spec = fields(raw, TEST_FIELDS, "tests[]")
    alert_cases = []
    for i, case in enumerate(spec.get("alert_rule_test") or []):
        c = fields(case, {"eval_time", "alertname", "exp_alerts"}, f"alert_rule_test[{i}]")
        expected = []
        for exp in c.get("exp_alerts") or []:
            e = fields(exp, {"exp_labels", "exp_annotations"}, "exp_alerts[]")
            labels = {str(k): str(v) for k, v in (e.get("exp_labels") or {}).items()}
            labels["alertname"] = str(c.get("alertname", ""))
            annotations = {str(k): str(v) for k, v in (e.get("exp_annotations") or {}).items()}
            expected.append((labels, annotations))
        alert_cases.append(AlertCase(duration(c.get("eval_time"), "eval_time", 0.0),
                                     str(c.get("alertname", "")), expected))
    checked = [fields(c, {"expr", "eval_time", "exp_samples"}, f"promql_expr_test[{i}]")
               for i, c in enumerate(spec.get("promql_expr_test") or [])]
    expr_cases = [ExprCase(str(c.get("expr", "")), duration(c.get("eval_time"), "eval_time", 0.0),
                           c.get("exp_samples") or []) for c in checked]
    return alert_cases, expr_cases


def expected_samples(raw: Any) -> list[Sample] | BadLabels:
    """The samples an expression should give; the first labels that do not parse instead."""
    samples = []
    for item in raw:
        s = fields(item, {"labels", "value"}, "exp_samples[]")
        try:
            labels, _ = parse_series_line(str(s.get("labels", "")))
        except ValueError as exc:
            return BadLabels(s.get("labels"), str(exc))
        try:
            value = float(s.get("value", 0))
        except (TypeError, ValueError):
            raise TestFileError(f"exp_samples[]: value: expected a number, got "
                                f"{s.get('value')!r}") from None
        samples.append((dict(labels), value))
    return samples
