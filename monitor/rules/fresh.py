"""Evaluate the rules that read a metric as soon as its samples arrive.

The ingest path (``SignalHub.ingest``) tells ``FreshRules.touched(names)`` which metrics
it just stored and returns at once; a thread of its own then runs
``RuleManager.evaluate_fresh`` (the groups reading those metrics, brought forward from
their next tick: see its docstring for what that means for timestamps and ``for``) and
hands the alerts to the sink. So an app's first bad push opens the incident within the
evaluation's own time instead of up to one evaluation interval later. ``active`` gates it
(``Leader.held``: only the replica that runs the rule job evaluates).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable

from monitor.rules.manager import AlertSink, RuleManager

log = logging.getLogger(__name__)


class FreshRules:
    """``touched(names)`` from any thread; ``start()``/``stop()`` the evaluating thread."""

    def __init__(self, manager: RuleManager, sink: AlertSink, *, now: Callable[[], float],
                 active: Callable[[], bool] = lambda: True) -> None:
        self.manager = manager
        self.sink = sink
        self.now = now
        self.active = active
        self._cond = threading.Condition()
        self._names: set[str] = set()
        self._stopped = False
        self._thread: threading.Thread | None = None

    def touched(self, names: Iterable[str]) -> None:
        """Samples of these metrics were stored; never waits on an evaluation."""
        with self._cond:
            self._names.update(names)
            self._cond.notify()

    def start(self) -> FreshRules:
        self._thread = threading.Thread(target=self._run, name="candor-fresh-rules", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._names) or self._stopped)
                if self._stopped:
                    return
                names, self._names = self._names, set()
            if not self.active():
                continue
            try:
                self.manager.evaluate_fresh(names, self.now(), self.sink)
            except Exception:  # a failing pass must not end the thread; the tick retries
                log.exception("evaluating rules for fresh samples failed")
