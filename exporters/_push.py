"""Push a registry's samples to Candor from a background thread, never blocking the app.

Every ``interval`` the :class:`Pusher` thread collects the registry into a
batch and queues it; the same thread sends queued batches to
``POST /api/v1/signals``. The app thread never waits on the network: recording
a metric is a plain ``prometheus_client`` update.

* bounded queue: when ``max_queue`` batches wait (Candor is down), the oldest is dropped;
* retries: a failed send (connection error, 429, 5xx) is retried with exponential
  backoff up to ``max_retries`` times, then dropped; a 4xx is dropped at once;
* every drop is counted in ``candor_exporter_push_dropped_samples_total{reason}``
  and every attempt in ``candor_exporter_pushes_total{outcome}`` (same registry);
* prompt: when an error signal moves (:meth:`Pusher.nudge`, which the
  :class:`~exporters.Exporter` calls on an error or a 5xx), the thread pushes after a short
  debounce (``prompt``, 50 ms) instead of waiting for the interval; such pushes are at
  least a tenth of ``interval`` apart (at most ten extra per interval, however many errors),
  so detection waits for the debounce, not for the next regular push. ``nudge`` only sets
  a flag and wakes the thread; the app never waits.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter

from exporters.ingest import METRIC_NAME

log = logging.getLogger("candor.exporters.push")

Send = Callable[[bytes], int]
"""Sends one JSON body, returns the HTTP status (raise ``OSError``/``httpx`` errors on failure)."""


class Pusher:
    """Batched, asynchronous push of ``registry`` to Candor's ``/api/v1/signals``.

    >>> from prometheus_client import CollectorRegistry
    >>> pusher = Pusher("http://127.0.0.1:9", registry=CollectorRegistry(), interval=60)
    >>> pusher.start()
    >>> pusher.close(timeout=0)   # Candor unreachable: the app carries on
    """

    def __init__(
        self,
        url: str,
        *,
        registry: CollectorRegistry,
        token: str | None = None,
        interval: float = 10.0,
        max_queue: int = 60,
        max_samples_per_request: int = 5000,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        timeout: float = 5.0,
        send: Send | None = None,
        prompt: float | None = 0.05,
    ) -> None:
        if interval <= 0:
            raise ValueError(f"interval must be positive seconds, got {interval}")
        if prompt is not None and prompt < 0:
            raise ValueError(f"prompt must be None or non-negative seconds, got {prompt}")
        self.prompt = prompt
        self._urgent_at: float | None = None  # when the nudged push is due (monotonic)
        self._last_urgent = -math.inf
        self.registry = registry
        self.url = url.rstrip("/") + "/api/v1/signals"
        self.interval = interval
        self.max_samples = max_samples_per_request
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._queue: deque[list[dict[str, Any]]] = deque()
        self._max_queue = max_queue
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._flush_asked = 0  # flush generations asked for / seen by the thread / drained
        self._flush_seen = 0
        self._flush_done = 0
        self._thread: threading.Thread | None = None
        self._client: httpx.Client | None = None
        if send is None:
            headers = {"Content-Type": "application/json"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            self._client = httpx.Client(timeout=timeout, headers=headers)
            send = self._http_send
        self._send = send
        self.dropped = Counter(
            "candor_exporter_push_dropped_samples", "Samples the pusher gave up on, by reason.",
            ["reason"], registry=registry)
        self.pushes = Counter(
            "candor_exporter_pushes", "Push attempts to Candor, by outcome.", ["outcome"],
            registry=registry)

    def _http_send(self, body: bytes) -> int:
        assert self._client is not None
        return self._client.post(self.url, content=body).status_code

    def nudge(self) -> None:
        """An error signal moved: push within ``prompt`` seconds (or a tenth of ``interval``
        after the last nudged push, if that is later). Never blocks (safe on the hot path).

        >>> from prometheus_client import CollectorRegistry
        >>> Pusher("http://127.0.0.1:9", registry=CollectorRegistry()).nudge()  # not started: no-op
        """
        if self.prompt is None or self._urgent_at is not None:
            return
        self._urgent_at = max(time.monotonic() + self.prompt, self._last_urgent + self.interval / 10)
        self._wake.set()

    # ---- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Start the background thread (a daemon: it never keeps the app alive)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="candor-pusher", daemon=True)
            self._thread.start()

    def flush(self, timeout: float = 10.0) -> bool:
        """Collect now and wait up to ``timeout`` seconds until the queue is empty.
        Returns whether it emptied; safe to call from any thread."""
        with self._cond:
            self._flush_asked += 1
            target = self._flush_asked
            self._wake.set()
            return self._cond.wait_for(
                lambda: self._flush_done >= target or self._stop.is_set(), timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Flush (bounded by ``timeout``) and stop the thread."""
        if self._thread is not None and timeout > 0:
            self.flush(timeout)
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(max(timeout, 1.0))
            self._thread = None
        if self._client is not None:
            self._client.close()

    # ---- the thread --------------------------------------------------------------

    def _run(self) -> None:
        next_collect = time.monotonic() + self.interval
        retry_at = 0.0
        attempts = 0
        while not self._stop.is_set():
            now = time.monotonic()
            with self._cond:
                flush = self._flush_asked > self._flush_seen
                self._flush_seen = self._flush_asked
            urgent_at = self._urgent_at
            urgent = urgent_at is not None and now >= urgent_at
            if flush or urgent or now >= next_collect:
                self._enqueue(self.snapshot(now_ms=int(time.time() * 1000)))
                if urgent:  # the regular grid stays as it was
                    self._last_urgent, self._urgent_at = now, None
                else:
                    next_collect = now + self.interval
                if flush or urgent:
                    retry_at, attempts = 0.0, 0
            if self._queue and now >= retry_at:
                attempts, retry_at = self._send_head(attempts, now)
                continue
            if not self._queue:
                with self._cond:
                    self._flush_done = self._flush_seen
                    self._cond.notify_all()
            wake_at = next_collect if not self._queue else min(next_collect, retry_at)
            if self._urgent_at is not None:
                wake_at = min(wake_at, self._urgent_at)
            wait = wake_at - now
            self._wake.wait(max(wait, 0.0))
            self._wake.clear()
        with self._cond:
            self._cond.notify_all()

    def _send_head(self, attempts: int, now: float) -> tuple[int, float]:
        batch = self._queue[0]
        body = json.dumps({"samples": batch}).encode()
        try:
            status = self._send(body)
        except (OSError, httpx.HTTPError) as exc:
            log.debug("push to %s failed: %s", self.url, exc)
            status = 0
        if 200 <= status < 300:
            self.pushes.labels("ok").inc()
            self._queue.popleft()
            return 0, 0.0
        retryable = status == 0 or status == 429 or status >= 500
        self.pushes.labels("retry" if retryable else "rejected").inc()
        if not retryable:
            log.warning("Candor rejected a push (HTTP %s); dropping %d samples", status,
                        len(batch))
            self._drop("rejected")
            return 0, 0.0
        if attempts >= self.max_retries:
            self._drop("retries_exhausted")
            return 0, 0.0
        delay = min(self.backoff * 2 ** attempts, self.max_backoff)
        return attempts + 1, now + delay

    def _drop(self, reason: str) -> None:
        batch = self._queue.popleft()
        self.dropped.labels(reason).inc(len(batch))

    def _enqueue(self, samples: list[dict[str, Any]]) -> None:
        for start in range(0, len(samples), self.max_samples):
            while len(self._queue) >= self._max_queue:
                self._drop("queue_full")
            self._queue.append(samples[start:start + self.max_samples])

    def snapshot(self, *, now_ms: int) -> list[dict[str, Any]]:
        """The registry's samples as ``/api/v1/signals`` samples (``_created`` and
        non-finite values left out: Candor's JSON format carries finite numbers only)."""
        out: list[dict[str, Any]] = []
        for family in self.registry.collect():
            for sample in family.samples:
                if sample.name.endswith("_created") or not math.isfinite(sample.value):
                    continue
                if not METRIC_NAME.match(sample.name):
                    continue
                labels = {k: v for k, v in sample.labels.items() if v != ""}
                out.append({"metric": sample.name, "labels": labels, "value": sample.value,
                            "timestamp_ms": now_ms})
        return out
