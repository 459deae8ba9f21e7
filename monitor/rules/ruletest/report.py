"""The report text, byte for byte as ``promtool test rules`` writes it."""

from __future__ import annotations

from monitor.durations import format_duration
from monitor.promql.gofmt import go_e
from monitor.rules.ruletest.compare import AlertMismatch, SampleMismatch
from monitor.rules.ruletest.parse import BadLabels, ExpectedAlert, Labels, Sample
from monitor.rules.ruletest.simulate import RuleFailure


def report(path: object, errors: list[str]) -> tuple[bool, str]:
    """(passed, text) for one file."""
    header = f"Unit Testing:  {path}\n"
    if errors:
        return False, header + "  FAILED:\n" + "\n".join(errors) + "\n"
    return True, header + "  SUCCESS\n"


def alert_mismatch(test_name: str, m: AlertMismatch) -> str:
    name_line = f"    name: {test_name},\n" if test_name else ""
    return (f"{name_line}    alertname: {m.alertname}, time: {format_duration(m.time)}, \n"
            f"        exp:{_indent(_alerts(m.expected))}, \n"
            f"        got:{_indent(_alerts(m.got))}")


def rule_failure(f: RuleFailure) -> str:
    return f"    rule: {f.rule}, time: {format_duration(f.time)}, err: {f.message}"


def expr_error(expr: str, t: float, message: object) -> str:
    return f'    expr: "{expr}", time: {format_duration(t)}, err: {message}'


def bad_labels(expr: str, t: float, bad: BadLabels) -> str:
    return expr_error(expr, t, f'labels "{bad.text}": {bad.message}')


def sample_mismatch(expr: str, t: float, m: SampleMismatch) -> str:
    return (f'    expr: "{expr}", time: {format_duration(t)},\n'
            f"        exp: {_samples(m.expected)}\n"
            f"        got: {_samples(m.got)}")


def _labels(labels: Labels) -> str:
    return "{" + ", ".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items())) + "}"


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _alerts(items: list[ExpectedAlert]) -> str:
    if not items:
        return "[]"
    rows = [f"    {i}:\n      Labels:{_labels(lb)}\n      Annotations:{_labels(an)}"
            for i, (lb, an) in enumerate(items)]
    return "[\n" + ",\n".join(rows) + "\n    ]"


def _indent(text: str) -> str:
    return text.replace("\n", "\n        ")


def _float_e(v: float) -> str:
    """Go's ``strconv.FormatFloat(v, 'E', -1, 64)``: ``1E+00``, ``2.5E-01``, ``NaN``, ``+Inf``."""
    return go_e(v).replace("e", "E")


def _samples(items: list[Sample]) -> str:
    if not items:
        return "nil"
    return ",\n              ".join(f"{_labels(lb)} {_float_e(v)}" for lb, v in items)
