"""The core every request, job and command shares: settings, database, clock, registry, hooks.

``monitor.wiring.build_runtime(settings)`` builds it (tests pass a ``FixedClock`` and a
fresh ``CollectorRegistry``); nothing is built at import time. It holds no feature:
the signal hub, the rule manager and the metrics are parts of ``monitor.wiring.Candor``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from monitor import db
from monitor.auth.service import PrincipalCache
from monitor.clock import Clock, SystemClock
from monitor.config import Settings
from monitor.db.sealed import SecretBox

EventHook = Callable[[Session, Any, Any], object]
"""``(session, incident, event)``. The wiring declares each hook as
``monitor.incidents.service.EventHook`` (typed with the incident tables); the runtime only
carries them, and sits below the rooms, so it names neither table."""

log = logging.getLogger("candor.db")
T = TypeVar("T")
RETRIED = ("deadlock", "serialization", "unique")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)
    hooks: tuple[EventHook, ...] = ()
    """Run, in order, in the transaction of every incident event written in ``unit()``."""
    changes: db.Changes = field(default_factory=db.Changes)
    """Bumped after every ``unit()`` that wrote incident events has committed."""
    principals: PrincipalCache = field(default_factory=PrincipalCache)
    """Tokens that authenticated in the last second (``monitor.api.deps.caller``)."""
    secrets: SecretBox | None = None
    """Seals and opens secrets kept in the store (``[storage] secret_key``); ``None``
    when no key is configured."""

    @contextmanager
    def unit(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on error.

        Every incident event written in it runs ``hooks`` in the same transaction (the
        notification outbox, subscribers, reporters: see ``monitor.wiring.event_hooks``), so
        nothing owed to anyone is lost between "the incident changed" and "they were told"."""
        with db.session(self.engine) as session:
            session.info[db.EVENT_HOOKS] = self.hooks
            yield session
        if session.info.get(db.WROTE_EVENTS):
            self.changes.bump()

    def transaction(self, work: Callable[[Session], T], *, attempts: int = 3,
                    unit: Callable[[], AbstractContextManager[Session]] | None = None) -> T:
        """``work(session)`` in one ``unit()``, run again from the start (on fresh data) when a
        concurrent writer made it fail: a deadlock, a serialization failure, or a unique index
        another transaction filled first (say, two webhooks opening one group's incident at
        once: the second run finds the first's incident). Other errors, and the last
        attempt's, propagate; ``work`` must do nothing outside the database. ``unit`` opens
        the transaction instead of ``self.unit`` (the leader's fenced unit, say)."""
        for attempt in range(1, attempts + 1):
            try:
                with (unit or self.unit)() as session:
                    return work(session)
            except DBAPIError as error:
                kind = db.conflict_kind(error)
                if attempt == attempts or kind not in RETRIED:
                    raise
                log.info("transaction hit a %s (attempt %d of %d); running it again", kind,
                         attempt, attempts)
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.engine.dispose()
