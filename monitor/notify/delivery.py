"""Deliver due outbox messages: claim, send in parallel, record — at least once.

``deliver_due(courier, now)`` delivers one claimed batch (a ``Courier`` holds what it
needs: the database, ``[notify]``, the delivery metrics and the clock); ``drain(courier)``
— what the jobs run — claims batch after batch while full ones come back, so a backlog
drains at the receivers' pace with at most ``[notify] concurrency`` messages in flight.
Any number of passes may run at once, in one process or in many replicas:

1. **claim** (one transaction): up to ``batch_size`` pending messages whose
   ``next_attempt_at <= now``, locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a
   concurrent pass takes the next ones) and under the one write lock on SQLite; each
   gets ``attempts += 1``, the pass's ``claim`` token and a lease
   (``next_attempt_at = now + [notify] claim_lease``), so no other pass sends it while
   the lease runs, and a crash mid-send only delays it — nothing is lost. A row still
   holding an earlier claim had that attempt end unrecorded: ``redeliveries += 1`` and
   ``candor_notifications_redelivered_total`` count the possible duplicate;
2. **send** outside any transaction, ``[notify] concurrency`` at once, started in claim
   order, each bounded by
   ``[notify] timeout``: a receiver that hangs, fails or redirects costs
   one timeout (redirects are not followed: a 3xx is a failure);
3. **record** (one transaction; the delivered ones in one statement): delivered; or
   retried after
   ``backoff(attempts)`` with jitter; or dead after ``max_attempts`` — each only
   where the row still holds this pass's claim (a pass that overran its lease
   records nothing over the pass that took the message over).

``receivers=`` limits a pass to some receivers: ``monitor.wiring`` runs one pass per
receiver, so a receiver that hangs holds up only its own messages.

Webhooks are signed per Standard Webhooks: ``webhook-id`` (the idempotency
key), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the key decoded from
the receiver's ``whsec_<base64>`` secret (``monitor.notify.signing``).
``DeliveryWorker`` runs passes on a thread; ``monitor.wiring`` runs the same pass as
the scheduler's ``notify:<receiver>`` jobs.
"""

from __future__ import annotations

import base64
import email.policy
import json
import logging
import random
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

import httpx
from sqlalchemy import Table, case, select, update
from sqlalchemy.engine import CursorResult, Engine
from sqlmodel import Session

from monitor import db
from monitor.clock import Clock, utc
from monitor.config.notify import Notify, ReceiverConfig
from monitor.db.sealed import SecretBox
from monitor.logs import FIELDS, fields
from monitor.notify import channels
from monitor.notify.metrics import NotifyMetrics
from monitor.notify.models import Delivery, OutboxMessage
from monitor.notify.signing import sign

log = logging.getLogger("candor.notify")
_OUT = cast(Table, OutboxMessage.__table__)  # type: ignore[attr-defined]  # SQLModel sets it


# ---- pure parts ---------------------------------------------------------------------


def backoff(attempts: int, config: Notify, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt number ``attempts`` (1, 2, …), with jitter.

    >>> cfg = Notify(backoff_initial="10s", backoff_max="1m", jitter=0)
    >>> [backoff(n, cfg) for n in (1, 2, 3, 4, 5)]
    [10.0, 20.0, 40.0, 60.0, 60.0]
    """
    base = config.backoff_initial.total_seconds() * 2 ** max(0, attempts - 1)
    delay = min(base, config.backoff_max.total_seconds())
    return max(0.0, delay * (1 + config.jitter * (2 * rand() - 1)))


# ---- sending --------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    id: int
    key: str
    receiver: str
    attempts: int
    payload: dict[str, Any]
    created_at: datetime
    claim: str = ""
    redelivery: bool = False
    """An earlier attempt ended unrecorded: the receiver may already have this message."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def send_http(receiver: ReceiverConfig, message: Claimed, *, now: datetime, timeout: float,
              client: httpx.Client) -> Outcome:
    body = _body(message.payload)
    timestamp = int(now.timestamp())
    headers = {"content-type": "application/json", "user-agent": "candor-notify/1",
               "webhook-id": message.key, "webhook-timestamp": str(timestamp)}
    if receiver.kind == "webhook":
        secret = receiver.secret.reveal() if receiver.secret else None
        if receiver.secret and not secret:
            var = receiver.secret.var
            return Outcome(False, f"environment variable {var} (the signing secret) is not set")
        if secret:
            headers["webhook-signature"] = sign(secret, message.key, timestamp, body)
    response = client.post(receiver.url, content=body, headers=headers, timeout=timeout)
    if 200 <= response.status_code < 300:
        return Outcome(True)
    where = response.headers.get("location", "")
    hint = f" to {where} (redirects are not followed)" if where else ""
    return Outcome(False, f"HTTP {response.status_code}{hint}: {response.text[:200]}")


def send_mail(receiver: ReceiverConfig, message: Claimed, *, timeout: float) -> Outcome:
    parts = urlsplit(receiver.url)
    # Long headers (List-Unsubscribe URLs) stay on one line instead of RFC 2047 words.
    mail = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    # A payload with "html" (and "images": Content-ID → base64 PNG) is sent as HTML mail.
    mail["From"] = message.payload["sender"]
    mail["To"] = ", ".join(message.payload["to"])
    mail["Subject"] = message.payload["subject"]
    mail["Message-ID"] = f"<{message.key.replace(':', '.')}@candor>"
    for name, value in message.payload.get("headers", {}).items():
        mail[name] = value
    mail.set_content(message.payload["text"], cte="quoted-printable")
    if message.payload.get("html"):
        # multipart/alternative: the text, then the HTML with its images inline
        # (multipart/related, referenced as cid:<Content-ID> from the HTML)
        mail.add_alternative(message.payload["html"], subtype="html", cte="quoted-printable")
        html = mail.get_body(("html",))
        assert html is not None  # just added
        for content_id, data in sorted(message.payload.get("images", {}).items()):
            html.add_related(base64.b64decode(data), maintype="image", subtype="png",
                             cid=f"<{content_id}>", filename=content_id.split("@")[0] + ".png",
                             disposition="inline")
    with smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=timeout) as smtp:
        smtp.send_message(mail)
    return Outcome(True)


def attempt(receiver: ReceiverConfig | None, message: Claimed, *, now: datetime, timeout: float,
            client: httpx.Client, secrets: SecretBox | None = None) -> Outcome:
    try:
        if receiver is None and message.receiver == channels.DIRECT:
            return Outcome(*channels.send_direct(message.payload, message.key, now=now,
                                                 timeout=timeout, client=client,
                                                 secrets=secrets))
        if receiver is None:
            return Outcome(False, f"receiver {message.receiver!r} is no longer in the config")
        if receiver.kind == "apprise":
            return Outcome(*channels.send_apprise(receiver, message.payload, timeout=timeout))
        if receiver.kind == "smtp":
            return send_mail(receiver, message, timeout=timeout)
        return send_http(receiver, message, now=now, timeout=timeout, client=client)
    except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
        return Outcome(False, f"{type(exc).__name__}: {exc}"[:300])


# ---- one pass ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Courier:
    """What a delivery pass needs: the database, ``[notify]``, the delivery metrics, the clock.
    ``monitor.wiring`` builds the service's one (``Candor.courier``)."""

    engine: Engine
    config: Notify
    metrics: NotifyMetrics
    clock: Clock
    worker: str = ""
    """Who claims (the replica), written into each claim token: ``<worker>/<pass>``."""
    secrets: SecretBox | None = None
    """Opens the sealed signing secrets of per-message webhooks (``[storage] secret_key``)."""


@dataclass
class DeliveryStats:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    redelivered: int = 0
    stale: int = 0
    """Outcomes not recorded: the pass overran its lease and another pass took the message."""
    errors: dict[str, str] = field(default_factory=dict)


def claim(engine: Engine, now: datetime, config: Notify, *, worker: str = "",
           receivers: Collection[str] | None = None, skip: Collection[str] = ()) -> list[Claimed]:
    """Claim due messages (see the module docstring); ``receivers``: only theirs, ``skip``:
    not theirs (without ``receivers``, never ``channels.FANOUT``'s). The claim token names
    ``worker`` (which replica holds the message).

    Two statements whatever the batch: the locked read, and one ``UPDATE … WHERE id IN``
    that counts the attempt (and the redelivery of a row still holding a claim)."""
    token = f"{worker}/{uuid.uuid4().hex[:16]}"
    query = select(_OUT.c.id, _OUT.c.idempotency_key, _OUT.c.receiver, _OUT.c.attempts,
                   _OUT.c.payload, _OUT.c.created_at, _OUT.c.claim
                   ).where(_OUT.c.state == Delivery.PENDING, _OUT.c.next_attempt_at <= now)
    if receivers is not None:
        query = query.where(_OUT.c.receiver.in_(list(receivers)))
    else:  # fan-out rows are work for their own job, never a message to send
        skip = [*skip, channels.FANOUT]
    if skip:
        query = query.where(_OUT.c.receiver.not_in(list(skip)))
    query = (query.order_by(_OUT.c.next_attempt_at, _OUT.c.id)
             .limit(config.batch_size).with_for_update(skip_locked=True))
    with db.session(engine) as session:
        db.lock_for_write(session)
        rows = session.execute(query).all()
        if not rows:
            return []
        session.execute(
            update(_OUT).where(_OUT.c.id.in_([r.id for r in rows])).values(
                attempts=_OUT.c.attempts + 1,
                redeliveries=_OUT.c.redeliveries + case((_OUT.c.claim.is_(None), 0), else_=1),
                claim=token, last_attempt_at=now, next_attempt_at=now + config.claim_lease))
        return [Claimed(r.id, r.idempotency_key, r.receiver, r.attempts + 1, dict(r.payload),
                        utc(r.created_at), token, r.claim is not None) for r in rows]


def deliver_due(
    courier: Courier,
    now: datetime | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    rand: Callable[[], float] = random.random,
    receivers: Collection[str] | None = None,
    skip: Collection[str] = (),
) -> DeliveryStats:
    """Deliver one claimed batch of due messages (see the module docstring); returns what
    happened. ``receivers``/``skip`` limit the pass to some receivers' messages. ``drain``
    runs batches until the backlog is gone."""
    stats = DeliveryStats()
    with _Sender(courier.config, transport, courier.secrets) as sender:
        _Batch.claim(courier, sender, stats, receivers=receivers, skip=skip,
                     now=now).finish(courier, stats, rand=rand)
    return stats


def drain(
    courier: Courier,
    *,
    transport: httpx.BaseTransport | None = None,
    rand: Callable[[], float] = random.random,
    receivers: Collection[str] | None = None,
    skip: Collection[str] = (),
    stopping: Callable[[], bool] = lambda: False,
) -> DeliveryStats:
    """Claim and send batch after batch while a full batch came back (a backlog drains at
    the receivers' pace, not ``batch_size`` per ``interval``), until fewer were due or
    ``stopping()``. One HTTP client and ``[notify] concurrency`` senders for the whole pass:
    at most that many messages are in flight to the pass's receivers at once, started in
    claim order (``next_attempt_at``, then enqueue order)."""
    stats = DeliveryStats()
    full = courier.config.batch_size
    with _Sender(courier.config, transport, courier.secrets) as sender:
        batch = _Batch.claim(courier, sender, stats, receivers=receivers, skip=skip)
        while batch.messages:
            # Claim the next batch while this one is in flight; its sends queue behind this
            # one's in the pool, so they still start in claim order, ``concurrency`` at once.
            more = len(batch.messages) == full and not stopping()
            after = (_Batch.claim(courier, sender, stats, receivers=receivers, skip=skip)
                     if more else _Batch.NONE)
            batch.finish(courier, stats, rand=rand)
            batch = after
    return stats


class _Sender:
    """A pool of ``[notify] concurrency`` threads, each with its own HTTP client (one
    keep-alive connection per thread and receiver: no lock shared between the sends),
    kept for a pass."""

    def __init__(self, config: Notify, transport: httpx.BaseTransport | None,
                 secrets: SecretBox | None = None) -> None:
        self.transport = transport
        self.secrets = secrets
        self.pool = ThreadPoolExecutor(max_workers=config.concurrency,
                                       thread_name_prefix="candor-send")
        self.local = threading.local()
        self.clients: list[httpx.Client] = []
        self.lock = threading.Lock()

    def client(self) -> httpx.Client:
        """This thread's client."""
        client: httpx.Client | None = getattr(self.local, "client", None)
        if client is None:
            client = httpx.Client(transport=self.transport, follow_redirects=False)
            self.local.client = client
            with self.lock:
                self.clients.append(client)
        return client

    def send(self, receiver: ReceiverConfig | None, message: Claimed, *, now: datetime,
             timeout: float) -> Outcome:
        return attempt(receiver, message, now=now, timeout=timeout, client=self.client(),
                       secrets=self.secrets)

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *_: object) -> None:
        self.pool.shutdown(wait=True)
        for client in self.clients:
            client.close()


@dataclass
class _Batch:
    """One claimed batch: its messages, when it was claimed, and their sends under way."""

    messages: list[Claimed]
    now: datetime
    sending: list[Future[Outcome]]
    NONE: ClassVar[_Batch]

    @classmethod
    def claim(cls, courier: Courier, sender: _Sender, stats: DeliveryStats, *,
              receivers: Collection[str] | None, skip: Collection[str],
              now: datetime | None = None) -> _Batch:
        """Claim due messages and start sending them (``[notify] concurrency`` at once)."""
        config, metrics = courier.config, courier.metrics
        now = now or courier.clock.now()
        claimed = claim(courier.engine, now, config, worker=courier.worker,
                        receivers=receivers, skip=skip)
        stats.claimed += len(claimed)
        configured = {r.name: r for r in config.receivers}
        timeout = config.timeout.total_seconds()
        for message in claimed:
            if message.redelivery:
                stats.redelivered += 1
                metrics.redelivered.labels(message.receiver).inc()
                log.warning("sending %s again: attempt %d ended unrecorded (a worker stopped or "
                            "overran its lease); the receiver may see webhook-id %s twice",
                            message.key, message.attempts - 1, message.key)
        sending = [sender.pool.submit(sender.send, configured.get(m.receiver), m, now=now,
                                      timeout=timeout) for m in claimed]
        return cls(claimed, now, sending)

    def finish(self, courier: Courier, stats: DeliveryStats, *,
               rand: Callable[[], float]) -> None:
        """Wait for the sends and record their outcomes (one transaction)."""
        if not self.messages:
            return
        outcomes = [future.result() for future in self.sending]
        with db.session(courier.engine) as session:
            record(session, list(zip(self.messages, outcomes, strict=True)), now=self.now,
                   config=courier.config, metrics=courier.metrics, stats=stats, rand=rand)


_Batch.NONE = _Batch([], datetime.min, [])


def record(session: Session, done: list[tuple[Claimed, Outcome]], *, now: datetime,
           config: Notify, metrics: NotifyMetrics, stats: DeliveryStats,
           rand: Callable[[], float] = random.random) -> None:
    """Write the outcomes where the rows still hold this pass's claim: the delivered ones in
    one statement, each failure in its own (its backoff differs)."""
    delivered = [m for m, outcome in done if outcome.ok]
    written: set[int] = set()
    if delivered:
        result = session.execute(
            update(_OUT).where(_OUT.c.id.in_([m.id for m in delivered]),
                               _OUT.c.claim == delivered[0].claim)
            .values(claim=None, state=Delivery.DELIVERED, delivered_at=now, last_error=None)
            .returning(_OUT.c.id))
        written = set(result.scalars())
    for message, outcome in done:
        delay = 0.0
        if not outcome.ok:
            values: dict[str, Any] = {"claim": None, "last_error": outcome.error}
            if message.attempts >= config.max_attempts:
                values["state"] = Delivery.DEAD
            else:
                delay = backoff(message.attempts, config, rand)
                values["next_attempt_at"] = now + timedelta(seconds=delay)
            result = session.execute(
                update(_OUT).where(_OUT.c.id == message.id, _OUT.c.claim == message.claim)
                .values(**values))
            if cast(CursorResult[Any], result).rowcount:
                written.add(message.id)
        if message.id not in written:
            stats.stale += 1
            log.warning("%s: outcome not recorded (%s); its lease ran out and another pass took it "
                        "over", message.key, "delivered" if outcome.ok else outcome.error)
            continue
        _count(message, outcome, dead=not outcome.ok and message.attempts >= config.max_attempts,
               delay=delay, metrics=metrics, stats=stats, now=now)


def _count(message: Claimed, outcome: Outcome, *, dead: bool, delay: float,
           metrics: NotifyMetrics, stats: DeliveryStats, now: datetime) -> None:
    if outcome.ok:
        stats.delivered += 1
        metrics.sent.labels(message.receiver).inc()
        metrics.latency.labels(message.receiver).observe(
            max(0.0, (now - message.created_at).total_seconds()))
        return
    stats.errors[message.key] = outcome.error
    metrics.failed.labels(message.receiver).inc()
    failed = fields(receiver=message.receiver, key=message.key, attempt=message.attempts,
                    error=outcome.error)
    if dead:
        stats.dead += 1
        metrics.dead.labels(message.receiver).inc()
        log.error("delivery failed for good: dead-lettered (candor outbox redeliver %s)",
                  message.id, extra=failed)
    else:
        stats.retried += 1
        metrics.retried.labels(message.receiver).inc()
        failed[FIELDS]["retry_in_s"] = round(delay)
        log.warning("delivery failed", extra=failed)


class DeliveryWorker:
    """Runs ``drain`` every ``[notify] interval`` on a daemon thread until ``stop()``."""

    def __init__(self, courier: Courier, interval: float | None = None) -> None:
        self.courier = courier
        self.interval = interval or courier.config.interval.total_seconds()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="candor-notify", daemon=True)

    def start(self) -> DeliveryWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                drain(self.courier, stopping=self._stop.is_set)
            except Exception:
                log.exception("delivery pass failed; trying again in %.0fs", self.interval)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
