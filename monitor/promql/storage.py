"""The storage interface the PromQL engine reads from, and an in-memory implementation.

The engine never talks to a database directly. It asks a :class:`Storage` for
the raw samples of every series that matches a selector, within a time window,
once per selector per query, and does all evaluation itself.

Contract for implementers of :class:`Storage` (e.g. the persistent series store):

* ``select(matchers, start_ms, end_ms)`` returns every series whose label set
  satisfies **all** matchers. A label that is absent is treated as having the
  value ``""`` (so ``{foo=""}`` matches series without ``foo``, and
  ``{foo!=""}`` requires it), exactly as in Prometheus. The metric name is the
  label ``__name__``. Use :meth:`Matcher.matches` rather than reimplementing.
* Each returned series carries only the samples with ``start_ms <= ts <= end_ms``
  (both inclusive; the engine trims further), sorted by timestamp ascending,
  with at most one sample per timestamp. Timestamps are integer milliseconds
  since the Unix epoch; values are floats.
* Stale markers (:data:`STALE_NAN`, test with :func:`is_stale`) must be returned
  like any other sample: they tell the engine that a series ended. Ordinary
  ``NaN`` values are real samples and must be kept distinct from stale markers
  (compare bit patterns, never ``==``).
* Optional fast path: if a returned series also has ``timestamps`` and
  ``values`` attributes (parallel lists), the engine reads those instead of
  ``samples``; likewise a ``label_key`` attribute holding the labels as a
  name-sorted tuple of ``(name, value)`` pairs without empty values
  (see :class:`MemorySeries`).
* Series with no samples in the window may be omitted. Order of series does not
  matter. Returning a series twice with the same labels is an error.
* Optional faster paths, offered together (a :class:`WindowStorage`):
  ``select_rows(matchers, start_ms, end_ms)`` returns :class:`Rows` objects directly
  (the engine's own per-series form: ``labels`` as :data:`~monitor.promql.labels.Labels`,
  ``ts``, ``vs`` with stale markers replaced by ``None``, ``has_stale``), sorted by
  labels as Prometheus's storage returns them, so each sample is copied once and nothing
  is sorted again; :func:`rows_of` turns ``select`` results into the same. For
  ``rate``/``increase``/``delta`` in instant queries, ``select_windows(matchers,
  start_ms, end_ms)`` is ``select_rows`` except that a series whose samples in the window
  hold no NaN and never decrease comes as a :class:`Window` (sample count, first and
  last sample) instead of its :class:`Rows`: that is all those functions need, and
  nothing is copied. The engine checks ``isinstance(storage, WindowStorage)`` once.

Example::

    store = MemoryStorage()
    store.add({"__name__": "up", "job": "api"}, [(0, 1.0), (15_000, 1.0)])
    engine = Engine(store)
    engine.instant("up", 20.0)
"""

from __future__ import annotations

import re
import struct
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import NamedTuple, Protocol, runtime_checkable

from monitor.promql.gofmt import go_quote
from monitor.promql.labels import NAME, Labels, labels_from

__all__ = [
    "STALE_NAN",
    "Matcher",
    "MatchType",
    "MemoryStorage",
    "Rows",
    "Series",
    "Storage",
    "Window",
    "WindowStorage",
    "is_stale",
    "mark_stale",
    "rows_of",
    "window_samples",
]

_STALE_BITS = 0x7FF0000000000002
#: Prometheus's staleness marker: a NaN with a specific bit pattern.
STALE_NAN: float = struct.unpack("<d", struct.pack("<Q", _STALE_BITS))[0]


def is_stale(value: float) -> bool:
    """True if ``value`` is the Prometheus stale marker (not just any NaN)."""
    return value != value and struct.unpack("<Q", struct.pack("<d", value))[0] == _STALE_BITS


class MatchType(Enum):
    """Label matcher operators."""

    EQUAL = "="
    NOT_EQUAL = "!="
    REGEX = "=~"
    NOT_REGEX = "!~"


def compile_anchored(pattern: str) -> re.Pattern[str]:
    """Compile a PromQL regex: fully anchored, ``.`` matches newlines (RE2 ``(?s)``)."""
    return re.compile(f"(?s:{_scope_inline_flags(pattern)})\\Z")


def _scope_inline_flags(pattern: str) -> str:
    """RE2 allows ``(?i)`` anywhere, applying to the rest of the enclosing group;
    Python only at the start. Rewrite ``a(?i)b`` as ``a(?i:b)``."""
    if "(?" not in pattern:
        return pattern
    out: list[str] = []
    closers: list[list[str]] = [[]]  # flag groups opened in the current group
    i, n = 0, len(pattern)
    in_class = False
    while i < n:
        c = pattern[i]
        if c == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
            out.append(c)
            i += 1
            continue
        if c == "[":
            in_class = True
            out.append(c)
            i += 1
            if i < n and pattern[i] == "^":
                out.append("^")
                i += 1
            if i < n and pattern[i] == "]":
                out.append("]")
                i += 1
            continue
        if c == "(":
            m = re.match(r"\(\?([a-zA-Z-]+)\)", pattern[i:])
            if m:
                out.append(f"(?{m.group(1)}:")
                closers[-1].append(m.group(1))
                i += m.end()
                continue
            closers.append([])
            out.append(c)
            i += 1
            continue
        if c == ")":
            out.append(")" * len(closers.pop()) if len(closers) > 1 else "")
            out.append(c)
            i += 1
            continue
        if c == "|" and closers[-1]:
            out.append(")" * len(closers[-1]) + "|")
            out.extend(f"(?{flags}:" for flags in closers[-1])
            i += 1
            continue
        out.append(c)
        i += 1
    out.append(")" * len(closers[0]))
    return "".join(out)


@dataclass(frozen=True)
class Matcher:
    """One label matcher such as ``job=~"api|web"``.

    ``Matcher(MatchType.EQUAL, "__name__", "up")`` selects the metric ``up``.
    Regexes are fully anchored, like Prometheus.
    """

    type: MatchType
    name: str
    value: str
    _regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.type in (MatchType.REGEX, MatchType.NOT_REGEX) and self._regex is None:
            object.__setattr__(self, "_regex", compile_anchored(self.value))

    def matches(self, value: str) -> bool:
        """Whether a label value (``""`` when the label is absent) satisfies this matcher."""
        t = self.type
        if t is MatchType.EQUAL:
            return value == self.value
        if t is MatchType.NOT_EQUAL:
            return value != self.value
        assert self._regex is not None
        hit = self._regex.match(value) is not None
        return hit if t is MatchType.REGEX else not hit

    def __str__(self) -> str:
        return f"{self.name}{self.type.value}{go_quote(self.value)}"


@runtime_checkable
class Series(Protocol):
    """A series returned by :meth:`Storage.select`."""

    @property
    def labels(self) -> Mapping[str, str]: ...

    @property
    def samples(self) -> Sequence[tuple[int, float]]: ...


class Storage(Protocol):
    """Source of raw samples for the engine. See the module docstring for the contract."""

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> Iterable[Series]: ...


@runtime_checkable
class WindowStorage(Storage, Protocol):
    """A :class:`Storage` that also hands out the engine's own forms (see the module
    docstring): :class:`Rows` from ``select_rows`` and, for ``rate``, ``increase`` and
    ``delta`` in instant queries, :class:`Window` summaries from ``select_windows``. The
    engine checks for it once, when it is made (``isinstance(storage, WindowStorage)``).
    """

    def select_rows(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> list[Rows]: ...

    def select_windows(self, matchers: list[Matcher], start_ms: int,
                       end_ms: int) -> list[Rows | Window]: ...


class Rows:
    """One series as the engine reads it: ``labels`` (name-sorted pairs, no empty values),
    ``ts`` and ``vs`` (parallel lists; ``None`` in ``vs`` marks a stale sample) and
    ``has_stale`` (whether any ``None`` is present)."""

    __slots__ = ("has_stale", "labels", "ts", "vs")

    def __init__(self, labels: Labels, ts: list[int], vs: list[float | None],
                 has_stale: bool) -> None:
        self.labels = labels
        self.ts = ts
        self.vs = vs
        self.has_stale = has_stale


class Window(NamedTuple):
    """One series' samples in a read window, summarised: ``sample_count`` samples, the
    first at ``t_first`` with ``v_first``, the last at ``t_last`` with ``v_last``. A
    storage hands one out only when no sample in the window is NaN and none is lower than
    the one before it (so a counter has no reset inside the window). Tell it from
    :class:`Rows` with ``type(w) is Window``."""

    labels: Labels
    sample_count: int
    t_first: int
    v_first: float
    t_last: int
    v_last: float


def window_samples(windows: list[Rows | Window]) -> int:
    """How many samples a ``select_windows`` answer stands for (the query sample limit
    counts them as if read)."""
    return sum([w.sample_count if isinstance(w, Window) else len(w.ts) for w in windows])


def mark_stale(values: list[float]) -> tuple[list[float | None], bool]:
    """``values`` with stale markers replaced by ``None``, and whether there were any.
    Returns ``values`` itself when it holds no NaN at all (checked at C speed)."""
    total = sum(values)
    if total == total:  # no NaN (an inf + -inf NaN falls through to the exact check)
        return values, False  # type: ignore[return-value]  # list invariance; the caller only reads
    out: list[float | None] = list(values)
    has_stale = False
    for i, v in enumerate(values):
        if v != v and is_stale(v):
            out[i] = None
            has_stale = True
    return out, has_stale


def rows_of(series: Iterable[Series]) -> list[Rows]:
    """:class:`Rows` of ``select`` results (using the optional fast-path attributes);
    series without samples are left out."""
    out: list[Rows] = []
    append = out.append
    for s in series:
        ts = getattr(s, "timestamps", None)
        raw = getattr(s, "values", None)
        if not (isinstance(ts, list) and isinstance(raw, list)):
            samples = s.samples
            ts = [int(t) for t, _ in samples]
            raw = [float(v) for _, v in samples]
        if not ts:
            continue
        vs, has_stale = mark_stale(raw)
        lkey = getattr(s, "label_key", None)
        if not isinstance(lkey, tuple):
            lkey = labels_from(s.labels)
        append(Rows(lkey, ts, vs, has_stale))
    return out


class MemorySeries:
    """A series as returned by :class:`MemoryStorage`.

    Besides ``samples`` it exposes the optional fast-path attributes
    ``timestamps`` and ``values`` (parallel lists) that the engine uses when present.
    """

    __slots__ = ("label_key", "labels", "timestamps", "values")

    def __init__(self, labels: Mapping[str, str], timestamps: list[int],
                 values: list[float], label_key: Labels | None = None) -> None:
        self.labels = labels
        #: the labels as a name-sorted tuple of pairs (optional fast path)
        self.label_key = label_key
        self.timestamps = timestamps
        self.values = values

    @property
    def samples(self) -> list[tuple[int, float]]:
        return list(zip(self.timestamps, self.values, strict=True))


class MemoryStorage:
    """A simple in-memory :class:`Storage`, for tests and as the reference implementation.

    Series are indexed by metric name, so selectors with ``__name__="..."`` only
    scan that metric's series.
    """

    def __init__(self) -> None:
        self._series: dict[Labels, tuple[dict[str, str], list[int], list[float]]] = {}
        self._by_name: dict[str, list[Labels]] = {}

    def add(self, labels: Mapping[str, str] | Labels,
            samples: Iterable[tuple[int, float]]) -> None:
        """Add samples to a series (its labels as a mapping or as :data:`Labels`),
        creating it if needed. A later sample at an existing timestamp replaces the
        earlier one."""
        key = labels_from(labels)
        entry = self._series.get(key)
        if entry is None:
            entry = self._series[key] = (dict(key), [], [])
            self._by_name.setdefault(entry[0].get(NAME, ""), []).append(key)
        _, ts, vs = entry
        for t, v in samples:
            t = int(t)
            if not ts or t > ts[-1]:
                ts.append(t)
                vs.append(float(v))
                continue
            i = bisect_left(ts, t)
            if i < len(ts) and ts[i] == t:
                vs[i] = float(v)
            else:
                ts.insert(i, t)
                vs.insert(i, float(v))

    def clear(self) -> None:
        """Remove every series."""
        self._series.clear()
        self._by_name.clear()

    def __len__(self) -> int:
        return len(self._series)

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> list[MemorySeries]:
        keys: Iterable[Labels] = self._series.keys()
        for m in matchers:
            if m.name == NAME and m.type is MatchType.EQUAL:
                keys = self._by_name.get(m.value, [])
                matchers = [x for x in matchers if x is not m]
                break
        out: list[MemorySeries] = []
        for key in keys:
            lbls, ts, vs = self._series[key]
            if not all(m.matches(lbls.get(m.name, "")) for m in matchers):
                continue
            lo = bisect_left(ts, start_ms)
            hi = bisect_right(ts, end_ms)
            if lo >= hi:
                continue
            out.append(MemorySeries(lbls, ts[lo:hi], vs[lo:hi], key))
        return out
