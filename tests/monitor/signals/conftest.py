"""A real Candor on 127.0.0.1 (uvicorn in a thread, wall clock), for apps to send to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from monitor.api.app import create_app
from monitor.auth.models import Role
from monitor.config import Settings
from monitor.wiring import Candor, assemble, build_runtime
from tests.conftest import bearer, free_port


@dataclass
class LiveCandor:
    url: str
    service: Candor
    headers: dict[str, str]


def _serve(candor: Candor) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(create_app(candor), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture
def live_candor(make_settings: Callable[..., Settings]) -> Iterator[Callable[[], LiveCandor]]:
    """``start()`` a Candor over the test's data dir; call again after the previous one
    stopped (``stop()``) to simulate a restart."""
    running: list[tuple[uvicorn.Server, threading.Thread, Candor]] = []
    settings = make_settings()

    def stop() -> None:
        while running:
            server, thread, candor = running.pop()
            server.should_exit = True
            thread.join(10)
            candor.close()

    def start() -> LiveCandor:
        stop()
        candor = assemble(build_runtime(settings))
        server, thread, url = _serve(candor)
        running.append((server, thread, candor))
        return LiveCandor(url, candor, bearer(candor.runtime, Role.RESPONDER))

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    stop()
