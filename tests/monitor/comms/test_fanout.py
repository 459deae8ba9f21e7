"""Story: a notice goes to many subscribers. Publishing writes one fan-out row, whatever
their number; the ``subscriber-fanout`` job writes one message per subscriber in chunks,
each subscriber once — also when two passes run at once, or one takes over from a pass
whose lease ran out."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import col, select

from monitor.api.runtime import Runtime
from monitor.comms import service as notices
from monitor.comms.subscribers import service as subscribers
from monitor.comms.subscribers.models import State, Subscriber
from monitor.config import Settings
from monitor.incidents import service as incidents
from monitor.notify import delivery
from monitor.notify.channels import DIRECT, FANOUT
from monitor.notify.models import Delivery, OutboxMessage
from monitor.wiring import Candor
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.factories import content

SUBSCRIBERS = 23


def setup(make_settings: Callable[..., Settings], make_candor: Callable[[Settings], Candor],
          storage: dict[str, str]) -> Candor:
    candor = make_candor(make_settings(storage=storage, notify={"batch_size": 5}, comms={
        "components": [{"name": "Links", "services": ["redirect"]}]}))
    runtime = candor.runtime
    now = runtime.clock.now()
    with runtime.unit() as s:
        for n in range(SUBSCRIBERS):
            s.add(Subscriber(kind="webhook", address=f"http://127.0.0.1:9/s{n}", lang="en",
                             state=State.CONFIRMED, created_at=now, confirmed_at=now))
        s.add(Subscriber(kind="webhook", address="http://127.0.0.1:9/pt", lang="pt-BR",
                         state=State.CONFIRMED, created_at=now, confirmed_at=now))
        s.add(Subscriber(kind="webhook", address="http://127.0.0.1:9/gone", lang="en",
                         state=State.UNSUBSCRIBED, created_at=now))
    incident = open_incident(runtime)
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        notice = notices.draft(s, row, lang="en", content=content("en"), actor="ana",
                               clock=runtime.clock)
        notices.publish(s, notice, actor="ana", is_admin=False, clock=runtime.clock,
                        settings=runtime.settings)
    return candor


def rows(runtime: Runtime, receiver: str) -> list[OutboxMessage]:
    with runtime.unit() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.receiver == receiver)
                           .order_by(col(OutboxMessage.id))))


def storage_of(store_kind: str, request: pytest.FixtureRequest,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    if store_kind == "sqlite":
        return {}
    monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", request.getfixturevalue("pg_url"))
    return {"database_url": "env:CANDOR_TEST_DATABASE_URL"}


STORES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def test_publishing_writes_one_fan_out_row_and_the_job_one_message_per_subscriber(
    make_settings, make_candor
) -> None:
    candor = setup(make_settings, make_candor, {})
    runtime = candor.runtime
    (job,) = rows(runtime, FANOUT)  # the publish wrote no message itself
    assert rows(runtime, DIRECT) == [] and job.payload["after"] == 0

    written = subscribers.fan_out_due(candor.courier, runtime.settings, chunk=7)

    messages = rows(runtime, DIRECT)
    assert written == len(messages) == SUBSCRIBERS  # not the pt-BR one, not the unsubscribed
    assert sorted(m.payload["url"] for m in messages) == sorted(
        f"http://127.0.0.1:9/s{n}" for n in range(SUBSCRIBERS))
    (job,) = rows(runtime, FANOUT)
    assert (job.state, job.attempts, job.claim) == (Delivery.DELIVERED, 1, None)
    assert subscribers.fan_out_due(candor.courier, runtime.settings) == 0  # done: nothing again
    assert delivery.deliver_due(candor.courier).claimed == 5  # fan-out rows are not messages


@pytest.mark.parametrize("store_kind", STORES)
def test_two_passes_at_once_write_each_subscriber_once(
    make_settings, make_candor, store_kind: str, request, monkeypatch
) -> None:
    candor = setup(make_settings, make_candor, storage_of(store_kind, request, monkeypatch))
    runtime = candor.runtime
    couriers = [delivery.Courier(runtime.engine, runtime.settings.notify, candor.metrics.notify,
                                 runtime.clock, worker=f"replica-{n}") for n in range(2)]

    with ThreadPoolExecutor(max_workers=2) as pool:
        written = list(pool.map(lambda c: subscribers.fan_out_due(c, runtime.settings, chunk=3),
                                couriers))

    assert sum(written) == SUBSCRIBERS
    keys = Counter(m.idempotency_key for m in rows(runtime, DIRECT))
    assert len(keys) == SUBSCRIBERS and set(keys.values()) == {1}


@pytest.mark.parametrize("store_kind", STORES)
def test_a_pass_that_lost_its_lease_writes_nothing_more_and_the_next_one_finishes(
    make_settings, make_candor, store_kind: str, request, monkeypatch
) -> None:
    candor = setup(make_settings, make_candor, storage_of(store_kind, request, monkeypatch))
    runtime = candor.runtime
    config = runtime.settings.notify
    (slow,) = delivery.claim(runtime.engine, runtime.clock.now(), config, worker="slow",
                             receivers=[FANOUT])
    runtime.clock.advance(seconds=(config.claim_lease + timedelta(seconds=1)).total_seconds())  # type: ignore[attr-defined]  # FixedClock in tests

    assert subscribers.fan_out_due(candor.courier, runtime.settings, chunk=4) == SUBSCRIBERS
    slow_courier = delivery.Courier(runtime.engine, config, candor.metrics.notify, runtime.clock,
                                    worker="slow")
    assert subscribers._fan_out(slow_courier, runtime.settings, slow, chunk=4) == 0

    keys = Counter(m.idempotency_key for m in rows(runtime, DIRECT))
    assert len(keys) == SUBSCRIBERS and set(keys.values()) == {1}
    (job,) = rows(runtime, FANOUT)
    assert (job.state, job.attempts, job.redeliveries) == (Delivery.DELIVERED, 2, 1)
