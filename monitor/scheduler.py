"""Background jobs on one APScheduler: each domain contributes ``Job``s here.

Jobs take the runtime, do one bounded pass and return; errors are logged and
the next tick runs as usual, so one failing job never stops the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.api.runtime import Runtime
from monitor.config import parse_duration
from monitor.verification.service import sweep

log = logging.getLogger("candor.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Runtime], object]


def verify(runtime: Runtime) -> object:
    with runtime.unit() as session:
        return sweep(session, settings=runtime.settings, clock=runtime.clock)


def jobs(runtime: Runtime) -> list[Job]:
    return [Job("verification", parse_duration(runtime.settings.verification.sweep_interval), verify)]


def _guarded(job: Job, runtime: Runtime) -> Callable[[], None]:
    def tick() -> None:
        try:
            job.run(runtime)
        except Exception:
            log.exception("job %s failed; it runs again at the next tick", job.name)

    return tick


def start(runtime: Runtime, extra: list[Job] | None = None) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    for job in [*jobs(runtime), *(extra or [])]:
        scheduler.add_job(_guarded(job, runtime), "interval", seconds=job.every_seconds,
                          id=job.name, max_instances=1, coalesce=True)
    scheduler.start()
    return scheduler
