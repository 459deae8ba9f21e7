"""Ingest: check samples against the limits, then store them; the service's ``SignalHub``.

Every path in (JSON batches, OTLP, scraping) turns its input into
:data:`RawSample` tuples and calls :meth:`SignalHub.ingest`. ``check`` is pure:
it takes the limits and "now" and returns the store keys, or raises one
``Unprocessable``/``LimitExceeded`` listing every problem with its JSON path.
Each rejected request is counted in ``candor_ingest_rejected_total{reason}``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge

from exporters.ingest import IngestResult, SignalBatch
from monitor.clock import Clock
from monitor.config import Settings
from monitor.config.signals import Signals
from monitor.errors import CandorError, FieldProblem, LimitExceeded, Unprocessable
from monitor.promql.labels import COUNTER_SUFFIXES, NAME, Labels, labels_from
from monitor.promql.storage import is_stale
from monitor.signals.store import AppendResult, SeriesStore, StoreLimits

RawSample = tuple[dict[str, str], int, float, str]
"""``(labels with __name__, ts_ms, value, loc)``; ``loc`` is a JSON path for messages."""

_MS = timedelta(milliseconds=1)
_NON_NEGATIVE_SUFFIXES = tuple(s for s in COUNTER_SUFFIXES if s != "_sum")
"""Counter names whose values must be finite and >= 0. Not ``_sum``: a histogram's or
summary's sum goes down when negative values are observed (client libraries allow them)."""
_LIMIT_REASONS = {"labels_per_series", "label_name_length", "label_value_length",
                  "samples_per_request"}


@dataclass(frozen=True)
class Policy:
    """The limits and time window ``check`` applies, in plain values."""

    retention_ms: int
    max_future_ms: int
    max_samples_per_request: int
    max_labels_per_series: int
    max_label_name_length: int
    max_label_value_length: int

    @classmethod
    def from_settings(cls, signals: Signals) -> Policy:
        return cls(
            retention_ms=signals.retention // _MS,
            max_future_ms=signals.max_future // _MS,
            max_samples_per_request=signals.max_samples_per_request,
            max_labels_per_series=signals.max_labels_per_series,
            max_label_name_length=signals.max_label_name_length,
            max_label_value_length=signals.max_label_value_length,
        )


def from_batch(batch: SignalBatch, now_ms: int) -> list[RawSample]:
    """The samples of a JSON batch; batch labels first, a sample's own labels win."""
    out: list[RawSample] = []
    for i, s in enumerate(batch.samples):
        labels = {**batch.labels, **s.labels, "__name__": s.metric}
        ts = s.timestamp_ms if s.timestamp_ms is not None else now_ms
        out.append((labels, ts, s.value, f"$.samples[{i}]"))
    return out


def check(samples: Sequence[RawSample], policy: Policy, now_ms: int,
          known: Callable[[Labels], bool] = lambda key: False) -> list[tuple[Labels, int, float]]:
    """Validate ``samples``; return ``(key, ts, value)`` for the store or raise listing problems.
    Labels of series that ``known`` says are stored already passed and are not re-checked."""
    if len(samples) > policy.max_samples_per_request:
        raise LimitExceeded(
            f"the request holds {len(samples)} samples; at most "
            f"{policy.max_samples_per_request} are accepted per request "
            "(signals.max_samples_per_request); split it into smaller batches",
            extra={"reason": "samples_per_request", "limit": "signals.max_samples_per_request"})
    problems: list[tuple[str, FieldProblem]] = []
    out: list[tuple[Labels, int, float]] = []
    seen: dict[tuple[Labels, int], str] = {}
    oldest = now_ms - policy.retention_ms
    newest = now_ms + policy.max_future_ms
    for labels, ts, value, loc in samples:
        key = labels_from(labels)
        if not known(key):
            for reason, msg in _label_problems(labels, policy):
                problems.append((reason, FieldProblem(f"{loc}.labels", msg)))
        name = labels.get(NAME, "")
        if name.endswith(_NON_NEGATIVE_SUFFIXES) and not (math.isfinite(value) and value >= 0) \
                and not is_stale(value):
            problems.append(("invalid_value", FieldProblem(
                f"{loc}.value", f"{name} is a counter, so its value must be a finite number "
                f">= 0 (got {value!r})")))
        if ts < oldest:
            problems.append(("timestamp_too_old", FieldProblem(
                f"{loc}.timestamp_ms", f"{ts} is older than the retention window "
                f"(signals.retention, earliest accepted {oldest}); send recent samples only")))
        elif ts > newest:
            problems.append(("timestamp_too_new", FieldProblem(
                f"{loc}.timestamp_ms", f"{ts} is more than signals.max_future ahead of "
                f"Candor's clock (latest accepted {newest}); check the sender's clock and that "
                "the timestamp is in milliseconds")))
        earlier = seen.setdefault((key, ts), loc)
        if earlier != loc:
            problems.append(("duplicate_sample", FieldProblem(
                loc, f"same series and timestamp as {earlier}; send one value per timestamp")))
        out.append((key, ts, value))
    if problems:
        reasons = sorted({r for r, _ in problems})
        error = LimitExceeded if set(reasons) & _LIMIT_REASONS else Unprocessable
        detail = f"{len(problems)} problem(s) in the samples, nothing was stored: " + \
            "; ".join(f"{p.loc}: {p.msg}" for _, p in problems[:3])
        raise error(detail, problems=[p for _, p in problems[:50]],
                    extra={"reason": reasons[0], "reasons": reasons})
    return out


def _label_problems(labels: dict[str, str], policy: Policy) -> list[tuple[str, str]]:
    found = []
    if len(labels) > policy.max_labels_per_series:
        found.append(("labels_per_series", f"{len(labels)} labels (with __name__) but at most "
                      f"{policy.max_labels_per_series} are allowed (signals.max_labels_per_series)"))
    for name, value in labels.items():
        if len(name) > policy.max_label_name_length:
            found.append(("label_name_length", f"label name {name[:40]!r}… is {len(name)} "
                          f"characters; the limit is {policy.max_label_name_length} "
                          "(signals.max_label_name_length)"))
        if len(value) > policy.max_label_value_length:
            found.append(("label_value_length", f"value of {name!r} is {len(value)} characters; "
                          f"the limit is {policy.max_label_value_length} "
                          "(signals.max_label_value_length)"))
    return found


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry, store: SeriesStore) -> None:
        self.rejected = Counter(
            "candor_ingest_rejected", "Ingest requests (and scrapes) rejected, by reason.",
            ["reason"], registry=registry)
        self.samples = Counter(
            "candor_ingest_samples", "Samples stored, by source (json, otlp, scrape).",
            ["source"], registry=registry)
        series = Gauge("candor_series_store_series", "Series held by the embedded store.",
                       registry=registry)
        series.set_function(lambda: store.stats()["series"])


class Sink(Protocol):
    """Where checked samples go: the ``SeriesStore``, or a ``RemoteWriter`` to Prometheus."""

    def append(self, samples: Sequence[tuple[Labels, int, float]], *, now_ms: int,
               locs: Sequence[str] | None = None) -> AppendResult: ...


class SignalHub:
    """The service's signals part: the store, the ingest policy and their metrics.

    ``monitor.wiring`` builds the one hub of a running Candor (``open_store`` +
    ``IngestMetrics`` on the service's registry); every ingest path, the rule engine and
    the query API share it. Samples go to ``sink``: the store itself, or in ``[cluster]
    mode = "replicas"`` a ``RemoteWriter`` to Prometheus (the store then stays empty).
    """

    def __init__(self, store: SeriesStore, policy: Policy, metrics: IngestMetrics,
                 clock: Clock, *, sink: Sink | None = None) -> None:
        self.store = store
        self.policy = policy
        self.metrics = metrics
        self.clock = clock
        self.listeners: list[Callable[[frozenset[str]], object]] = []
        """Told the metric names of every accepted ingest (``monitor.rules.fresh``); they
        must return at once."""
        self.sink: Sink = sink if sink is not None else store

    @property
    def forwarding(self) -> bool:
        """True when samples leave Candor (remote write) instead of staying in ``store``."""
        return self.sink is not self.store

    def now_ms(self) -> int:
        return now_ms(self.clock)

    def ingest(self, samples: Sequence[RawSample], *, source: str,
               markers: Sequence[tuple[Labels, int, float]] = ()) -> IngestResult:
        """Check and store ``samples`` all or nothing; count a rejection by its reason.
        ``markers`` (stale markers from scraping) are stored with them, unchecked."""
        now = self.now_ms()
        try:
            # A series the store holds passed the label checks already; a forwarded one is
            # checked every time (the receiver keeps the series).
            known = self.store.known if not self.forwarding else _unknown
            checked = check(samples, self.policy, now, known)
            locs = [s[3] for s in samples] + ["(stale marker)"] * len(markers)
            result = self.sink.append([*checked, *markers], now_ms=now, locs=locs)
        except CandorError as exc:
            self.reject(exc)
            raise
        self.metrics.samples.labels(source).inc(result.accepted)
        if self.listeners and result.accepted:
            names = frozenset(s[0].get("__name__", "") for s in samples)
            for listener in self.listeners:
                listener(names)
        return IngestResult(accepted=result.accepted, series_created=result.series_created)

    def append(self, samples: Sequence[tuple[Labels, int, float]], *, now_ms: int) -> AppendResult:
        """Write samples Candor made itself (scrape health, stale markers), unchecked."""
        return self.sink.append(samples, now_ms=now_ms)

    def reject(self, exc: CandorError) -> None:
        for reason in exc.extra.get("reasons") or [exc.extra.get("reason", "invalid")]:
            self.metrics.rejected.labels(reason).inc()

    def close(self) -> None:
        self.store.close()
        if self.forwarding:
            close = getattr(self.sink, "close", None)
            if close is not None:
                close()


def _unknown(key: Labels) -> bool:
    return False


def open_store(settings: Settings, clock: Clock) -> SeriesStore:
    """The series store ``[signals]`` describes, loaded from ``<storage.data_dir>/series``
    when it is persisted."""
    config = settings.signals
    directory = Path(settings.storage.data_dir) / "series" if config.persist else None
    return SeriesStore(
        retention_ms=config.retention // _MS, directory=directory,
        segment_ms=config.segment_duration // _MS,
        limits=StoreLimits(config.max_series_per_metric, config.max_series),
        now_ms=now_ms(clock))


def now_ms(clock: Clock) -> int:
    return int(clock.now().timestamp() * 1000)
