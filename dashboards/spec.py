"""What a dashboard says, as plain values: boards of rows of panels of queries.

The boards in :mod:`dashboards.boards` are written in these types; :mod:`.render` turns
them into Grafana JSON with grafana-foundation-sdk, :mod:`.lint` checks them. One config
object (:class:`Settings`) holds the knobs every board shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dashboards.query import Query

__all__ = ["Annotation", "Board", "Link", "Panel", "Row", "Settings", "Threshold", "Variable"]


@dataclass(frozen=True)
class Settings:
    """Knobs shared by every board (the mixin's ``_config``)."""

    datasource: str = "Prometheus"
    """The data source selected by default (its name in provisioning/datasources)."""
    candor_url: str = "http://candor:8080"
    """Where Candor's pages are, for panel links (a dashboard variable Grafana users change)."""
    refresh: str = "30s"
    time_from: str = "now-6h"
    tags: tuple[str, ...] = ("candor",)
    uid_prefix: str = "candor-"


@dataclass(frozen=True)
class Threshold:
    value: float | None
    color: str


@dataclass(frozen=True)
class Link:
    title: str
    url: str
    per_series: bool = False
    """A data link (``${__field.labels.x}`` resolves to the series clicked) or a panel link."""


@dataclass(frozen=True)
class Panel:
    title: str
    description: str
    unit: str
    queries: tuple[Query, ...]
    kind: str = "timeseries"                      # timeseries | stat
    thresholds: tuple[Threshold, ...] = ()
    links: tuple[Link, ...] = ()
    width: int = 12
    height: int = 8
    min: float | None = None
    max: float | None = None
    stacked: bool = False


@dataclass(frozen=True)
class Row:
    title: str
    panels: tuple[Panel, ...]


@dataclass(frozen=True)
class Variable:
    """A query variable: ``label_values(metric, label)``, multi-select with All = ``.*``."""

    name: str
    label: str
    metric: str
    description: str


@dataclass(frozen=True)
class Annotation:
    """Candor's events on the time axis: a PromQL expression that is non-empty at them."""

    name: str
    expr: str
    color: str
    title: str


@dataclass(frozen=True)
class Board:
    slug: str
    title: str
    description: str
    rows: tuple[Row, ...]
    variables: tuple[Variable, ...] = ()
    annotations: tuple[Annotation, ...] = ()
    extra_tags: tuple[str, ...] = field(default=())

    @property
    def panels(self) -> tuple[Panel, ...]:
        return tuple(p for row in self.rows for p in row.panels)
