"""An alert goes inactive -> pending -> firing -> resolved as in Prometheus."""

from __future__ import annotations

from monitor.promql.engine import Engine
from monitor.promql.storage import MemoryStorage, is_stale
from monitor.rules.evaluate import AlertState, GroupState, evaluate_group, notifications
from monitor.rules.loader import parse_rules
from monitor.rules.template import render

RULES = """
groups:
- name: g
  rules:
  - record: job:up:sum
    expr: sum by (job) (up)
  - alert: Down
    expr: job:up:sum == 0
    for: 1m
    labels: {severity: page}
    annotations: {summary: "{{ $labels.job }} down ({{ $value }})"}
"""


def run(values: list[float]) -> list:
    store = MemoryStorage()
    store.add({"__name__": "up", "job": "api"}, [(i * 30_000, v) for i, v in enumerate(values)])
    group = parse_rules(RULES)[0].groups[0]
    engine, state, steps = Engine(store), GroupState(), []
    for i in range(len(values)):
        result = evaluate_group(group, engine, i * 30.0, state)
        state = result.state
        for s in result.samples:
            store.add(s.labels, [(s.t_ms, s.value)])
        steps.append(result)
    return steps


def test_pending_then_firing_then_resolved_with_alerts_series() -> None:
    steps = run([1, 0, 0, 0, 1, 1])

    moves = [(round(t.at), t.previous.value, t.current.value)
             for s in steps for t in s.transitions]
    assert moves == [(30, "inactive", "pending"), (90, "pending", "firing"),
                     (120, "firing", "inactive")]
    firing = steps[3].samples
    assert {"__name__": "ALERTS", "alertname": "Down", "alertstate": "firing", "job": "api",
            "severity": "page"} in [dict(s.labels) for s in firing]
    assert [s.value for s in firing if dict(s.labels)["__name__"] == "ALERTS_FOR_STATE"] == [30.0]
    # the resolved alert's ALERTS series ends with a stale marker
    assert any(is_stale(s.value) and dict(s.labels)["__name__"] == "ALERTS" for s in steps[4].samples)
    resolved = list(steps[4].state.alerts[1].values())
    assert resolved[0].state is AlertState.INACTIVE


def test_only_firing_and_resolved_reach_the_intake() -> None:
    steps = run([0, 0, 0, 1])

    sent = [notifications(s.transitions, external_labels={"region": "sa"}) for s in steps]

    assert [len(batch) for batch in sent] == [0, 0, 1, 1]
    assert sent[2][0].labels == {"alertname": "Down", "job": "api", "severity": "page",
                                 "region": "sa"}
    assert sent[2][0].annotations == {"summary": "api down (0)"}
    assert sent[3][0].status == "resolved"


def test_a_failing_rule_does_not_stop_the_others() -> None:
    rules = parse_rules("groups:\n- name: g\n  rules:\n  - record: a\n    expr: up / on() up\n"
                        "  - record: b\n    expr: vector(1)\n")[0].groups[0]
    store = MemoryStorage()
    store.add({"__name__": "up", "job": "x"}, [(0, 1)])
    store.add({"__name__": "up", "job": "y"}, [(0, 1)])

    result = evaluate_group(rules, Engine(store), 0.0)

    assert [f.rule for f in result.failures] == ["a"]
    assert [dict(s.labels) for s in result.samples] == [{"__name__": "b"}]


def test_templates_render_like_prometheus() -> None:
    # expected strings were produced by promtool 2.42 for the same values
    text = ("{{ humanize $value }}|{{ humanize1024 $value }}|{{ humanizeDuration $value }}|"
            "{{ humanizePercentage $value }}|{{ humanizeTimestamp $value }}|{{ $value }}")
    assert render(text, {}, 1234567.0) == (
        "1.235M|1.177Mi|14d 6h 56m 7s|1.235e+08%|1970-01-15 06:56:07 +0000 UTC|1.234567e+06")
    assert render(text, {}, 1e-5) == (
        "10u|1e-05|10us|0.001%|1970-01-01 00:00:00 +0000 UTC|1e-05")
    assert render("{{ if gt $value 1.0 }}hi{{ else }}lo{{ end }} {{ .Labels.a }}{{ $labels.no }}",
                  {"a": "x"}, 2.0) == "hi x"


def test_a_rule_over_the_sample_cap_fails_alone() -> None:
    rules = parse_rules("groups:\n- name: g\n  rules:\n"
                        "  - record: wide\n    expr: count_over_time(up[1h])\n"
                        "  - record: narrow\n    expr: up\n")[0].groups[0]
    store = MemoryStorage()
    store.add({"__name__": "up", "job": "x"}, [(i * 15_000, 1) for i in range(240)])

    result = evaluate_group(rules, Engine(store, max_samples=100), 3_600.0)

    assert [(f.rule, f.message) for f in result.failures] == [
        ("wide", "query processing would load too many samples into memory in query execution")]
    assert [dict(s.labels) for s in result.samples] == [{"__name__": "narrow", "job": "x"}]
