"""Responses that are projections of incident events only, kept until the next event.

An incident row changes only through ``service.record`` (the row is the projection of its
append-only events), so the largest ``incident_event.id`` names the state of every
incident. ``ByLatestEvent.get(key, build)`` asks the database for that id (one indexed
lookup, no ORM) and returns the stored body built at that id, or builds it again. Every
replica asks on every request, so a client reads its own writes wherever it lands; what
it saves is loading the rows into objects, validating and serialising them.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from monitor.incidents.models import IncidentEvent


class ByLatestEvent:
    """Bodies by ``(key, latest event id)``; at most ``size`` keys are kept."""

    def __init__(self, engine: Engine, size: int = 256) -> None:
        self.engine = engine
        self.size = size
        self.builds = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[int, bytes]] = OrderedDict()

    def latest(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(IncidentEvent.id))).scalar() or 0

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The body of ``key`` as of now. ``build`` runs after the id was read, so what it
        sees is at least as new as the id the body is stored under."""
        latest = self.latest()
        entry = self._entries.get(key)
        if entry is not None and entry[0] == latest:
            return entry[1]
        body = build()
        with self._lock:
            self.builds += 1
            self._entries[key] = (latest, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return body
