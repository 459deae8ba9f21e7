"""Responses that are projections of incident events only, kept until the next event.

An incident row changes only through ``service.record`` (the row is the projection of its
append-only events), so the largest ``incident_event.id`` names the state of every
incident. ``ByLatestEvent.get(key, build)`` asks the database for that id (one indexed
lookup, no ORM) and returns the stored body built at that id, or builds it again; what
it saves is loading the rows into objects, validating and serialising them.

On PostgreSQL an id is taken when the event is inserted, not when it commits: a
transaction holding id 100 may commit after one holding 101, so a body built in between
(at "101") lacks event 100 and the largest id does not move when 100 commits. Two things
close that gap: this process's ``Changes`` (``Runtime.unit`` bumps it after every commit
that wrote events) is part of the version, so a write through this replica shows at once;
and a body is kept at most ``max_age`` (monotonic seconds), so one written through
another replica that committed out of order shows within that time.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from monitor.db import Changes
from monitor.incidents.models import IncidentEvent


class ByLatestEvent:
    """Bodies by ``(key, latest event id, local change count)``, each kept at most
    ``max_age`` seconds; at most ``size`` keys are kept."""

    def __init__(self, engine: Engine, changes: Changes | None = None, *, size: int = 256,
                 max_age: float = 5.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.changes = changes or Changes()
        self.size = size
        self.max_age = max_age
        self.monotonic = monotonic
        self.builds = 0
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, tuple[tuple[int, int], float, bytes]] = OrderedDict()

    def latest(self) -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(IncidentEvent.id))).scalar() or 0

    def get(self, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The body of ``key`` as of now. ``build`` runs after the version was read, so what
        it sees is at least as new as the version the body is stored under."""
        version = (self.changes.value, self.latest())  # the local count first: see above
        entry = self._entries.get(key)
        if entry is not None and entry[0] == version and self.monotonic() - entry[1] < self.max_age:
            return entry[2]
        built_at = self.monotonic()
        body = build()
        with self._lock:
            self.builds += 1
            self._entries[key] = (version, built_at, body)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return body
