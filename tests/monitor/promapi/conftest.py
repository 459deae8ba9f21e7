"""Fixtures for the Prometheus-compatible API: a store with a few series, and a real
Prometheus (Debian's ``prometheus`` binary) scraping itself, to compare answers with."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from monitor.config import Settings
from monitor.promql.labels import labels_from
from monitor.wiring import Candor
from tests.conftest import START, free_port

T0 = int(START.timestamp())
"""The tests' "now" in Unix seconds; the stored samples end here."""

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"


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
    if not Path(PROMETHEUS).exists():
        pytest.fail("prometheus not found: install Debian's `prometheus` package")
    base = tmp_path_factory.mktemp("prometheus")
    port = free_port()
    (base / "prometheus.yml").write_text(
        "global:\n  scrape_interval: 1s\n"
        f"scrape_configs:\n  - job_name: self\n    static_configs:\n"
        f"      - targets: ['127.0.0.1:{port}']\n")
    log = (base / "log").open("w")
    proc = subprocess.Popen(
        [PROMETHEUS, f"--config.file={base / 'prometheus.yml'}",
         f"--storage.tsdb.path={base / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                body = httpx.get(f"{url}/api/v1/query", params={"query": "up"}, timeout=1).json()
                if body["data"]["result"]:
                    break
            except (httpx.HTTPError, KeyError, ValueError):
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not scrape itself in 15 s: "
                            f"{(base / 'log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()
