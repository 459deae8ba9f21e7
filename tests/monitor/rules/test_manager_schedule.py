"""A scheduler ticking at a group's own interval jitters; the group still runs every tick."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from monitor.promql.labels import labels_from
from monitor.rules.loader import parse_rules
from monitor.rules.manager import RuleManager, metric_names
from monitor.rules.models import RuleGroup
from monitor.signals.rule_output import RuleOutput
from monitor.signals.store import SeriesStore, StoreLimits


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


def _group(expr: str, *, for_: str = "0s") -> RuleGroup:
    return parse_rules(f"""groups:
  - name: g
    interval: 10s
    rules:
      - alert: Errors
        expr: {expr}
        for: {for_}
""")[0].groups[0]


def test_a_group_reads_the_metric_names_of_its_selectors() -> None:
    assert metric_names(_group("rate(errors_total[5m]) / rate(requests_total[5m]) > 0.1")) \
        == {"errors_total", "requests_total"}
    assert metric_names(_group('rate({job="x"}[5m]) > 0')) is None


def test_fresh_samples_bring_the_next_evaluation_forward_and_for_still_waits() -> None:
    store = SeriesStore(retention_ms=86_400_000, limits=StoreLimits(max_series=100))
    mgr = RuleManager([_group("errors > 0", for_="20s")], RuleOutput(store))
    key = labels_from({"__name__": "errors"})
    mgr.evaluate_due(1000.0)  # first tick: nothing yet
    assert mgr.evaluate_fresh({"other"}, 1003.0) == []  # not a metric it reads
    assert mgr.groups[0].last_at == 1000.0
    store.append([(key, 1_003_500, 1.0)], now_ms=1_003_500)
    assert mgr.evaluate_fresh({"errors"}, 1003.5) == []  # pending: for 20s has not passed
    assert mgr.groups[0].last_at == 1003.5
    assert mgr.groups[0].next_due == 1013.5  # the next tick moved with it
    assert mgr.evaluate_fresh({"errors"}, 1004.0) == []  # within a tenth of the interval
    assert mgr.groups[0].last_at == 1003.5
    store.append([(key, 1_023_000, 1.0)], now_ms=1_023_000)
    fired = mgr.evaluate_fresh({"errors"}, 1023.0)  # 19.5 s after activeAt: still pending
    assert fired == []
    store.append([(key, 1_024_100, 1.0)], now_ms=1_024_100)
    fired = mgr.evaluate_fresh({"errors"}, 1024.1)  # 20.6 s, and 1 s after the last: fires
    assert [a.labels["alertname"] for a in fired] == ["Errors"]
