"""Scrape ``[[scrape]]`` targets (Prometheus text or OpenMetrics) into the series store.

Like Prometheus, each scrape writes ``up`` (1 or 0), ``scrape_duration_seconds``
and ``scrape_samples_scraped`` for the target, and a stale marker for every
series the previous scrape had and this one has not (all of them when the
scrape fails). A target that hangs (past ``timeout``), answers non-2xx, sends
something that does not parse, exceeds ``sample_limit`` or breaks an ingest
limit is a failed scrape: ``up`` = 0, its samples are not stored, the error is
logged and counted in ``candor_ingest_rejected_total{reason}``.

``start_scraping(hub, targets)`` runs one daemon thread per target; ``stop()`` ends them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_om
from prometheus_client.parser import text_string_to_metric_families as parse_text

from monitor.config.signals import ScrapeTarget
from monitor.errors import CandorError
from monitor.promql.labels import Labels, labels_from
from monitor.promql.storage import STALE_NAN
from monitor.signals.service import RawSample, SignalHub

log = logging.getLogger("candor.signals.scrape")

ACCEPT = ("application/openmetrics-text;version=1.0.0;q=0.5,"
          "text/plain;version=0.0.4;q=0.4,*/*;q=0.1")
MAX_BODY_BYTES = 64 * 1024 * 1024


class ScrapeFailed(Exception):
    """The target could not be scraped; the message says why (logged, up = 0)."""

    def __init__(self, message: str, reason: str = "scrape_failed") -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ScrapeOutcome:
    up: bool
    duration_s: float
    samples: int
    error: str = ""


def target_labels(target: ScrapeTarget) -> dict[str, str]:
    """``job``, ``instance`` (host:port of the URL) and the target's own labels."""
    parts = urlsplit(target.url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return {"job": target.job, "instance": f"{parts.hostname}:{port}", **target.labels}


def merge_labels(scraped: dict[str, str], target: dict[str, str], honor: bool) -> dict[str, str]:
    """Attach target labels. On a clash, ``honor`` keeps the scraped value; otherwise the
    scraped one is kept as ``exported_<name>``, as Prometheus does."""
    out = dict(scraped)
    for name, value in target.items():
        if name in out and out[name] != "":
            if honor:
                continue
            out["exported_" + name] = out[name]
        out[name] = value
    return out


def parse(text: str, content_type: str, *, now_ms: int, limit: int) -> list[tuple[dict[str, str], int, float]]:
    """Samples of an exposition: ``(labels with __name__, ts_ms, value)``."""
    openmetrics = content_type.lower().startswith("application/openmetrics-text")
    out: list[tuple[dict[str, str], int, float]] = []
    try:
        for family in (parse_om if openmetrics else parse_text)(text):
            for s in family.samples:
                ts = int(float(s.timestamp) * 1000) if s.timestamp is not None else now_ms
                out.append(({**s.labels, "__name__": s.name}, ts, float(s.value)))
                if len(out) > limit:
                    raise ScrapeFailed(f"more than {limit} samples (sample_limit); raise the "
                                       "target's sample_limit or expose fewer series",
                                       "sample_limit")
    except ScrapeFailed:
        raise
    except Exception as exc:  # the parsers raise assorted errors on garbage
        kind = "OpenMetrics" if openmetrics else "Prometheus text format"
        raise ScrapeFailed(f"the response is not valid {kind}: {exc}", "scrape_unparsable") \
            from None
    return out


class Scraper:
    """Scrapes targets into ``hub``; call :meth:`scrape_once` directly or :meth:`start`."""

    def __init__(self, hub: SignalHub, targets: Sequence[ScrapeTarget],
                 *, client: httpx.Client | None = None,
                 active: Callable[[], bool] = lambda: True) -> None:
        self.hub = hub
        self.targets = list(targets)
        self.active = active  # the background loops scrape only while this says so (the leader)
        self.client = client or httpx.Client(follow_redirects=True)
        self._previous: dict[int, set[Labels]] = {}
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def fetch(self, target: ScrapeTarget) -> tuple[str, str]:
        timeout = target.effective_timeout.total_seconds()
        deadline = time.monotonic() + timeout
        headers = {"Accept": ACCEPT, "X-Prometheus-Scrape-Timeout-Seconds": str(timeout)}
        try:
            with self.client.stream("GET", target.url, headers=headers,
                                    timeout=httpx.Timeout(timeout)) as response:
                if not 200 <= response.status_code < 300:
                    raise ScrapeFailed(f"HTTP {response.status_code} from {target.url}")
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise ScrapeFailed(f"the body is over {MAX_BODY_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise ScrapeFailed(f"no complete answer within {timeout}s",
                                           "scrape_timeout")
                    chunks.append(chunk)
                body = b"".join(chunks)
                return body.decode("utf-8", errors="replace"), \
                    response.headers.get("content-type", "")
        except httpx.TimeoutException:
            raise ScrapeFailed(f"no answer within {timeout}s (timeout)",
                               "scrape_timeout") from None
        except httpx.HTTPError as exc:
            raise ScrapeFailed(f"cannot fetch {target.url}: {exc}") from None

    def scrape_once(self, index: int) -> ScrapeOutcome:
        """Scrape target ``index`` once and store the result (never raises)."""
        target = self.targets[index]
        own = target_labels(target)
        start = time.perf_counter()
        now = self.hub.now_ms()
        previous = self._previous.get(index, set())
        current: set[Labels] = set()
        error, count = "", 0
        try:
            text, content_type = self.fetch(target)
            scraped = parse(text, content_type, now_ms=now, limit=target.sample_limit)
            count = len(scraped)
            samples: list[RawSample] = [
                (merge_labels(labels, own, target.honor_labels), ts, value, f"{target.url}#{i}")
                for i, (labels, ts, value) in enumerate(scraped)]
            current = {labels_from(s[0]) for s in samples}
            markers = [(key, now, STALE_NAN) for key in previous - current]
            self.hub.ingest(samples, source="scrape", markers=markers)
        except (ScrapeFailed, CandorError) as exc:
            error = str(exc).splitlines()[0]
            if isinstance(exc, ScrapeFailed):
                self.hub.metrics.rejected.labels(exc.reason).inc()
            log.warning("scrape of %s (job %s) failed: %s", target.url, target.job, error)
            current = set()
            self._mark_stale(previous, now)
        self._previous[index] = current
        duration = time.perf_counter() - start
        self._record_health(own, now, up=not error, duration=duration, count=count)
        return ScrapeOutcome(up=not error, duration_s=duration, samples=count, error=error)

    def _mark_stale(self, keys: set[Labels], now: int) -> None:
        if keys:
            try:
                self.hub.append([(k, now, STALE_NAN) for k in keys], now_ms=now)
            except CandorError as exc:
                log.warning("could not write stale markers: %s", exc)

    def _record_health(self, own: dict[str, str], now: int, *, up: bool, duration: float,
                       count: int) -> None:
        rows = [("up", 1.0 if up else 0.0), ("scrape_duration_seconds", duration),
                ("scrape_samples_scraped", float(count))]
        try:
            self.hub.append([(labels_from({**own, "__name__": n}), now, v) for n, v in rows],
                            now_ms=now)
        except CandorError as exc:
            log.warning("could not record scrape health for %s: %s", own, exc)

    # ---- background -----------------------------------------------------------------

    def start(self) -> None:
        for index, target in enumerate(self.targets):
            thread = threading.Thread(target=self._loop, args=(index, target), daemon=True,
                                      name=f"candor-scrape-{target.job}")
            thread.start()
            self._threads.append(thread)

    def _loop(self, index: int, target: ScrapeTarget) -> None:
        interval = target.interval.total_seconds()
        next_at = time.monotonic()
        while not self._stop.is_set():
            try:
                if self.active():
                    self.scrape_once(index)
            except Exception:  # a bug must not end the loop silently
                log.exception("scrape loop for %s hit a bug", target.url)
            next_at += interval
            self._stop.wait(max(next_at - time.monotonic(), 0.0))

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.client.close()


class SelfScraper(Scraper):
    """Candor's own registry scraped in process, as a ``[[scrape]]`` of its ``/metrics``
    would be (``job="candor"``, ``instance`` = ``server.listen``, ``up``, stale markers),
    without a port, a token or a thread of its own: call :meth:`scrape` from a job."""

    def __init__(self, hub: SignalHub, registry: CollectorRegistry, *, instance: str,
                 interval: timedelta) -> None:
        target = ScrapeTarget(job="candor", url=f"http://{instance}/metrics", interval=interval,
                              sample_limit=10_000_000)
        super().__init__(hub, [target], client=httpx.Client())
        self.registry = registry

    def fetch(self, target: ScrapeTarget) -> tuple[str, str]:
        return generate_latest(self.registry).decode("utf-8"), CONTENT_TYPE_LATEST

    def scrape(self) -> ScrapeOutcome:
        return self.scrape_once(0)


def start_scraping(hub: SignalHub, targets: Sequence[ScrapeTarget],
                   active: Callable[[], bool] = lambda: True) -> Scraper:
    """Start scraping every target (``[[scrape]]``) into ``hub`` in the background, each
    pass only while ``active()`` (``monitor.wiring`` passes the leader's ``held``).

    ``candor serve`` calls this at startup and ``stop()`` at shutdown.
    """
    scraper = Scraper(hub, targets, active=active)
    scraper.start()
    return scraper
