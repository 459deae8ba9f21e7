"""The objects one running Candor shares: settings, engine, clock, metrics.

Built by ``Runtime.build(settings)`` (or by tests with their own parts); never
at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlmodel import Session

from monitor import db
from monitor.clock import Clock, SystemClock
from monitor.comms.hooks import tell_people
from monitor.config import Settings
from monitor.incidents.models import Incident, IncidentEvent
from monitor.incidents.service import EVENT_HOOKS
from monitor.notify.service import enqueue_for_event
from monitor.ops.metrics import ServiceMetrics
from monitor.signals.service import SignalHub


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    metrics: ServiceMetrics = field(init=False)

    def __post_init__(self) -> None:
        self.metrics = ServiceMetrics(self.registry)
        self.metrics.watch_store(self.engine)

    @cached_property
    def signals(self) -> SignalHub:
        """The series store and ingest limits; opened on first use (CLI commands never pay for it)."""
        return SignalHub.build(self.settings, registry=self.registry, clock=self.clock)

    def close(self) -> None:
        if "signals" in self.__dict__:
            self.signals.close()
        self.engine.dispose()

    @classmethod
    def build(cls, settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Runtime:
        engine = db.make_engine(db.database_url(settings))
        if migrate:
            db.upgrade(engine)
        return cls(settings=settings, engine=engine, clock=clock or SystemClock())

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error.

        Every incident event written in it also writes, in the same transaction, its
        notifications (the outbox) and the messages owed to subscribers and reporters."""
        with db.session(self.engine) as session:
            session.info[EVENT_HOOKS] = [self._notify, self._tell_people]
            yield session

    def _notify(self, session: Session, incident: Incident, event: IncidentEvent) -> None:
        enqueue_for_event(session, incident, event, self.settings)

    def _tell_people(self, session: Session, incident: Incident, event: IncidentEvent) -> None:
        tell_people(session, incident, event, self.settings)  # subscribers and reporters
