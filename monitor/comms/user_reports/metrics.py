"""``candor_user_reports_total{service}``: user reports received, attached or not.

Rules can alert on it like on any error signal, e.g.
``sum by (service) (increase(candor_user_reports_total[10m])) >= 3``.
``ReportMetrics.of(runtime)`` registers the counter once per runtime.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import Counter

if TYPE_CHECKING:
    from monitor.api.runtime import Runtime

_ATTR = "_candor_report_metrics"


class ReportMetrics:
    def __init__(self, runtime: Runtime) -> None:
        self.reports = Counter("candor_user_reports", "User reports received, by service.",
                               ["service"], registry=runtime.registry)

    @classmethod
    def of(cls, runtime: Runtime) -> ReportMetrics:
        """The metrics of ``runtime``, registered on first use."""
        existing = runtime.__dict__.get(_ATTR)
        if existing is None:
            existing = runtime.__dict__[_ATTR] = cls(runtime)
        return existing  # type: ignore[no-any-return]
