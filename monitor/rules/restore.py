"""Restoring alerts' ``for`` state after a restart, from the ``ALERTS_FOR_STATE`` series.

An alert with ``for: 30m`` that had been pending for 25 minutes when Candor stopped
should not wait another 30 minutes after it starts again. Every evaluation writes
``ALERTS_FOR_STATE{alertname=..., <alert labels>} = <active since, Unix seconds>`` into
the (persistent) series store; after a restart the manager reads the newest such sample
of each pending alert and moves the alert's start back, exactly as Prometheus's
``RestoreForState`` does (``--rules.alert.for-outage-tolerance``, default 1h, and
``--rules.alert.for-grace-period``, default 10m):

* rules whose ``for`` is shorter than the grace period are not restored;
* only samples from the last ``outage_tolerance`` count, and a stale marker means the
  alert had ended;
* an alert that had already waited its whole ``for`` keeps its old start (it fires at
  the next evaluation); one with less than the grace period left fires after the grace
  period; any other keeps its remaining wait, shifted by the time Candor was down.

Until a group is restored its evaluations write no ``ALERTS``/``ALERTS_FOR_STATE``
samples, so the fresh start times never hide the stored ones.
"""

from __future__ import annotations

from collections.abc import Iterable

from monitor.promql.labels import NAME, Labels, labels_from
from monitor.promql.storage import Matcher, MatchType, Series, Storage, is_stale
from monitor.rules.evaluate import GroupState
from monitor.rules.models import AlertingRule, RuleGroup

__all__ = ["needs_restore", "restore_for_state"]

FOR_STATE = "ALERTS_FOR_STATE"


def needs_restore(group: RuleGroup, grace_period_s: float) -> bool:
    """Whether any alerting rule of ``group`` has a ``for`` of at least the grace period."""
    return any(isinstance(rule, AlertingRule) and rule.for_s >= grace_period_s
               for rule in group.rules)


def restore_for_state(group: RuleGroup, state: GroupState, storage: Storage, now: float, *,
                      outage_tolerance_s: float, grace_period_s: float) -> int:
    """Move the start of ``state``'s pending alerts back to what ``ALERTS_FOR_STATE`` in
    ``storage`` remembers (see the module doc); returns how many alerts were restored."""
    restored = 0
    start_ms, end_ms = round((now - outage_tolerance_s) * 1000), round(now * 1000)
    for i, rule in enumerate(group.rules):
        if not isinstance(rule, AlertingRule) or rule.for_s < grace_period_s:
            continue
        active = state.alerts.get(i)
        if not active:
            continue
        matchers = [Matcher(MatchType.EQUAL, NAME, FOR_STATE),
                    Matcher(MatchType.EQUAL, "alertname", rule.alert)]
        last = _last_samples(storage.select(matchers, start_ms, end_ms))
        for key, alert in active.items():
            found = last.get(key)
            if found is None or is_stale(found[1]):
                continue
            down_at = float(found[0] // 1000)  # Prometheus truncates both to seconds
            active_at = float(int(found[1]))
            remaining = rule.for_s - (down_at - active_at)
            if remaining <= 0:
                pass  # it was firing: it fires again at the next evaluation if still true
            elif remaining < grace_period_s:
                active_at = now + grace_period_s - rule.for_s
            else:
                active_at += now - down_at
            alert.active_at = active_at
            restored += 1
    return restored


def _last_samples(series: Iterable[Series]) -> dict[Labels, tuple[int, float]]:
    """The newest ``(ts_ms, value)`` of each series, keyed by its labels without the name."""
    out: dict[Labels, tuple[int, float]] = {}
    for s in series:
        samples = list(s.samples)
        if samples:
            out[labels_from({k: v for k, v in s.labels.items() if k != NAME})] = samples[-1]
    return out
