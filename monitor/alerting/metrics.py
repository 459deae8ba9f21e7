"""``candor_alerts_received_total{source,outcome}``: alerts in, by where from and what became
of them (new, grouped, deduplicated, silenced, …). ``monitor.wiring`` registers it once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

OUTCOMES = ("new", "grouped", "deduplicated", "silenced", "reopened", "resolved")
"""What the intake can do with an alert (``monitor.alerting.service.Router``)."""


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "candor_alerts_received", "Alerts received, by source and routing outcome.",
            ["source", "outcome"], registry=registry,
        )

    def start(self, source: str) -> None:
        """Create ``source``'s series at 0 for every outcome, so the first alert shows as an
        increase (a counter born at 1 has no increase to show)."""
        for outcome in OUTCOMES:
            self.received.labels(source, outcome)
