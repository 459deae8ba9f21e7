"""Build the FastAPI application. All routers are mounted here, and only here."""

from __future__ import annotations

import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.alerting.api import router as alerting
from monitor.api import problems
from monitor.api.runtime import Runtime
from monitor.auth.api import router as tokens
from monitor.comms.api import public_router as status_page
from monitor.comms.api import router as notices
from monitor.comms.metrics import install as install_cadence_metrics
from monitor.comms.subscribers.api import public_router as subscribe
from monitor.comms.subscribers.api import router as subscribers
from monitor.comms.user_reports.api import router as user_reports
from monitor.incidents.api import router as incidents
from monitor.notify.api import router as outbox
from monitor.notify.metrics import NotifyMetrics
from monitor.ops.api import router as ops
from monitor.promapi.api import router as prometheus_api
from monitor.signals.api import otlp_router as otlp
from monitor.signals.api import router as signals
from postmortem.api import router as postmortems
from postmortem.metrics import register as register_action_item_metrics

ROUTERS = [ops, incidents, alerting, tokens, signals, otlp, notices, status_page, outbox, postmortems,
           prometheus_api, subscribe, subscribers, user_reports]


class RouteTimer:
    """Observe request duration by route template (never by raw path: bounded cardinality)."""

    def __init__(self, app: ASGIApp, runtime: Runtime) -> None:
        self.app = app
        self.runtime = runtime

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
            self.runtime.metrics.timer(scope["method"], route, status)(time.perf_counter() - start)


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="Candor",
        version="0.1.0",
        description="Find errors fast, tell users openly, verify fixes, learn afterwards.",
    )
    app.state.runtime = runtime
    NotifyMetrics.of(runtime)
    register_action_item_metrics(runtime.registry, runtime.engine, runtime.clock)
    install_cadence_metrics(runtime)
    problems.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.add_middleware(RouteTimer, runtime=runtime)
    app.add_middleware(problems.BodyLimit, limit=runtime.settings.server.max_body_bytes)
    return app
