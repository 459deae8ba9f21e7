"""Background jobs on one APScheduler: each domain contributes ``Job``s here.

Jobs take the runtime, do one bounded pass and return; errors are logged and
the next tick runs as usual, so one failing job never stops the others.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from apscheduler.schedulers.background import BackgroundScheduler

from monitor.api.runtime import Runtime
from monitor.config import parse_duration
from monitor.notify import delivery
from monitor.promql.labels import labels_from
from monitor.rules.manager import RuleManager, intake_sink
from monitor.signals.store import SeriesStore
from monitor.verification.service import sweep
from postmortem.schedule import digest_job
from postmortem.service import draft_due

log = logging.getLogger("candor.scheduler")


@dataclass(frozen=True)
class Job:
    name: str
    every_seconds: float
    run: Callable[[Runtime], object]


def verify(runtime: Runtime) -> object:
    with runtime.unit() as session:
        return sweep(session, settings=runtime.settings, clock=runtime.clock)


class RuleOutput:
    """The series store as the rule engine sees it: recording rules and ALERTS are samples too."""

    def __init__(self, store: SeriesStore) -> None:
        self.store = store
        self.select = store.select
        self.select_rows = store.select_rows  # the PromQL engine's fast paths
        self.select_windows = store.select_windows

    def append(self, labels: Mapping[str, str], ts_ms: int, value: float) -> None:
        self.store.append([(labels_from(labels), ts_ms, value)], now_ms=ts_ms)

    def append_many(self, samples: Sequence[tuple[Mapping[str, str], int, float]]) -> None:
        """One store write for a group's samples; one by one if a series repeats (so a
        conflict within the batch is still a ``duplicate_sample`` error)."""
        batch = [(labels_from(labels), t, v) for labels, t, v in samples]
        if len({key for key, _, _ in batch}) < len(batch):
            for item in batch:
                self.store.append([item], now_ms=item[1])
        elif batch:
            self.store.append(batch, now_ms=max(t for _, t, _ in batch))


def rule_job(runtime: Runtime) -> Job | None:
    """Embedded mode: evaluate the configured rule files; alerts go to the intake.

    Raises ``RuleFileError`` (with ``FILE:LINE:COL`` problems) on a broken rule file."""
    if runtime.settings.engine.mode != "embedded":
        return None
    manager = RuleManager.from_settings(runtime.settings, RuleOutput(runtime.signals.store),
                                        registry=runtime.registry)
    runtime.rules = manager  # type: ignore[attr-defined]  # read by /prometheus/api/v1/rules
    sink = intake_sink(runtime)
    return Job("rules", 1.0, lambda rt: manager.evaluate_due(rt.clock.now().timestamp(), sink))


def draft_postmortems(runtime: Runtime) -> object:
    with runtime.unit() as session:
        return draft_due(session, clock=runtime.clock, settings=runtime.settings)


def jobs(runtime: Runtime) -> list[Job]:
    every = parse_duration(runtime.settings.verification.sweep_interval)
    return [
        Job("verification", every, verify),
        Job("notify", parse_duration(runtime.settings.notify.interval), delivery.job),
        Job("postmortem-drafts", 30.0, draft_postmortems),
        *filter(None, [rule_job(runtime), digest_job(runtime)]),
    ]


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
