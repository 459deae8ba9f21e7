"""The series store as the rule engine sees it: recording rules and ``ALERTS`` are samples too.

``monitor.wiring`` hands ``RuleOutput(store)`` to the ``RuleManager`` as its
``WritableStorage``: the engine reads through the store's fast paths and writes
each group's results back in one append.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from monitor.promql.labels import labels_from
from monitor.signals.store import SeriesStore


class RuleOutput:
    """A ``monitor.rules.manager.WritableStorage`` over the series store."""

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
