"""Notification delivery: signed webhooks from the outbox to a local receiver.

* ``delivery.drain``: 2,000 pending messages (incident.opened payloads for one webhook
  receiver with a signing secret) delivered by one ``drain`` pass (claim, sign, POST,
  record), in messages/s; the reference, in the same run, is a bare loop that signs and
  POSTs the same bodies to the same receiver with the same client and as many at once
  (``[notify] concurrency``), with no database;
* ``delivery.burst``: with the default config and the delivery jobs scheduled as
  ``candor serve`` schedules them, seconds from 2,000 messages committed to the last one
  recorded delivered (target ≤ 10 s; the issue measured ~200 s at 50 per 5 s).

The receiver is a minimal asyncio HTTP/1.1 server in a child process (it answers 200 and
counts), so it neither shares the GIL with the sender nor costs much of a core.
Writes benchmarks/results/delivery.json. Run: ``.venv/bin/python benchmarks/bench_delivery.py``.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Any

import _repo  # noqa: F401  (puts tests.support on the path)
import httpx
from sqlalchemy import func, insert, select

from benchmarks._report import repeats, row, write
from monitor import scheduler
from monitor.config import Settings
from monitor.notify.delivery import Claimed, drain, send_http
from monitor.notify.models import Delivery, OutboxMessage
from monitor.wiring import assemble, build_runtime, jobs
from tests.support.processes import free_port, wait_for

MESSAGES = 2_000
REPEATS = repeats(3, 1)
SECRET = "whsec_" + base64.b64encode(b"candor-bench-signing-key-32byte").decode()

RECEIVER = r"""
import asyncio, sys
count = 0
class Http(asyncio.Protocol):
    def connection_made(self, transport):
        self.transport, self.buf = transport, b""
    def data_received(self, data):
        global count
        self.buf += data
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if not sep:
                return
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if len(rest) < length:
                return
            self.buf = rest[length:]
            count += 1
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
async def main():
    server = await asyncio.get_running_loop().create_server(Http, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


def payload(n: int) -> dict[str, Any]:
    key = f"INC-{n}"
    return {"version": "1", "type": "incident.opened", "id": f"bench:{key}:1",
            "timestamp": "2030-01-01T00:00:00+00:00",
            "data": {"incident": {"key": key, "title": f"Errors on service {n % 40}",
                                  "severity": "SEV2", "state": "detected",
                                  "services": [f"svc-{n % 40}"], "labels": {"team": "links"},
                                  "url": f"http://candor.example/incidents/{key}"},
                     "event": {"seq": 1, "type": "incident.opened", "actor": "alertmanager",
                               "at": "2030-01-01T00:00:00+00:00"}}}


def enqueue(engine: Any, now: datetime, run: str) -> None:
    rows = [{"idempotency_key": f"bench:{run}:{n}", "receiver": "bench",
             "event_type": "incident.opened", "incident_id": None, "payload": payload(n),
             "state": Delivery.PENDING, "attempts": 0, "redeliveries": 0, "created_at": now,
             "next_attempt_at": now} for n in range(MESSAGES)]
    with engine.begin() as connection:
        connection.execute(insert(OutboxMessage.__table__), rows)  # type: ignore[attr-defined]  # SQLModel sets it


def delivered(engine: Any, run: str) -> int:
    table = OutboxMessage.__table__  # type: ignore[attr-defined]  # SQLModel sets it
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).where(
            table.c.state == Delivery.DELIVERED,
            table.c.idempotency_key.like(f"bench:{run}:%"))).scalar_one())


def bare(url: str, settings: Settings, now: datetime) -> float:
    """Messages/s of a loop that only signs and POSTs (a client per thread, as the pass has,
    and the same concurrency)."""
    receiver = settings.notify.receivers[0]
    concurrency = settings.notify.concurrency
    messages = [Claimed(n, f"bare:{n}", "bench", 1, payload(n), now) for n in range(MESSAGES)]
    local = threading.local()
    clients: list[httpx.Client] = []

    def post(message: Claimed) -> bool:
        if not hasattr(local, "client"):
            local.client = httpx.Client()
            clients.append(local.client)
        return send_http(receiver, message, now=now, timeout=5, client=local.client).ok

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        sent = list(pool.map(post, messages))
    for client in clients:
        client.close()
    assert all(sent)
    return MESSAGES / (time.perf_counter() - started)


def main() -> None:
    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])
    url = f"http://127.0.0.1:{port}/hook"
    try:
        wait_for("the receiver", lambda: _answers(url), timeout=20)
        with tempfile.TemporaryDirectory(prefix="candor-bench-delivery-") as tmp:
            os.environ["CANDOR_BENCH_SECRET"] = SECRET
            settings = Settings.model_validate({"storage": {"data_dir": tmp}, "notify": {
                "receivers": [{"name": "bench", "kind": "webhook", "url": url,
                               "secret": "env:CANDOR_BENCH_SECRET"}]}})
            candor = assemble(build_runtime(settings))
            runtime = candor.runtime
            try:
                drained, refs, bursts = [], [], []
                for n in range(REPEATS):
                    refs.append(bare(url, settings, runtime.clock.now()))
                    enqueue(runtime.engine, runtime.clock.now(), f"d{n}")
                    started = time.perf_counter()
                    stats = drain(candor.courier, receivers=["bench"])
                    drained.append(stats.delivered / (time.perf_counter() - started))
                    assert stats.delivered == MESSAGES, stats
                for n in range(REPEATS):
                    background = scheduler.start([j for j in jobs(candor)
                                                  if j.name.startswith("notify:")])
                    time.sleep(1.3 * n + 0.5)  # the burst falls anywhere in the interval
                    try:
                        enqueue(runtime.engine, runtime.clock.now(), f"b{n}")
                        started = time.perf_counter()
                        run = f"b{n}"
                        wait_for("the burst to be delivered",
                                 partial(_all_delivered, runtime.engine, run),
                                 timeout=300, poll=0.05)
                        bursts.append(time.perf_counter() - started)
                    finally:
                        background.shutdown(wait=True)
            finally:
                candor.close()
    finally:
        child.terminate()
        child.wait()
    drain_row = row("delivery.drain", what=f"{MESSAGES:,} signed webhooks by one drain pass "
                    "(concurrency 8) to a local receiver", unit="msgs/s", better="higher",
                    values=drained, reference="bare signed-POST loop", reference_values=refs,
                    target="≥ 1,000 msgs/s", today="50 per 5 s (10 msgs/s)")
    drain_row["met"] = drain_row["candor"]["median"] >= 1000
    burst_row = row("delivery.burst", what=f"{MESSAGES:,} messages committed → all delivered, "
                    "default config, jobs scheduled", unit="s", better="lower", values=bursts,
                    target="≤ 10 s", today="~200 s")
    burst_row["met"] = burst_row["candor"]["max"] <= 10
    write("delivery", [drain_row, burst_row], messages=MESSAGES, repeats=REPEATS)


def _all_delivered(engine: Any, run: str) -> bool:
    return delivered(engine, run) == MESSAGES


def _answers(url: str) -> bool:
    try:
        return httpx.post(url, content=b"{}").status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
