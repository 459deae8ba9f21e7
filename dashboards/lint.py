"""The rules of Grafana's dashboard-linter and ``mixtool lint``, over the generated JSON.

    findings = lint(model, catalog, fixed_windows={"expr …"})
    # [Finding(dashboard="candor-incidents", panel="Open incidents", rule="panel-units-rule", …)]

==========================  =======================================================
template-datasource-rule    a ``datasource`` variable of type prometheus
panel-datasource-rule       every panel and target reads ``${datasource}``
panel-title-description     every panel has a title and a description
panel-units-rule            every panel has a unit
panel-no-targets-rule       every panel has at least one target
target-promql-rule          every expression parses (Candor's parser)
target-rate-interval-rule   rate windows are ``$__rate_interval`` (or ``$__range``)
target-counter-agg-rule     counters only inside rate/increase/irate/changes/resets,
                            and those functions only on counters (mixtool)
unknown-metric              every metric is one Candor or the exporters expose
uid-rule                    a fixed UID; panel ids unique
==========================  =======================================================

``promtool check rules`` over the same expressions is run by the tests (it needs the
binary).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from dashboards.catalog import Catalog
from dashboards.query import RATE_FUNCTIONS, substitute, walk
from monitor.promql import PromQLError, ast, parse_expr

__all__ = ["Finding", "KNOWN_UNITS", "LINT_VALUES", "lint", "targets"]

_RATE_MS, _RANGE_MS = 1001, 1002
LINT_VALUES = {"__rate_interval": f"{_RATE_MS}ms", "__range": f"{_RANGE_MS}ms", "__interval": "1m",
               "service": ".*", "severity": ".*", "slo": ".*", "candor_url": "http://candor"}
KNOWN_UNITS = frozenset({"short", "none", "percentunit", "percent", "s", "ms", "reqps", "cps", "ops",
                         "bytes", "dateTimeAsIso"})


@dataclass(frozen=True)
class Finding:
    dashboard: str
    panel: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel}: {self.rule}: {self.message}"


def targets(model: Mapping[str, Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(panel, target) for every target of every non-row panel."""
    for panel in model.get("panels", []):
        if panel.get("type") == "row":
            continue
        for target in panel.get("targets", []):
            yield panel, target


def _expr_findings(expr: str, catalog: Catalog, fixed: bool) -> Iterator[tuple[str, str]]:
    try:
        tree = parse_expr(substitute(expr, LINT_VALUES))
    except PromQLError as exc:
        yield "target-promql-rule", f"{expr!r} does not parse: {exc}"
        return
    for node, parents in walk(tree):
        if isinstance(node, ast.MatrixSelector) and parents and isinstance(parents[-1], ast.Call) \
                and parents[-1].func in RATE_FUNCTIONS:
            if node.range_ms not in (_RATE_MS, _RANGE_MS) and not fixed:
                yield ("target-rate-interval-rule",
                       f"{parents[-1].func}() over a fixed window in {expr!r}: use [$__rate_interval]")
        if not isinstance(node, ast.VectorSelector) or not node.name:
            continue
        kind = catalog.kind(node.name)
        if kind is None:
            yield "unknown-metric", f"{node.name} is not a metric Candor or the exporters expose"
            continue
        in_rate = (len(parents) >= 2 and isinstance(parents[-1], ast.MatrixSelector)
                   and isinstance(parents[-2], ast.Call) and parents[-2].func in RATE_FUNCTIONS)
        func = parents[-2].func if in_rate else ""  # type: ignore[attr-defined]
        if kind == "counter" and not in_rate:
            yield ("target-counter-agg-rule",
                   f"counter {node.name} used raw in {expr!r}: wrap it in rate() or increase()")
        if kind == "gauge" and in_rate and func in ("rate", "irate", "increase"):
            yield ("target-counter-agg-rule",
                   f"{func}() of gauge {node.name} in {expr!r}: use changes() or the gauge itself")


def lint(model: Mapping[str, Any], catalog: Catalog, fixed_windows: frozenset[str] = frozenset()) -> list[Finding]:
    """Every finding for one dashboard's JSON (empty when it is clean)."""
    uid = str(model.get("uid") or "")
    found: list[Finding] = []

    def add(panel: str, rule: str, message: str) -> None:
        found.append(Finding(uid or str(model.get("title")), panel, rule, message))

    if not uid:
        add("-", "uid-rule", "the dashboard has no fixed uid")
    variables = model.get("templating", {}).get("list", [])
    if not any(v.get("name") == "datasource" and v.get("type") == "datasource"
               and v.get("query") == "prometheus" for v in variables):
        add("-", "template-datasource-rule", "no `datasource` variable of type prometheus")
    ids = [p.get("id") for p in model.get("panels", [])]
    if len(ids) != len(set(ids)):
        add("-", "uid-rule", f"panel ids repeat: {sorted(ids)}")
    for panel in model.get("panels", []):
        if panel.get("type") == "row":
            continue
        title = str(panel.get("title") or "")
        name = title or f"panel {panel.get('id')}"
        if not title or not panel.get("description"):
            add(name, "panel-title-description-rule", "a panel needs a title and a description")
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit")
        if unit not in KNOWN_UNITS:
            add(name, "panel-units-rule", f"unit {unit!r} is missing or not one of {sorted(KNOWN_UNITS)}")
        if panel.get("datasource", {}).get("uid") != "${datasource}":
            add(name, "panel-datasource-rule", "the panel does not read ${datasource}")
        if not panel.get("targets"):
            add(name, "panel-no-targets-rule", "the panel has no target")
        for target in panel.get("targets", []):
            if target.get("datasource", {}).get("uid") != "${datasource}":
                add(name, "panel-datasource-rule", f"target {target.get('refId')} does not read ${{datasource}}")
            expr = str(target.get("expr", ""))
            for rule, message in _expr_findings(expr, catalog, expr in fixed_windows):
                add(name, rule, message)
    for note in model.get("annotations", {}).get("list", []):
        for rule, message in _expr_findings(str(note.get("expr", "")), catalog, False):
            add(f"annotation {note.get('name')}", rule, message)
    return found
