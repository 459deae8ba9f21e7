"""Compare what a test expects with what the simulation gave, as promtool does: order does
not matter (both sides are sorted by labels), values must be equal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from monitor.rules.ruletest.parse import AlertCase, ExpectedAlert, Labels, Sample


@dataclass(frozen=True)
class AlertMismatch:
    alertname: str
    time: float
    expected: list[ExpectedAlert]
    got: list[ExpectedAlert]


@dataclass(frozen=True)
class SampleMismatch:
    expected: list[Sample]
    got: list[Sample]


def _sort_key(labels: Labels) -> list[tuple[str, str]]:
    return sorted(labels.items())


def _alert_key(alert: ExpectedAlert) -> Any:
    return _sort_key(alert[0]), _sort_key(alert[1])


def alerts(cases: list[AlertCase], firing: dict[float, dict[str, list[ExpectedAlert]]]
           ) -> list[AlertMismatch]:
    """The cases whose firing alerts differ, by time and then in file order. A case whose
    time was never reached (the run stopped at a failing rule) is not compared."""
    out = []
    for t in sorted(firing):
        for case in (c for c in cases if c.eval_time == t):
            got = sorted(firing[t].get(case.alertname, []), key=_alert_key)
            expected = sorted(case.expected, key=_alert_key)
            if got != expected:
                out.append(AlertMismatch(case.alertname, t, expected, got))
    return out


def samples(expected: list[Sample], got: list[Sample]) -> SampleMismatch | None:
    expected = sorted(expected, key=lambda s: _sort_key(s[0]))
    got = sorted(got, key=lambda s: _sort_key(s[0]))
    return None if expected == got else SampleMismatch(expected, got)
