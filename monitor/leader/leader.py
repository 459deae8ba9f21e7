"""One leader among the replicas: a thread that keeps (or waits for) the lease, and the
guard every singleton job goes through.

::

    Leader.start()      every [cluster] renew_interval: lease.hold(...)
                          mine     → held until (start of that call + lease_ttl), local clock
                          not mine → not held
    Leader.held()       False as soon as the lease may have lapsed, renewed or not: a leader
                        cut off from the database stops acting within lease_ttl
    Leader.guard(job)   skips the pass unless held; a pass whose lease lapsed meanwhile
                        (LeaseLost from the fence) is abandoned, its writes rolled back
    Leader.unit(rt)     runtime.unit() fenced with lease.fence: the transaction's incident
                        events and outbox rows carry the epoch (leader_epoch)
    Leader.stop()       releases the lease, so the next leader need not wait out the TTL

APScheduler still schedules every job in every process; it never coordinates processes.
``candor_leader`` (1 while held) and ``candor_leader_epoch`` (the epoch last seen: this
replica's own while it leads) are read from here at scrape time.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from monitor.api.runtime import Runtime
from monitor.config.cluster import Cluster
from monitor.leader import lease
from monitor.leader.lease import LeaseLost

log = logging.getLogger("candor.leader")


def default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


class Leader:
    def __init__(self, engine: Engine, cluster: Cluster, *,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self.replica = cluster.replica_id or default_replica_id()
        # A restarted replica is a new holder: its first tenure is a takeover, a new epoch.
        self.holder = f"{self.replica}#{secrets.token_hex(3)}"
        self.ttl = cluster.lease_ttl.total_seconds()
        self.every = cluster.renew_interval.total_seconds()
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._deadline = 0.0
        self._epoch = 0
        self._seen = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- state ----------------------------------------------------------------------------

    def held(self) -> bool:
        """Does this replica hold the lease right now (by its own clock, conservatively)?"""
        with self._lock:
            return self._monotonic() < self._deadline

    @property
    def epoch(self) -> int | None:
        """The epoch of this replica's lease while it holds it; ``None`` otherwise."""
        with self._lock:
            return self._epoch if self._monotonic() < self._deadline else None

    @property
    def seen_epoch(self) -> int:
        """The newest epoch this replica has seen (its own, or the current leader's)."""
        with self._lock:
            return self._seen

    # -- the lease ---------------------------------------------------------------------------

    def renew(self) -> bool:
        """One round: renew or take the lease if it is due; returns ``held()``."""
        started = self._monotonic()
        was = self.held()
        try:
            tenure = lease.hold(self.engine, self.holder, self.ttl)
        except SQLAlchemyError as error:
            log.warning("%s could not reach the lease (%s); %s", self.replica, type(error).__name__,
                        "it stops leading when its lease lapses" if was else "retrying")
            return self.held()
        with self._lock:
            self._seen = max(self._seen, tenure.lease.epoch)
            if tenure.mine:
                self._epoch = tenure.lease.epoch
                self._deadline = started + self.ttl
            else:
                self._deadline = 0.0
        if tenure.move is lease.Move.TAKE_OVER:
            log.info("%s leads now (epoch %d)", self.replica, tenure.lease.epoch)
        elif was and not tenure.mine:
            log.warning("%s no longer leads: %s holds the lease (epoch %d)", self.replica,
                        tenure.lease.holder, tenure.lease.epoch)
        return self.held()

    def start(self) -> Leader:
        """Take part in the election on a daemon thread until ``stop()``."""
        self._thread = threading.Thread(target=self._run, name="candor-leader", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            started = self._monotonic()
            try:
                self.renew()
            except Exception:  # never let the election thread die
                log.exception("leader election round failed")
            self._stop.wait(max(0.0, self.every - (self._monotonic() - started)))

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking part; give the lease up if held (the next leader takes over at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        epoch = self.epoch
        with self._lock:
            self._deadline = 0.0
        if epoch is not None:
            try:
                lease.release(self.engine, self.holder, epoch)
                log.info("%s released the lease (epoch %d)", self.replica, epoch)
            except SQLAlchemyError as error:
                log.warning("%s could not release the lease (%s); it lapses by itself",
                            self.replica, type(error).__name__)

    # -- singleton jobs ----------------------------------------------------------------------

    @contextmanager
    def unit(self, runtime: Runtime) -> Iterator[Session]:
        """``runtime.unit()`` fenced by the lease (see ``lease.fence``); ``LeaseLost`` when this
        replica does not hold it."""
        epoch = self.epoch
        if epoch is None:
            raise LeaseLost(f"{self.replica} does not hold the lease")
        with runtime.unit() as session:
            lease.fence(session, self.holder, epoch)
            yield session

    def guard(self, name: str, run: Callable[[], Any]) -> Callable[[], Any]:
        """``run`` only while this replica leads; a pass that loses the lease is abandoned."""

        def guarded() -> Any:
            if not self.held():
                return None
            try:
                return run()
            except LeaseLost as lost:
                log.info("%s: pass abandoned (%s)", name, lost)
                return None

        return guarded


class LeaderCollector(Collector):
    """``candor_leader`` and ``candor_leader_epoch``, read from the ``Leader`` at scrape time."""

    def __init__(self, leader: Leader) -> None:
        self.leader = leader

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield GaugeMetricFamily("candor_leader", "1 while this replica holds the leader lease "
                                "(it runs the singleton jobs), else 0.",
                                value=1 if self.leader.held() else 0)
        yield GaugeMetricFamily("candor_leader_epoch", "The newest leader epoch this replica has "
                                "seen (its own while it leads); one more at each takeover.",
                                value=self.leader.seen_epoch)
