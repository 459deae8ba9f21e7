"""The PromQL engine's fast read path: ``select_rows`` gives what ``select`` gives,
in the engine's own form, however the series changed since the last read."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from monitor.promql.engine import Engine
from monitor.promql.labels import Labels, labels_from
from monitor.promql.storage import STALE_NAN, Matcher, MatchType, MemoryStorage, rows_of
from monitor.promql.value import Vector
from monitor.signals.store import SeriesStore

UP = labels_from({"__name__": "up", "job": "api"})
JOB = [Matcher(MatchType.EQUAL, "job", "api")]


Row = tuple[Labels, list[int], list[float | None], bool]


def rows(store: SeriesStore, start: int, end: int) -> list[Row]:
    return [(r.labels, r.ts, r.vs, r.has_stale) for r in store.select_rows(JOB, start, end)]


def generic(store: SeriesStore, start: int, end: int) -> list[Row]:
    return [(r.labels, r.ts, r.vs, r.has_stale) for r in rows_of(store.select(JOB, start, end))]


def store_with(n: int) -> SeriesStore:
    store = SeriesStore(retention_ms=10_000_000)
    store.append([(UP, t * 1000, float(t)) for t in range(1, n + 1)], now_ms=n * 1000)
    return store


def test_repeated_reads_follow_appends_like_select() -> None:
    store = store_with(30)
    for step in range(5):
        end = (20 + step) * 1000
        assert rows(store, end - 10_000, end) == generic(store, end - 10_000, end)
        store.append([(UP, (31 + step) * 1000, 100.0 + step)], now_ms=(31 + step) * 1000)
    assert rows(store, 25_000, 40_000) == generic(store, 25_000, 40_000)
    assert rows(store, 1_000, 40_000) == generic(store, 1_000, 40_000)  # wider than before


def test_an_out_of_order_sample_and_retention_are_seen_by_the_next_read() -> None:
    store = store_with(30)
    rows(store, 10_000, 30_000)
    store.append([(UP, 15_500, 7.0)], now_ms=31_000)
    assert (15_500, 7.0) in zip(*rows(store, 10_000, 30_000)[0][1:3], strict=True)
    store.housekeeping(10_000_000 + 20_000)  # drops samples before 20s
    assert rows(store, 10_000, 30_000) == generic(store, 10_000, 30_000)
    assert rows(store, 10_000, 30_000)[0][1][0] == 20_000


def test_stale_markers_come_back_as_none_and_plain_nans_stay() -> None:
    store = store_with(5)
    store.append([(UP, 6_000, STALE_NAN)], now_ms=6_000)
    store.append([(UP, 7_000, math.nan)], now_ms=7_000)
    for _ in range(2):  # the second read comes from the kept tail
        [(labels, ts, vs, stale)] = rows(store, 4_000, 8_000)
        assert labels == UP and ts == [4_000, 5_000, 6_000, 7_000] and stale
        assert vs[:3] == [4.0, 5.0, None] and (last := vs[3]) is not None and math.isnan(last)


# ---- select_windows: rate() from summaries equals rate() from every sample -------------

_changes = st.one_of(st.floats(0, 1e3), st.floats(0, 1e3), st.floats(0, 1e3),
                     st.sampled_from(["reset", "nan", "stale"]))


@settings(max_examples=200, deadline=None)
@given(steps=st.lists(st.tuples(st.integers(1, 4_000), _changes), min_size=1, max_size=40),
       late=st.lists(st.tuples(st.integers(0, 80_000), st.floats(0, 1e6)), max_size=2),
       func=st.sampled_from(["rate", "increase", "delta"]),
       window=st.sampled_from(["5s", "20s", "1m"]))
def test_rates_from_store_windows_equal_rates_from_all_samples(
        steps: list[tuple[int, float | str]], late: list[tuple[int, float]], func: str,
        window: str) -> None:
    """Counters that grow, reset, hold NaNs and stale markers, and get samples written
    into the past: the store's summaries (what rule evaluation reads) give bit-identical
    results to the engine reading every sample (MemoryStorage, which has none)."""
    store, memory = SeriesStore(retention_ms=10_000_000), MemoryStorage()
    t, value, points = 0, 0.0, {}
    for gap, change in steps:
        t += gap
        if change == "reset":
            value = 0.0
        elif isinstance(change, float):
            value += change
        marker = {"nan": math.nan, "stale": STALE_NAN}.get(change) if isinstance(change, str) else None
        points[t] = value if marker is None else marker
    for at, _ in sorted(points.items()):
        store.append([(UP, at, points[at])], now_ms=at)
    for at, late_value in late:  # written into the past, after the rest
        if at not in points:
            points[at] = late_value
            store.append([(UP, at, late_value)], now_ms=t)
    memory.add(dict(UP), sorted(points.items()))
    query = f"{func}(up[{window}])"
    for at in range(0, t + 2_000, 1_500):
        got = Engine(store).instant(query, at / 1000)
        want = Engine(memory).instant(query, at / 1000)
        assert isinstance(got, Vector) and isinstance(want, Vector)
        assert [(s.labels, repr(s.value)) for s in got] == [(s.labels, repr(s.value)) for s in want]


def test_new_series_show_up_in_repeated_reads_of_the_same_selector() -> None:
    """Rules pass the same matcher lists every time and the store remembers their matches;
    a new series of the metric, or one a name-less selector matches, is seen at once."""
    store = store_with(5)
    by_job = [Matcher(MatchType.EQUAL, "job", "api")]
    up = [Matcher(MatchType.EQUAL, "__name__", "up"), Matcher(MatchType.EQUAL, "job", "api")]
    other = [Matcher(MatchType.EQUAL, "__name__", "other")]

    def names(matchers: list[Matcher]) -> list[str]:
        return [dict(r.labels).get("instance", "-") + "/" + dict(r.labels)["__name__"]
                for r in store.select_rows(matchers, 0, 10_000)]

    assert names(by_job) == names(up) == ["-/up"] and names(other) == []
    store.append([(labels_from({"__name__": "up", "job": "api", "instance": "b"}), 6_000, 1.0),
                  (labels_from({"__name__": "other", "job": "api"}), 6_000, 1.0)], now_ms=6_000)

    assert names(up) == ["b/up", "-/up"]  # sorted by labels: ("instance", "b") < ("job", ...)
    assert names(by_job) == ["-/other", "b/up", "-/up"]
    assert names(other) == ["-/other"]
    store.housekeeping(10_000_000 + 5_500)  # the first `up` series ages out
    assert names(up) == ["b/up"] and names(by_job) == ["-/other", "b/up"]
