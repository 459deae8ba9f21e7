"""Routes of the Prometheus-compatible API (see the package docstring for the list).

Handlers gather parameters (query string and form body), call one service function and
return its body. Errors, including authentication, leave in Prometheus's error format.
The series store and the rule manager are provided by ``monitor.app.create_app``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from monitor.api.deps import Provided, RuntimeDep, Viewer
from monitor.api.runtime import Runtime
from monitor.errors import CandorError
from monitor.promapi import service
from monitor.promapi.params import ApiError, parse_duration, parse_time
from monitor.promql.engine import Engine
from monitor.rules.manager import RuleManager
from monitor.signals.store import SeriesStore

PROMETHEUS_VERSION = "3.0.0"
"""The Prometheus version whose API and PromQL semantics Candor follows (for Grafana)."""

_KINDS = {401: "unauthorized", 403: "forbidden", 404: "not_found", 422: "bad_data",
          503: "unavailable"}


class _PrometheusErrors(APIRoute):
    """Answer every error of these routes as ``{"status": "error", "errorType", "error"}``."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def wrapped(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as exc:
                return JSONResponse(exc.body(), status_code=exc.status)
            except CandorError as exc:
                error = ApiError(_KINDS.get(exc.status, "bad_data" if exc.status < 500
                                            else "internal"), str(exc), exc.status)
                response = JSONResponse(error.body(), status_code=exc.status)
                if exc.status == 401:
                    response.headers["WWW-Authenticate"] = "Bearer"
                return response

        return wrapped


router = APIRouter(prefix="/prometheus/api/v1", tags=["prometheus"],
                   route_class=_PrometheusErrors)

series_store = Provided[SeriesStore | None]("series_store")
"""The embedded store; ``None`` in ``[cluster] mode = "replicas"`` (series live in Prometheus)."""
rule_manager = Provided[RuleManager | None]("rule_manager")
"""The embedded rule manager, ``None`` when Candor evaluates no rules (prometheus mode)."""


def _local_store(store: Annotated[SeriesStore | None, Depends(series_store)]) -> SeriesStore:
    if store is None:
        raise ApiError("unavailable", "in [cluster] mode = \"replicas\" the series live in the "
                       "Prometheus that receives Candor's remote write; point Grafana and queries "
                       "at that Prometheus ([engine] prometheus_url)", 503)
    return store


StoreDep = Annotated[SeriesStore, Depends(_local_store)]
RulesDep = Annotated[RuleManager | None, Depends(rule_manager)]


class Params:
    """Parameters from the query string and a form-encoded body (body values first)."""

    def __init__(self, values: dict[str, list[str]]) -> None:
        self.values = values

    def get(self, name: str) -> str | None:
        found = self.values.get(name)
        return found[0] if found else None

    def all(self, name: str) -> list[str]:
        return self.values.get(name, [])

    def time(self, name: str, default: float | None) -> float | None:
        text = self.get(name)
        return default if text is None else parse_time(text, name)

    def timeout(self) -> float:
        text = self.get("timeout")
        if text is None:
            return service.DEFAULT_TIMEOUT
        return min(parse_duration(text, "timeout"), service.DEFAULT_TIMEOUT)


async def _params(request: Request) -> Params:
    values: dict[str, list[str]] = {}
    if request.method == "POST" and request.headers.get("content-type", "").lower().startswith(
            "application/x-www-form-urlencoded"):
        body = (await request.body()).decode("utf-8", errors="replace")
        values = parse_qs(body, keep_blank_values=True)
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    return Params(values)


Form = Annotated[Params, Depends(_params)]
_F = TypeVar("_F", bound=Callable[..., Any])


def _get_and_post(path: str, summary: str) -> Callable[[_F], _F]:
    """Register a handler for GET and for form-encoded POST (distinct OpenAPI operations)."""

    def register(handler: _F) -> _F:
        name = handler.__name__
        router.get(path, summary=summary, operation_id=f"prometheus_{name}_get")(handler)
        router.post(path, summary=summary + " (form body)",
                    operation_id=f"prometheus_{name}_post")(handler)
        return handler

    return register


def _engine(runtime: Runtime, store: SeriesStore) -> Engine:
    engine = runtime.settings.engine
    return Engine(store, lookback=engine.lookback.total_seconds(), max_samples=engine.max_samples,
                  delayed_name_removal=engine.delayed_name_removal)


def _now(runtime: Runtime) -> float:
    return round(runtime.clock.now().timestamp(), 3)


def _groups(manager: RuleManager | None) -> list[Any]:
    return list(manager.groups) if manager is not None else []


@_get_and_post("/query", "Instant query (Prometheus API)")
def query(runtime: RuntimeDep, store: StoreDep, _: Viewer, p: Form) -> dict[str, Any]:
    t = p.time("time", _now(runtime))
    assert t is not None
    timeout = p.timeout()
    return service.query(_engine(runtime, store), p.get("query") or "", t, timeout=timeout)


@_get_and_post("/query_range", "Range query (Prometheus API)")
def query_range(runtime: RuntimeDep, store: StoreDep, _: Viewer, p: Form) -> dict[str, Any]:
    start = parse_time(p.get("start"), "start")
    end = parse_time(p.get("end"), "end")
    step = parse_duration(p.get("step"), "step")
    timeout = p.timeout()
    return service.query_range(_engine(runtime, store), p.get("query") or "", start, end, step,
                               timeout=timeout)


@_get_and_post("/series", "Series matching selectors")
def series(store: StoreDep, _: Viewer, p: Form) -> dict[str, Any]:
    start, end = p.time("start", None), p.time("end", None)
    selectors = service.parse_selectors(p.all("match[]"))
    return service.series(store, selectors, start, end)


@_get_and_post("/labels", "Label names")
def labels(store: StoreDep, _: Viewer, p: Form) -> dict[str, Any]:
    start, end = p.time("start", None), p.time("end", None)
    selectors = service.parse_selectors(p.all("match[]"))
    return service.label_names(store, selectors, start, end)


@router.get("/label/{name}/values", summary="Values of one label")
def label_values(name: str, store: StoreDep, _: Viewer, p: Form) -> dict[str, Any]:
    start, end = p.time("start", None), p.time("end", None)
    selectors = service.parse_selectors(p.all("match[]"))
    return service.label_values(store, name, selectors, start, end)


@router.get("/rules", summary="Rule groups of the embedded engine, with their state")
def rules(manager: RulesDep, _: Viewer, p: Form) -> dict[str, Any]:
    return service.rules(_groups(manager), p.values)


@router.get("/alerts", summary="Pending and firing alerts of the embedded engine")
def alerts(manager: RulesDep, _: Viewer) -> dict[str, Any]:
    return service.alerts(_groups(manager))


@router.get("/status/buildinfo", summary="Build information (Grafana probes it)")
def buildinfo(_: Viewer) -> dict[str, Any]:
    return service.build_info(PROMETHEUS_VERSION)
