"""Story: an app pushes its first failing requests; the rule reading that metric runs at
once (not at its next tick, an hour away here) and the alert reaches the intake."""

from __future__ import annotations

import time

from monitor.alerting.identity import Alert
from monitor.rules.fresh import FreshRules
from monitor.rules.loader import parse_rules
from monitor.rules.manager import RuleManager
from monitor.signals.rule_output import RuleOutput
from monitor.wiring import Candor
from tests.support.processes import wait_for

RULES = """groups:
  - name: g
    interval: 1h
    rules:
      - alert: Failing
        expr: app_failures_total > 0
"""


def test_an_ingest_of_a_metric_a_rule_reads_evaluates_it_at_once(candor: Candor) -> None:
    hub = candor.signals
    manager = RuleManager(parse_rules(RULES)[0].groups, RuleOutput(hub.store))
    now = hub.now_ms() / 1000  # the test clock
    manager.evaluate_due(now - 1)  # started an hour-long interval ago
    received: list[Alert] = []
    fresh = FreshRules(manager, received.extend, now=lambda: now).start()
    hub.listeners.append(fresh.touched)
    try:
        t_ms = hub.now_ms()
        hub.ingest([({"__name__": "unrelated_total"}, t_ms, 1.0, "$[0]")], source="test")
        hub.ingest([({"__name__": "app_failures_total", "service": "api"}, t_ms, 3.0, "$[0]")],
                   source="test")
        wait_for("the fresh evaluation", lambda: received, timeout=10, poll=0.01)
    finally:
        fresh.stop()
    assert [a.labels["alertname"] for a in received] == ["Failing"]
    assert manager.groups[0].next_due == now + 3600  # the next tick moved with it


def test_an_inactive_replica_leaves_fresh_samples_to_the_leader(candor: Candor) -> None:
    hub = candor.signals
    manager = RuleManager(parse_rules(RULES)[0].groups, RuleOutput(hub.store))
    manager.evaluate_due(time.time() - 1)
    received: list[Alert] = []
    fresh = FreshRules(manager, received.extend, now=time.time, active=lambda: False).start()
    try:
        fresh.touched({"app_failures_total"})
        time.sleep(0.2)
    finally:
        fresh.stop()
    assert received == []
