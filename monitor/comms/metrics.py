"""Cadence metrics (guide step 4), read from the store at scrape time::

    candor_time_to_first_notice_seconds      histogram: detected → first published notice
    candor_time_to_correction_seconds        histogram: a version → the correction of it
    candor_notices_overdue{severity,due}     open incidents past a deadline right now;
                                             due = first_notice | update

Deadlines come from ``[comms.cadence]``: no public notice ``first_notice`` after
detection, or no new version ``update`` after the last one (or after the
``next_update_at`` the notice promised, whichever is earlier), or no new version
``first_notice`` after a fix did not hold (regressed or reopened after a notice). Alert on
``candor_notices_overdue > 0``. ``monitor.wiring`` registers ``CadenceCollector`` once.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor.clock import Clock, utc
from monitor.comms.models import Kind, NoticeVersion
from monitor.config.comms import Cadence, Sev
from monitor.event_types import EventType
from monitor.incidents.lifecycle import OPEN, SEVERITIES
from monitor.incidents.models import Incident, IncidentEvent

FIRST_NOTICE_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200)
CORRECTION_BUCKETS = (60, 300, 600, 1800, 3600, 7200, 21600, 86400)


def histogram(name: str, doc: str, values: Sequence[float], buckets: Sequence[float]
              ) -> HistogramMetricFamily:
    counts = [sum(1 for v in values if v <= b) for b in buckets]
    family = HistogramMetricFamily(name, doc)
    family.add_metric([], [(str(float(b)), c) for b, c in zip(buckets, counts, strict=True)]
                      + [("+Inf", len(values))], sum_value=float(sum(values)))
    return family


def overdue(incidents: list[Incident], last_published: dict[int, tuple[datetime, datetime | None]],
            now: datetime, cadence: Mapping[Sev, Cadence],
            told_again: Mapping[int, datetime] | None = None) -> dict[tuple[str, str], int]:
    """``(severity, due) -> count`` of open incidents past a cadence deadline at ``now``
    (``cadence``: ``[comms.cadence]``). ``told_again``: when a fix last failed to hold
    (regressed or reopened, ``monitor.comms.regression``); after a public notice, that owes
    an update within ``first_notice``."""
    told_again = told_again or {}
    out: dict[tuple[str, str], int] = {}
    for incident in incidents:
        # Incident.severity is a plain str column; the cadence is keyed by the Sev literal
        rule = cadence.get(incident.severity)  # type: ignore[call-overload]
        if rule is None or incident.detected_at is None:
            continue
        last = last_published.get(incident.id or 0)
        if last is None:
            if rule.first_notice and now - utc(incident.detected_at) > rule.first_notice:
                key = (incident.severity, "first_notice")
                out[key] = out.get(key, 0) + 1
            continue
        published_at, promised = last
        deadlines = [promised] if promised else []
        if rule.update:
            deadlines.append(published_at + rule.update)
        again = told_again.get(incident.id or 0)
        if again is not None and utc(again) > published_at:
            deadlines.append(utc(again) + (rule.first_notice or rule.update or timedelta(0)))
        if deadlines and now > min(deadlines):
            key = (incident.severity, "update")
            out[key] = out.get(key, 0) + 1
    return out


class CadenceCollector(Collector):
    def __init__(self, engine: Engine, clock: Clock, cadence: Mapping[Sev, Cadence]) -> None:
        self.engine = engine
        self.clock = clock
        self.cadence = cadence

    def collect(self) -> Iterator[HistogramMetricFamily | GaugeMetricFamily]:
        now = self.clock.now()
        with Session(self.engine) as session:
            firsts = [(utc(i.first_notice_at) - utc(i.detected_at)).total_seconds()
                      for i in session.exec(select(Incident).where(
                          col(Incident.first_notice_at).is_not(None))).all()
                      if i.detected_at is not None and i.first_notice_at is not None]
            versions = session.exec(select(NoticeVersion)).all()
            by_id = {v.id: v for v in versions}
            corrections = [
                (utc(v.published_at) - utc(by_id[v.previous_id].published_at)).total_seconds()
                for v in versions if v.kind == Kind.CORRECTION and v.previous_id in by_id
            ]
            latest: dict[int, tuple[datetime, datetime | None]] = {}
            for v in sorted(versions, key=lambda v: utc(v.published_at)):
                promised = v.content.get("next_update_at")
                latest[v.incident_id] = (
                    utc(v.published_at), utc(datetime.fromisoformat(promised)) if promised else None)
            open_rows = list(session.exec(select(Incident).where(
                col(Incident.state).in_([str(s) for s in OPEN]))))
            told_again: dict[int, datetime] = {}
            for event in session.exec(select(IncidentEvent).where(
                    IncidentEvent.type == EventType.INCIDENT_TRANSITIONED,
                    col(IncidentEvent.incident_id).in_([i.id for i in open_rows]))):
                if event.payload.get("to") in ("regressed", "reopened"):
                    told_again[event.incident_id] = max(utc(event.at), told_again.get(
                        event.incident_id, utc(event.at)))
        yield histogram("candor_time_to_first_notice_seconds",
                        "Time from detection to the first public notice.", firsts,
                        FIRST_NOTICE_BUCKETS)
        yield histogram("candor_time_to_correction_seconds",
                        "Time from a published notice version to its correction.", corrections,
                        CORRECTION_BUCKETS)
        gauge = GaugeMetricFamily("candor_notices_overdue",
                                  "Open incidents past a public-notice deadline, by what is due.",
                                  labels=["severity", "due"])
        counts = overdue(open_rows, latest, now, self.cadence, told_again)
        for severity in SEVERITIES:
            for due in ("first_notice", "update"):
                gauge.add_metric([severity, due], counts.get((severity, due), 0))
        yield gauge
