"""Helpers the Prometheus-comparison benchmarks share: free ports, bounded waits, a real
binary (prometheus, prometheus-alertmanager) started and stopped, Candor on uvicorn.

Not a benchmark itself (``python -m benchmarks`` only runs ``bench_*.py``).
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from monitor.api.app import create_app
from monitor.wiring import Candor

PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
ALERTMANAGER = shutil.which("prometheus-alertmanager") or "/usr/bin/prometheus-alertmanager"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, check: Callable[[], Any], timeout: float, poll: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(poll)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")


@contextmanager
def binary(binary_path: str, args: list[str], log_path: Path, url: str) -> Iterator[str]:
    """Run a Prometheus-family binary until the block ends; yields ``url`` once ready."""
    if not Path(binary_path).exists():
        raise SystemExit(f"{binary_path} not found: install the Debian package "
                         f"({Path(binary_path).name})")
    with log_path.open("w") as log:
        process = subprocess.Popen([binary_path, *args], stdout=log, stderr=subprocess.STDOUT)

        def ready() -> bool:
            if process.poll() is not None:
                raise SystemExit(f"{binary_path} exited: {log_path.read_text()[-2000:]}")
            try:
                return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_for(f"{binary_path} to be ready", ready, timeout=30, poll=0.1)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def serve(candor: Candor) -> Iterator[str]:
    """Candor on uvicorn on a free port until the block ends; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(candor), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for("Candor to listen", lambda: server.started, timeout=15)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
