"""Deliver due outbox messages: claim, send in parallel, record — at least once.

``deliver_due(courier, now)`` is one bounded pass (a ``Courier`` holds what it needs:
the database, ``[notify]``, the delivery metrics and the clock):

1. **claim** (one transaction): up to ``batch_size`` pending messages whose
   ``next_attempt_at <= now``; each gets ``attempts += 1`` and a lease
   (``next_attempt_at = now + lease``) so a second worker skips it, and a
   crash mid-send only delays it — nothing is lost;
2. **send** outside any transaction, several at once, each bounded by
   ``[notify] timeout``: a receiver that hangs, fails or redirects costs
   one timeout and never holds up the others (redirects are not followed:
   a 3xx is a failure);
3. **record** (one transaction): delivered; or retried after
   ``backoff(attempts)`` with jitter; or dead after ``max_attempts``.

Webhooks are signed per Standard Webhooks: ``webhook-id`` (the idempotency
key), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature``
``v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` with the key decoded from
the receiver's ``whsec_<base64>`` secret (``monitor.notify.signing``).
``DeliveryWorker`` runs passes on a thread; ``monitor.wiring`` runs the same pass as
the scheduler's ``notify`` job.
"""

from __future__ import annotations

import email.policy
import json
import logging
import random
import smtplib
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from monitor import db
from monitor.clock import Clock, utc
from monitor.config.notify import Notify, ReceiverConfig
from monitor.notify import channels
from monitor.notify.metrics import NotifyMetrics
from monitor.notify.models import Delivery, OutboxMessage
from monitor.notify.signing import sign

log = logging.getLogger("candor.notify")


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


@dataclass(frozen=True)
class Outcome:
    ok: bool
    error: str = ""


def _body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def send_http(receiver: ReceiverConfig, message: Claimed, *, now: datetime, timeout: float,
              client: httpx.Client) -> Outcome:
    body = _body(message.payload)
    headers = {"content-type": "application/json", "user-agent": "candor-notify/1"}
    if receiver.kind == "webhook":
        timestamp = int(now.timestamp())
        headers.update({"webhook-id": message.key, "webhook-timestamp": str(timestamp)})
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
    mail["From"] = message.payload["sender"]
    mail["To"] = ", ".join(message.payload["to"])
    mail["Subject"] = message.payload["subject"]
    mail["Message-ID"] = f"<{message.key.replace(':', '.')}@candor>"
    for name, value in message.payload.get("headers", {}).items():
        mail[name] = value
    mail.set_content(message.payload["text"], cte="quoted-printable")
    with smtplib.SMTP(parts.hostname or "localhost", parts.port or 25, timeout=timeout) as smtp:
        smtp.send_message(mail)
    return Outcome(True)


def attempt(receiver: ReceiverConfig | None, message: Claimed, *, now: datetime, timeout: float,
            client: httpx.Client) -> Outcome:
    try:
        if receiver is None and message.receiver == channels.DIRECT:
            return Outcome(*channels.send_direct(message.payload, message.key, now=now,
                                                 timeout=timeout, client=client))
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


@dataclass
class DeliveryStats:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    dead: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def _claim(engine: Engine, now: datetime, config: Notify) -> list[Claimed]:
    lease = config.timeout * 2 + timedelta(seconds=30)
    with db.session(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.state == Delivery.PENDING, col(OutboxMessage.next_attempt_at) <= now)
            .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
            .limit(config.batch_size)
        ).all()
        claimed = []
        for row in rows:
            row.attempts += 1
            row.last_attempt_at = now
            row.next_attempt_at = now + lease
            session.add(row)
            assert row.id is not None
            claimed.append(Claimed(row.id, row.idempotency_key, row.receiver, row.attempts,
                                   dict(row.payload), utc(row.created_at)))
        return claimed


def deliver_due(
    courier: Courier,
    now: datetime | None = None,
    *,
    transport: httpx.BaseTransport | None = None,
    rand: Callable[[], float] = random.random,
) -> DeliveryStats:
    """Deliver every due message once (see the module docstring); returns what happened."""
    now = now or courier.clock.now()
    config, metrics = courier.config, courier.metrics
    claimed = _claim(courier.engine, now, config)
    stats = DeliveryStats(claimed=len(claimed))
    if not claimed:
        return stats
    receivers = {r.name: r for r in config.receivers}
    timeout = config.timeout.total_seconds()
    with httpx.Client(transport=transport, follow_redirects=False) as client, \
            ThreadPoolExecutor(max_workers=min(8, len(claimed))) as pool:
        outcomes = list(pool.map(
            lambda m: attempt(receivers.get(m.receiver), m, now=now, timeout=timeout, client=client),
            claimed,
        ))
    with db.session(courier.engine) as session:
        for message, outcome in zip(claimed, outcomes, strict=True):
            row = session.get(OutboxMessage, message.id)
            assert row is not None
            if outcome.ok:
                row.state, row.delivered_at, row.last_error = Delivery.DELIVERED, now, None
                stats.delivered += 1
                metrics.sent.labels(message.receiver).inc()
                metrics.latency.labels(message.receiver).observe(
                    max(0.0, (now - message.created_at).total_seconds()))
            else:
                row.last_error = outcome.error
                stats.errors[message.key] = outcome.error
                metrics.failed.labels(message.receiver).inc()
                if message.attempts >= config.max_attempts:
                    row.state = Delivery.DEAD
                    stats.dead += 1
                    metrics.dead.labels(message.receiver).inc()
                    log.warning("dead-lettered %s after %d attempts: %s", message.key,
                                message.attempts, outcome.error)
                else:
                    row.next_attempt_at = now + timedelta(seconds=backoff(message.attempts, config, rand))
                    stats.retried += 1
                    metrics.retried.labels(message.receiver).inc()
            session.add(row)
    return stats


class DeliveryWorker:
    """Runs ``deliver_due`` every ``[notify] interval`` on a daemon thread until ``stop()``."""

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
                deliver_due(self.courier)
            except Exception:
                log.exception("delivery pass failed; trying again in %.0fs", self.interval)
            self._stop.wait(max(0.0, self.interval - (time.monotonic() - started)))
