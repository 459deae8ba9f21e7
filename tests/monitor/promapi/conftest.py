"""Fixtures for the Prometheus-compatible API: a store with a few series, and a real
Prometheus (Debian's ``prometheus`` binary) scraping itself, to compare answers with."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from monitor.config import Settings
from monitor.promql.labels import labels_from
from monitor.wiring import Candor
from tests.conftest import START
from tests.support.processes import PROMETHEUS, free_port, run_binary, wait_for

T0 = int(START.timestamp())
"""The tests' "now" in Unix seconds; the stored samples end here."""


def put(candor: Candor, labels: dict[str, str], points: list[tuple[float, float]]) -> None:
    """Store ``(unix seconds, value)`` points of one series."""
    key = labels_from(labels)
    candor.signals.store.append([(key, round(t * 1000), v) for t, v in points],
                                 now_ms=T0 * 1000)


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    """No rule files: the embedded engine has no rules, like the Prometheus compared with."""
    return make_settings(engine={"rule_files": []})


@pytest.fixture
def stored(candor: Candor) -> Candor:
    """``up`` of two targets and a counter, sampled every 15 s over the last 10 minutes."""
    times = [T0 - 600 + 15 * i for i in range(41)]
    put(candor, {"__name__": "up", "job": "api", "instance": "a:80"}, [(t, 1) for t in times])
    put(candor, {"__name__": "up", "job": "web", "instance": "b:80"}, [(t, 0) for t in times])
    put(candor, {"__name__": "http_requests_total", "job": "api", "code": "200"},
        [(t, 10.0 * i) for i, t in enumerate(times)])
    return candor


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real Prometheus that scrapes itself every second (so ``up`` exists)."""
    base = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    (base / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: self\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{port}']\n")
    with run_binary(PROMETHEUS, [
            f"--config.file={base / 'prometheus.yml'}", f"--storage.tsdb.path={base / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}"],
            log=base / "log", url=f"http://127.0.0.1:{port}") as url:

        def scraped() -> bool:
            try:
                body = httpx.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=1).json()
            except httpx.HTTPError:
                return False
            return bool(body["data"]["result"])

        wait_for("prometheus to scrape itself", scraped, timeout=15)
        yield url
