"""Build the FastAPI application of an assembled Candor (``monitor.wiring``).

All routers are mounted here, and only here; the parts handlers need beyond the
runtime (the signal hub, the rule manager, metrics, signal sources) are provided here
too, each to the ``Provided`` dependency its room declares. Part of the composition
layer, with ``monitor.wiring`` and ``monitor.cli``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor import logs
from monitor.alerting import api as alerting
from monitor.api import openapi, problems
from monitor.api.deps import get_runtime
from monitor.api.text import TextRule
from monitor.api.tokens import router as tokens
from monitor.comms.api import public_pages
from monitor.comms.api import public_router as status_page
from monitor.comms.api import router as notices
from monitor.comms.subscribers.api import public_router as subscribe
from monitor.comms.subscribers.api import router as subscribers
from monitor.comms.user_reports import api as user_reports
from monitor.incidents.api import incident_lists
from monitor.incidents.api import router as incidents
from monitor.notify.api import router as outbox
from monitor.ops.api import router as ops
from monitor.promapi import api as prometheus_api
from monitor.signals import api as signals
from monitor.verification import api as verification
from monitor.wiring import Candor
from postmortem import api as postmortems

access = logging.getLogger("candor.http")
ROUTERS = [ops, incidents, alerting.incident_router, alerting.router, tokens, signals.router,
           signals.otlp_router, notices, status_page, outbox, postmortems.router, prometheus_api.router,
           subscribe, subscribers, user_reports.router, verification.router]


class RequestIds:
    """Give every request an id (the caller's ``X-Request-ID``, else a new one), echo it in
    the response, and put it on every log line written while answering (``monitor.logs``).
    A server error is logged with it, so a user's report can be matched to the log."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")
        rid = logs.request_id(given)

        async def tagged(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode())]
                if message["status"] >= 500:
                    access.warning("request failed", extra=logs.fields(
                        method=scope["method"], path=scope["path"], status=message["status"]))
            await send(message)

        with logs.context(request=rid):
            await self.app(scope, receive, tagged)


class RouteTimer:
    """Observe request duration by route template (never by raw path: bounded cardinality)."""

    def __init__(self, app: ASGIApp, observe: Callable[[str, str, int], Callable[[float], None]]
                 ) -> None:
        self.app = app
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.observe(scope["method"], route, status)(time.perf_counter() - start)


def create_app(candor: Candor) -> FastAPI:
    runtime = candor.runtime
    app = FastAPI(
        title="Candor",
        version="0.1.0",
        description="Find errors fast, tell users openly, verify fixes, learn afterwards.",
    )
    get_runtime.provide(app, runtime)
    signals.signal_hub.provide(app, candor.signals)
    public_pages.provide(app, candor.public_pages)
    incident_lists.provide(app, candor.incident_lists)
    prometheus_api.series_store.provide(
        app, None if candor.signals.forwarding else candor.signals.store)
    prometheus_api.rule_manager.provide(app, candor.rules)
    alerting.alert_metrics.provide(app, candor.metrics.alerts)
    user_reports.report_metrics.provide(app, candor.metrics.reports)
    postmortems.chart_source.provide(app, candor.chart_source)
    postmortems.promql_source.provide(app, candor.signal_source)
    verification.promql_source.provide(app, candor.signal_source)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, runtime.settings)
    app.add_middleware(TextRule, sanitise=alerting.SANITISED_TEXT)
    app.add_middleware(problems.Unexpected)  # RouteTimer sees its 500
    app.add_middleware(RouteTimer, observe=candor.metrics.service.timer)
    app.add_middleware(problems.BodyLimit, limit=runtime.settings.server.max_body_bytes)
    app.add_middleware(RequestIds)
    return app
