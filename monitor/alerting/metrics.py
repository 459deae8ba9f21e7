"""``candor_alerts_received_total{source,outcome}``: alerts in, by where from and what became
of them (new, grouped, deduplicated, silenced, …). ``monitor.wiring`` registers it once."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class AlertMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.received = Counter(
            "candor_alerts_received", "Alerts received, by source and routing outcome.",
            ["source", "outcome"], registry=registry,
        )
