"""Action-item metrics, read from the store at scrape time.

``candor_action_items_overdue{priority,team}``: open or in-progress items past
their due date (alert on it: ``candor_action_items_overdue{priority="P1"} > 0``).
``candor_action_items{status}``: every item by status. ``monitor.wiring`` registers
it once: ``register(registry, engine, clock)``.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from monitor.clock import Clock
from monitor.ops.metrics import FromStore
from postmortem import service
from postmortem.models import ActionItem, ItemStatus, Priority


class ActionItemCollector(Collector):
    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        overdue = GaugeMetricFamily(
            "candor_action_items_overdue",
            "Postmortem action items open or in progress past their due date.",
            labels=["priority", "team"],
        )
        by_status = GaugeMetricFamily(
            "candor_action_items", "Postmortem action items by status.", labels=["status"]
        )
        with Session(self.engine) as session:
            counts = service.overdue_counts(session, self.clock.now().date())
            statuses = dict(session.exec(
                select(ActionItem.status, func.count()).group_by(ActionItem.status)).all())
        for level in Priority:
            if not any(p == level for p, _ in counts):
                overdue.add_metric([level, ""], 0)
        for (priority, team), n in sorted(counts.items()):
            overdue.add_metric([priority, team], n)
        for status in ItemStatus:
            by_status.add_metric([status], statuses.get(status, 0))
        yield overdue
        yield by_status


def register(registry: CollectorRegistry, engine: Engine, clock: Clock) -> ActionItemCollector:
    collector = ActionItemCollector(engine, clock)
    registry.register(FromStore(collector))
    return collector
