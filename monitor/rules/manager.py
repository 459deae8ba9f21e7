"""Embedded rule evaluation: load the configured rule files, evaluate each group when it
is due, write the results back into the series store and feed the alert intake.

    manager = RuleManager.from_settings(settings, storage, registry=registry)
    manager.evaluate_due(now=time.time(), sink=send_to_intake)   # from a scheduler job

``storage`` is anything that the PromQL engine can read (``select``) and that takes new
samples (``append``): see :class:`WritableStorage`. A rule that fails is counted and
logged; the other rules and groups keep running. ``monitor.wiring`` builds the service's
manager over the series store and gives it the alert intake as its sink.
"""

from __future__ import annotations

import glob
import logging
import math
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge

from monitor.alerting.identity import Alert
from monitor.config import Settings
from monitor.promql import ast
from monitor.promql.engine import MAX_SAMPLES, Engine
from monitor.promql.storage import Matcher, Series
from monitor.rules.evaluate import GroupState, RuleFailure, evaluate_group, notifications
from monitor.rules.loader import RuleFileError, load_rules, parse_rules
from monitor.rules.models import RuleGroup
from monitor.rules.restore import needs_restore, restore_for_state
from monitor.slo import rules as slo

__all__ = ["AlertSink", "RuleManager", "WritableStorage", "load_groups"]

log = logging.getLogger(__name__)


class WritableStorage(Protocol):
    """A PromQL :class:`~monitor.promql.storage.Storage` that also accepts new samples."""

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> Iterable[Series]: ...

    def append(self, labels: Mapping[str, str], ts_ms: int, value: float) -> None: ...

    # Optional: ``append_many([(labels, ts_ms, value), ...])`` writes a whole evaluation's
    # samples at once; the manager uses it when present.


AlertSink = Callable[[list[Alert]], None]

FRESH_SPACING = 0.1
FRESH_SPACING_MAX_S = 1.0
"""An evaluation for fresh samples (``evaluate_fresh``) waits at least this share of the
group's interval (and at most ``FRESH_SPACING_MAX_S``) after the group's last evaluation:
pushes arriving back to back cost one evaluation, not one each."""

EARLY_SLACK = 0.1
"""A group is due this fraction of its interval before its slot (absorbs scheduler jitter)."""


class _Metrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        by_group = ["rule_group"]
        self.duration = Gauge("candor_rule_group_last_duration_seconds",
                              "How long the last evaluation of the group took.", by_group,
                              registry=registry)
        self.last = Gauge("candor_rule_group_last_evaluation_timestamp_seconds",
                          "When the group was last evaluated (Unix seconds).", by_group,
                          registry=registry)
        self.interval = Gauge("candor_rule_group_interval_seconds",
                              "The group's evaluation interval.", by_group, registry=registry)
        self.rules = Gauge("candor_rule_group_rules", "Rules in the group.", by_group,
                           registry=registry)
        self.iterations = Counter("candor_rule_group_iterations",
                                  "Scheduled evaluations of the group.", by_group,
                                  registry=registry)
        self.missed = Counter("candor_rule_group_iterations_missed",
                              "Evaluations skipped because the previous one ran late.",
                              by_group, registry=registry)
        self.evaluations = Counter("candor_rule_evaluations", "Rule evaluations.", by_group,
                                   registry=registry)
        self.failures = Counter("candor_rule_evaluation_failures",
                                "Rule evaluations that failed.", by_group, registry=registry)
        self.restore = Gauge("candor_rule_group_last_restore_duration_seconds",
                             "How long restoring the group's alerts from ALERTS_FOR_STATE took.",
                             by_group, registry=registry)


@dataclass
class _Scheduled:
    group: RuleGroup
    interval: float
    state: GroupState = field(default_factory=GroupState)
    next_due: float | None = None
    last_failures: list[RuleFailure] = field(default_factory=list)
    until_restore: int = 0
    """Evaluations left before the ``for`` state is restored (Prometheus waits for two:
    recording rules and fresh samples settle first); 0 once done or not needed."""
    reads: frozenset[str] | None = frozenset()
    """The metric names its selectors read; ``None`` when one names none (it may read any)."""
    last_at: float | None = None


def metric_names(group: RuleGroup) -> frozenset[str] | None:
    """The metric names the group's selectors read, or ``None`` when a selector names no
    metric (``{job="x"}``, ``{__name__=~"..."}``): then any fresh sample may matter."""
    names: set[str] = set()
    stack: list[ast.Expr] = [rule.plan.node for rule in group.rules]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.VectorSelector):
            if node.name is None:
                return None
            names.add(node.name)
        stack.extend(ast.children(node))
    return frozenset(names)


class RuleManager:
    """Holds the groups and their state; ``evaluate_due(now)`` runs the ones that are due."""

    def __init__(self, groups: Iterable[RuleGroup], storage: WritableStorage, *,
                 default_interval: float = 5.0, lookback: float = 300.0,
                 max_samples: int = MAX_SAMPLES, delayed_name_removal: bool = False,
                 outage_tolerance: float = 3600.0,
                 grace_period: float = 600.0,
                 external_labels: Mapping[str, str] | None = None, external_url: str = "",
                 registry: CollectorRegistry | None = None,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.storage = storage
        self.engine = Engine(storage, lookback=lookback, max_samples=max_samples,
                             delayed_name_removal=delayed_name_removal)
        self.external_labels = dict(external_labels or {})
        self.external_url = external_url
        self.timer = timer
        self.metrics = _Metrics(registry or CollectorRegistry())
        self.outage_tolerance = outage_tolerance
        self.grace_period = grace_period
        self.groups = [_Scheduled(g, g.interval_s or default_interval,
                                  until_restore=2 if needs_restore(g, grace_period) else 0,
                                  reads=metric_names(g))
                       for g in groups]
        self._lock = threading.Lock()  # the scheduler's ticks and fresh-sample evaluations
        for s in self.groups:
            key = s.group.key
            self.metrics.interval.labels(key).set(s.interval)
            self.metrics.rules.labels(key).set(len(s.group.rules))
            for metric in (self.metrics.missed, self.metrics.failures,
                           self.metrics.evaluations, self.metrics.iterations):
                metric.labels(key)

    @classmethod
    def from_settings(cls, settings: Settings, storage: WritableStorage, *,
                      registry: CollectorRegistry | None = None) -> RuleManager:
        """Load ``settings.engine.rule_files`` (globs) and the ``[[slo]]`` rules; raises
        ``RuleFileError`` on bad files."""
        engine = settings.engine
        groups = load_groups(engine.rule_files) + slo_groups(settings)
        return cls(groups, storage, default_interval=engine.evaluation_interval.total_seconds(),
                   lookback=engine.lookback.total_seconds(), max_samples=engine.max_samples,
                   delayed_name_removal=engine.delayed_name_removal,
                   outage_tolerance=engine.for_outage_tolerance.total_seconds(),
                   grace_period=engine.for_grace_period.total_seconds(),
                   external_labels=engine.external_labels,
                   external_url=settings.server.public_url, registry=registry)

    def evaluate_due(self, now: float, sink: AlertSink | None = None) -> list[Alert]:
        """Evaluate every group whose time has come; returns (and sinks) the alerts to send.

        A group first runs at the first call; afterwards on its interval grid. If calls
        come late, the skipped slots are counted as missed iterations and the group runs
        once, at ``now``. A call up to :data:`EARLY_SLACK` of an interval before the slot
        counts as on time: a scheduler ticking at the group's own interval jitters by a
        few milliseconds either way, and without the slack every early tick would skip
        a whole interval (a 1s group then ran only about 7 times in 10s)."""
        sent: list[Alert] = []
        with self._lock:
            for s in self.groups:
                if s.next_due is not None and now < s.next_due - EARLY_SLACK * s.interval:
                    continue
                if s.next_due is not None:
                    missed = max(0, int(math.floor((now - s.next_due) / s.interval)))
                    if missed > 0:
                        self.metrics.missed.labels(s.group.key).inc(missed)
                    s.next_due += (missed + 1) * s.interval
                else:
                    s.next_due = now + s.interval
                sent.extend(self._evaluate(s, now))
        if sent and sink is not None:
            sink(sent)
        return sent

    def evaluate_fresh(self, names: Collection[str], now: float,
                       sink: AlertSink | None = None) -> list[Alert]:
        """Evaluate now, at ``now``, each running group that reads a metric in ``names``
        (samples of them just arrived) instead of at its next tick.

        What "now" means for Prometheus's semantics: the evaluation is the group's next
        one, brought forward: it runs at ``now`` with ``now`` as its evaluation timestamp
        (recording rules write their samples at ``now``; ``ALERTS`` too), and the group's
        next tick moves to ``now + interval`` (the interval between evaluations never grows;
        it shrinks once, to no less than ``FRESH_SPACING`` of it or a second). ``for`` is
        unchanged: an alert fires at the first evaluation at least ``for`` after its
        ``activeAt``, early or not, so a ``for: 1m`` alert still waits a minute of pending
        evaluations; with ``for: 0s`` it fires at the evaluation that first sees the
        condition, which is now the one the samples triggered. Groups not started yet,
        restoring their ``for`` state, or evaluated less than ``FRESH_SPACING`` of an
        interval (at most a second) ago wait for their tick. Rule unit tests (promtool)
        and promqltest never come through here."""
        sent: list[Alert] = []
        with self._lock:
            for s in self.groups:
                if s.next_due is None or s.last_at is None or s.until_restore:
                    continue
                if now - s.last_at < min(FRESH_SPACING * s.interval, FRESH_SPACING_MAX_S):
                    continue
                if s.reads is not None and s.reads.isdisjoint(names):
                    continue
                s.next_due = now + s.interval
                sent.extend(self._evaluate(s, now))
        if sent and sink is not None:
            sink(sent)
        return sent

    def _evaluate(self, s: _Scheduled, now: float) -> list[Alert]:
        key = s.group.key
        s.last_at = now
        started = self.timer()
        result = evaluate_group(s.group, self.engine, now, s.state,
                                external_labels=self.external_labels,
                                external_url=self.external_url,
                                alert_series=s.until_restore == 0)
        s.state = result.state
        if s.until_restore:
            s.until_restore -= 1
            if not s.until_restore:
                self._restore(s, now)
        append_many = getattr(self.storage, "append_many", None)
        if append_many is not None:
            append_many([(dict(sample.labels), sample.t_ms, sample.value)
                         for sample in result.samples])
        else:
            for sample in result.samples:
                self.storage.append(dict(sample.labels), sample.t_ms, sample.value)
        s.last_failures = result.failures
        for failure in result.failures:
            log.warning("rule %r in group %r failed: %s", failure.rule, s.group.name,
                        failure.message)
        self.metrics.iterations.labels(key).inc()
        self.metrics.evaluations.labels(key).inc(len(s.group.rules))
        self.metrics.failures.labels(key).inc(len(result.failures))
        self.metrics.duration.labels(key).set(self.timer() - started)
        self.metrics.last.labels(key).set(now)
        return notifications(result.transitions, external_labels=self.external_labels,
                             generator_url=self.external_url)

    def _restore(self, s: _Scheduled, now: float) -> None:
        started = self.timer()
        restored = restore_for_state(s.group, s.state, self.storage, now - s.group.query_offset_s,
                                     outage_tolerance_s=self.outage_tolerance,
                                     grace_period_s=self.grace_period)
        self.metrics.restore.labels(s.group.key).set(self.timer() - started)
        if restored:
            log.info("restored the 'for' state of %d alert(s) in group %r", restored,
                     s.group.name)

    def status(self) -> list[dict[str, object]]:
        """Per group: name, file, interval, last evaluation and last failures (for APIs)."""
        return [{"name": s.group.name, "file": s.group.source, "interval": s.interval,
                 "last_evaluation": s.state.last_evaluation,
                 "failures": [f.__dict__ for f in s.last_failures]} for s in self.groups]


def load_groups(patterns: Iterable[str]) -> list[RuleGroup]:
    """Every group of every file matching the globs, in order; errors from all files at once."""
    groups: list[RuleGroup] = []
    problems = []
    for pattern in patterns:
        paths = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        for path in paths:
            try:
                groups.extend(load_rules(path).groups)
            except RuleFileError as exc:
                problems.extend(exc.problems)
    if problems:
        raise RuleFileError(problems)
    return groups


def slo_groups(settings: Settings) -> list[RuleGroup]:
    """The configured SLOs' rule groups (``monitor.slo`` writes them), parsed like any rule
    file (``file`` is ``monitor.slo.rules.SOURCE``). Add them to the groups of the rule files."""
    slos = list(settings.slo)
    if not slos:
        return []
    rule_file, problems = parse_rules(slo.render(slos), slo.SOURCE)
    errors = [p for p in problems if not p.warning]
    if errors:  # the config validators should make this impossible
        raise RuleFileError(errors)
    return rule_file.groups
