"""A real Candor on 127.0.0.1 (uvicorn in a thread, wall clock), for apps to send to."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from monitor.auth.models import Role
from monitor.config import Settings
from monitor.wiring import Candor, assemble, build_runtime
from tests.conftest import bearer
from tests.support.processes import serve_candor


@dataclass
class LiveCandor:
    url: str
    service: Candor
    headers: dict[str, str]


@pytest.fixture
def live_candor(make_settings: Callable[..., Settings]) -> Iterator[Callable[[], LiveCandor]]:
    """``start()`` a Candor over the test's data dir; call again after the previous one
    stopped (``stop()``) to simulate a restart."""
    running = ExitStack()
    settings = make_settings()

    def stop() -> None:
        running.close()

    def start() -> LiveCandor:
        stop()
        candor = assemble(build_runtime(settings))
        running.callback(candor.close)
        url = running.enter_context(serve_candor(candor))
        return LiveCandor(url, candor, bearer(candor.runtime, Role.RESPONDER))

    start.stop = stop  # type: ignore[attr-defined]
    yield start
    stop()
