"""A real HTTP webhook receiver for delivery trials: every request is recorded, and each
path behaves as told (answer, fail, hang, be slow), switchable while it runs.

    with webhook_receiver() as hooks:
        hooks.behave("/down-then-up", status=500)
        ...                                    # Candor delivers
        hooks.behave("/down-then-up", status=200)
        hooks.ids("/ok")                       # webhook-id of every request, in arrival order

``Behaviour(hang=True)`` holds each request until ``release()`` (or the server stops);
``delay`` answers late. ``in_flight(path)`` counts requests being held or delayed.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Behaviour", "Received", "WebhookReceiver", "webhook_receiver"]


@dataclass(frozen=True)
class Behaviour:
    status: int = 200
    delay: float = 0.0
    hang: bool = False


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    body: dict[str, Any]
    answered: int


class WebhookReceiver:
    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self._lock = threading.Lock()
        self._behaviour: dict[str, Behaviour] = {}
        self._released = threading.Event()
        self._received: list[Received] = []
        self._in_flight: Counter[str] = Counter()

    def behave(self, path: str, **behaviour: Any) -> None:
        with self._lock:
            self._behaviour[path] = Behaviour(**behaviour)

    def release(self) -> None:
        """Let every held (``hang``) request through, now and from now on."""
        self._released.set()

    def received(self, path: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self._received if path is None or r.path == path]

    def ids(self, path: str | None = None, *, delivered: bool = True) -> list[str]:
        """``webhook-id`` of each request (only those answered 2xx when ``delivered``)."""
        return [r.webhook_id for r in self.received(path)
                if not delivered or 200 <= r.answered < 300]

    def in_flight(self, path: str) -> int:
        with self._lock:
            return self._in_flight[path]

    def _handle(self, path: str, webhook_id: str, body: dict[str, Any]) -> int:
        with self._lock:
            behaviour = self._behaviour.get(path, Behaviour())
            self._in_flight[path] += 1
        try:
            if behaviour.hang:
                self._released.wait()
            if behaviour.delay:
                time.sleep(behaviour.delay)
            with self._lock:
                status = self._behaviour.get(path, behaviour).status if behaviour.hang else behaviour.status
                self._received.append(Received(path, webhook_id, body, status))
            return status
        finally:
            with self._lock:
                self._in_flight[path] -= 1


@contextmanager
def webhook_receiver(port: int = 0) -> Iterator[WebhookReceiver]:
    """A receiver on 127.0.0.1 (``port`` 0: a free one) until the block ends."""
    holder: dict[str, WebhookReceiver] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                body = {"raw": raw.decode(errors="replace")}
            status = holder["r"]._handle(self.path, self.headers.get("webhook-id", ""), body)
            answer = b"ok" if status < 300 else b"not now"
            self.send_response(status)
            self.send_header("content-length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    receiver = WebhookReceiver(server.server_address[1])
    holder["r"] = receiver
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
