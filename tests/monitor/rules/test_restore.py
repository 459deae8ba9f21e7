"""A restart does not reset an alert's ``for`` wait: the manager picks it up again from the
ALERTS_FOR_STATE samples in the persistent series store, as Prometheus does."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.promql.labels import labels_from
from monitor.promql.storage import STALE_NAN
from monitor.rules.loader import parse_rules
from monitor.rules.manager import RuleManager
from monitor.signals.rule_output import RuleOutput
from monitor.signals.store import SeriesStore

RULES = """
groups:
- name: g
  interval: 30s
  rules:
  - alert: Slow
    expr: latency > 1
    for: 5m
  - alert: Blip
    expr: latency > 1
    for: 30s
"""
LATENCY = labels_from({"__name__": "latency"})


def run(store: SeriesStore, times: range, *, outage_tolerance: float = 3600.0) -> list[tuple[int, str, str]]:
    """A fresh manager (as after a start) evaluating at ``times``; its Slow transitions."""
    manager = RuleManager(parse_rules(RULES)[0].groups, RuleOutput(store),
                          registry=CollectorRegistry(), grace_period=60,
                          outage_tolerance=outage_tolerance)
    moves = []
    for t in times:
        store.append([(LATENCY, t * 1000, 2.0)], now_ms=t * 1000)
        manager.evaluate_due(float(t))
        for alert in manager.groups[0].state.alerts.get(0, {}).values():
            moves.append((t, alert.state.value, str(int(alert.active_at))))
    return moves


def test_a_pending_alert_keeps_its_wait_across_a_restart(tmp_path: Path) -> None:
    store = SeriesStore(retention_ms=86_400_000, directory=tmp_path, now_ms=0)
    before = run(store, range(0, 181, 30))            # pending since 0, for 3 of its 5 minutes
    store.close()
    assert before[-1] == (180, "pending", "0")

    again = SeriesStore(retention_ms=86_400_000, directory=tmp_path, now_ms=300_000)
    after = run(again, range(300, 601, 30))           # down from 180 to 300

    # Restored after the second evaluation (330): it had 2 minutes left, which now run
    # from 330, so it started at 0 + (330 - 180) = 150 and fires at 450, not at 600.
    assert after[:3] == [(300, "pending", "300"), (330, "pending", "150"),
                         (360, "pending", "150")]
    assert [t for t, state, _ in after if state == "firing"][0] == 450


def test_without_history_or_past_the_tolerance_the_wait_starts_over(tmp_path: Path) -> None:
    fresh = run(SeriesStore(retention_ms=86_400_000), range(300, 601, 30))
    assert [t for t, state, _ in fresh if state == "firing"][0] == 600

    store = SeriesStore(retention_ms=86_400_000, directory=tmp_path, now_ms=0)
    run(store, range(0, 181, 30))
    late = run(store, range(4_000, 4_301, 30), outage_tolerance=600)
    assert [t for t, state, _ in late if state == "firing"][0] == 4_300


def test_an_alert_that_ended_before_the_restart_is_not_restored(tmp_path: Path) -> None:
    store = SeriesStore(retention_ms=86_400_000, directory=tmp_path, now_ms=0)
    run(store, range(0, 181, 30))
    alerts_for_state = labels_from({"__name__": "ALERTS_FOR_STATE", "alertname": "Slow"})
    store.append([(alerts_for_state, 200_000, STALE_NAN)], now_ms=200_000)

    after = run(store, range(300, 601, 30))
    assert [t for t, state, _ in after if state == "firing"][0] == 600


def test_little_wait_left_fires_after_the_grace_period(tmp_path: Path) -> None:
    store = SeriesStore(retention_ms=86_400_000, directory=tmp_path, now_ms=0)
    run(store, range(0, 271, 30))                     # 4.5 of 5 minutes waited

    after = run(store, range(300, 601, 30))
    # 30 s left < the 60 s grace period: it fires 60 s after the restore at 330.
    assert [t for t, state, _ in after if state == "firing"][0] == 390
