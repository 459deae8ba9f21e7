"""Candor's own service metrics, on a registry passed in (tests build their own).

Counters that can be read back from the append-only event table (transitions)
are collected from the database at scrape time, so they survive restarts and
agree across replicas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from monitor.event_types import EventType
from monitor.incidents.lifecycle import SEVERITIES, State
from monitor.incidents.models import IncidentEvent
from monitor.incidents.service import count_open

log = logging.getLogger("candor.metrics")


class FromStore(Collector):
    """Wraps a collector that reads the store: when the store is down or not migrated the
    scrape goes on without those metrics (``/readyz`` says why), instead of failing whole."""

    def __init__(self, inner: Collector) -> None:
        self.inner = inner

    def collect(self) -> Iterator[Metric]:
        try:
            families = list(self.inner.collect())
        except SQLAlchemyError as exc:
            log.warning("%s skipped: the store is not readable (%s)", type(self.inner).__name__,
                        type(exc).__name__)
            return
        yield from families


class StoreCollector(Collector):
    """Incident gauges and counters read from the store at scrape time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        open_gauge = GaugeMetricFamily(
            "candor_incidents_open", "Open incidents by severity and state.", labels=["severity", "state"]
        )
        transitions = CounterMetricFamily(
            "candor_incident_transitions", "Incident state transitions, by target state.", labels=["to"]
        )
        with Session(self.engine) as session:
            counts = {(sev, state): n for sev, state, n in count_open(session)}
            rows = _transition_counts(session)
        for severity in SEVERITIES:
            for state in State:
                if state in (State.RESOLVED, State.RETRACTED):
                    continue
                open_gauge.add_metric([severity, state], counts.get((severity, state), 0))
        for state in State:
            transitions.add_metric([state], rows.get(state, 0))
        yield open_gauge
        yield transitions


def _transition_counts(session: Session) -> dict[str, int]:
    query = select(IncidentEvent.payload).where(IncidentEvent.type == EventType.INCIDENT_TRANSITIONED)
    counts: dict[str, int] = {}
    for payload in session.exec(query):
        counts[payload["to"]] = counts.get(payload["to"], 0) + 1
    return counts


class ServiceMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.http_duration = Histogram(
            "candor_http_request_duration_seconds", "HTTP request duration by route.",
            ["method", "route", "status"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )

    def watch_store(self, engine: Engine) -> None:
        self.registry.register(FromStore(StoreCollector(engine)))

    def timer(self, method: str, route: str, status: int) -> Callable[[float], None]:
        return self.http_duration.labels(method, route, str(status)).observe
