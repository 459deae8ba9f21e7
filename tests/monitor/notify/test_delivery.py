"""Story: an incident event reaches every receiver that wants it — signed, at least once,
retried with backoff when a receiver fails, dead-lettered when it never recovers."""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from sqlmodel import col, select
from werkzeug import Request, Response

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.db import id_of
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from monitor.incidents.models import Incident
from monitor.notify import delivery, service
from monitor.notify.channels import FANOUT
from monitor.notify.delivery import claim, deliver_due
from monitor.notify.models import Delivery, OutboxMessage
from monitor.notify.signing import verify
from monitor.wiring import Candor
from tests.monitor.notify.conftest import open_incident

SECRET = "whsec_" + base64.b64encode(b"candor-test-signing-key-32bytes!").decode()
NO_JITTER = {"jitter": 0, "backoff_initial": "10s", "backoff_max": "1m", "timeout": "2s"}


def make(make_settings: Callable[..., Settings], make_candor: Callable[[Settings], Candor],
         *receivers: dict[str, Any], **notify: Any) -> Candor:
    return make_candor(make_settings(notify={**NO_JITTER, **notify, "receivers": list(receivers)}))


def hook(url: str, name: str = "ops", **extra: Any) -> dict[str, Any]:
    return {"name": name, "kind": "webhook", "url": url, "secret": "env:OPS_SECRET", **extra}


@pytest.fixture(autouse=True)
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPS_SECRET", SECRET)


def enqueue_last_event(runtime: Runtime, incident: Incident) -> list[OutboxMessage]:
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        return service.enqueue_for_event(s, row, incidents.events(s, row)[-1], runtime.settings)


def written_for_last_event(runtime: Runtime, incident: Incident) -> list[OutboxMessage]:
    """The outbox rows the runtime wrote with the incident's latest event."""
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        seq = incidents.events(s, row)[-1].seq
        rows = s.exec(select(OutboxMessage).where(OutboxMessage.incident_id == row.id))
        return [m for m in rows if m.idempotency_key.endswith(f":{seq}")]


def outbox(runtime: Runtime) -> list[OutboxMessage]:
    """The messages (not the subscriber fan-out rows) in enqueue order."""
    with runtime.unit() as s:
        return list(s.exec(select(OutboxMessage).where(OutboxMessage.receiver != FANOUT)
                           .order_by(col(OutboxMessage.id))))


def sample(runtime: Runtime, name: str, receiver: str) -> float | None:
    return runtime.registry.get_sample_value(name, {"receiver": receiver})


@pytest.fixture
def hanging_port() -> Iterator[int]:
    """A port that accepts connections and never answers (a receiver that hangs)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


def test_a_signed_webhook_arrives_once_with_a_versioned_payload(
    httpserver: HTTPServer, make_settings, make_candor
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    runtime = candor.runtime
    seen: list[Request] = []

    def handler(request: Request) -> Response:
        seen.append(request)
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    incident = open_incident(runtime)
    assert len(outbox(runtime)) == 1  # written with the event, in the same transaction
    assert enqueue_last_event(runtime, incident) == []  # same event again: nothing new

    stats = deliver_due(candor.courier)
    assert (stats.claimed, stats.delivered, stats.retried, stats.dead) == (1, 1, 0, 0)
    request = seen[0]
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["webhook-id"] == f"ops:{incident.key}:1"
    assert verify(SECRET, headers, request.get_data())
    assert not verify(SECRET, headers, request.get_data() + b" ")
    body = json.loads(request.get_data())
    assert (body["version"], body["type"], body["id"]) == ("1", "incident.opened", f"ops:{incident.key}:1")
    assert body["data"]["incident"]["key"] == incident.key
    assert outbox(runtime)[0].state == Delivery.DELIVERED
    assert sample(runtime, "candor_notifications_sent_total", "ops") == 1
    assert deliver_due(candor.courier).claimed == 0  # delivered messages are not sent again


def test_a_failing_receiver_is_retried_with_backoff_and_recovers(
    httpserver: HTTPServer, make_settings, make_candor, clock: FixedClock
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    runtime = candor.runtime
    answers = iter([500, 503, 200])
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: Response("x", status=next(answers)))
    enqueue_last_event(runtime, open_incident(runtime))

    assert deliver_due(candor.courier).retried == 1
    assert deliver_due(candor.courier).claimed == 0  # not due for 10 s
    clock.advance(seconds=10)
    assert deliver_due(candor.courier).retried == 1
    clock.advance(seconds=19)
    assert deliver_due(candor.courier).claimed == 0  # second backoff is 20 s
    clock.advance(seconds=1)
    assert deliver_due(candor.courier).delivered == 1
    message = outbox(runtime)[0]
    assert (message.state, message.attempts, message.last_error) == ("delivered", 3, None)
    assert sample(runtime, "candor_notifications_failed_total", "ops") == 2
    assert sample(runtime, "candor_notifications_retried_total", "ops") == 2
    assert runtime.registry.get_sample_value(
        "candor_notification_delivery_seconds_sum", {"receiver": "ops"}) == 30


def test_dead_letter_after_max_attempts_then_manual_redelivery(
    httpserver: HTTPServer, make_settings, make_candor, clock: FixedClock
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")),
                   max_attempts=2)
    runtime = candor.runtime
    healthy = {"now": False}
    httpserver.expect_request("/hook").respond_with_handler(
        lambda request: Response("ok" if healthy["now"] else "down", status=200 if healthy["now"] else 500))
    enqueue_last_event(runtime, open_incident(runtime))
    deliver_due(candor.courier)
    clock.advance(minutes=1)
    assert deliver_due(candor.courier).dead == 1
    clock.advance(hours=1)
    assert deliver_due(candor.courier).claimed == 0
    dead = outbox(runtime)[0]
    assert (dead.state, dead.attempts) == ("dead", 2)
    assert "HTTP 500: down" in (dead.last_error or "")
    assert sample(runtime, "candor_notifications_dead_lettered_total", "ops") == 1

    healthy["now"] = True
    with runtime.unit() as s:
        service.redeliver(s, service.get_or_raise(s, id_of(dead)), now=clock.now())
    assert deliver_due(candor.courier).delivered == 1
    assert outbox(runtime)[0].state == "delivered"


def test_a_hanging_or_redirecting_receiver_does_not_hold_up_the_others(
    httpserver: HTTPServer, make_settings, make_candor, hanging_port: int
) -> None:
    candor = make(
        make_settings, make_candor,
        hook(httpserver.url_for("/ok"), name="good"),
        hook(f"http://127.0.0.1:{hanging_port}/hook", name="hangs"),
        hook(httpserver.url_for("/loop"), name="loops"),
        timeout="500ms",
    )
    runtime = candor.runtime
    httpserver.expect_request("/ok").respond_with_data("ok")
    httpserver.expect_request("/loop").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/loop")}))
    enqueue_last_event(runtime, open_incident(runtime))
    stats = deliver_due(candor.courier)
    assert (stats.delivered, stats.retried) == (1, 2)
    errors = {m.receiver: m.last_error or "" for m in outbox(runtime)}
    assert errors["good"] == ""
    assert "Timeout" in errors["hangs"]
    assert "HTTP 302 to http://" in errors["loops"] and "not followed" in errors["loops"]


def test_a_crash_after_claiming_delays_but_never_loses_a_message_and_the_resend_is_counted(
    httpserver: HTTPServer, make_settings, make_candor, clock: FixedClock
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    runtime = candor.runtime
    httpserver.expect_request("/hook").respond_with_data("ok")
    enqueue_last_event(runtime, open_incident(runtime))
    (lost,) = claim(runtime.engine, clock.now(), runtime.settings.notify, worker="r1#dead")
    assert lost.claim.startswith("r1#dead/") and not lost.redelivery  # then the worker dies
    assert deliver_due(candor.courier).claimed == 0  # leased
    clock.advance(seconds=runtime.settings.notify.claim_lease.total_seconds())
    stats = deliver_due(candor.courier)
    assert (stats.delivered, stats.redelivered) == (1, 1)
    (message,) = outbox(runtime)
    assert (message.state, message.attempts, message.redeliveries, message.claim) == (
        "delivered", 2, 1, None)
    assert sample(runtime, "candor_notifications_redelivered_total", "ops") == 1


def test_a_pass_that_overran_its_lease_records_nothing_over_the_one_that_took_over(
    httpserver: HTTPServer, make_settings, make_candor, clock: FixedClock
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    runtime = candor.runtime
    httpserver.expect_request("/hook").respond_with_data("ok")
    enqueue_last_event(runtime, open_incident(runtime))
    config = runtime.settings.notify
    (slow,) = claim(runtime.engine, clock.now(), config, worker="slow")
    clock.advance(seconds=config.claim_lease.total_seconds())
    assert deliver_due(candor.courier).delivered == 1  # took the message over and delivered it

    stats = delivery.DeliveryStats()
    with runtime.unit() as session:  # the slow pass comes back with a failure
        delivery.record(session, [(slow, delivery.Outcome(False, "Timeout"))], now=clock.now(),
                         config=config, metrics=candor.metrics.notify, stats=stats, rand=lambda: 0.5)
    (message,) = outbox(runtime)
    assert (stats.stale, message.state, message.last_error, message.attempts) == (1, "delivered", None, 2)


def test_passes_running_at_once_send_each_message_once(
    httpserver: HTTPServer, make_settings, make_candor
) -> None:
    settings = make_settings(notify={**NO_JITTER, "batch_size": 7, "receivers": [
        hook(httpserver.url_for("/hook"))]})
    candor = make_candor(settings)
    runtime = candor.runtime
    ids: list[str] = []

    def handler(request: Request) -> Response:
        ids.append(request.headers["webhook-id"])
        return Response("ok")

    httpserver.expect_request("/hook").respond_with_handler(handler)
    for n in range(30):
        open_incident(runtime, title=f"Incident {n}")
    couriers = [delivery.Courier(runtime.engine, settings.notify, candor.metrics.notify, runtime.clock,
                                 worker=f"replica-{n}") for n in range(4)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        rounds = [list(pool.map(deliver_due, couriers)) for _ in range(3)]

    assert sum(stats.delivered for passes in rounds for stats in passes) == 30
    assert sorted(ids) == sorted({m.idempotency_key for m in outbox(runtime)}) and len(ids) == 30
    assert {(m.state, m.attempts, m.redeliveries) for m in outbox(runtime)} == {("delivered", 1, 0)}


class CountingReceiver:
    """A threaded HTTP receiver that records webhook-ids in arrival order and the most
    requests it held at once. With ``hold`` set, each request waits (up to 10 s) until
    ``hold`` requests are inside, so a pass allowed ``hold`` at once reaches it exactly."""

    def __init__(self, hold: int = 0) -> None:
        self.ids: list[str] = []
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()
        self.barrier = threading.Barrier(hold) if hold else None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["content-length"]))
                with receiver.lock:
                    receiver.inside += 1
                    receiver.most = max(receiver.most, receiver.inside)
                    receiver.ids.append(self.headers["webhook-id"])
                if receiver.barrier is not None:
                    with contextlib.suppress(threading.BrokenBarrierError):
                        receiver.barrier.wait(timeout=10)
                with receiver.lock:
                    receiver.inside -= 1
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *_: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def counting() -> Iterator[Callable[..., CountingReceiver]]:
    made: list[CountingReceiver] = []

    def make_receiver(hold: int = 0) -> CountingReceiver:
        made.append(CountingReceiver(hold))
        return made[-1]

    yield make_receiver
    for receiver in made:
        receiver.close()


def test_a_drain_continues_past_one_batch_until_the_backlog_is_gone(
    counting, make_settings, make_candor
) -> None:
    receiver = counting()
    candor = make(make_settings, make_candor, hook(receiver.url), batch_size=4)
    runtime = candor.runtime
    for n in range(11):
        open_incident(runtime, title=f"Incident {n}")

    stats = delivery.drain(candor.courier)

    assert (stats.claimed, stats.delivered) == (11, 11)  # batches of 4, 4, 3 in one pass
    assert {m.state for m in outbox(runtime)} == {Delivery.DELIVERED}
    assert delivery.drain(candor.courier).claimed == 0


def test_a_drain_stops_when_asked_between_batches(counting, make_settings, make_candor) -> None:
    receiver = counting()
    candor = make(make_settings, make_candor, hook(receiver.url), batch_size=4)
    for n in range(11):
        open_incident(candor.runtime, title=f"Incident {n}")
    assert delivery.drain(candor.courier, stopping=lambda: True).delivered == 4


def test_one_receiver_gets_at_most_concurrency_messages_at_once(
    counting, make_settings, make_candor
) -> None:
    receiver = counting(hold=3)
    candor = make(make_settings, make_candor, hook(receiver.url), batch_size=20, concurrency=3)
    for n in range(12):
        open_incident(candor.runtime, title=f"Incident {n}")

    assert delivery.drain(candor.courier).delivered == 12
    assert receiver.most == 3  # reached (the receiver held 3 at once), never passed


def test_one_at_a_time_a_receiver_gets_its_messages_in_enqueue_order(
    counting, make_settings, make_candor
) -> None:
    receiver = counting()
    candor = make(make_settings, make_candor, hook(receiver.url), batch_size=3, concurrency=1)
    runtime = candor.runtime
    for n in range(8):
        open_incident(runtime, title=f"Incident {n}")

    assert delivery.drain(candor.courier).delivered == 8
    assert receiver.ids == [m.idempotency_key for m in outbox(runtime)]  # by id, across batches
    assert receiver.most == 1


def test_matchers_pick_receivers_by_event_severity_service_and_labels(
    make_settings, make_candor
) -> None:
    url = "http://127.0.0.1:9/x"
    candor = make(
        make_settings, make_candor,
        hook(url, name="all"),
        hook(url, name="sev1-links", severities=["SEV1"], services=["redirect"],
             labels={"team": "links"}),
        hook(url, name="sev2", severities=["SEV2"]),
        hook(url, name="resolutions", events=["incident.state_changed"]),
        hook(url, name="notices", events=["notice.corrected"]),
    )
    runtime = candor.runtime
    incident = open_incident(runtime)
    assert sorted(m.receiver for m in written_for_last_event(runtime, incident)) == ["all", "sev1-links"]
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        incidents.transition(s, row, State.VERIFYING, actor="ana", clock=runtime.clock)
        incidents.transition(s, row, State.RESOLVED, actor="ana", clock=runtime.clock)
    sent = written_for_last_event(runtime, incident)
    assert sorted(m.receiver for m in sent) == ["all", "resolutions", "sev1-links"]
    assert {m.event_type for m in sent} == {"incident.resolved"}


def test_corrections_follow_the_notice_to_every_receiver_it_went_to(
    make_settings, make_candor
) -> None:
    from monitor.comms import service as notices
    from monitor.comms.models import Kind
    from tests.monitor.comms.factories import content

    candor = make(make_settings, make_candor,
                   hook("http://127.0.0.1:9/x", name="notices", events=["notice.published"]))
    runtime = candor.runtime
    incident = open_incident(runtime)
    with runtime.unit() as s:
        notice = notices.draft(s, incident, lang="en", content=content("en"), actor="ana",
                               clock=runtime.clock)
        notices.publish(s, notice, actor="ana", is_admin=False, clock=runtime.clock,
                        settings=runtime.settings)
        notices.publish_version(s, notice, kind=Kind.CORRECTION, actor="ana", is_admin=False,
                                clock=runtime.clock, settings=runtime.settings,
                                content=content("en", what_was_wrong="We said A.",
                                                what_is_right="B is right."))
    assert [m.event_type for m in outbox(runtime)] == ["notice.published", "notice.corrected"]


def test_alertmanager_receivers_get_version_4_payloads(
    httpserver: HTTPServer, make_settings, make_candor
) -> None:
    candor = make(make_settings, make_candor,
                   {"name": "am", "kind": "alertmanager", "url": httpserver.url_for("/am")})
    runtime = candor.runtime
    httpserver.expect_request("/am", method="POST").respond_with_data("ok")
    incident = open_incident(runtime)
    enqueue_last_event(runtime, incident)
    assert deliver_due(candor.courier).delivered == 1
    body = json.loads(httpserver.log[0][0].get_data())
    assert (body["version"], body["status"], body["receiver"]) == ("4", "firing", "am")
    alert = body["alerts"][0]
    assert alert["labels"]["alertname"] == incident.key and alert["labels"]["severity"] == "SEV1"
    assert "webhook-signature" not in httpserver.log[0][0].headers


def test_an_unset_secret_fails_the_attempt_with_the_variable_name(
    httpserver: HTTPServer, make_settings, make_candor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPS_SECRET")
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    runtime = candor.runtime
    enqueue_last_event(runtime, open_incident(runtime))
    stats = deliver_due(candor.courier)
    assert stats.retried == 1
    assert "OPS_SECRET (the signing secret) is not set" in next(iter(stats.errors.values()))
    assert httpserver.log == []


def test_queue_depth_and_oldest_age_are_read_at_scrape_time(
    httpserver: HTTPServer, make_settings, make_candor, clock: FixedClock
) -> None:
    candor = make(make_settings, make_candor, hook(httpserver.url_for("/hook")))
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    runtime = candor.runtime

    def depth(receiver: str) -> float | None:
        return runtime.registry.get_sample_value("candor_notification_queue_depth",
                                                 {"receiver": receiver})

    # an empty queue reads 0 for every receiver: the series is there before anything queues
    assert depth("ops") == 0 and depth("direct-webhook") == 0 and depth("subscriber-fanout") == 0
    enqueue_last_event(runtime, open_incident(runtime))
    clock.advance(seconds=90)
    assert depth("ops") == 1
    assert runtime.registry.get_sample_value("candor_notification_oldest_pending_seconds") == 90
    assert deliver_due(candor.courier).delivered == 1
    assert depth("ops") == 0  # drained: 0, not gone


def test_backoff_grows_to_the_cap_with_bounded_jitter() -> None:
    from monitor.config.notify import Notify

    config = Notify(backoff_initial="10s", backoff_max="1m", jitter=0.5)
    assert delivery.backoff(1, config, rand=lambda: 0.0) == 5
    assert delivery.backoff(1, config, rand=lambda: 1.0) == 15
    assert delivery.backoff(9, config, rand=lambda: 0.5) == 60
    assert timedelta(seconds=delivery.backoff(3, config)) <= timedelta(seconds=60)
