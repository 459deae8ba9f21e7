"""The triggering signal of an incident, read from the series store for its chart.

    source = SignalSource(EmbeddedSource(storage), groups)   # any monitor.promsource Queryable
    found = source.find(session, incident, now=now)          # Found | None

Which signal: the alert that opened the incident (``alertname`` of its first
attached alert, else of its first ``alert.attached`` event, else the incident's
``alertname`` label) is looked up in the loaded rule groups, and the rule's
``expr`` is evaluated with the embedded PromQL engine over
``[impact start − 15m, (resolved or now) + 5m]`` at a step giving at most
``MAX_POINTS`` points. A trailing comparison with a number (``… > 0.05``) is
taken off, so the chart shows the signal on both sides of the threshold (drawn
as a line), not only the points above it. Without such a rule (or data for it)
the ``ALERTS{alertname="…"}`` series is charted; without that either, ``None``:
the report says "no signal data".

``live_source(settings, store, manager)`` is the server's source (the live store or,
in prometheus mode, Prometheus; the rules the service evaluates): ``monitor.wiring``
provides it to the API. ``from_settings(settings)`` is the CLI's: in embedded mode
it reads the store's segment files read-only into memory, without the compaction and
torn-tail repair the server does on open, so it is safe next to a running server.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from monitor.alerting.service import alerts_of
from monitor.clock import utc
from monitor.config import Settings
from monitor.errors import CandorError
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.promql import MemoryStorage
from monitor.promql.storage import Storage
from monitor.promsource import EmbeddedSource, PrometheusClient, Queryable, RangeSeries, signal_source
from monitor.rules.manager import RuleManager, load_groups, slo_groups
from monitor.rules.models import RuleGroup
from monitor.rules.template import TemplateError
from monitor.rules.template import render as render_template
from monitor.signals.store import read_snapshot
from monitor.verification.signal import pick, rule_for, split_threshold
from postmortem.chartdata import titles_from, unit_of
from postmortem.timeline import key_figures

log = logging.getLogger("candor.postmortem.signal")

BEFORE = timedelta(minutes=15)
AFTER = timedelta(minutes=5)
MAX_POINTS = 240
STEPS = (15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 86400)


@dataclass(frozen=True)
class Found:
    name: str
    points: list[tuple[datetime, float]]
    threshold: float | None = None
    titles: dict[str, str] = field(default_factory=dict)  # lang -> what the alert means
    unit: str = "value"


def window(impact: datetime, resolved: datetime | None, now: datetime) -> tuple[datetime, datetime, float]:
    """``(start, end, step seconds)`` of the chart: 15 min before impact to 5 min after the end."""
    start, end = impact - BEFORE, (resolved or now) + AFTER
    span = max((end - start).total_seconds(), 1.0)
    step = next((s for s in STEPS if span / s <= MAX_POINTS), STEPS[-1])
    return start, end, float(step)


def points(series: RangeSeries) -> list[tuple[datetime, float]]:
    return [(datetime.fromtimestamp(t, tz=UTC), v) for t, v in series.points if math.isfinite(v)]


def _alert(session: Session, incident: Any) -> tuple[str, dict[str, str], dict[str, str]]:
    """The alert that opened the incident: its name, labels and annotations (as it fired)."""
    for record in alerts_of(session, incident):
        name = record.name or record.labels.get("alertname", "")
        if name:
            return name, dict(record.labels), dict(record.annotations)
    for event in incidents.events(session, incident):
        if event.type == EventType.ALERT_ATTACHED and event.payload.get("alertname"):
            return (str(event.payload["alertname"]), dict(event.payload.get("labels") or {}),
                    dict(event.payload.get("annotations") or {}))
    labels = dict(getattr(incident, "labels", None) or {})
    return labels.get("alertname", ""), labels, {}


def _titles(rule: Any, labels: Mapping[str, str], annotations: Mapping[str, str],
            found: RangeSeries) -> dict[str, str]:
    """What the alert means, per language: the summary it fired with, else the rule's summary
    expanded with the alert's labels and the signal's peak (``$value``)."""
    titles = titles_from(annotations)
    if titles or rule is None:
        return titles
    peak = max((v for _, v in found.points if math.isfinite(v)), default=0.0)
    expanded = {}
    for key, text in getattr(rule, "annotations", {}).items():
        try:
            expanded[key] = render_template(text, {**found.labels, **labels}, peak)
        except TemplateError:
            continue
    return titles_from(expanded)


class SignalSource:
    """Finds and evaluates an incident's triggering signal (see the module docstring).

    ``queryable`` answers PromQL (``monitor.promsource``: the embedded engine or a real
    Prometheus); ``groups`` are the rule groups to look the alert up in."""

    def __init__(self, queryable: Queryable, groups: Sequence[Any]) -> None:
        self.queryable = queryable
        self.groups = list(groups)

    def close(self) -> None:
        """Release a Prometheus client's connections (nothing to do for the embedded engine)."""
        close = getattr(self.queryable, "close", None)
        if close is not None:
            close()

    def rule(self, alertname: str) -> Any | None:
        return rule_for(self.groups, alertname)

    def evaluate(self, alertname: str, labels: Mapping[str, str], start: datetime, end: datetime,
                 step: float, annotations: Mapping[str, str] | None = None) -> Found | None:
        """The rule's signal, else ``ALERTS``; ``None`` when neither has data in the window."""
        rule = self.rule(alertname)
        tries: list[tuple[str, str, float | None]] = []
        if rule is not None:
            expr, threshold = split_threshold(rule.expr)
            tries.append((f"{alertname}: {' '.join(expr.split())}", expr, threshold))
        selector = f'ALERTS{{alertname="{_escape(alertname)}"}}'
        tries.append((f"{selector} (1 = pending or firing)", selector, None))
        for name, expr, threshold in tries:
            try:
                found = self.queryable.query_range(expr, start.timestamp(), end.timestamp(), step)
            except CandorError as exc:
                log.warning("chart for %s: %s failed: %s", alertname, expr, exc)
                continue
            series = pick(found, labels)
            if series is not None:
                return Found(name, points(series), threshold,
                             _titles(rule, labels, annotations or {}, series), unit_of(expr))
        return None

    def find(self, session: Session, incident: Any, *, now: datetime) -> Found | None:
        alertname, labels, annotations = _alert(session, incident)
        if not alertname:
            return None
        events = incidents.events(session, incident)
        figures = key_figures(events) if events else None
        impact = (figures and (figures.impact_started_at or figures.detected_at)) or \
            utc(incident.created_at)
        start, end, step = window(impact, figures.resolved_at if figures else None, utc(now))
        return self.evaluate(alertname, labels, start, end, step, annotations)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


# ---- building a source -------------------------------------------------------------------


def rule_groups(settings: Settings, manager: RuleManager | None = None) -> list[RuleGroup]:
    """The rule manager's groups when there is one; else the configured files (errors: none)."""
    if manager is not None:
        return [s.group for s in manager.groups]
    try:
        return load_groups(settings.engine.rule_files) + slo_groups(settings)
    except Exception as exc:  # a broken rule file must not break a report; `candor rules check` says why
        log.warning("charts: rule files could not be loaded (%s); charting ALERTS only", exc)
        return []


def live_source(settings: Settings, store: Storage, manager: RuleManager | None) -> SignalSource:
    """The server's source: ``monitor.promsource.signal_source`` (the live ``store``, or
    Prometheus in prometheus mode) and the rules ``manager`` evaluates. ``close()`` it when done."""
    return SignalSource(signal_source(settings.engine, store), rule_groups(settings, manager))


def queryable(settings: Settings) -> Queryable:
    """The CLI's PromQL: Prometheus in prometheus mode, else a read-only copy of the store."""
    if settings.engine.mode == "prometheus":
        return PrometheusClient(settings.engine.prometheus_url)
    return EmbeddedSource(stored(settings), lookback=settings.engine.lookback.total_seconds())


def stored(settings: Settings) -> Storage:
    """A read-only copy of the persisted series store (empty when the store is not persisted)."""
    directory = Path(settings.storage.data_dir) / "series"
    return read_snapshot(directory) if settings.signals.persist else MemoryStorage()


def from_settings(settings: Settings) -> SignalSource:
    """The CLI's source: ``queryable(settings)`` and the configured rule files."""
    return SignalSource(queryable(settings), rule_groups(settings))
