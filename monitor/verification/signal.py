"""Which series judge a fix and measure impact, and the PromQL that reads them.

The **alert expression** is the triggering rule's ``expr``: looked up by ``alertname`` in
the loaded rule groups (embedded mode), else read from the alert's ``generatorURL``
(``…/graph?g0.expr=…``, what Prometheus and Alertmanager send). The **error ratio** comes
from the request counter the exporters library writes for every app::

    http_server_request_duration_seconds_count{service="S"}                 requests
    http_server_request_duration_seconds_count{service="S",
                                               http_response_status_code=~"5.."}  failed
    candor_app_errors_total{service="S"}                                    errors served

A rule may name its own with annotations ``candor_verify_errors`` / ``candor_verify_total``
(a counter selector, or an expression with ``$window``, as an SLI is written), and so may
a fix (``verification.errors_query`` / ``total_query``). Every query run is kept in the
evidence, so a reader can run it again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.config.slo import WINDOW_PLACEHOLDER, expand
from monitor.durations import format_duration
from monitor.promql import PromQLError, ast
from monitor.promql.parser import COMPARISON_OPS, parse_expr
from monitor.promsource import Queryable, RangeSeries

__all__ = ["Queries", "check_query", "expr_from_generator_url", "pick", "queries_for",
           "rule_for", "split_threshold"]

REQUESTS = "http_server_request_duration_seconds_count"
LATENCY_SUM = "http_server_request_duration_seconds_sum"
ERRORS_SERVED = "candor_app_errors_total"
FAILED = 'http_response_status_code=~"5.."'


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _seconds(value: float) -> str:
    """A PromQL range for ``value`` seconds (``480s``; at least 1s)."""
    return format_duration_seconds(max(1.0, value))


def format_duration_seconds(value: float) -> str:
    return format_duration(timedelta(seconds=round(value, 3)))


def split_threshold(expr: str) -> tuple[str, float | None]:
    """``a > 0.05`` -> ``("a", 0.05)``; anything else comes back whole, without a threshold."""
    try:
        node = parse_expr(expr)
    except PromQLError:
        return expr, None
    if not (isinstance(node, ast.BinaryExpr) and node.op in COMPARISON_OPS and not node.return_bool
            and isinstance(node.rhs, ast.NumberLiteral) and node.lhs.type == ast.VECTOR):
        return expr, None
    text = " ".join(expr.split())
    head, sep, tail = text.rpartition(f" {node.op} ")
    try:
        if sep and float(tail) == node.rhs.value and parse_expr(head).type == ast.VECTOR:
            return head.strip(), node.rhs.value
    except (ValueError, PromQLError):
        pass
    return expr, None  # e.g. "a>0.05" without spaces: chart the whole expression


def pick(found: Sequence[RangeSeries], labels: Mapping[str, str]) -> RangeSeries | None:
    """The series sharing the most label values with the alert; the highest peak breaks ties."""
    best: tuple[int, float] | None = None
    chosen = None
    for series in found:
        values = [v for _, v in series.points if math.isfinite(v)]
        if not values:
            continue
        agree = sum(1 for k, v in labels.items() if series.labels.get(k) == v)
        conflict = any(k in labels and labels[k] != v for k, v in series.labels.items()
                       if k != "__name__")
        score = (agree - 100 * conflict, max(values))
        if best is None or score > best:
            best, chosen = score, series
    return chosen


def expr_from_generator_url(url: str | None) -> str | None:
    """The expression in a Prometheus ``generatorURL`` (``/graph?g0.expr=…``), else ``None``."""
    if not url:
        return None
    values = parse_qs(urlsplit(url).query).get("g0.expr")
    return values[0] if values and values[0].strip() else None


def rule_for(groups: Sequence[Any], alertname: str) -> Any | None:
    for group in groups:
        for rule in getattr(group, "rules", []):
            if getattr(rule, "alert", None) == alertname:
                return rule
    return None


def check_query(text: str, where: str) -> str:
    """``text`` as a counter selector or ``$window`` expression; ``ValueError`` says why not."""
    checked = text if WINDOW_PLACEHOLDER not in text else expand(text, "5m")
    try:
        node = parse_expr(checked)
    except PromQLError as exc:
        raise ValueError(f"{where}: {text!r} is not valid PromQL: {exc}") from None
    if WINDOW_PLACEHOLDER not in text and not isinstance(node, ast.VectorSelector):
        raise ValueError(f"{where}: {text!r} is neither a counter selector nor an expression "
                         "with $window, e.g. 'http_requests_total{code=~\"5..\"}'")
    if node.type != ast.VECTOR:
        raise ValueError(f"{where}: {text!r} must give an instant vector")
    return text


@dataclass(frozen=True)
class Queries:
    """The PromQL for one incident's signal; ``None`` where there is nothing to ask."""

    errors: str | None
    """Counter selector or ``$window`` expression of failed requests."""
    total: str | None
    served: str | None
    """Errors the app recorded (``candor_app_errors_total``), for impact."""
    latency_sum: str | None
    latency_count: str | None
    alert: str | None
    """The triggering rule's full expression (with its threshold)."""
    alert_labels: Mapping[str, str]
    users: str | None = None

    def count(self, which: str, seconds: float) -> str | None:
        """``sum(rate(sel[W]))`` — multiply its value by ``seconds`` for a count."""
        text = getattr(self, which)
        return expand(text, _seconds(seconds)) if text else None

    def ratio(self, step: float) -> str | None:
        if not (self.errors and self.total):
            return None
        rng = _seconds(2 * step)
        return f"({expand(self.errors, rng)} or vector(0)) / {expand(self.total, rng)}"

    def rate(self, step: float) -> str | None:
        return expand(self.total, _seconds(2 * step)) if self.total else None

    def latency(self, step: float) -> str | None:
        if not (self.latency_sum and self.latency_count):
            return None
        rng = _seconds(2 * step)
        return f"{expand(self.latency_sum, rng)} / {expand(self.latency_count, rng)}"

    def shown(self) -> dict[str, str]:
        return {k: v for k, v in (("errors", self.errors), ("total", self.total),
                                  ("served", self.served), ("alert", self.alert),
                                  ("users", self.users)) if v}


def queries_for(*, services: Sequence[str], alert_expr: str | None, alert_labels: Mapping[str, str],
                annotations: Mapping[str, str] | None = None,
                overrides: Mapping[str, Any] | None = None,
                release_matcher: str = "") -> Queries:
    """The incident's queries: the fix's overrides, else the rule's annotations, else the
    exporters' standard series for its ``service`` (from the alert's labels or the incident)."""
    annotations = annotations or {}
    overrides = overrides or {}
    service = alert_labels.get("service") or (services[0] if services else "")
    match = f'service="{_escape(service)}"{release_matcher}' if service else ""
    errors = overrides.get("errors_query") or annotations.get("candor_verify_errors")
    total = overrides.get("total_query") or annotations.get("candor_verify_total")
    served = latency_sum = latency_count = None
    if service:
        errors = errors or f"{REQUESTS}{{{match},{FAILED}}}"
        total = total or f"{REQUESTS}{{{match}}}"
        served = f"{ERRORS_SERVED}{{{match}}}"
        latency_sum, latency_count = f"{LATENCY_SUM}{{{match}}}", f"{REQUESTS}{{{match}}}"
    return Queries(errors=errors, total=total, served=served, latency_sum=latency_sum,
                   latency_count=latency_count, alert=alert_expr, alert_labels=dict(alert_labels),
                   users=annotations.get("candor_impact_users"))


def instant_value(source: Queryable, expr: str, t: float) -> float | None:
    """The sum of an instant query's finite values; ``None`` when it returns nothing."""
    values = [s.value for s in source.query(expr, t) if math.isfinite(s.value)]
    return sum(values) if values else None


def range_points(source: Queryable, expr: str, start: float, end: float, step: float,
                 labels: Mapping[str, str] | None = None, *,
                 strict: bool = False) -> list[tuple[float, float]]:
    """One series' finite points (the one matching ``labels`` best). ``strict``: never a
    series whose labels contradict ``labels`` (another service's alert is not this one's)."""
    found = source.query_range(expr, start, end, step)
    if strict and labels:
        found = [s for s in found if not any(k in labels and labels[k] != v
                                             for k, v in s.labels.items() if k != "__name__")]
    series = pick(found, labels or {})
    return [(t, v) for t, v in series.points if math.isfinite(v)] if series else []
