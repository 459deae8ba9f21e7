"""The series store answers label matchers, keeps retention, and survives restarts
(even a torn last write) with nothing already stored lost."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from monitor.errors import LimitExceeded, Unavailable, Unprocessable
from monitor.promql.labels import labels_from
from monitor.promql.storage import STALE_NAN, Matcher, MatchType, Storage, is_stale
from monitor.signals.store import SeriesStore, StoreLimits

HOUR = 3_600_000
NOW = 1_772_442_000_000  # 2026-03-02T09:00Z


def errors(kind: str, service: str = "api") -> tuple[tuple[str, str], ...]:
    return labels_from({"__name__": "candor_app_errors_total", "service": service, "kind": kind})


def eq(name: str, value: str) -> Matcher:
    return Matcher(MatchType.EQUAL, name, value)


def open_store(directory: Path | None, now: int = NOW, **limits: int) -> SeriesStore:
    return SeriesStore(retention_ms=24 * HOUR, directory=directory, now_ms=now,
                       limits=StoreLimits(**limits) if limits else None)


def test_it_implements_the_promql_storage_protocol_with_label_matchers() -> None:
    store: Storage = open_store(None)
    assert isinstance(store, SeriesStore)
    store.append([(errors("timeout"), NOW, 1.0), (errors("timeout"), NOW + 15_000, 2.0),
                  (errors("db", "web"), NOW, 5.0)], now_ms=NOW)
    found = store.select([eq("__name__", "candor_app_errors_total"),
                          Matcher(MatchType.REGEX, "kind", "time.*")], NOW, NOW + 15_000)
    assert [(s.labels["kind"], list(s.samples)) for s in found] == [
        ("timeout", [(NOW, 1.0), (NOW + 15_000, 2.0)])]
    assert {s.labels["service"] for s in store.select(
        [Matcher(MatchType.NOT_EQUAL, "service", "api")], 0, NOW * 2)} == {"web"}
    assert store.select([eq("absent", "")], 0, NOW * 2).__len__() == 2  # "" matches absent
    assert store.select([eq("kind", "timeout")], NOW + 1, NOW + 10) == []


def test_out_of_order_samples_are_sorted_and_an_identical_resend_is_accepted() -> None:
    store = open_store(None)
    store.append([(errors("x"), NOW + 2, 2.0), (errors("x"), NOW, 0.0)], now_ms=NOW)
    store.append([(errors("x"), NOW + 1, 1.0), (errors("x"), NOW, 0.0)], now_ms=NOW)
    assert list(store.select([eq("kind", "x")], 0, NOW * 2)[0].samples) == [
        (NOW, 0.0), (NOW + 1, 1.0), (NOW + 2, 2.0)]


def test_a_different_value_at_a_stored_timestamp_is_rejected_and_nothing_changes() -> None:
    store = open_store(None)
    store.append([(errors("x"), NOW, 1.0)], now_ms=NOW)
    with pytest.raises(Unprocessable, match="1 sample\\(s\\) conflict") as caught:
        store.append([(errors("y"), NOW, 1.0), (errors("x"), NOW, 9.0)], now_ms=NOW)
    assert caught.value.problems[0].loc == "$.samples[1]"
    assert caught.value.extra["reason"] == "duplicate_sample"
    assert store.stats() == {"series": 1, "samples": 1}


def test_the_cardinality_caps_reject_new_series_but_not_new_samples() -> None:
    store = open_store(None, max_series_per_metric=2, max_series=3)
    store.append([(errors("a"), NOW, 1.0), (errors("b"), NOW, 1.0)], now_ms=NOW)
    with pytest.raises(LimitExceeded, match="signals.max_series_per_metric") as caught:
        store.append([(errors("c"), NOW, 1.0)], now_ms=NOW)
    assert caught.value.extra["reason"] == "series_per_metric"
    store.append([(errors("a"), NOW + 1, 2.0)], now_ms=NOW)
    store.append([(labels_from({"__name__": "up"}), NOW, 1.0)], now_ms=NOW)
    with pytest.raises(LimitExceeded, match="signals.max_series"):
        store.append([(labels_from({"__name__": "other"}), NOW, 1.0)], now_ms=NOW)
    assert store.stats() == {"series": 3, "samples": 4}


def test_stale_markers_are_kept_distinct_from_plain_nan(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.append([(errors("x"), NOW, math.nan), (errors("x"), NOW + 1, STALE_NAN)], now_ms=NOW)
    store.close()
    samples = open_store(tmp_path).select([eq("kind", "x")], 0, NOW * 2)[0].samples
    assert math.isnan(samples[0][1]) and not is_stale(samples[0][1])
    assert is_stale(samples[1][1])


def test_a_push_after_close_is_refused_and_leaves_the_data_directory_alone(tmp_path: Path) -> None:
    data = tmp_path / "signals"
    store = open_store(data)
    store.append([(errors("x"), NOW, 1.0)], now_ms=NOW)
    store.close()
    shutil.rmtree(data)  # a demo removing its scratch directory while a push is still in flight
    with pytest.raises(Unavailable, match="shutting down"):
        store.append([(errors("x"), NOW + 1, 2.0)], now_ms=NOW + 1)
    assert not data.exists()


def test_retention_drops_old_samples_and_empty_series() -> None:
    store = open_store(None)
    store.append([(errors("old"), NOW, 1.0), (errors("new"), NOW, 1.0),
                  (errors("new"), NOW + 20 * HOUR, 2.0)], now_ms=NOW)
    store.housekeeping(NOW + 25 * HOUR)
    assert store.series([eq("__name__", "candor_app_errors_total")]) == [
        {"__name__": "candor_app_errors_total", "service": "api", "kind": "new"}]
    assert store.stats()["samples"] == 1


def test_a_restart_keeps_the_series_within_retention(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.append([(errors("x"), NOW, 1.0)], now_ms=NOW)
    store.append([(errors("x"), NOW + HOUR, 2.0), (errors("y"), NOW + HOUR, 3.0)],
                 now_ms=NOW + HOUR)
    store.close()
    reopened = open_store(tmp_path, now=NOW + 2 * HOUR)
    assert {s.labels["kind"]: list(s.samples) for s in reopened.select(
        [eq("service", "api")], 0, NOW * 2)} == {
        "x": [(NOW, 1.0), (NOW + HOUR, 2.0)], "y": [(NOW + HOUR, 3.0)]}
    reopened.append([(errors("x"), NOW + 2 * HOUR, 4.0)], now_ms=NOW + 2 * HOUR)
    reopened.close()
    assert len(list(tmp_path.glob("*.seg"))) == 2  # the compacted one plus the new one
    later = open_store(tmp_path, now=NOW + 24 * HOUR + 1)  # the first sample has expired
    assert list(later.select([eq("kind", "x")], 0, NOW * 2)[0].samples) == [
        (NOW + HOUR, 2.0), (NOW + 2 * HOUR, 4.0)]
    assert len(list(tmp_path.glob("*.seg"))) == 1


def test_a_torn_last_write_loses_only_that_write(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    store.append([(errors("x"), NOW, 1.0)], now_ms=NOW)
    store.append([(errors("x"), NOW + 1, 2.0)], now_ms=NOW)
    store.close()
    (segment,) = tmp_path.glob("*.seg")
    segment.write_bytes(segment.read_bytes()[:-7])  # the process died mid-write
    reopened = open_store(tmp_path)
    assert list(reopened.select([eq("kind", "x")], 0, NOW * 2)[0].samples) == [(NOW, 1.0)]
    reopened.append([(errors("x"), NOW + 2, 3.0)], now_ms=NOW)
    reopened.close()
    again = open_store(tmp_path)
    assert list(again.select([eq("kind", "x")], 0, NOW * 2)[0].samples) == [
        (NOW, 1.0), (NOW + 2, 3.0)]


def test_old_segments_are_deleted_as_they_expire(tmp_path: Path) -> None:
    store = SeriesStore(retention_ms=2 * HOUR, directory=tmp_path, segment_ms=HOUR, now_ms=NOW)
    for hour in range(6):
        at = NOW + hour * HOUR
        store.append([(errors("x"), at, float(hour))], now_ms=at)
    store.housekeeping(NOW + 6 * HOUR)
    assert len(list(tmp_path.glob("*.seg"))) <= 3
    assert [v for _, v in store.select([eq("kind", "x")], 0, NOW * 2)[0].samples] == [4.0, 5.0]
