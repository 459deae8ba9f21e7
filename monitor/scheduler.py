"""The background-job mechanism: run a list of ``Job``s on one APScheduler, each guarded.

A job is a name, an interval and a function that does one bounded pass and returns;
an error is logged and the next tick runs as usual, so one failing job never stops the
others. Which jobs run is decided in ``monitor.wiring.jobs``.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from monitor import logs

log = logging.getLogger("candor.scheduler")


Scheduler = BackgroundScheduler
"""What ``start`` returns: ``shutdown(wait=False)`` stops it."""


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[], object]


def _guarded(job: Job) -> Callable[[], None]:
    def tick() -> None:
        with logs.context(job=job.name):
            try:
                job.run()
            except Exception:
                log.exception("job %s failed; it runs again at the next tick", job.name)

    return tick


def start(jobs: Sequence[Job]) -> BackgroundScheduler:
    """Schedule every job (at most one run of each at a time; late ticks coalesce), settle the
    heap, start the scheduler's thread; ``shutdown()`` the returned scheduler to stop.

    Every job has a thread of its own, so a job held up (a receiver that hangs) never makes
    another wait for a free thread."""
    scheduler = BackgroundScheduler(timezone="UTC",
                                    executors={"default": ThreadPoolExecutor(max(10, len(jobs)))})
    for job in jobs:
        scheduler.add_job(_guarded(job), "interval", seconds=job.every_seconds,
                          id=job.name, max_instances=1, coalesce=True)
    settle_heap()
    scheduler.start()
    return scheduler


def settle_heap() -> None:
    """Collect garbage once, then exempt every object alive now (the loaded series store,
    the parsed rules, the imported code) from later cyclic collections.

    They live as long as the process, and Python's full collections walk every tracked
    object: with 10,000 series a full collection took about 160 ms and, when one fell
    inside a rule evaluation, that evaluation took four times as long
    (benchmarks/bench_rules.py). Frozen objects are still freed by reference counting."""
    gc.collect()
    gc.freeze()
