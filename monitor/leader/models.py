"""The leader lease and the record of its terms (migration 0007).

Times are seconds since the Unix epoch on the database's own clock, so replicas whose
clocks disagree still agree on who holds the lease.
"""

from __future__ import annotations

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

SINGLETON = "singleton"
"""The one lease Candor takes: the right to run the singleton jobs."""


class LeaderLease(SQLModel, table=True):
    """One row per lease: who holds it, under which epoch, until when."""

    __tablename__ = "leader_lease"
    # The epoch is a key: a takeover (a new epoch) waits for the transactions the old leader
    # fenced with FOR KEY SHARE; a renewal (same epoch) does not.
    __table_args__ = (UniqueConstraint("name", "epoch", name="uq_leader_lease_epoch"),)

    name: str = Field(primary_key=True)
    holder: str
    epoch: int
    acquired_at: float
    renewed_at: float
    expires_at: float


class LeaderTerm(SQLModel, table=True):
    """One row per takeover: the epoch, who took it and when, and the lapsed lease before it."""

    __tablename__ = "leader_term"

    name: str = Field(primary_key=True)
    epoch: int = Field(primary_key=True)
    holder: str
    acquired_at: float
    previous_holder: str | None = None
    previous_renewed_at: float | None = None
    """The previous holder's last renewal: ``acquired_at - previous_renewed_at`` bounds how
    long the singleton jobs had no leader (the failover time)."""
