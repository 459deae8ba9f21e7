"""Signals in (Candor JSON, OTLP/HTTP) and the series listing.

Handlers reach the service's one ``SignalHub`` through ``HubDep`` (provided by
``monitor.app.create_app``).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from exporters.ingest import IngestResult, SignalBatch
from monitor.api.deps import Provided, RuntimeDep, Viewer, caller
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.auth.service import Principal
from monitor.errors import CandorError, Unavailable, Unprocessable
from monitor.promql import ast
from monitor.promql.errors import PromQLError
from monitor.promql.labels import Labels, labels_from
from monitor.promql.parser import parse_expr
from monitor.promql.storage import Matcher
from monitor.signals import otlp
from monitor.signals.service import SignalHub, from_batch

signal_hub = Provided[SignalHub]("signal_hub")
HubDep = Annotated[SignalHub, Depends(signal_hub)]


class _CountRejections(APIRoute):
    """Count a body that fails validation in ``candor_ingest_rejected_total{reason="malformed"}``
    (FastAPI rejects it before the handler runs)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def counted(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError:
                signal_hub.get(request).metrics.rejected.labels("malformed").inc()
                raise

        return counted


router = APIRouter(prefix="/api/v1/signals", tags=["signals"], route_class=_CountRejections)
otlp_router = APIRouter(tags=["signals"])


def ingest_auth(request: Request, runtime: RuntimeDep) -> Principal:
    """``signals.ingest_bearer_token`` if configured and presented, else a responder token."""
    ref = runtime.settings.signals.ingest_bearer_token
    expected = ref.reveal() if ref is not None else None
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if expected and scheme.lower() == "bearer" and auth.token_matches(token.strip(), expected):
        return Principal("ingest-token", Role.RESPONDER)
    principal = caller(request, runtime)
    auth.authorize(principal, Role.RESPONDER)
    return principal


Ingester = Annotated[Principal, Depends(ingest_auth)]


@router.post("", response_model=IngestResult, summary="Store a batch of samples (Candor JSON)")
def ingest(hub: HubDep, _: Ingester, body: SignalBatch) -> IngestResult:
    """Store every sample of the batch, or none: a problem names each bad sample by its
    JSON path. Resending an identical sample is accepted (safe retries)."""
    return hub.ingest(from_batch(body, hub.now_ms()), source="json")


async def _raw_body(request: Request) -> bytes:
    return await request.body()


@otlp_router.post(
    "/v1/metrics", summary="OTLP/HTTP metrics (protobuf or JSON)",
    response_class=Response,
    openapi_extra={"requestBody": {"required": True, "content": {
        otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
        otlp.JSON: {"schema": {"type": "object"}}}}},
)
def otlp_metrics(request: Request, runtime: RuntimeDep, hub: HubDep, _: Ingester,
                 body: Annotated[bytes, Depends(_raw_body)]) -> Response:
    """Point a standard ``OTLPMetricExporter`` at ``http://candor:8080/v1/metrics``.
    Unsupported points (delta sums, exponential histograms) come back in
    ``partial_success``; invalid samples are a 4xx and nothing is stored."""
    content_type = request.headers.get("content-type", "")
    try:
        decoded = otlp.decode(body, content_type, request.headers.get("content-encoding", ""),
                              max_bytes=runtime.settings.server.max_body_bytes)
    except CandorError as exc:
        hub.reject(exc)
        raise
    converted = otlp.convert(decoded, hub.now_ms())
    if converted.samples:
        hub.ingest(converted.samples, source="otlp")
    media = otlp.JSON if content_type.lower().startswith(otlp.JSON) else otlp.PROTOBUF
    return Response(otlp.encode_response(converted, content_type), media_type=media)


class SeriesList(BaseModel):
    status: str = "success"
    data: list[dict[str, str]] = Field(description="Label sets of the matching series.")


@router.get("/series", response_model=SeriesList, summary="Series matching label selectors")
def list_series(
    hub: HubDep,
    _: Viewer,
    match: Annotated[list[str], Query(alias="match[]", description=(
        "Series selector, e.g. `candor_app_errors_total{service=\"api\"}`; repeat for a union."
    ))],
    start: Annotated[int | None, Query(description="Only series with samples at or after "
                                       "this time (ms since the epoch).")] = None,
    end: Annotated[int | None, Query(description="…and at or before this time (ms).")] = None,
) -> SeriesList:
    selectors = [parse_selector(text, f"match[]:{i}") for i, text in enumerate(match)]
    if hub.forwarding:
        raise Unavailable('in [cluster] mode = "replicas" samples are forwarded to Prometheus '
                          "by remote write and Candor keeps none; ask that Prometheus "
                          "(GET /api/v1/series at [engine] prometheus_url)")
    store = hub.store
    found: dict[Labels, dict[str, str]] = {}
    for matchers in selectors:
        if start is None and end is None:
            rows = store.series(matchers)
        else:
            lo = start if start is not None else -(2**62)
            hi = end if end is not None else 2**62
            rows = [dict(s.labels) for s in store.select(matchers, lo, hi)]
        for labels in rows:
            found[labels_from(labels)] = labels
    return SeriesList(data=[found[k] for k in sorted(found)])


def parse_selector(text: str, loc: str) -> list[Matcher]:
    """The matchers of a series selector such as ``up{job="api"}``; 422 if it is not one."""
    try:
        expr = parse_expr(text)
    except PromQLError as exc:
        raise Unprocessable(f"{loc}: {text!r} is not a series selector: {exc}",
                            extra={"reason": "invalid_selector"}) from None
    if not isinstance(expr, ast.VectorSelector) or expr.offset_ms or expr.at:
        raise Unprocessable(f"{loc}: {text!r} is not a plain series selector (expected e.g. "
                            "'up{job=\"api\"}', without functions, ranges or offsets)")
    if all(m.matches("") for m in expr.matchers):
        raise Unprocessable(f"{loc}: {text!r} matches every series; add a matcher that "
                            "needs a non-empty value, e.g. a metric name")
    return list(expr.matchers)
