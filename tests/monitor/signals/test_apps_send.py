"""Done-when stories: an app using ``exporters`` sends errors to a real Candor, both through
the OpenTelemetry SDK's standard OTLP exporter and by push, and a restart keeps the series."""

from __future__ import annotations

import httpx
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

from exporters import Exporter


def series(url: str, headers: dict[str, str], selector: str) -> list[dict[str, str]]:
    response = httpx.get(f"{url}/api/v1/signals/series", params={"match[]": selector},
                         headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_the_otel_sdk_with_the_standard_otlp_exporter_stores_series(live_candor) -> None:
    candor = live_candor()
    otlp = OTLPMetricExporter(endpoint=f"{candor.url}/v1/metrics", headers=candor.headers)
    reader = PeriodicExportingMetricReader(otlp, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=Resource.create({"service.name": "links-api"}),
                             metric_readers=[reader])
    app = Exporter("links-api", meter_provider=provider, release="1.4.2")
    app.error("timeout", endpoint="/links/{id}", user_visible=True)
    app.error("timeout", endpoint="/links/{id}", user_visible=True)
    app.request("/links/{id}", status=503, seconds=0.2)
    assert provider.force_flush(10_000)
    provider.shutdown()

    (errors,) = series(candor.url, candor.headers, 'candor_app_errors_total{kind="timeout"}')
    assert errors.pop("instance")  # the SDK's service.instance.id
    assert errors == {"__name__": "candor_app_errors_total", "job": "links-api",
                      "service": "links-api", "kind": "timeout", "endpoint": "/links/{id}",
                      "user_visible": "true", "severity": "error"}
    (stored,) = candor.service.signals.store.select(
        _matchers('candor_app_errors_total{kind="timeout"}'), 0, 2**62)
    assert stored.samples[-1][1] == 2.0
    buckets = series(candor.url, candor.headers,
                     'http_server_request_duration_seconds_bucket{http_response_status_code="503"}')
    assert {b["le"] for b in buckets} >= {"0.25", "+Inf"}
    assert series(candor.url, candor.headers, "candor_app_release_info")[0]["release"] == "1.4.2"


def test_the_prometheus_client_path_pushes_to_candor_and_a_restart_keeps_it(live_candor) -> None:
    candor = live_candor()
    app = Exporter("links-api", release="1.4.2")
    app.error("db_unavailable", endpoint="/login", severity="critical")
    app.user_report("cannot_login", endpoint="/login")
    token = candor.headers["Authorization"].removeprefix("Bearer ")
    pusher = app.push_to(candor.url, token=token, interval=60)
    assert pusher.flush(timeout=10)
    app.close()
    assert (app.registry.get_sample_value("candor_exporter_pushes_total", {"outcome": "ok"}) or 0) >= 1
    selector = 'candor_app_errors_total{service="links-api",severity="critical"}'
    assert len(series(candor.url, candor.headers, selector)) == 1

    restarted = live_candor()  # stops the first server, builds a new runtime on the same dir
    assert len(series(restarted.url, restarted.headers, selector)) == 1
    assert len(series(restarted.url, restarted.headers, "candor_app_user_reports_total")) == 1


def _matchers(selector: str):
    from monitor.signals.api import parse_selector

    return parse_selector(selector, "test")
