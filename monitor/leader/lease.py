"""The lease in the database: who may run the singleton jobs (the River/Oban pattern).

::

    holder renews every renew_interval:   expires_at = now + lease_ttl        (same epoch)
    anyone, once expires_at <= now:       holder = me, epoch + 1, a new leader_term row
    a singleton job's transaction:        fence(): the lease is still mine, this epoch,
                                          unexpired — and it stays so until I commit

``decide(lease, me, now)`` is the whole rule, on plain values. ``hold`` applies it in one
short transaction: the row is read ``FOR NO KEY UPDATE`` (one contender at a time) and
``now`` is the database's clock, so replicas never compare their own clocks. ``fence`` reads
the row ``FOR KEY SHARE``: a renewal goes ahead, but a takeover, which changes the epoch (a
key: ``uq_leader_lease_epoch``), waits until the fenced transaction ends. So nothing written
under epoch *e* commits after epoch *e+1* began. On SQLite both run under the one write
lock (``db.lock_for_write``), which orders them the same way; ``fence`` there only checks
(one SQLite process is the only contender).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import func, literal_column, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from monitor import db
from monitor.leader.models import SINGLETON, LeaderLease, LeaderTerm


class LeaseLost(Exception):
    """This replica does not hold the lease (any more): the pass stops, nothing is written."""


class Move(StrEnum):
    RENEW = "renew"
    TAKE_OVER = "take_over"
    STAND_BY = "stand_by"


@dataclass(frozen=True)
class Lease:
    holder: str
    epoch: int
    renewed_at: float
    expires_at: float


def decide(lease: Lease, me: str, now: float) -> Move:
    """Renew my unexpired lease; take an expired one (mine or not) as a new epoch; else wait.

    >>> decide(Lease("a", 3, 10.0, 15.0), "a", 12.0), decide(Lease("a", 3, 10.0, 15.0), "b", 12.0)
    (<Move.RENEW: 'renew'>, <Move.STAND_BY: 'stand_by'>)
    >>> decide(Lease("a", 3, 10.0, 15.0), "b", 15.0), decide(Lease("a", 3, 10.0, 15.0), "a", 16.0)
    (<Move.TAKE_OVER: 'take_over'>, <Move.TAKE_OVER: 'take_over'>)
    """
    if lease.expires_at <= now:
        return Move.TAKE_OVER
    return Move.RENEW if lease.holder == me else Move.STAND_BY


@dataclass(frozen=True)
class Tenure:
    """What ``hold`` found and did: the lease after it, and whether it is mine."""

    lease: Lease
    move: Move
    now: float

    @property
    def mine(self) -> bool:
        return self.move is not Move.STAND_BY


def _now(session: Session) -> float:
    """Seconds since the epoch on the database's clock (the one clock replicas share)."""
    expression: Any = (func.extract("epoch", func.clock_timestamp())
                       if session.connection().dialect.name == "postgresql"
                       else literal_column("(julianday('now') - 2440587.5) * 86400.0"))
    return float(session.execute(select(expression)).scalar_one())


def hold(engine: Engine, me: str, ttl: float, *, name: str = SINGLETON) -> Tenure:
    """Renew or take the lease if ``decide`` says so, in one short transaction."""
    with db.session(engine) as session:
        db.lock_for_write(session)
        row = session.execute(
            select(LeaderLease).where(col(LeaderLease.name) == name).with_for_update(key_share=True)
        ).scalar_one()
        now = _now(session)
        lease = Lease(row.holder, row.epoch, row.renewed_at, row.expires_at)
        move = decide(lease, me, now)
        if move is Move.STAND_BY:
            return Tenure(lease, move, now)
        epoch = lease.epoch + 1 if move is Move.TAKE_OVER else lease.epoch
        values = {"holder": me, "epoch": epoch, "renewed_at": now, "expires_at": now + ttl}
        if move is Move.TAKE_OVER:
            values["acquired_at"] = now
            session.add(LeaderTerm(name=name, epoch=epoch, holder=me, acquired_at=now,
                                   previous_holder=lease.holder or None,
                                   previous_renewed_at=lease.renewed_at or None))
        session.execute(update(LeaderLease).where(col(LeaderLease.name) == name).values(**values))
        return Tenure(Lease(me, epoch, now, now + ttl), move, now)


def fence(session: Session, me: str, epoch: int, *, name: str = SINGLETON) -> None:
    """Check that ``me`` holds the lease under ``epoch``, unexpired, and keep it so until this
    transaction ends; mark what the transaction writes with the epoch (``db.LEADER_EPOCH``).
    ``LeaseLost`` otherwise. (SQLite runs one process: there the lease is checked, and the
    transaction takes the write lock only when it writes, as any other.)"""
    now = _now(session)
    found = session.execute(
        select(col(LeaderLease.epoch))
        .where(col(LeaderLease.name) == name, col(LeaderLease.holder) == me,
               col(LeaderLease.epoch) == epoch, col(LeaderLease.expires_at) > now)
        .with_for_update(read=True, key_share=True)
    ).first()
    if found is None:
        raise LeaseLost(f"{me} does not hold the {name} lease under epoch {epoch}")
    session.info[db.LEADER_EPOCH] = epoch


def release(engine: Engine, me: str, epoch: int, *, name: str = SINGLETON) -> bool:
    """Give the lease up now (a clean shutdown), so another replica need not wait out the TTL."""
    with db.session(engine) as session:
        db.lock_for_write(session)
        now = _now(session)
        result = session.execute(
            update(LeaderLease)
            .where(col(LeaderLease.name) == name, col(LeaderLease.holder) == me,
                   col(LeaderLease.epoch) == epoch)
            .values(expires_at=now)
        )
        return bool(getattr(result, "rowcount", 0))


def current(session: Session, *, name: str = SINGLETON) -> Lease:
    row = session.execute(select(LeaderLease).where(col(LeaderLease.name) == name)).scalar_one()
    return Lease(row.holder, row.epoch, row.renewed_at, row.expires_at)


def terms(session: Session, *, name: str = SINGLETON) -> list[LeaderTerm]:
    """Every takeover, oldest first."""
    query = select(LeaderTerm).where(col(LeaderTerm.name) == name).order_by(col(LeaderTerm.epoch))
    return list(session.execute(query).scalars())
