"""Fix-verification and response-time metrics, read from the store at scrape time.

Verdicts are events and the milestone times are columns of the incident row, so every
figure here is collected from the database when scraped: it survives restarts and agrees
across replicas (the sweep runs on one, the scrape may hit another).

    candor_fix_verifications_total{outcome}      verdicts, by outcome (error counted apart)
    candor_regressions_total{service}            regressed verdicts, by the incident's service
    candor_incidents_verifying                   incidents in ``verifying`` now
    candor_time_to_<milestone>_seconds           histograms over resolved incidents:
        detect        detected − impact start             (MTTD)
        acknowledge   acknowledged − detected             (MTTA)
        fix           first fix deployed − detected
        verify        verified − first fix deployed
        resolve       resolved − detected                 (MTTR, time to resolve)

(``candor_time_to_first_notice_seconds`` — detected → first published notice — and
``candor_time_to_correction_seconds`` come from ``monitor.comms.metrics``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from monitor.clock import utc
from monitor.event_types import EventType
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident, IncidentEvent

__all__ = ["BUCKETS", "MILESTONES", "OUTCOMES", "VerificationCollector", "milestone_seconds"]

OUTCOMES = ("verified", "regressed", "inconclusive", "error")
BUCKETS = (10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400, 43200, 86400)
MILESTONES: dict[str, tuple[str, str, str]] = {
    "detect": ("impact_started_at", "detected_at", "from impact start to detection (MTTD)"),
    "acknowledge": ("detected_at", "acknowledged_at", "from detection to acknowledgement (MTTA)"),
    "fix": ("detected_at", "fix_deployed_at", "from detection to the first fix deployed"),
    "verify": ("fix_deployed_at", "verified_at", "from the first fix to the verified verdict"),
    "resolve": ("detected_at", "resolved_at", "from detection to resolution (MTTR)"),
}


def milestone_seconds(row: Any) -> dict[str, float | None]:
    """Each milestone duration of one incident (``None`` where a time is missing)."""
    out: dict[str, float | None] = {}
    for name, (a, b, _) in MILESTONES.items():
        start: datetime | None = getattr(row, a, None)
        end: datetime | None = getattr(row, b, None)
        out[name] = (utc(end) - utc(start)).total_seconds() if start and end else None
    return out


def _histogram(name: str, doc: str, values: list[float]) -> HistogramMetricFamily:
    buckets, total = [], 0.0
    for bound in BUCKETS:
        buckets.append((str(float(bound)), sum(1 for v in values if v <= bound)))
    buckets.append(("+Inf", len(values)))
    total = sum(values)
    family = HistogramMetricFamily(name, doc)
    family.add_metric([], buckets, total)
    return family


class VerificationCollector(Collector):
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        outcomes = dict.fromkeys(OUTCOMES, 0)
        regressions: dict[str, int] = {}
        with Session(self.engine) as session:
            rows = session.exec(
                select(IncidentEvent.payload, Incident.services)
                .join(Incident, col(Incident.id) == IncidentEvent.incident_id)
                .where(IncidentEvent.type == EventType.VERIFICATION_VERDICT)).all()
            verifying = session.exec(select(func.count()).select_from(Incident)
                                     .where(Incident.state == State.VERIFYING)).one()
            resolved = session.exec(select(Incident).where(Incident.state == State.RESOLVED)).all()
        for payload, services in rows:
            outcome = str(payload.get("outcome", ""))
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome == "regressed":
                for service in services or ["(none)"]:
                    regressions[service] = regressions.get(service, 0) + 1
        verdicts = CounterMetricFamily("candor_fix_verifications", "Fix verification verdicts, by outcome.",
                                       labels=["outcome"])
        for outcome, n in outcomes.items():
            verdicts.add_metric([outcome], n)
        yield verdicts
        regressed = CounterMetricFamily("candor_regressions", "Regressed fixes, by the incident's service.",
                                        labels=["service"])
        for service, n in sorted(regressions.items()):
            regressed.add_metric([service], n)
        yield regressed
        yield GaugeMetricFamily("candor_incidents_verifying", "Incidents whose fix is being verified now.",
                                value=verifying)
        durations: dict[str, list[float]] = {name: [] for name in MILESTONES}
        for row in resolved:
            for name, seconds in milestone_seconds(row).items():
                if seconds is not None and seconds >= 0:
                    durations[name].append(seconds)
        for name, (_, _, doc) in MILESTONES.items():
            yield _histogram(f"candor_time_to_{name}_seconds", f"Resolved incidents: {doc}.",
                             durations[name])
