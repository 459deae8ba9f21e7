"""Boards → Grafana dashboard JSON, with grafana-foundation-sdk.

Deterministic: fixed UIDs (``Settings.uid_prefix`` + slug), panel ids in board order,
keys sorted, two-space indent, a final newline. A query naming a metric the catalog does
not hold is refused (:class:`UnknownMetric`) before anything is written.
"""

from __future__ import annotations

import json
from typing import Any

from grafana_foundation_sdk.builders import common as gcommon
from grafana_foundation_sdk.builders import dashboard as gdb
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as gdm

from dashboards.catalog import Catalog
from dashboards.query import metric_names
from dashboards.spec import Board, Panel, Settings
from monitor.errors import Unprocessable
from monitor.promql import PromQLError

__all__ = ["DATASOURCE", "PARSE_VALUES", "UnknownMetric", "board_json", "to_text"]

DATASOURCE = gdm.DataSourceRef(type_val="prometheus", uid="${datasource}")
PARSE_VALUES = {"__rate_interval": "5m", "__range": "6h", "__interval": "1m", "service": ".*",
                "severity": ".*", "candor_url": "http://candor"}
"""Stand-ins for the variables when an expression is only parsed (not run)."""


class UnknownMetric(Unprocessable):
    """A panel names a metric neither Candor nor the exporters expose (a typo, or a metric
    that was renamed): fix the query or register the metric in monitor/wiring.py."""


def _check(board: Board, panel: Panel, catalog: Catalog) -> None:
    for query in panel.queries:
        try:
            names = metric_names(query.expr, PARSE_VALUES)
        except PromQLError as exc:
            raise Unprocessable(f"dashboard {board.slug!r}, panel {panel.title!r}: "
                                f"{query.expr!r} does not parse: {exc}") from None
        unknown = sorted(n for n in names if catalog.kind(n) is None)
        if unknown:
            raise UnknownMetric(
                f"dashboard {board.slug!r}, panel {panel.title!r}: unknown metric "
                f"{', '.join(unknown)} in {query.expr!r}; Candor and the exporters expose "
                f"no such metric (see `candor dashboards metrics`)")


def _target(index: int, query: Any) -> prometheus.Dataquery:
    target = (prometheus.Dataquery().expr(query.expr).legend_format(query.legend or "__auto")
              .ref_id(chr(ord("A") + index)).datasource(DATASOURCE))
    return target.instant() if query.instant else target.range()


def _panel(panel: Panel, ident: int) -> Any:
    builder: Any = stat.Panel() if panel.kind == "stat" else timeseries.Panel()
    builder = (builder.id(ident).title(panel.title).description(panel.description)
               .unit(panel.unit).datasource(DATASOURCE).span(panel.width).height(panel.height))
    for i, query in enumerate(panel.queries):
        builder = builder.with_target(_target(i, query))
    if panel.thresholds:
        steps = [gdm.Threshold(value=t.value, color=t.color) for t in panel.thresholds]
        builder = builder.thresholds(gdb.ThresholdsConfig().mode(gdm.ThresholdsMode.ABSOLUTE)
                                     .steps(steps))
    if panel.min is not None:
        builder = builder.min(panel.min)
    if panel.max is not None:
        builder = builder.max(panel.max)
    panel_links = [gdb.DashboardLink(link.title).url(link.url).target_blank(True)
                   for link in panel.links if not link.per_series]
    data_links = [gdb.DashboardLink(link.title).url(link.url).target_blank(True)
                  for link in panel.links if link.per_series]
    if panel_links:
        builder = builder.links(panel_links)
    if data_links:
        builder = builder.data_links(data_links)
    if panel.kind == "timeseries":
        builder = builder.legend(gcommon.VizLegendOptions().show_legend(True)
                                 .display_mode(cm.LegendDisplayMode.TABLE)
                                 .placement(cm.LegendPlacement.BOTTOM).calcs(["lastNotNull", "max"]))
        if panel.stacked:
            builder = builder.stacking(gcommon.StackingConfig().mode(cm.StackingMode.NORMAL))
        if panel.thresholds:
            builder = builder.thresholds_style(gcommon.GraphThresholdsStyleConfig()
                                               .mode(cm.GraphThresholdsStyleMode.LINE))
    else:
        builder = builder.reduce_options(gcommon.ReduceDataOptions().calcs(["lastNotNull"])
                                         .values(False))
    return builder


def board_json(board: Board, catalog: Catalog, settings: Settings | None = None) -> dict[str, Any]:
    """The dashboard as Grafana's JSON model (a dict)."""
    settings = settings or Settings()
    for panel in board.panels:
        _check(board, panel, catalog)
    dash = (gdb.Dashboard(board.title).uid(settings.uid_prefix + board.slug)
            .description(board.description).tags([*settings.tags, *board.extra_tags])
            .time(settings.time_from, "now").refresh(settings.refresh).timezone("browser")
            .tooltip(gdm.DashboardCursorSync.CROSSHAIR).editable().version(1))
    dash = dash.with_variable(
        gdb.DatasourceVariable("datasource").label("Data source").type("prometheus")
        .current(gdm.VariableOption(selected=True, text=settings.datasource, value=settings.datasource))
        .description("Prometheus scraping Candor and the apps, or Candor's own /prometheus API"))
    for var in board.variables:
        dash = dash.with_variable(
            gdb.QueryVariable(var.name).label(var.label).description(var.description)
            .datasource(DATASOURCE).query(f"label_values({var.metric}, {var.name})")
            .multi(True).include_all(True).all_value(".*")
            .current(gdm.VariableOption(selected=True, text="All", value="$__all"))
            .refresh(gdm.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(gdm.VariableSort.ALPHABETICAL_ASC))
    dash = dash.with_variable(
        gdb.ConstantVariable("candor_url").value(settings.candor_url)
        .description("Candor's public URL, for links to its incident pages"))
    for note in board.annotations:
        dash = dash.annotation(gdb.AnnotationQuery().name(note.name).datasource(DATASOURCE)
                               .expr(note.expr).icon_color(note.color).enable(True).hide(False))
    ident = 1
    for row in board.rows:
        dash = dash.with_row(gdb.Row(row.title).id(ident))
        ident += 1
        for panel in row.panels:
            dash = dash.with_panel(_panel(panel, ident))
            ident += 1
    built: dict[str, Any] = json.loads(json.dumps(dash.build(), cls=JSONEncoder))
    for note, entry in zip(board.annotations, built.get("annotations", {}).get("list", []), strict=True):
        entry["titleFormat"] = note.title   # Prometheus annotations: the event's name
        entry["step"] = "$__rate_interval"
    return built


def to_text(model: dict[str, Any]) -> str:
    """The committed form: sorted keys, two-space indent, a final newline."""
    return json.dumps(model, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
