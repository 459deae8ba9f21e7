"""Helpers the end-to-end tests share: wait for a condition, run a real binary until its
``/-/ready`` answers, serve Candor on a free port."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from monitor.api.app import create_app
from monitor.wiring import Candor
from tests.conftest import free_port

TIMEOUT = 30.0


def wait_for(what: str, check: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}")


def run_binary(name: str, binary: str, args: list[str], log_path: Path,
               url: str) -> Iterator[str]:
    """Start ``binary``, wait for ``url``/-/ready to answer 200, yield ``url``, then stop it."""
    if not Path(binary).exists():
        pytest.fail(f"{binary} not found: install the Debian package {name}")
    log = log_path.open("w")
    process = subprocess.Popen([binary, *args], stdout=log, stderr=subprocess.STDOUT)

    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}: {log_path.read_text()}")
        try:
            return httpx.get(f"{url}/-/ready", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(f"{name} to be ready", ready, timeout=20)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@contextmanager
def serve_candor(candor: Candor) -> Iterator[str]:
    """Candor on uvicorn at a free 127.0.0.1 port; yields its base URL, closes the service."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(candor), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_for("Candor to listen", lambda: server.started, timeout=10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        candor.close()
