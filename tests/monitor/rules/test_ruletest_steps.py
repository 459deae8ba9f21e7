"""The promtool test runner's steps on plain values: parse → simulate → compare."""

from __future__ import annotations

import pytest

from monitor.rules.loader import parse_rules
from monitor.rules.ruletest import compare, parse
from monitor.rules.ruletest.parse import TestFileError
from monitor.rules.ruletest.simulate import simulate

RULES = """
groups:
  - name: g
    rules:
      - alert: Down
        expr: up == 0
        for: 1m
"""


def test_a_test_entry_becomes_inputs_and_cases() -> None:
    raw = {"name": "down", "interval": "30s",
           "input_series": [{"series": 'up{job="a"}', "values": "1 0 _ 0"}],
           "alert_rule_test": [{"eval_time": "2m", "alertname": "Down",
                                "exp_alerts": [{"exp_labels": {"job": "a"}}]}],
           "promql_expr_test": [{"expr": "up", "eval_time": "1m"}]}

    inputs = parse.test_inputs(raw)
    alerts, exprs = parse.test_cases(raw)

    assert inputs.name == "down" and inputs.interval == 30.0
    assert [(s.labels, s.points) for s in inputs.series] == [
        ({"__name__": "up", "job": "a"}, [(0, 1.0), (30_000, 0.0), (90_000, 0.0)])]
    assert alerts == [parse.AlertCase(120.0, "Down", [({"job": "a", "alertname": "Down"}, {})])]
    assert [(e.expr, e.eval_time, e.exp_samples) for e in exprs] == [("up", 60.0, [])]


@pytest.mark.parametrize(("raw", "message"), [
    ({"intervl": "1m"}, "tests[]: field intervl not found"),
    ({"interval": "soon"}, "interval: "),
    ({"input_series": [{"series": "up{"}]}, "input_series[0]: unterminated label set"),
])
def test_a_bad_entry_says_where(raw: dict[str, object], message: str) -> None:
    with pytest.raises(TestFileError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse.test_inputs(raw)


def test_simulate_then_compare_finds_the_alert_that_fires_late() -> None:
    raw = {"interval": "1m", "input_series": [{"series": 'up{job="a"}', "values": "0x5"}],
           "alert_rule_test": [{"eval_time": "30s", "alertname": "Down",
                                "exp_alerts": [{"exp_labels": {"job": "a"}}]},
                               {"eval_time": "2m", "alertname": "Down",
                                "exp_alerts": [{"exp_labels": {"job": "a"}}]}]}
    alerts, _ = parse.test_cases(raw)

    rules, problems = parse_rules(RULES)
    assert problems == []

    run = simulate(rules.groups, parse.test_inputs(raw), eval_interval=60.0,
                   until=120.0, check_times=[30.0, 120.0])

    assert run.failures == []
    assert [(m.alertname, m.time, m.got) for m in compare.alerts(alerts, run.firing)] == [
        ("Down", 30.0, [])]
