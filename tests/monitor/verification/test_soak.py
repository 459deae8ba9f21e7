"""When the soak starts: the rules of monitor.verification.soak on plain numbers."""

from __future__ import annotations

from monitor.verification.soak import settle, timing

RATIO = "sum(rate(errors[5m])) / sum(rate(total[5m]))"


def test_the_lag_counts_the_longest_range_through_recording_rules() -> None:
    assert timing("rate(x[5m]) > 1", recording={}, interval=15).lag(15) == 300 + 15 + 15
    chained = timing("job:ratio:5m > 0.05", recording={"job:ratio:5m": "job:errors:rate5m / 2",
                                                       "job:errors:rate5m": "rate(e[10m])"},
                     interval=30)
    assert (chained.longest_range, chained.rules) == (600, 3)
    assert timing("max_over_time(up[1h:1m]) > 0", recording={}, interval=60).longest_range == 3600


def test_an_unknown_recording_rule_or_bad_expression_falls_back() -> None:
    unknown = timing("job:ratio:5m > 0.05", recording={}, interval=30)
    assert unknown.longest_range is None and unknown.lag(15, fallback=600) == 600
    assert timing("sum(", recording={}, interval=30).lag(15, fallback=42) == 42
    loop = timing("a:b > 1", recording={"a:b": "a:b + 1"}, interval=1)
    assert loop.longest_range == 0                       # a rule reading itself does not hang


def test_the_soak_starts_at_the_first_inactive_step_with_data() -> None:
    lagging = settle([0.0, 15.0, 30.0], [0.0, 15.0, 30.0, 45.0, 60.0], since=0, now=60, step=15, wait=300)
    assert lagging.status == "inactive" and lagging.inactive_at == 45 and lagging.active_before == 3
    gap = settle([0.0], [0.0, 45.0], since=0, now=60, step=15, wait=300)
    assert gap.inactive_at == 45                          # 15 and 30 had no data: not a recovery
    inactive_at_fix = settle([], None, since=100, now=100, step=15, wait=300)
    assert inactive_at_fix.inactive_at == 100             # never before the fix


def test_waiting_never_inactive_and_active_again() -> None:
    assert settle([0.0, 15.0], None, since=0, now=20, step=15, wait=60).status == "waiting"
    stuck = settle([0.0, 15.0, 30.0, 45.0, 60.0, 75.0], None, since=0, now=75, step=15, wait=60)
    assert stuck.status == "never_inactive" and stuck.deadline == 60
    relapse = settle([0.0, 45.0, 60.0], None, since=0, now=90, step=15, wait=300)
    assert relapse.inactive_at == 15 and relapse.active_after == [45.0, 60.0]
