"""The PromQL engine's fast read path: ``select_rows`` gives what ``select`` gives,
in the engine's own form, however the series changed since the last read."""

from __future__ import annotations

import math

from monitor.promql.storage import STALE_NAN, Matcher, MatchType, rows_of
from monitor.signals.store import SeriesStore, key_of

UP = key_of({"__name__": "up", "job": "api"})
JOB = [Matcher(MatchType.EQUAL, "job", "api")]


def rows(store: SeriesStore, start: int, end: int) -> list[tuple[object, ...]]:
    return [(r.labels, r.ts, r.vs, r.has_stale) for r in store.select_rows(JOB, start, end)]


def generic(store: SeriesStore, start: int, end: int) -> list[tuple[object, ...]]:
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
        assert vs[:3] == [4.0, 5.0, None] and math.isnan(vs[3])
