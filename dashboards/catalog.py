"""The metrics a dashboard may name: what Candor's and the exporters' registries really
expose, plus the series Candor's rules record. Built by the composition layer (which owns
the registries) and handed to :func:`dashboards.build`; nothing here is a hand list.

    catalog = Catalog.from_registries(candor.runtime.registry, Exporter("x").registry)
    catalog.kind("candor_alerts_received_total")   # "counter"
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

__all__ = ["Catalog", "SYNTHETIC"]

SYNTHETIC = {"up": "gauge", "scrape_duration_seconds": "gauge", "scrape_samples_scraped": "gauge",
             "ALERTS": "gauge", "ALERTS_FOR_STATE": "gauge"}
"""Series every scraper (Prometheus, Candor's own) and rule engine writes by itself."""

_SUFFIXES = {
    "counter": (("_total", "counter"),),
    "histogram": (("_bucket", "counter"), ("_sum", "counter"), ("_count", "counter")),
    "summary": (("_sum", "counter"), ("_count", "counter"), ("", "gauge")),
    "gauge": (("", "gauge"),),
    "info": (("_info", "gauge"),),
    "unknown": (("", "gauge"),),
}


@dataclass(frozen=True)
class Catalog:
    """Sample names → ``"counter"`` (cumulative: only inside rate/increase) or ``"gauge"``."""

    samples: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_registries(cls, *registries: CollectorRegistry,
                        recorded: Iterable[str] = ()) -> Catalog:
        samples = dict(SYNTHETIC)
        for registry in registries:
            for family in registry.collect():
                for suffix, kind in _SUFFIXES.get(family.type, (("", "gauge"),)):
                    samples[family.name + suffix] = kind
        for name in recorded:
            samples[name] = "gauge"
        return cls(dict(sorted(samples.items())))

    def kind(self, name: str) -> str | None:
        """``"counter"``, ``"gauge"``, or ``None`` for a metric nothing exposes."""
        return self.samples.get(name)
