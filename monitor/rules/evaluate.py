"""Evaluate one rule group at one instant, exactly as Prometheus's rule manager does.

    result = evaluate_group(group, engine, t=1_700_000_000.0, state=GroupState())
    result.samples       # recording-rule output, ALERTS / ALERTS_FOR_STATE, stale markers
    result.transitions   # alert state changes, e.g. pending -> firing
    result.state         # give it back on the next call

Pure: time and the previous state are passed in, nothing is written anywhere. Rules of a
group see the output of the rules before them at the same instant (as in Prometheus,
where each rule's samples are committed before the next rule runs).

Alert states, as Prometheus computes them::

    (no alert) --expr returns the series--> PENDING --held `for`--> FIRING
    PENDING  --series gone--> dropped (never notified)
    FIRING   --series gone, `keep_firing_for` elapsed--> INACTIVE (resolved; kept 15m)
    INACTIVE --series back--> PENDING (a new alert)
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import NamedTuple

from monitor.alerting.identity import Alert, AlertStatus
from monitor.promql.engine import Engine
from monitor.promql.errors import PromQLError
from monitor.promql.labels import NAME, Labels, label_get, labels_from
from monitor.promql.storage import (
    STALE_NAN,
    Matcher,
    MatchType,
    Rows,
    Series,
    Storage,
    Window,
    WindowStorage,
    rows_of,
)
from monitor.promql.value import Sample, Scalar, Vector
from monitor.rules import template
from monitor.rules.models import AlertingRule, RecordingRule, Rule, RuleGroup

__all__ = ["RESOLVED_RETENTION_S", "ActiveAlert", "AlertState", "GroupEvaluation",
           "GroupState", "RuleFailure", "Transition", "evaluate_group", "notifications"]

RESOLVED_RETENTION_S = 15 * 60.0
"""How long a resolved alert stays in the state (and is reported as resolved)."""


class AlertState(StrEnum):
    INACTIVE = "inactive"
    PENDING = "pending"
    FIRING = "firing"


@dataclass
class ActiveAlert:
    labels: dict[str, str]
    annotations: dict[str, str]
    state: AlertState
    active_at: float
    value: float
    fired_at: float | None = None
    resolved_at: float | None = None
    keep_firing_since: float | None = None


@dataclass
class GroupState:
    """What a group remembers between evaluations (per rule index)."""

    alerts: dict[int, dict[Labels, ActiveAlert]] = field(default_factory=dict)
    series: dict[int, set[Labels]] = field(default_factory=dict)
    last_evaluation: float | None = None


@dataclass(frozen=True)
class Transition:
    rule: str
    labels: dict[str, str]
    previous: AlertState
    current: AlertState
    at: float
    value: float
    annotations: dict[str, str]
    active_at: float
    fired_at: float | None = None


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    index: int
    message: str


class GroupEvaluation(NamedTuple):
    state: GroupState
    samples: list[Sample]
    """Recording-rule output, ``ALERTS`` / ``ALERTS_FOR_STATE`` and stale markers for
    series no longer produced, stamped with the evaluation time."""
    transitions: list[Transition]
    failures: list[RuleFailure]


@dataclass(frozen=True)
class _Series:
    labels: Mapping[str, str]
    samples: list[tuple[int, float]]


class _Overlay:
    """The engine's storage plus the samples this evaluation has produced so far.

    Produced samples are kept by metric name, so a selector naming its metric (nearly
    all do) only looks at that metric's new samples: with 1,000 rules and a few hundred
    ALERTS samples, checking every new sample against every selector dominated a group's
    evaluation."""

    def __init__(self, base: Storage) -> None:
        self.base = base
        self.extra: dict[str, dict[Labels, list[tuple[int, float]]]] = {}
        self._fast_base = base if isinstance(base, WindowStorage) else None

    def add(self, sample: Sample) -> None:
        by_name = self.extra.setdefault(label_get(sample.labels, NAME), {})
        by_name.setdefault(sample.labels, []).append((sample.t_ms, sample.value))

    def _produced(self, matchers: list[Matcher], start_ms: int,
                  end_ms: int) -> list[tuple[Labels, dict[str, str], list[tuple[int, float]]]]:
        """This evaluation's samples matching ``matchers`` within the window, per series."""
        mine: list[tuple[Labels, dict[str, str], list[tuple[int, float]]]] = []
        if not self.extra:
            return mine
        candidates: Iterable[tuple[Labels, list[tuple[int, float]]]]
        for m in matchers:
            if m.name == NAME and m.type is MatchType.EQUAL:
                by_name = self.extra.get(m.value)
                if not by_name:
                    return mine
                candidates = by_name.items()
                break
        else:
            candidates = [item for by_name in self.extra.values() for item in by_name.items()]
        for key, points in candidates:
            labels = dict(key)
            if not all(m.matches(labels.get(m.name, "")) for m in matchers):
                continue
            inside = [p for p in points if start_ms <= p[0] <= end_ms]
            if inside:
                mine.append((key, labels, inside))
        return mine

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> Iterable[Series]:
        base = self.base.select(matchers, start_ms, end_ms)
        mine = self._produced(matchers, start_ms, end_ms)
        return _merge(base, mine) if mine else base

    def select_rows(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> list[Rows]:
        """The engine's fast path: the base storage's ``select_rows`` when it has one and
        this evaluation produced nothing the selector sees; else :meth:`select`, converted
        and sorted by labels."""
        mine = self._produced(matchers, start_ms, end_ms)
        fast = self._fast_base
        if fast is not None and not mine:
            return fast.select_rows(matchers, start_ms, end_ms)
        base = self.base.select(matchers, start_ms, end_ms)
        rows = rows_of(_merge(base, mine) if mine else base)
        rows.sort(key=_row_labels)
        return rows

    def select_windows(self, matchers: list[Matcher], start_ms: int,
                       end_ms: int) -> list[Rows | Window]:
        """The base storage's ``select_windows`` when it has one and this evaluation
        produced nothing the selector sees; else :meth:`select_rows`."""
        fast = self._fast_base
        if fast is not None and not self._produced(matchers, start_ms, end_ms):
            return fast.select_windows(matchers, start_ms, end_ms)
        return list(self.select_rows(matchers, start_ms, end_ms))


def _row_labels(row: Rows) -> Labels:
    return row.labels


def _merge(base: Iterable[Series], mine: list[tuple[Labels, dict[str, str],
           list[tuple[int, float]]]]) -> list[Series]:
    found: dict[Labels, Series] = {labels_from(s.labels): s for s in base}
    for key, labels, inside in mine:
        old = found.get(key)
        merged = dict(old.samples) if old is not None else {}
        merged.update(inside)
        found[key] = _Series(labels, sorted(merged.items()))
    return list(found.values())


def _query(engine: Engine, rule: Rule, t: float) -> list[tuple[dict[str, str], float]]:
    value = engine.instant(rule.plan, t)
    if isinstance(value, Vector):
        return [(dict(s.labels), s.value) for s in value] if value else []
    if isinstance(value, Scalar):
        return [({}, value.value)]
    raise PromQLError("rule result is not a vector or scalar")


def _recording(rule: RecordingRule, engine: Engine, t: float, limit: int) -> list[Sample]:
    out: list[Sample] = []
    seen: set[Labels] = set()
    t_ms = round(t * 1000)
    for labels, value in _query(engine, rule, t):
        labels[NAME] = rule.record
        for k, v in rule.labels.items():
            labels[k] = v
        key = labels_from(labels)
        if key in seen:
            raise PromQLError("vector contains metrics with the same labelset after applying "
                              "rule labels")
        seen.add(key)
        out.append(Sample(key, value, t_ms))
    if limit > 0 and len(out) > limit:
        raise PromQLError(f"exceeded limit of {limit} with {len(out)} series")
    return out


@functools.lru_cache(maxsize=4096)
def _parsed(text: str, name: str) -> template.Template:
    """Rule templates are fixed text: parse each once (errors are not cached)."""
    return template.parse(text, name)


def _expand(text: str, name: str, labels: dict[str, str], value: float,
            external_labels: Mapping[str, str], external_url: str) -> str:
    if "{{" not in text:  # no action: Go's text/template outputs the text as it is
        return text
    try:
        # What template.render does, with the parse cached.
        return _parsed(text, f"__alert_{name}").execute({
            "Labels": dict(labels), "ExternalLabels": dict(external_labels),
            "ExternalURL": external_url, "Value": float(value)})
    except template.TemplateError as exc:
        return f"<error expanding template: {exc}>"


def _alerting(rule: AlertingRule, engine: Engine, t: float, limit: int,
              active: dict[Labels, ActiveAlert], external_labels: Mapping[str, str],
              external_url: str, transitions: list[Transition]) -> list[Sample]:
    results = _query(engine, rule, t)
    if not results and not active:  # the usual case: nothing pending, firing or resolved
        return []
    fresh: dict[Labels, ActiveAlert] = {}
    for metric, value in results:
        metric.pop(NAME, None)
        labels = dict(metric)
        for k, v in rule.labels.items():
            labels[k] = _expand(v, rule.alert, metric, value, external_labels, external_url)
        labels["alertname"] = rule.alert
        labels = {k: v for k, v in labels.items() if v != ""}
        annotations = {k: _expand(v, rule.alert, metric, value, external_labels, external_url)
                       for k, v in rule.annotations.items()}
        key = labels_from(labels)
        if key in fresh:
            raise PromQLError("vector contains metrics with the same labelset after applying "
                              "alert labels")
        fresh[key] = ActiveAlert(labels, annotations, AlertState.PENDING, t, value)

    for key, alert in fresh.items():
        old = active.get(key)
        if old is not None and old.state is not AlertState.INACTIVE:
            old.value, old.annotations = alert.value, alert.annotations
            continue
        active[key] = alert
        previous = old.state if old is not None else AlertState.INACTIVE
        transitions.append(_transition(rule, alert, previous, t))

    out: list[Sample] = []
    t_ms = round(t * 1000)
    pending_or_firing = 0
    for key in list(active):
        a = active[key]
        if key not in fresh:
            keep_firing = False
            if a.state is AlertState.FIRING and rule.keep_firing_for_s > 0:
                if a.keep_firing_since is None:
                    a.keep_firing_since = t
                if t - a.keep_firing_since < rule.keep_firing_for_s:
                    keep_firing = True
            if a.state is AlertState.PENDING or (
                    a.resolved_at is not None and t - a.resolved_at > RESOLVED_RETENTION_S):
                del active[key]
            if a.state is not AlertState.INACTIVE and not keep_firing:
                previous = a.state
                a.state = AlertState.INACTIVE
                a.resolved_at = t
                transitions.append(_transition(rule, a, previous, t))
            if not keep_firing:
                continue
        else:
            a.keep_firing_since = None
        pending_or_firing += 1
        if a.state is AlertState.PENDING and t - a.active_at >= rule.for_s:
            a.state = AlertState.FIRING
            a.fired_at = t
            transitions.append(_transition(rule, a, AlertState.PENDING, t))
        out.append(Sample(labels_from({**a.labels, NAME: "ALERTS",
                                       "alertstate": a.state.value}), 1.0, t_ms))
        out.append(Sample(labels_from({**a.labels, NAME: "ALERTS_FOR_STATE"}),
                          float(int(a.active_at)), t_ms))
    if limit > 0 and pending_or_firing > limit:
        active.clear()
        raise PromQLError(f"exceeded limit of {limit} with {pending_or_firing} alerts")
    return out


def _transition(rule: AlertingRule, a: ActiveAlert, previous: AlertState, t: float) -> Transition:
    return Transition(rule.alert, dict(a.labels), previous, a.state, t, a.value,
                      dict(a.annotations), a.active_at, a.fired_at)


def _copy_state(state: GroupState) -> GroupState:
    """A copy the evaluation may change (``copy.deepcopy`` cost ~15 ms with 100 alerts)."""
    return GroupState(
        alerts={i: {k: dataclasses.replace(a, labels=dict(a.labels),
                                           annotations=dict(a.annotations))
                    for k, a in by_key.items()} for i, by_key in state.alerts.items() if by_key},
        series=dict(state.series),  # each rule's set is replaced, never changed
        last_evaluation=state.last_evaluation)


def evaluate_group(group: RuleGroup, engine: Engine, t: float, state: GroupState | None = None,
                   *, external_labels: Mapping[str, str] | None = None,
                   external_url: str = "", alert_series: bool = True) -> GroupEvaluation:
    """Evaluate every rule of ``group`` at ``t`` (Unix seconds, minus the group's
    ``query_offset``). A failing rule is reported in ``failures``; the others still run.
    ``alert_series=False`` leaves out the ``ALERTS``/``ALERTS_FOR_STATE`` samples (while
    the ``for`` state waits to be restored: see :mod:`monitor.rules.restore`)."""
    new = _copy_state(state) if state is not None else GroupState()
    t = t - group.query_offset_s
    overlay = _Overlay(engine.storage)
    scoped = Engine(overlay, lookback=engine.lookback_ms / 1000,
                    subquery_step=engine.subquery_step_ms / 1000, max_samples=engine.max_samples,
                    delayed_name_removal=engine.delayed_name_removal)
    samples: list[Sample] = []
    transitions: list[Transition] = []
    failures: list[RuleFailure] = []
    ext = dict(external_labels or {})
    t_ms = round(t * 1000)
    for i, rule in enumerate(group.rules):
        try:
            if isinstance(rule, RecordingRule):
                produced = _recording(rule, scoped, t, group.limit)
            else:
                produced = _alerting(rule, scoped, t, group.limit, new.alerts.setdefault(i, {}),
                                     ext, external_url, transitions)
                if not alert_series:
                    produced = []
        except (PromQLError, RecursionError, ValueError, ZeroDivisionError, OverflowError) as exc:
            failures.append(RuleFailure(rule.name, i, str(exc)))
            continue
        before = new.series.get(i)
        if not produced and not before:
            continue
        now_keys = {s.labels for s in produced}
        for key in sorted(before - now_keys) if before else ():
            produced.append(Sample(key, STALE_NAN, t_ms))
        new.series[i] = now_keys
        for s in produced:
            overlay.add(s)
        samples.extend(produced)
    new.last_evaluation = t
    return GroupEvaluation(new, samples, transitions, failures)


def firing_alerts(state: GroupState) -> Iterable[ActiveAlert]:
    """Every alert of the group that is firing now."""
    for alerts in state.alerts.values():
        for a in alerts.values():
            if a.state is AlertState.FIRING:
                yield a


def _dt(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def notifications(transitions: Iterable[Transition], *, external_labels: Mapping[str, str]
                  | None = None, generator_url: str = "") -> list[Alert]:
    """Candor intake alerts for the transitions that Alertmanager would hear about:
    an alert starting to fire, and a firing alert resolving. Pending is never sent;
    external labels are added to the alert labels, as Prometheus's notifier does."""
    out: list[Alert] = []
    ext = dict(external_labels or {})
    for tr in transitions:
        labels = {**ext, **tr.labels}
        if tr.current is AlertState.FIRING:
            out.append(Alert(labels, tr.annotations, starts_at=_dt(tr.fired_at or tr.at),
                             generator_url=generator_url, status=AlertStatus.FIRING))
        elif tr.current is AlertState.INACTIVE and tr.previous is AlertState.FIRING:
            out.append(Alert(labels, tr.annotations, starts_at=_dt(tr.fired_at or tr.active_at),
                             ends_at=_dt(tr.at), generator_url=generator_url,
                             status=AlertStatus.RESOLVED))
    return out
