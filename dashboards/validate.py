"""Run every panel's queries against real data sources and report what failed, by
dashboard and panel — how the dashboards are proven without a Grafana.

    sources = {"prometheus": PrometheusAPI("http://127.0.0.1:9090"),
               "candor": PrometheusAPI("http://127.0.0.1:8080/prometheus", token=token)}
    report = validate(models, sources, Window(start, end, step, rate="4s"), values, allow=ALLOW)
    assert report.problems == [], report.text()

A data source that is down, a query that errors, an empty answer (unless ``allow`` says why
the panel is empty by nature) and two sources that answer with different label sets are
each a :class:`Problem` naming the dashboard, the panel and the query.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from dashboards.lint import targets
from dashboards.query import substitute

__all__ = ["Answer", "PrometheusAPI", "Problem", "QuerySource", "Report", "Window", "validate"]

LabelSet = frozenset[tuple[str, str]]
STABLE = 3
"""Range series with fewer points are transient and left out of the label-set comparison."""


class QuerySource(Protocol):
    def query(self, expr: str, at: float) -> list[dict[str, Any]]: ...
    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]: ...


class QueryFailed(Exception):
    """The source is unreachable or answered an error; the message says which."""


@dataclass
class PrometheusAPI:
    """Prometheus's HTTP API (a real Prometheus, or Candor's ``/prometheus``)."""

    url: str
    token: str | None = None
    timeout: float = 10.0

    def _get(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            response = httpx.post(f"{self.url.rstrip('/')}/api/v1/{path}", data=params,
                                  headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise QueryFailed(f"{self.url} is unreachable: {exc}") from None
        try:
            body = response.json()
        except ValueError:
            raise QueryFailed(f"{self.url} answered HTTP {response.status_code}, not JSON") from None
        if response.status_code != 200 or body.get("status") != "success":
            raise QueryFailed(f"{self.url} answered HTTP {response.status_code}: "
                              f"{body.get('errorType', '')} {body.get('error', body)}")
        result: list[dict[str, Any]] = body["data"]["result"]
        return result

    def query(self, expr: str, at: float) -> list[dict[str, Any]]:
        return self._get("query", {"query": expr, "time": at})

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[dict[str, Any]]:
        return self._get("query_range", {"query": expr, "start": start, "end": end, "step": step})


@dataclass(frozen=True)
class Window:
    start: float
    end: float
    step: float
    rate: str
    """What ``$__rate_interval`` stands for (Grafana: at least 4 scrape intervals)."""

    @property
    def range(self) -> str:
        return f"{int(self.end - self.start)}s"


@dataclass(frozen=True)
class Problem:
    dashboard: str
    panel: str
    ref: str
    source: str
    mode: str
    message: str

    def __str__(self) -> str:
        return f"{self.dashboard} / {self.panel} [{self.ref}] on {self.source} ({self.mode}): {self.message}"


@dataclass(frozen=True)
class Answer:
    """One query's result on one source: ``series`` label sets, ``values`` (instant)."""

    dashboard: str
    panel: str
    ref: str
    expr: str
    source: str
    mode: str
    series: tuple[LabelSet, ...]
    values: tuple[float, ...] = ()
    result: tuple[dict[str, Any], ...] = ()


@dataclass
class Report:
    answers: list[Answer] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def text(self) -> str:
        return "\n".join(str(p) for p in self.problems) or "every query answered"


def _labels(series: Mapping[str, Any]) -> LabelSet:
    return frozenset((k, v) for k, v in series["metric"].items() if k != "__name__")


def _queries(model: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    for panel, target in targets(model):
        yield str(panel["title"]), str(target.get("refId", "")), str(target["expr"])
    for note in model.get("annotations", {}).get("list", []):
        yield f"annotation {note['name']}", "", str(note["expr"])


def validate(models: Mapping[str, Mapping[str, Any]], sources: Mapping[str, QuerySource],
             window: Window, values: Mapping[str, str],
             allow: Mapping[tuple[str, str, str], str] | None = None) -> Report:
    """Run every query of every dashboard (``models`` by uid) on every source, as an instant
    query at ``window.end`` and a range query over ``window``."""
    allow = allow or {}
    report = Report()
    names = {**values, "__rate_interval": window.rate, "__range": window.range}
    for uid, model in sorted(models.items()):
        for panel, ref, raw in _queries(model):
            expr = substitute(raw, names)
            seen: dict[str, set[LabelSet]] = {}
            for source_name, source in sorted(sources.items()):
                for mode in ("instant", "range"):
                    try:
                        if mode == "instant":
                            result = source.query(expr, window.end)
                        else:
                            result = source.query_range(expr, window.start, window.end, window.step)
                    except QueryFailed as exc:
                        report.problems.append(Problem(uid, panel, ref, source_name, mode, str(exc)))
                        continue
                    series = tuple(sorted((_labels(s) for s in result), key=sorted))
                    vals = tuple(float(s["value"][1]) for s in result) if mode == "instant" else ()
                    report.answers.append(Answer(uid, panel, ref, expr, source_name, mode, series,
                                                 vals, tuple(result)))
                    if mode == "range":  # series that lived a step or two (a state held for
                        # under a second) may fall between one scraper's samples: compared are
                        # the series both could see
                        seen[source_name] = {_labels(s) for s in result if len(s["values"]) >= STABLE}
                    reason = allow.get((uid, panel, ref)) or allow.get((uid, panel, f"{ref}:{mode}"))
                    if not result and not reason:
                        report.problems.append(Problem(uid, panel, ref, source_name, mode,
                                                       f"empty result for {expr!r}"))
            if len(seen) > 1 and len({frozenset(s) for s in seen.values()}) > 1:
                detail = "; ".join(f"{name}: {sorted(sorted(s) for s in sets)}"
                                   for name, sets in sorted(seen.items()))
                report.problems.append(Problem(uid, panel, ref, "+".join(sorted(seen)), "range",
                                               f"label sets differ for {expr!r}: {detail}"))
    return report
