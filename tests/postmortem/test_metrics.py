"""Overdue action items are exported for alerting."""

from __future__ import annotations

from datetime import date

from prometheus_client import CollectorRegistry

from postmortem import metrics, service
from postmortem.models import ActionItemCreate


def test_overdue_items_by_priority_and_team(runtime, story, clock):
    registry = CollectorRegistry()
    metrics.register(registry, runtime.engine, clock)
    with runtime.unit() as s:
        for due, priority in ((date(2026, 3, 3), "P1"), (date(2026, 3, 30), "P2")):
            service.add_item(s, story, ActionItemCreate(title="x", type="detect", owner="team:sre",
                                                        team="sre", due=due, priority=priority), clock=clock)
    assert registry.get_sample_value("candor_action_items_overdue", {"priority": "P1", "team": ""}) == 0
    clock.advance(days=5)
    assert registry.get_sample_value("candor_action_items_overdue", {"priority": "P1", "team": "sre"}) == 1
    assert registry.get_sample_value("candor_action_items", {"status": "open"}) == 2
