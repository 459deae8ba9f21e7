"""The embedded series store: samples in memory, a label index, an append-only log on disk.

It implements the PromQL engine's ``Storage`` protocol
(:mod:`monitor.promql.storage`): ``select(matchers, start_ms, end_ms)``.

Memory: each series keeps two ``array`` columns (int64 ms, float64 values),
16 bytes a sample. The label index maps ``name -> value -> {series id}``;
equality matchers intersect postings, other matchers filter the rest.

Disk (``directory``, normally ``<storage.data_dir>/series/``): numbered segment
files ``00000001.seg``, each a sequence of frames::

    frame   = kind:u8  length:u32  crc32:u32  payload[length]
    kind L  = series definition: id:u32, labels as JSON (segment-local id)
    kind S  = samples: (id:u32, ts_ms:i64, value:f64) * n

Every ``append`` writes one ``S`` frame (after any new ``L`` frames) and
flushes it to the OS. On open, a frame that is cut short or fails its CRC (a
torn last write) ends that segment, which is truncated there; everything before
it is kept. Opening also compacts: the samples still within retention are
rewritten into one fresh segment (written to ``.tmp``, fsynced, renamed) and the
old segments deleted. A new segment starts every ``segment_ms``; a segment
whose newest sample is older than the retention window is deleted whole.
"""

from __future__ import annotations

import json
import logging
import math
import os
import struct
import threading
import zlib
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from monitor.errors import FieldProblem, LimitExceeded, Unavailable, Unprocessable
from monitor.promql.labels import NAME, Labels, labels_from
from monitor.promql.storage import Matcher, MatchType, Rows, Window, mark_stale

log = logging.getLogger("candor.signals.store")

_HEADER = struct.Struct("<BII")
_SAMPLE = struct.Struct("<Iqd")
_ID = struct.Struct("<I")
_BITS = struct.Struct("<d")
_KIND_LABELS, _KIND_SAMPLES = ord("L"), ord("S")


def same_value(a: float, b: float) -> bool:
    """Equal values, comparing NaNs by bit pattern (a stale marker is not a plain NaN)."""
    return a == b or (math.isnan(a) and math.isnan(b) and _BITS.pack(a) == _BITS.pack(b))


class SeriesView:
    """A copy of one series' labels and the samples asked for (the ``Series`` protocol).

    ``timestamps``, ``values`` and ``label_key`` (the name-sorted label pairs) are the
    shapes the PromQL engine reads directly, so a query copies each sample once. The
    ``labels`` dict is built on access (a fresh copy each time): the engine never
    needs it, and building 10,000 of them per rule group was measurable."""

    __slots__ = ("label_key", "timestamps", "values")

    def __init__(self, label_key: Labels, timestamps: list[int], values: list[float]) -> None:
        self.label_key = label_key
        self.timestamps = timestamps
        self.values = values

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.label_key)

    @property
    def samples(self) -> list[tuple[int, float]]:
        return list(zip(self.timestamps, self.values, strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SeriesView):
            return NotImplemented
        return (self.label_key, self.timestamps, self.values) == (
            other.label_key, other.timestamps, other.values)

    __hash__ = None  # type: ignore[assignment]  # unhashable: equal by its lists, like a list

    def __repr__(self) -> str:
        return (f"SeriesView(labels={self.labels!r}, timestamps={self.timestamps!r}, "
                f"values={self.values!r})")


@dataclass(frozen=True)
class AppendResult:
    accepted: int
    series_created: int


@dataclass(frozen=True)
class StoreLimits:
    max_series_per_metric: int = 10_000
    max_series: int = 200_000


_TAIL_MAX = 1_000
"""Longest read window (samples) kept as a Python-list tail for the next read."""

_MATCHED_MAX = 1_000_000
"""Most series references (plus one per selector) that ``_sorted_matching`` remembers."""


_NEVER = -(2**63)


class _Series:
    """One series. ``tail_ts``/``tail_vs``, when set, are Python lists of every sample at
    or after ``tail_from`` (ms), the arrays' last ``len(tail_ts)``: rule evaluation reads
    the same short window every few seconds, and slicing lists is several times cheaper
    than turning array slices into lists (creating every int and float object) again.

    ``nan_ts`` is the newest timestamp holding a NaN (a stale marker, say) and ``drop_ts``
    the newest where a value is lower than the one before it (a counter reset): a window
    starting after the first and at or after the second is plain, so
    :meth:`SeriesStore.select_windows` can summarise it."""

    __slots__ = ("drop_ts", "id", "key", "labels", "nan_ts", "name", "tail_from", "tail_ts",
                 "tail_vs", "ts", "vs")

    def __init__(self, sid: int, key: Labels) -> None:
        self.id = sid
        self.key = key
        self.labels = dict(key)
        self.name = self.labels.get(NAME, "")
        self.ts = array("q")
        self.vs = array("d")
        self.nan_ts = _NEVER
        self.drop_ts = _NEVER
        self.tail_ts: list[int] | None = None
        self.tail_vs: list[float] = []
        self.tail_from = 0

    def put(self, t: int, v: float) -> None:
        if v != v:
            self.nan_ts = max(self.nan_ts, t)
        ts = self.ts
        if not ts or t > ts[-1]:
            if ts and v < self.vs[-1]:
                self.drop_ts = t
            ts.append(t)
            self.vs.append(v)
            if self.tail_ts is not None:
                self.tail_ts.append(t)
                self.tail_vs.append(v)
            return
        self.tail_ts = None
        i = bisect_left(ts, t)
        if i < len(ts) and ts[i] == t:
            self.vs[i] = v
        else:
            ts.insert(i, t)
            self.vs.insert(i, v)
        # A sample written into the past may make a decrease at itself or its successor.
        self.drop_ts = max(self.drop_ts, ts[i + 1] if i + 1 < len(ts) else t)

    def span(self, start_ms: int, end_ms: int
             ) -> tuple[list[int] | array[int], list[float] | array[float], int, int]:
        """``(ts, vs, lo, hi)``: the samples in ``[start_ms, end_ms]`` are ``ts[lo:hi]``,
        ``vs[lo:hi]``. Reads from the list tail when it covers ``start_ms``, and starts one
        (or trims it to about the window's length) for the next read."""
        tail = self.tail_ts
        if tail is not None and self.tail_from <= start_ms:
            lo = bisect_left(tail, start_ms)
            hi = bisect_right(tail, end_ms, lo)
            if lo > hi - lo:  # keep the tail about as long as the window read
                del tail[:lo], self.tail_vs[:lo]
                self.tail_from = start_ms
                return tail, self.tail_vs, 0, hi - lo
            return tail, self.tail_vs, lo, hi
        ats = self.ts
        lo = bisect_left(ats, start_ms)
        hi = bisect_right(ats, end_ms, lo)
        if lo < hi and len(ats) - lo <= _TAIL_MAX:  # keep the samples from `lo` on as lists
            self.tail_ts, self.tail_vs = ats[lo:].tolist(), self.vs[lo:].tolist()
            self.tail_from = start_ms
            return self.tail_ts, self.tail_vs, 0, hi - lo
        return ats, self.vs, lo, hi

    def value_at(self, t: int) -> float | None:
        ts = self.ts
        if not ts or t > ts[-1]:
            return None
        i = bisect_left(ts, t)
        return self.vs[i] if i < len(ts) and ts[i] == t else None


def _series_key(series: _Series) -> Labels:
    return series.key


def _rows(series: _Series, ts: list[int] | array[int], vs: list[float] | array[float],
          lo: int, hi: int) -> Rows:
    """The engine's :class:`Rows` of ``ts[lo:hi]``, ``vs[lo:hi]`` (lists or arrays)."""
    t_part = ts[lo:hi] if isinstance(ts, list) else ts[lo:hi].tolist()
    v_part = vs[lo:hi] if isinstance(vs, list) else vs[lo:hi].tolist()
    if series.nan_ts >= t_part[0]:
        marked, stale = mark_stale(v_part)
        return Rows(series.key, t_part, marked, stale)
    return Rows(series.key, t_part, v_part, False)  # type: ignore[arg-type]  # (list invariance)


@dataclass
class _Segment:
    path: Path
    max_ts: int = -(2**63)
    defined: set[int] = field(default_factory=set)


class SeriesStore:
    """Series in memory, indexed by label, persisted to ``directory`` when given.

    >>> store = SeriesStore(retention_ms=86_400_000)
    >>> store.append([(labels_from({"__name__": "up", "job": "api"}), 1_000, 1.0)], now_ms=1_000)
    AppendResult(accepted=1, series_created=1)
    >>> [s.samples for s in store.select([Matcher(MatchType.EQUAL, "job", "api")], 0, 2_000)]
    [[(1000, 1.0)]]
    """

    def __init__(self, *, retention_ms: int, directory: Path | None = None,
                 segment_ms: int = 3_600_000, limits: StoreLimits | None = None,
                 now_ms: int = 0) -> None:
        self.retention_ms = retention_ms
        self.segment_ms = segment_ms
        self.limits = limits or StoreLimits()
        self.directory = directory
        self._lock = threading.RLock()
        self._series: dict[int, _Series] = {}
        self._by_key: dict[Labels, _Series] = {}
        self._postings: dict[str, dict[str, set[int]]] = {}
        self._per_metric: dict[str, int] = {}
        self._matched: dict[int, tuple[list[Matcher], list[_Series]]] = {}
        self._matched_by_name: dict[str | None, set[int]] = {}  # metric -> keys of _matched
        self._matched_refs = 0
        self._next_id = 1
        self._segment: _Segment | None = None
        self._segments: list[_Segment] = []
        self._file: BinaryIO | None = None
        self._closed = False
        self._segment_started_ms = now_ms
        self._housekept_ms = now_ms
        if directory is not None and directory.exists():
            self._load(now_ms)

    # ---- reading -----------------------------------------------------------------

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> list[SeriesView]:
        """Every series matching all ``matchers``, with its samples in ``[start_ms, end_ms]``."""
        out: list[SeriesView] = []
        append = out.append
        with self._lock:
            for series in self._matching(matchers):
                ts = series.ts
                lo = bisect_left(ts, start_ms)
                hi = bisect_right(ts, end_ms, lo)
                if lo < hi:
                    append(SeriesView(series.key, ts[lo:hi].tolist(),
                                      series.vs[lo:hi].tolist()))
        return out

    def select_rows(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> list[Rows]:
        """:meth:`select` in the engine's own per-series form (:class:`Rows`), sorted by
        labels: the PromQL engine's fast path, copying each sample once."""
        out: list[Rows] = []
        append = out.append
        with self._lock:
            for series in self._sorted_matching(matchers):
                ts, vs, lo, hi = series.span(start_ms, end_ms)
                if lo < hi:
                    append(_rows(series, ts, vs, lo, hi))
        return out

    def select_windows(self, matchers: list[Matcher], start_ms: int,
                       end_ms: int) -> list[Rows | Window]:
        """:meth:`select_rows`, except that a series whose samples in the window hold no
        NaN and never decrease comes as a :class:`Window` (count, first and last sample),
        copying nothing: all that ``rate``, ``increase`` and ``delta`` need."""
        out: list[Rows | Window] = []
        append = out.append
        new = tuple.__new__  # Window(...) without its Python-level __new__: 10,000 a group
        with self._lock:
            for series in self._sorted_matching(matchers):
                tail = series.tail_ts  # span()'s common case, inlined: this loop is the hot one
                ts: list[int] | array[int]
                vs: list[float] | array[float]
                if tail is not None and series.tail_from <= start_ms:
                    lo = bisect_left(tail, start_ms)
                    # Rules read up to now, and the newest sample is rarely in the future.
                    hi = (len(tail) if tail and tail[-1] <= end_ms
                          else bisect_right(tail, end_ms, lo))
                    ts, vs = tail, series.tail_vs
                    if lo > hi - lo:
                        ts, vs, lo, hi = series.span(start_ms, end_ms)  # trims the tail
                else:
                    ts, vs, lo, hi = series.span(start_ms, end_ms)
                if lo >= hi:
                    continue
                t_first = ts[lo]
                if t_first > series.nan_ts and t_first >= series.drop_ts:
                    last = hi - 1
                    append(new(Window, (series.key, hi - lo, t_first, vs[lo], ts[last], vs[last])))
                else:
                    append(_rows(series, ts, vs, lo, hi))
        return out

    def series(self, matchers: list[Matcher]) -> list[dict[str, str]]:
        """The label sets of the series matching all ``matchers`` (any time in retention)."""
        with self._lock:
            return [dict(s.labels) for s in self._matching(matchers)]

    def _sorted_matching(self, matchers: list[Matcher]) -> list[_Series]:
        """:meth:`_matching`, sorted by labels and remembered until a series of the
        selector's metric is created or dropped: rules run the same selectors every few
        seconds, while new series keep arriving."""
        key = id(matchers)  # a rule's selector passes the same list each time
        hit = self._matched.get(key)
        if hit is not None and hit[0] is matchers:  # held, so its id is not reused
            return hit[1]
        found = sorted(self._matching(matchers), key=_series_key)
        self._matched_refs += len(found) + 1
        if self._matched_refs > _MATCHED_MAX:
            self._matched.clear()
            self._matched_by_name.clear()
            self._matched_refs = len(found) + 1
        name = next((m.value for m in matchers if m.name == NAME
                     and m.type is MatchType.EQUAL and m.value), None)
        self._matched[key] = (matchers, found)
        self._matched_by_name.setdefault(name, set()).add(key)
        return found

    def _forget_matches(self, name: str) -> None:
        """Drop the remembered matches that a series named ``name`` may belong to: those
        of selectors for that metric and of selectors naming no metric."""
        for key in (*self._matched_by_name.pop(name, ()), *self._matched_by_name.pop(None, ())):
            hit = self._matched.pop(key, None)
            if hit is not None:
                self._matched_refs -= len(hit[1]) + 1

    def _matching(self, matchers: list[Matcher]) -> list[_Series]:
        """The matching series, in creation order. Equality postings are intersected
        smallest first, so ``{service="x"}`` on a 10,000-series metric touches only
        x's few series; the other matchers then filter those."""
        postings: list[set[int]] = []
        rest: list[Matcher] = []
        for m in matchers:
            if m.type is MatchType.EQUAL and m.value != "":
                postings.append(self._postings.get(m.name, {}).get(m.value, set()))
            else:
                rest.append(m)
        by_id = self._series
        if postings:
            postings.sort(key=len)
            candidates = set(postings[0])
            for ids in postings[1:]:
                if not candidates:
                    break
                candidates &= ids
            pool = [by_id[i] for i in sorted(candidates)]
        else:
            pool = list(by_id.values())
        if not rest:
            return pool
        return [s for s in pool if all(m.matches(s.labels.get(m.name, "")) for m in rest)]

    def known(self, key: Labels) -> bool:
        """Whether a series with exactly these labels is stored (its labels passed checks)."""
        return key in self._by_key

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"series": len(self._series),
                    "samples": sum(len(s.ts) for s in self._series.values())}

    # ---- writing -----------------------------------------------------------------

    def append(self, samples: Sequence[tuple[Labels, int, float]], *, now_ms: int,
               locs: Sequence[str] | None = None) -> AppendResult:
        """Store ``samples`` (key, ts_ms, value) all or nothing.

        A resent identical sample is accepted; a different value at a stored
        timestamp is a 422 (``duplicate_sample``). New series beyond the
        cardinality caps are a 422 ``LimitExceeded`` naming the cap.
        """
        with self._lock:
            if self._closed:  # a late push while shutting down: never recreate the data directory
                raise Unavailable("the series store is closed: Candor is shutting down; "
                                  "send the samples again to a running instance")
            self._check(samples, locs)
            created: list[_Series] = []
            resolved: list[_Series] = []
            for key, _, _ in samples:
                series = self._by_key.get(key)
                if series is None:
                    series = self._create(key)
                    created.append(series)
                resolved.append(series)
            for series, (_, t, v) in zip(resolved, samples, strict=True):
                series.put(t, v)
            self._log(resolved, samples, now_ms)
            if now_ms - self._housekept_ms >= min(self.segment_ms, 300_000):
                self.housekeeping(now_ms)
            return AppendResult(len(samples), len(created))

    def _check(self, samples: Sequence[tuple[Labels, int, float]], locs: Sequence[str] | None) -> None:
        problems: list[FieldProblem] = []
        new_keys: dict[Labels, int] = {}
        for i, (key, t, v) in enumerate(samples):
            series = self._by_key.get(key)
            if series is None:
                new_keys.setdefault(key, i)
                continue
            old = series.value_at(t)
            if old is not None and not same_value(old, v):
                where = locs[i] if locs else f"$.samples[{i}]"
                problems.append(FieldProblem(where, f"a different value ({old!r}) is already "
                                             f"stored at timestamp {t}; samples are immutable"))
        if problems:
            raise Unprocessable(f"{len(problems)} sample(s) conflict with stored samples",
                                problems=problems[:20], extra={"reason": "duplicate_sample"})
        if not new_keys:
            return
        if len(self._series) + len(new_keys) > self.limits.max_series:
            raise LimitExceeded(
                f"this request would create {len(new_keys)} series but the store holds "
                f"{len(self._series)} of at most {self.limits.max_series} (signals.max_series); "
                "drop high-cardinality labels or raise the limit",
                extra={"reason": "series_total", "limit": "signals.max_series"})
        per_metric: dict[str, list[int]] = {}
        for key, i in new_keys.items():
            per_metric.setdefault(dict(key).get(NAME, ""), []).append(i)
        cap = self.limits.max_series_per_metric
        for name, indexes in per_metric.items():
            have = self._per_metric.get(name, 0)
            if have + len(indexes) > cap:
                first = indexes[cap - have] if cap > have else indexes[0]
                where = locs[first] if locs else f"$.samples[{first}]"
                raise LimitExceeded(
                    f"metric {name!r} has {have} series and this request adds {len(indexes)}; "
                    f"the cap is {cap} (signals.max_series_per_metric). A label such as a user "
                    "id or raw path is probably unbounded: remove it or raise the cap",
                    problems=[FieldProblem(where, f"new series of {name!r} over the cap")],
                    extra={"reason": "series_per_metric",
                           "limit": "signals.max_series_per_metric"})

    def _create(self, key: Labels) -> _Series:
        series = _Series(self._next_id, key)
        self._next_id += 1
        self._series[series.id] = series
        self._by_key[key] = series
        for name, value in key:
            self._postings.setdefault(name, {}).setdefault(value, set()).add(series.id)
        self._per_metric[series.name] = self._per_metric.get(series.name, 0) + 1
        self._forget_matches(series.name)
        return series

    def _drop_series(self, series: _Series) -> None:
        del self._series[series.id]
        del self._by_key[series.key]
        for name, value in series.key:
            values = self._postings[name]
            values[value].discard(series.id)
            if not values[value]:
                del values[value]
        self._per_metric[series.name] -= 1
        self._forget_matches(series.name)

    # ---- retention ---------------------------------------------------------------

    def housekeeping(self, now_ms: int) -> None:
        """Drop samples older than the retention window, start a new segment when the
        current one is ``segment_ms`` old, and delete segments that are wholly expired."""
        cutoff = now_ms - self.retention_ms
        with self._lock:
            self._housekept_ms = now_ms
            for series in list(self._series.values()):
                if series.ts and series.ts[0] < cutoff:
                    i = bisect_left(series.ts, cutoff)
                    del series.ts[:i]
                    del series.vs[:i]
                    series.tail_ts = None
                if not series.ts:
                    self._drop_series(series)
            if self.directory is None:
                return
            if self._segment is not None and now_ms - self._segment_started_ms >= self.segment_ms:
                self._close_file()
                self._segment = None
            for segment in list(self._segments):
                if segment is not self._segment and segment.max_ts < cutoff:
                    segment.path.unlink(missing_ok=True)
                    self._segments.remove(segment)

    # ---- disk ----------------------------------------------------------------------

    def _log(self, resolved: list[_Series], samples: Sequence[tuple[Labels, int, float]],
             now_ms: int) -> None:
        if self.directory is None or not samples:
            return
        segment = self._segment
        if segment is None:
            segment = self._new_segment()
            self._segment_started_ms = now_ms
        frames: list[bytes] = []
        for series in resolved:
            if series.id not in segment.defined:
                segment.defined.add(series.id)
                frames.append(_frame(_KIND_LABELS, _ID.pack(series.id)
                                     + json.dumps(series.labels).encode()))
        pack = _SAMPLE.pack
        body = b"".join(pack(s.id, t, v) for s, (_, t, v) in zip(resolved, samples, strict=True))
        frames.append(_frame(_KIND_SAMPLES, body))
        segment.max_ts = max(segment.max_ts, max(t for _, t, _ in samples))
        assert self._file is not None
        self._file.write(b"".join(frames))
        self._file.flush()

    def _new_segment(self, suffix: str = "") -> _Segment:
        assert self.directory is not None
        self.directory.mkdir(parents=True, exist_ok=True)
        numbers = [int(p.stem) for p in self.directory.glob("*.seg") if p.stem.isdigit()]
        path = self.directory / f"{max(numbers, default=0) + 1:08d}.seg{suffix}"
        segment = _Segment(path)
        if not suffix:
            self._file = open(path, "ab")  # noqa: SIM115 - closed in _close_file
            self._segment = segment
            self._segments.append(segment)
        return segment

    def _close_file(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def close(self) -> None:
        """Close the open segment file (data is already flushed after every append); later
        appends are refused with ``Unavailable`` (503) instead of reopening the directory."""
        with self._lock:
            self._close_file()
            self._segment = None
            self._closed = True

    def _load(self, now_ms: int) -> None:
        assert self.directory is not None
        cutoff = now_ms - self.retention_ms
        for tmp in self.directory.glob("*.seg.tmp"):
            tmp.unlink()
        paths = sorted(p for p in self.directory.glob("*.seg") if p.stem.isdigit())
        for path in paths:
            _read_segment(path, lambda key, t, v: self._load_sample(key, t, v, cutoff))
        if paths:
            self._compact(paths, now_ms)

    def _load_sample(self, key: Labels, t: int, v: float, cutoff: int) -> None:
        if t < cutoff:
            return
        series = self._by_key.get(key) or self._create(key)
        series.put(t, v)

    def _compact(self, old: list[Path], now_ms: int) -> None:
        assert self.directory is not None
        segment = self._new_segment(".tmp")
        with open(segment.path, "wb") as out:
            for series in self._series.values():
                out.write(_frame(_KIND_LABELS, _ID.pack(series.id)
                                 + json.dumps(series.labels).encode()))
                for start in range(0, len(series.ts), 10_000):
                    chunk = zip(series.ts[start:start + 10_000], series.vs[start:start + 10_000],
                                strict=True)
                    out.write(_frame(_KIND_SAMPLES,
                                     b"".join(_SAMPLE.pack(series.id, t, v) for t, v in chunk)))
                if series.ts:
                    segment.max_ts = max(segment.max_ts, series.ts[-1])
            out.flush()
            os.fsync(out.fileno())
        final = segment.path.with_suffix("")
        os.replace(segment.path, final)
        for path in old:
            if path != final:
                path.unlink(missing_ok=True)
        segment.path = final
        self._segments = [segment]
        self._segment_started_ms = now_ms
        log.info("series store: loaded %d series from %s", len(self._series), self.directory)


def read_snapshot(directory: Path) -> SeriesStore:
    """The series persisted in ``directory``, loaded without changing any file (no
    compaction, no writes): for tools that read a running server's data, such as
    ``candor postmortem render``. A torn tail (being written right now) is left out."""
    store = SeriesStore(retention_ms=2**62)
    if directory.is_dir():
        for path in sorted(p for p in directory.glob("*.seg") if p.stem.isdigit()):
            _read_segment(path, lambda key, t, v: store._load_sample(key, t, v, -(2**62)))
    return store


def _frame(kind: int, payload: bytes) -> bytes:
    return _HEADER.pack(kind, len(payload), zlib.crc32(payload)) + payload


def _read_segment(path: Path, emit: Callable[[Labels, int, float], None]) -> None:
    """Feed every sample of a segment to ``emit(key, ts, value)``; cut a torn tail off."""
    ids: dict[int, Labels] = {}
    data = path.read_bytes()
    pos = 0
    while pos < len(data):
        if pos + _HEADER.size > len(data):
            break
        kind, length, crc = _HEADER.unpack_from(data, pos)
        payload = data[pos + _HEADER.size: pos + _HEADER.size + length]
        if len(payload) < length or zlib.crc32(payload) != crc or kind not in (
                _KIND_LABELS, _KIND_SAMPLES):
            break
        if kind == _KIND_LABELS:
            (sid,) = _ID.unpack_from(payload)
            ids[sid] = labels_from(json.loads(payload[_ID.size:]))
        else:
            for sid, t, v in _SAMPLE.iter_unpack(payload):
                key = ids.get(sid)
                if key is not None:
                    emit(key, t, v)
        pos += _HEADER.size + length
    if pos < len(data):
        log.warning("series store: %s has a torn or corrupt frame at byte %d of %d; "
                    "keeping the %d bytes before it", path, pos, len(data), pos)
        with open(path, "r+b") as f:
            f.truncate(pos)
