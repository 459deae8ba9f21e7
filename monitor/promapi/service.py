"""The Prometheus API's work, over plain objects: an engine, a store, a rule manager.

    body = query(engine, "sum(rate(http_requests_total[5m]))", t=1772442000.0)
    body["data"]["result"]          # Prometheus's JSON, ready to send

Every function returns the whole response body or raises :class:`~.params.ApiError`.
Nothing here reads the clock or settings: times and limits are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from monitor.promapi.format import rfc3339, value_json
from monitor.promapi.params import ApiError, bad_param, check_range
from monitor.promql import ast
from monitor.promql.engine import Engine, QueryResult
from monitor.promql.errors import EvalError, ParseError
from monitor.promql.gofmt import go_e
from monitor.promql.labels import Labels, labels_from
from monitor.promql.parser import parse_expr
from monitor.promql.storage import Matcher
from monitor.rules.evaluate import AlertState
from monitor.rules.models import AlertingRule

__all__ = ["DEFAULT_TIMEOUT", "alerts", "build_info", "label_names", "label_values",
           "parse_selectors", "query", "query_range", "rules", "series"]

DEFAULT_TIMEOUT = 120.0
"""Seconds a query may run (Prometheus's ``--query.timeout`` default)."""

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_T = TypeVar("_T")


class SeriesSource(Protocol):
    """What the series endpoints read (``monitor.signals.store.SeriesStore``)."""

    def select(self, matchers: list[Matcher], start_ms: int, end_ms: int) -> Iterable[Any]: ...

    def series(self, matchers: list[Matcher]) -> list[dict[str, str]]: ...


# ---- queries -------------------------------------------------------------------------


def _parse(text: str) -> ast.Expr:
    try:
        return parse_expr(text)
    except ParseError as exc:
        raise bad_param("query", str(exc)) from None


def _with_timeout(work: Callable[[], _T], timeout: float) -> _T:
    """Run ``work`` in a worker thread; 503 if it is not done within ``timeout`` seconds.
    The worker cannot be interrupted: it finishes in the background and is discarded."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="promapi-query")
    try:
        future = pool.submit(work)
        try:
            return future.result(timeout=timeout)
        except TimeoutError:
            raise ApiError("timeout", "query timed out in expression evaluation", 503) from None
    finally:
        pool.shutdown(wait=False)


def _envelope(data: object, result: QueryResult | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "success", "data": data}
    if result is not None and result.warnings:
        body["warnings"] = list(result.warnings)
    if result is not None and result.infos:
        body["infos"] = list(result.infos)
    return body


def query(engine: Engine, text: str, t: float, *, timeout: float = DEFAULT_TIMEOUT
          ) -> dict[str, Any]:
    """An instant query at ``t`` (Unix seconds)."""
    node = _parse(text)
    try:
        result = _with_timeout(lambda: engine.query_instant(node, t), timeout)
    except EvalError as exc:
        raise ApiError("execution", str(exc), 422) from None
    return _envelope(value_json(result.value, round(t * 1000)), result)


def query_range(engine: Engine, text: str, start: float, end: float, step: float, *,
                timeout: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
    """A range query; parameters are checked like Prometheus, then the expression."""
    check_range(start, end, step)
    node = _parse(text)
    if node.type not in (ast.SCALAR, ast.VECTOR):
        raise ApiError("bad_data", f'invalid expression type "{ast.TYPE_NAMES[node.type]}" '
                                   "for range query, must be Scalar or instant Vector")
    try:
        result = _with_timeout(
            lambda: engine.query_range(node, start, end, max(step, 0.001)), timeout)
    except EvalError as exc:
        raise ApiError("execution", str(exc), 422) from None
    return _envelope(value_json(result.value, round(start * 1000)), result)


# ---- series and labels ---------------------------------------------------------------


def parse_selectors(texts: Sequence[str]) -> list[list[Matcher]]:
    """The matchers of each ``match[]`` series selector (``up{job="api"}``)."""
    out = []
    for text in texts:
        try:
            node = parse_expr(text)
        except ParseError as exc:
            raise bad_param("match[]", str(exc)) from None
        if not isinstance(node, ast.VectorSelector) or node.offset_ms or node.at:
            raise bad_param("match[]", f"{text!r} is not a series selector; expected a metric "
                                       'name and/or label matchers, e.g. up{job="api"}')
        out.append(list(node.matchers))
    return out


def _label_sets(store: SeriesSource, selectors: list[list[Matcher]], start: float | None,
                end: float | None) -> list[dict[str, str]]:
    found: dict[Labels, dict[str, str]] = {}
    for matchers in selectors or [[]]:
        if start is None and end is None:
            rows = store.series(matchers)
        else:
            lo = round(start * 1000) if start is not None else -(2**62)
            hi = round(end * 1000) if end is not None else 2**62
            rows = [dict(s.labels) for s in store.select(matchers, lo, hi)]
        for labels in rows:
            found[labels_from(labels)] = labels
    return [found[k] for k in sorted(found)]


def series(store: SeriesSource, selectors: list[list[Matcher]], start: float | None = None,
           end: float | None = None) -> dict[str, Any]:
    """Label sets of the series matching any selector, with samples in ``[start, end]``."""
    if not selectors:
        raise ApiError("bad_data", "no match[] parameter provided")
    return _envelope(_label_sets(store, selectors, start, end))


def label_names(store: SeriesSource, selectors: list[list[Matcher]],
                start: float | None = None, end: float | None = None) -> dict[str, Any]:
    names = {k for labels in _label_sets(store, selectors, start, end) for k in labels}
    return _envelope(sorted(names))


def label_values(store: SeriesSource, name: str, selectors: list[list[Matcher]],
                 start: float | None = None, end: float | None = None) -> dict[str, Any]:
    if not _LABEL_NAME.match(name):
        raise ApiError("bad_data", f'invalid label name: "{name}"')
    values = {labels[name] for labels in _label_sets(store, selectors, start, end)
              if name in labels}
    return _envelope(sorted(values))


# ---- rules and alerts ----------------------------------------------------------------


def _alert_json(alert: Any) -> dict[str, Any]:
    return {"labels": dict(alert.labels), "annotations": dict(alert.annotations),
            "state": str(alert.state), "activeAt": rfc3339(alert.active_at),
            "value": go_e(alert.value)}


def _active(scheduled: Any, index: int) -> list[Any]:
    found = scheduled.state.alerts.get(index, {}).values()
    return sorted((a for a in found if a.state is not AlertState.INACTIVE),
                  key=lambda a: sorted(a.labels.items()))


def _rule_json(scheduled: Any, index: int) -> dict[str, Any]:
    rule = scheduled.group.rules[index]
    last = scheduled.state.last_evaluation
    failure = next((f for f in scheduled.last_failures if f.index == index), None)
    common: dict[str, Any] = {"health": "unknown" if last is None else
                              "err" if failure else "ok"}
    if failure:
        common["lastError"] = failure.message
    common.update(evaluationTime=0, lastEvaluation=rfc3339(last))
    if isinstance(rule, AlertingRule):
        active = _active(scheduled, index)
        states = {a.state for a in active}
        state = ("firing" if AlertState.FIRING in states else
                 "pending" if AlertState.PENDING in states else "inactive")
        return {"state": state, "name": rule.alert, "query": rule.expr,
                "duration": rule.for_s, "keepFiringFor": rule.keep_firing_for_s,
                "labels": dict(rule.labels), "annotations": dict(rule.annotations),
                "alerts": [_alert_json(a) for a in active], **common, "type": "alerting"}
    out: dict[str, Any] = {"name": rule.record, "query": rule.expr}
    if rule.labels:
        out["labels"] = dict(rule.labels)
    return {**out, **common, "type": "recording"}


def rules(scheduled_groups: Iterable[Any], filters: Mapping[str, Sequence[str]]
          ) -> dict[str, Any]:
    """Groups of the embedded rule manager (``RuleManager.groups``), filtered like Prometheus:
    ``type`` (``alert``/``record``), ``rule_name[]``, ``rule_group[]``, ``file[]``."""
    kinds = list(filters.get("type", []))
    kind = kinds[0].lower() if kinds else ""
    if kind not in ("", "alert", "record"):
        raise bad_param("type", f'not supported value "{kinds[0]}"')
    names = set(filters.get("rule_name[]", []))
    group_names = set(filters.get("rule_group[]", []))
    files = set(filters.get("file[]", []))
    groups = []
    for s in scheduled_groups:
        group = s.group
        if (group_names and group.name not in group_names) or (files and group.source
                                                               not in files):
            continue
        out_rules = []
        for i, rule in enumerate(group.rules):
            alerting = isinstance(rule, AlertingRule)
            if (kind == "alert" and not alerting) or (kind == "record" and alerting):
                continue
            if names and rule.name not in names:
                continue
            out_rules.append(_rule_json(s, i))
        if (kind or names) and not out_rules:
            continue
        groups.append({"name": group.name, "file": group.source, "rules": out_rules,
                       "interval": s.interval, "limit": group.limit, "evaluationTime": 0,
                       "lastEvaluation": rfc3339(s.state.last_evaluation)})
    return _envelope({"groups": groups})


def alerts(scheduled_groups: Iterable[Any]) -> dict[str, Any]:
    """Every pending or firing alert of the embedded rules."""
    out: list[dict[str, Any]] = []
    for s in scheduled_groups:
        for i, rule in enumerate(s.group.rules):
            if isinstance(rule, AlertingRule):
                out.extend(_alert_json(a) for a in _active(s, i))
    return _envelope({"alerts": out})


def build_info(version: str) -> dict[str, Any]:
    """What ``/status/buildinfo`` answers; Grafana reads ``version`` to pick features."""
    return _envelope({"version": version, "revision": "candor", "branch": "",
                      "buildUser": "candor", "buildDate": "", "goVersion": "none (Python)"})
