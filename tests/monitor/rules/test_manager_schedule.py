"""A scheduler ticking at a group's own interval jitters; the group still runs every tick."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from monitor.rules.manager import RuleManager
from monitor.rules.models import RuleGroup


class Nothing:
    def select(self, matchers, start_ms, end_ms):  # noqa: ANN001, ANN201
        return []

    def append(self, labels, ts_ms, value) -> None:  # noqa: ANN001
        pass


def test_ticks_a_few_ms_early_or_late_do_not_skip_an_interval() -> None:
    group = RuleGroup(name="g", rules=[], source="r.yml", interval_s=1.0)
    registry = CollectorRegistry()
    mgr = RuleManager([group], Nothing(), registry=registry)
    ran = []
    for tick, jitter in enumerate([0.004, 0.001, 0.006, 0.002, 0.0, 0.009, 0.003]):
        mgr.evaluate_due(1000.0 + tick + jitter)
        ran.append(mgr.groups[0].state.last_evaluation)

    assert len(set(ran)) == 7  # every tick evaluated
    assert registry.get_sample_value("candor_rule_group_iterations_missed_total",
                                     {"rule_group": group.key}) == 0
    assert mgr.groups[0].next_due == pytest.approx(1007.004)  # still on the first run's grid


def test_a_tick_well_before_the_slot_still_waits() -> None:
    mgr = RuleManager([RuleGroup(name="g", rules=[], source="r.yml", interval_s=10.0)], Nothing())
    mgr.evaluate_due(0.0)
    mgr.evaluate_due(8.0)
    assert mgr.groups[0].state.last_evaluation == 0.0
