"""``candor_user_reports_total{service}``: user reports received, attached or not.

Rules can alert on it like on any error signal, e.g.
``sum by (service) (increase(candor_user_reports_total[10m])) >= 3``.
``monitor.wiring`` registers it once on the service's registry.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class ReportMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.reports = Counter("candor_user_reports", "User reports received, by service.",
                               ["service"], registry=registry)
