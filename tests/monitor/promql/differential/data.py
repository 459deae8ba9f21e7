"""The synthetic series both engines read: counters with resets and gaps, gauges that go
negative, odd values (NaN, infinities, negative zero, huge and tiny), a classic histogram
and a malformed one, and label values with quotes, backslashes, newlines and non-ASCII text.

The data is fixed (its own seed), an hour long from :data:`T0`. Sample timestamps are
multiples of 250 ms, so they survive the OpenMetrics text exactly (Prometheus reads the
seconds as a float and truncates ``ts * 1000``); the counters and ``up`` sit on an exact
15 s grid from ``T0`` (the grid mode's left-window boundaries land on them), the other
series are jittered.

    series = dataset()
    path.write_text(openmetrics(series))   # for `promtool tsdb create-blocks-from openmetrics`
    store = series_store(series)           # the same samples in Candor's series store
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from monitor.promql.labels import labels_from
from monitor.signals.store import SeriesStore

T0_MS = 1_700_000_000_000
"""The first sample's time (ms); the data spans :data:`SPAN_MS` from here."""
T0 = T0_MS // 1000
SPAN_MS = 3_600_000
DATA_SEED = 18

#: Label values that stress quoting and regex matching.
ODD_PATHS = ["/a b", 'quote"q', "back\\slash", "new\nline", "ünïcödé ✓", "{}=,", "x" * 60]


@dataclass
class Series:
    labels: dict[str, str]
    samples: list[tuple[int, float]] = field(default_factory=list)  # (ms, value)


def _times(rng: random.Random, interval_s: float, *, jitter: bool, start_s: float = 0,
           end_s: float = SPAN_MS / 1000,
           gaps: Sequence[tuple[float, float]] | None = None) -> Iterator[int]:
    """Sample times (ms, multiples of 250) every ``interval_s`` from ``start_s`` to
    ``end_s`` (seconds after T0), skipping the ``gaps``."""
    t = start_s
    while t <= end_s:
        ms = round(t * 1000)
        if jitter:
            ms += rng.randrange(-4, 5) * 250
        ms = max(0, ms - ms % 250)
        if not any(lo <= ms / 1000 < hi for lo, hi in gaps or []):
            yield T0_MS + ms
        t += interval_s


def _dedupe(samples: list[tuple[int, float]]) -> list[tuple[int, float]]:
    out: list[tuple[int, float]] = []
    for t, v in samples:
        if not out or t > out[-1][0]:
            out.append((t, v))
    return out


def _counters(rng: random.Random) -> list[Series]:
    out: list[Series] = []
    shapes = [  # (start_s, end_s, gaps, reset every ~n samples)
        (0, 3600, [], 0), (0, 3600, [(900, 1020)], 60), (1200, 3600, [], 0),
        (0, 2400, [], 45), (0, 3600, [(1500, 2000)], 0), (0, 3600, [], 20),
        (300, 3300, [(600, 630)], 0), (0, 3600, [], 100)]
    labelsets = [{"job": job, "instance": inst, "code": code}
                 for job in ("api", "web") for inst in ("a:80", "b:80") for code in ("200", "500")]
    for labels, (start, end, gaps, reset) in zip(labelsets, shapes, strict=True):
        total = float(rng.randrange(0, 50))
        samples = []
        for i, t in enumerate(_times(rng, 15, jitter=False, start_s=start, end_s=end,
                                     gaps=gaps)):
            if reset and i and i % reset == 0:
                total = float(rng.randrange(0, 3))
            else:
                total += rng.choice([0, 0, 1, 2, 3, 5, 8, 13, 0.5])
            samples.append((t, total))
        out.append(Series({"__name__": "http_requests_total", **labels}, samples))
    return out


def _gauges(rng: random.Random) -> list[Series]:
    out: list[Series] = []
    for sensor, room, interval in [("x", "lab", 10), ("y", "lab", 30), ("z", "hall", 15),
                                   ("w", "hall", 60)]:
        v = rng.uniform(-20, 20)
        samples = []
        for t in _times(rng, interval, jitter=True, gaps=[(2000, 2450)] if sensor == "w" else []):
            v += rng.choice([-3.5, -1, -0.25, 0, 0, 0.25, 1, 2.75])
            samples.append((t, round(v, 2)))
        if sensor == "x":  # exact zeros of both signs
            samples[10] = (samples[10][0], 0.0)
            samples[11] = (samples[11][0], -0.0)
        out.append(Series({"__name__": "temperature", "sensor": sensor, "room": room},
                          _dedupe(samples)))
    return out


def _odd(rng: random.Random) -> list[Series]:
    """``odd_value{path=...}``: unusual labels, and values Prometheus handles specially."""
    specials = [math.nan, math.inf, -math.inf, 1e308, -1e-300, 0.0, -0.0, 2.5, -7.0, 1e15]
    out = []
    for i, path in enumerate(ODD_PATHS):
        samples = []
        for j, t in enumerate(_times(rng, 20, jitter=True, start_s=i * 7)):
            if (i + j) % 9 == 0:
                v = specials[(i + j // 9) % len(specials)]
            else:
                v = round(rng.uniform(-100, 100), 3)
            samples.append((t, v))
        out.append(Series({"__name__": "odd_value", "path": path, "kind": "odd" if i % 2 else
                           "even"}, _dedupe(samples)))
    return out


BUCKETS = ["0.05", "0.1", "0.5", "1", "5", "+Inf"]


def _histogram(rng: random.Random, name: str, job: str, *, malformed: bool) -> list[Series]:
    """A classic histogram's ``_bucket``/``_sum``/``_count`` series. Malformed: the
    counts are not monotonic in ``le``, and one set lacks the ``+Inf`` bucket."""
    bounds = BUCKETS[:-1] if malformed and job == "web" else BUCKETS
    counts = [0.0] * len(BUCKETS)
    total_sum = 0.0
    buckets: list[list[tuple[int, float]]] = [[] for _ in bounds]
    sums: list[tuple[int, float]] = []
    cnts: list[tuple[int, float]] = []
    for i, t in enumerate(_times(rng, 15, jitter=False, gaps=[(2700, 2760)])):
        if i == 150 and job == "api":  # a restart: every counter starts over
            counts = [0.0] * len(BUCKETS)
            total_sum = 0.0
        for _ in range(rng.randrange(0, 6) if i > 20 else 0):  # the lowest bucket stays 0 at first
            obs = rng.choice([0.01, 0.07, 0.3, 0.8, 2.0, 9.0])
            total_sum += obs
            for b, bound in enumerate(BUCKETS):
                if obs <= float(bound):
                    counts[b] += 1
        for b in range(len(bounds)):
            value = counts[b]
            if malformed and b == 2:
                value += 3  # more than the next bucket: not monotonic
            buckets[b].append((t, value))
        sums.append((t, round(total_sum, 2)))
        cnts.append((t, counts[-1]))
    out = [Series({"__name__": f"{name}_bucket", "job": job, "le": bound}, buckets[b])
           for b, bound in enumerate(bounds)]
    out.append(Series({"__name__": f"{name}_sum", "job": job}, sums))
    out.append(Series({"__name__": f"{name}_count", "job": job}, cnts))
    return out


def _up(rng: random.Random) -> list[Series]:
    out = []
    for job, inst in [("api", "a:80"), ("api", "b:80"), ("web", "a:80")]:
        samples = [(t, 0.0 if 1500 <= (t - T0_MS) / 1000 < 1700 and inst == "b:80" else 1.0)
                   for t in _times(rng, 15, jitter=False)]
        out.append(Series({"__name__": "up", "job": job, "instance": inst}, samples))
    return out


def dataset() -> list[Series]:
    """Every series, in a fixed order, from :data:`DATA_SEED`."""
    rng = random.Random(DATA_SEED)
    series = [*_counters(rng), *_gauges(rng), *_odd(rng), *_up(rng)]
    for job in ("api", "web"):
        series += _histogram(rng, "request_seconds", job, malformed=False)
        series += _histogram(rng, "broken_seconds", job, malformed=True)
    series.append(Series({"__name__": "job:requests:rate5m", "job": "api"},
                         [(T0_MS + i * 60_000, i * 0.5) for i in range(61)]))
    return series


# ---- writing ---------------------------------------------------------------------------


def _om_float(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v)


def _om_escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def openmetrics(series: list[Series]) -> str:
    """The series as OpenMetrics text (every family ``unknown``, one series after the
    other), ended by ``# EOF``."""
    lines: list[str] = []
    for s in sorted(series, key=lambda s: s.labels["__name__"]):  # a family's lines together
        name = s.labels["__name__"]
        labels = ",".join(f'{k}="{_om_escape(v)}"' for k, v in sorted(s.labels.items())
                          if k != "__name__")
        head = f"{name}{{{labels}}}" if labels else name
        for t, v in s.samples:
            lines.append(f"{head} {_om_float(v)} {t // 1000}.{t % 1000:03d}")
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


def series_store(series: list[Series]) -> SeriesStore:
    """Candor's series store (in memory) holding the same samples."""
    end = max(t for s in series for t, _ in s.samples)
    store = SeriesStore(retention_ms=100 * 86_400_000, now_ms=end)
    for s in series:
        key = labels_from(s.labels)
        store.append([(key, t, v) for t, v in s.samples], now_ms=end)
    return store
