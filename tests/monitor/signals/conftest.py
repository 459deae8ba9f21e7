"""A real Candor on 127.0.0.1 (uvicorn in a thread, wall clock), for apps to send to."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
import uvicorn

from monitor.api.app import create_app
from monitor.api.runtime import Runtime
from monitor.auth.models import Role
from monitor.config import Settings
from tests.conftest import bearer, free_port


@dataclass
class LiveCandor:
    url: str
    runtime: Runtime
    headers: dict[str, str]


def _serve(runtime: Runtime) -> tuple[uvicorn.Server, threading.Thread, str]:
    port = free_port()
    config = uvicorn.Config(create_app(runtime), host="127.0.0.1", port=port,
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
    running: list[tuple[uvicorn.Server, threading.Thread, Runtime]] = []
    settings = make_settings()

    def stop() -> None:
        while running:
            server, thread, runtime = running.pop()
            server.should_exit = True
            thread.join(10)
            runtime.signals.close()
            runtime.engine.dispose()

    def start() -> LiveCandor:
        stop()
        runtime = Runtime.build(settings)
        server, thread, url = _serve(runtime)
        running.append((server, thread, runtime))
        return LiveCandor(url, runtime, bearer(runtime, Role.RESPONDER))

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    stop()
