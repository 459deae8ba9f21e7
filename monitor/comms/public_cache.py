"""The public views rendered once per change: what users hammer during an outage.

``/status``, ``/status/incidents/{key}``, ``/status/feed.atom``, ``/status.json`` and
``/api/v1/banner`` are projections of incident events (notices published, corrected,
retracted; incidents resolved). ``PublicPages.get(view, render)`` returns the stored
rendering of ``view`` while nothing changed, and renders it again (once, under a lock)
when something did; a request that finds it fresh touches no database. Each rendering
carries an ``ETag`` (a hash of its bytes), so a client that sends ``If-None-Match`` gets
``304 Not Modified``.

When a rendering is stale::

    this process wrote an incident event   Runtime.changes moved (no query) → re-check now
    another replica did                    max(incident_event.id) moved; polled at most
                                           once per ``check_every`` (1 s) by a request,
                                           so every replica shows a publish within ~1 s
    time passed                            rendered more than ``max_age`` (10 s) ago by
                                           the runtime clock: history and banner windows
                                           and "updated" times move with the clock

The event log is append-only, so its largest id is a version counter every replica
already shares: no extra table, no trigger, no LISTEN connection to keep alive. A
polled row was chosen over PostgreSQL LISTEN/NOTIFY because it works the same on SQLite,
needs no dedicated connection per replica, and misses nothing across a reconnect.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from monitor.clock import Clock
from monitor.db import Changes
from monitor.incidents.models import IncidentEvent


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    etag: str  # quoted, as the header carries it
    rendered_at: datetime
    generation: tuple[int, int]  # (max event id seen, this process's change count)

    def matches(self, if_none_match: str | None) -> bool:
        """Whether the client's ``If-None-Match`` names this rendering."""
        if not if_none_match:
            return False
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or self.etag in tags


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


class PublicPages:
    """Renderings of the public views, each made again only after a change (see the module
    docstring). ``check_every`` is in seconds of the monotonic clock (the poll); ``max_age``
    in the runtime clock's time. At most ``size`` views are kept (least recently used go)."""

    def __init__(self, engine: Engine, clock: Clock, changes: Changes, *,
                 check_every: float = 1.0, max_age: timedelta = timedelta(seconds=10),
                 size: int = 512, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.clock = clock
        self.changes = changes
        self.check_every = check_every
        self.max_age = max_age
        self.size = size
        self.monotonic = monotonic
        self.renders = 0  # how many renderings were made (tests, and the bench, read it)
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Rendered] = OrderedDict()
        self._event_id = -1
        self._local = -1
        self._checked_at = float("-inf")

    def generation(self) -> tuple[int, int]:
        """The current ``(max event id, local change count)``, querying the database only when
        this process changed something or ``check_every`` has passed since the last query."""
        local = self.changes.value
        if local == self._local and self.monotonic() - self._checked_at < self.check_every:
            return self._event_id, self._local
        with self._lock:
            local = self.changes.value
            if local != self._local or self.monotonic() - self._checked_at >= self.check_every:
                with self.engine.connect() as connection:
                    latest = connection.execute(select(func.max(IncidentEvent.id))).scalar()
                self._event_id, self._local = latest or 0, local
                self._checked_at = self.monotonic()
            return self._event_id, self._local

    def cached(self, view: Hashable) -> Rendered | None:
        """The stored rendering of ``view`` if it is fresh and no check of the database is
        due; ``None`` otherwise (then call ``get``, off the event loop). Never blocks."""
        if self.changes.value != self._local or self.monotonic() - self._checked_at >= self.check_every:
            return None
        entry = self._entries.get(view)
        if entry is None or not self._fresh(entry, (self._event_id, self._local)):
            return None
        return entry

    def get(self, view: Hashable, render: Callable[[], tuple[bytes, str]]) -> Rendered:
        """The rendering of ``view``; ``render()`` returns ``(body, media type)`` and runs
        only when the stored one is stale. An exception from it is not stored."""
        current = self.generation()
        entry = self._entries.get(view)
        if entry is not None and self._fresh(entry, current):
            return entry
        with self._lock:
            entry = self._entries.get(view)
            if entry is not None and self._fresh(entry, current):
                return entry
            now = self.clock.now()
            body, media_type = render()
            entry = Rendered(body, media_type, etag_of(body), now, current)
            self.renders += 1
            self._entries[view] = entry
            self._entries.move_to_end(view)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
            return entry

    def _fresh(self, entry: Rendered, current: tuple[int, int]) -> bool:
        if entry.generation != current:
            return False
        age = self.clock.now() - entry.rendered_at
        return timedelta(0) <= age < self.max_age
