"""The leader lease on SQLite and a real PostgreSQL: one holder, an epoch per takeover, a
fence that a lapsed leader cannot pass and that a takeover waits for."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from monitor import db
from monitor.api.runtime import Runtime
from monitor.config.cluster import Cluster
from monitor.config.loader import parse
from monitor.errors import ConfigError
from monitor.leader import lease
from monitor.leader.leader import Leader, LeaderCollector
from monitor.leader.lease import LeaseLost, Move
from monitor.notify.models import OutboxMessage

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def lapse(engine: Engine) -> None:
    """The holder stopped renewing long ago (as after kill -9)."""
    with engine.begin() as c:
        c.execute(sa.text("UPDATE leader_lease SET expires_at = renewed_at - 1"))


def test_the_rule_in_plain_values() -> None:
    assert doctest.testmod(lease).failed == 0


def test_one_holder_renews_the_others_wait_and_an_expired_lease_is_a_new_epoch(store: Engine) -> None:
    first = lease.hold(store, "a#1", 30)
    assert (first.move, first.lease.epoch, first.mine) == (Move.TAKE_OVER, 1, True)
    assert lease.hold(store, "b#1", 30).move is Move.STAND_BY
    renewed = lease.hold(store, "a#1", 30)
    assert (renewed.move, renewed.lease.epoch) == (Move.RENEW, 1)
    assert renewed.lease.expires_at >= first.lease.expires_at

    lapse(store)
    taken = lease.hold(store, "b#1", 30)

    assert (taken.move, taken.lease.epoch) == (Move.TAKE_OVER, 2)
    assert lease.hold(store, "a#1", 30).move is Move.STAND_BY
    with db.session(store) as s:
        terms = [(t.epoch, t.holder, t.previous_holder) for t in lease.terms(s)]
        last = lease.terms(s)[-1]
    assert terms == [(1, "a#1", None), (2, "b#1", "a#1")]
    assert last.previous_renewed_at is not None and last.acquired_at > last.previous_renewed_at


def test_a_fenced_transaction_carries_the_epoch_and_a_lapsed_leader_writes_nothing(store: Engine) -> None:
    lease.hold(store, "a#1", 30)
    with db.session(store) as s:
        lease.fence(s, "a#1", 1)
        s.add(OutboxMessage(idempotency_key="k1", receiver="r", event_type="t", payload={},
                            created_at=T0, next_attempt_at=T0,
                            leader_epoch=s.info[db.LEADER_EPOCH]))
    lapse(store)
    lease.hold(store, "b#1", 30)

    with pytest.raises(LeaseLost), db.session(store) as s:
        lease.fence(s, "a#1", 1)
        s.add(OutboxMessage(idempotency_key="k2", receiver="r", event_type="t", payload={},
                            created_at=T0, next_attempt_at=T0))

    with db.session(store) as s:
        assert [(m.idempotency_key, m.leader_epoch) for m in s.exec(select(OutboxMessage))] == [("k1", 1)]


@pytest.mark.postgres
def test_a_takeover_waits_for_the_old_leaders_fenced_transaction_but_a_renewal_does_not(
        pg_url: str) -> None:
    engine = db.make_engine(pg_url)
    db.upgrade(engine)
    impatient = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://"),
                                 connect_args={"options": "-c lock_timeout=300"})
    try:
        lease.hold(engine, "a#1", 30)
        with db.session(engine) as fenced:
            lease.fence(fenced, "a#1", 1)
            assert lease.hold(impatient, "a#1", 30).move is Move.RENEW  # not blocked
            with impatient.begin() as c:  # the lease lapses while the pass is still running
                c.execute(sa.text("UPDATE leader_lease SET expires_at = renewed_at - 1"))
            with pytest.raises(OperationalError, match="lock timeout"):
                lease.hold(impatient, "b#1", 30)  # the takeover must wait for the pass
        assert lease.hold(impatient, "b#1", 30).lease.epoch == 2  # and goes ahead after it
    finally:
        impatient.dispose()
        engine.dispose()


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_leader_stops_acting_when_its_lease_may_have_lapsed(store: Engine) -> None:
    ticks = Ticks()
    leader = Leader(store, Cluster(replica_id="r1", lease_ttl="6s", renew_interval="2s"),
                    monotonic=ticks)
    registry = CollectorRegistry()
    registry.register(LeaderCollector(leader))
    runs: list[int] = []
    job = leader.guard("job", lambda: runs.append(1))

    job()
    assert runs == [] and registry.get_sample_value("candor_leader") == 0
    assert leader.renew() and leader.epoch == 1
    job()
    ticks.now += 5.9
    job()
    ticks.now += 0.1  # six seconds since the renewal began, renewed or not: stop
    job()

    assert runs == [1, 1] and not leader.held() and leader.epoch is None
    assert registry.get_sample_value("candor_leader") == 0
    assert registry.get_sample_value("candor_leader_epoch") == 1


def test_a_pass_whose_lease_lapsed_is_abandoned_without_writes(runtime: Runtime) -> None:
    leader = Leader(runtime.engine, runtime.settings.cluster)
    assert leader.renew()
    lapse(runtime.engine)
    assert lease.hold(runtime.engine, "other#1", 30).mine

    def write() -> str:
        with leader.unit(runtime) as s:
            s.add(OutboxMessage(idempotency_key="lost", receiver="r", event_type="t", payload={},
                                created_at=T0, next_attempt_at=T0))
        return "written"

    assert leader.held()  # by its own clock it still leads: the fence is what stops it
    assert leader.guard("job", write)() is None
    with runtime.unit() as s:
        assert s.exec(select(OutboxMessage)).all() == []


def test_stopping_gives_the_lease_up_at_once(store: Engine) -> None:
    one = Leader(store, Cluster(replica_id="one"))
    two = Leader(store, Cluster(replica_id="two"))
    assert one.renew() and not two.renew()
    one.stop()
    assert two.renew() and two.epoch == 2
    assert two.holder.startswith("two#") and one.holder != Leader(store, Cluster(replica_id="one")).holder


def test_renew_interval_is_at_most_a_third_of_the_ttl() -> None:
    with pytest.raises(ConfigError) as error:
        parse('[cluster]\nlease_ttl = "5s"\nrenew_interval = "2s"\n', "config.toml")
    assert "renew_interval (2s) must be at most a third of lease_ttl (5s)" in str(error.value)
