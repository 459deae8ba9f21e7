"""OTLP/HTTP in JSON or protobuf: stored under Prometheus names; what cannot be stored is
reported back (partial success) or rejected with a precise 4xx, and nothing is lost."""

from __future__ import annotations

import gzip
import json

import pytest
from fastapi.testclient import TestClient
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)

from monitor.promql.storage import Matcher, MatchType, is_stale
from monitor.wiring import Candor
from tests.conftest import START

NOW_NS = int(START.timestamp()) * 1_000_000_000


def otlp(metrics: list[dict], service: str = "links-api") -> dict:
    return {"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name",
                                     "value": {"stringValue": service}}]},
        "scopeMetrics": [{"metrics": metrics}]}]}


def counter(value: float | str, *, temporality: int = 2, flags: int = 0) -> dict:
    return {"name": "candor.app.errors", "unit": "{error}", "sum": {
        "aggregationTemporality": temporality, "isMonotonic": True,
        "dataPoints": [{"asDouble": value, "timeUnixNano": str(NOW_NS), "flags": flags,
                        "attributes": [{"key": "kind", "value": {"stringValue": "timeout"}},
                                       {"key": "user.visible", "value": {"boolValue": True}}]}]}}


def post(client: TestClient, headers: dict, body: bytes | dict, content_type: str = "application/json",
         **extra: str):
    content = json.dumps(body).encode() if isinstance(body, dict) else body
    return client.post("/v1/metrics", content=content,
                       headers={**headers, "Content-Type": content_type, **extra})


def values(candor: Candor, name: str) -> list[tuple[dict, list]]:
    found = candor.signals.store.select([Matcher(MatchType.EQUAL, "__name__", name)], 0, 2**62)
    return [(dict(s.labels), list(s.samples)) for s in found]


def test_otlp_json_is_stored_under_prometheus_names(client: TestClient, responder: dict,
                                                    candor: Candor) -> None:
    response = post(client, responder, otlp([counter(3), {
        "name": "http.server.request.duration", "unit": "s", "histogram": {
            "aggregationTemporality": 2, "dataPoints": [{
                "timeUnixNano": str(NOW_NS), "count": "3", "sum": 0.7,
                "bucketCounts": ["1", "2", "0"], "explicitBounds": [0.1, 1]}]}}]))
    assert response.status_code == 200, response.text
    assert response.json() == {}
    assert values(candor, "candor_app_errors_total") == [(
        {"__name__": "candor_app_errors_total", "job": "links-api", "kind": "timeout",
         "user_visible": "true"}, [(NOW_NS // 1_000_000, 3.0)])]
    buckets = {s[0]["le"]: s[1][0][1] for s in
               values(candor, "http_server_request_duration_seconds_bucket")}
    assert buckets == {"0.1": 1.0, "1.0": 3.0, "+Inf": 3.0}
    assert values(candor, "http_server_request_duration_seconds_count")[0][1][0][1] == 3.0


def test_gzip_protobuf_is_accepted_and_answered_in_protobuf(client: TestClient,
                                                            responder: dict) -> None:
    from google.protobuf import json_format
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    message = json_format.ParseDict(otlp([counter(1)]), ExportMetricsServiceRequest())
    response = post(client, responder, gzip.compress(message.SerializeToString()),
                    "application/x-protobuf", **{"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    ExportMetricsServiceResponse.FromString(response.content)


def test_delta_sums_come_back_as_a_partial_success_with_the_fix(client: TestClient,
                                                                responder: dict,
                                                                candor: Candor) -> None:
    response = post(client, responder, otlp([counter(1, temporality=1)]))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedDataPoints"] == "1"
    assert "cumulative temporality" in partial["errorMessage"]
    assert values(candor, "candor_app_errors_total") == []


def test_a_point_with_no_recorded_value_is_a_stale_marker(client: TestClient, responder: dict,
                                                          candor: Candor) -> None:
    assert post(client, responder, otlp([counter(0, flags=1)])).status_code == 200
    assert is_stale(values(candor, "candor_app_errors_total")[0][1][0][1])


@pytest.mark.parametrize(("body", "content_type", "extra", "status", "words"), [
    (b"\xff\xfe not protobuf", "application/x-protobuf", {}, 400, "not an OTLP"),
    (b"{not json", "application/json", {}, 400, "not an OTLP ExportMetricsServiceRequest in JSON"),
    (b'{"resourceMetrics": 7}', "application/json", {}, 400, "in JSON"),
    (b"x", "text/plain", {}, 400, "is not OTLP; send application/x-protobuf"),
    (b"x", "application/x-protobuf", {"Content-Encoding": "gzip"}, 400, "not gzip data"),
    (b"x", "application/x-protobuf", {"Content-Encoding": "br"}, 400, "not supported"),
])
def test_undecodable_otlp_is_a_400_counted_and_nothing_is_stored(
        client: TestClient, responder: dict, candor: Candor, body: bytes, content_type: str,
        extra: dict, status: int, words: str) -> None:
    post(client, responder, otlp([counter(1)]))
    response = post(client, responder, body, content_type, **extra)
    assert response.status_code == status and words in response.json()["detail"]
    assert candor.runtime.registry.get_sample_value("candor_ingest_rejected_total",
                                             {"reason": "otlp_undecodable"}) == 1.0
    assert candor.signals.store.stats() == {"series": 1, "samples": 1}


def test_invalid_otlp_samples_are_a_422_with_the_otlp_path(client: TestClient,
                                                           responder: dict) -> None:
    response = post(client, responder, otlp([counter("NaN")]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == \
        "$.resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].value"


def test_otlp_needs_a_responder(client: TestClient, viewer: dict) -> None:
    assert post(client, viewer, otlp([counter(1)])).status_code == 403
