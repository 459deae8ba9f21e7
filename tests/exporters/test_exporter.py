"""An app records errors, requests, user reports and deploys; they land as Prometheus
metrics and, through a MeterProvider, as OpenTelemetry metrics under the same names."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader, NumberDataPoint
from prometheus_client import CollectorRegistry

from exporters import Exporter

ERROR = {"service": "links-api", "kind": "timeout", "endpoint": "/links/{id}",
         "user_visible": "true", "severity": "error"}


def test_an_error_is_counted_with_its_labels_in_an_injected_registry() -> None:
    registry = CollectorRegistry()
    exporter = Exporter("links-api", registry=registry)
    exporter.error("timeout", endpoint="/links/{id}", user_visible=True)
    exporter.error("timeout", endpoint="/links/{id}", user_visible=True)
    assert registry.get_sample_value("candor_app_errors_total", ERROR) == 2.0


def test_each_exporter_gets_a_fresh_registry_by_default() -> None:
    first, second = Exporter("a"), Exporter("a")  # no "Duplicated timeseries" error
    first.error("x")
    first.error("x")
    second.error("x")
    labels = {**ERROR, "service": "a", "kind": "x", "endpoint": "", "user_visible": "false"}
    assert first.registry is not second.registry
    assert (first.registry.get_sample_value("candor_app_errors_total", labels),
            second.registry.get_sample_value("candor_app_errors_total", labels)) == (2.0, 1.0)


def test_a_request_outcome_follows_the_http_semantic_convention() -> None:
    exporter = Exporter("links-api")
    exporter.request("/links", method="post", status=503, seconds=0.3)
    exporter.request("/links", status=200, seconds=0.01)
    labels = {"service": "links-api", "http_request_method": "POST", "http_route": "/links",
              "http_response_status_code": "503", "error_type": "503"}
    value = exporter.registry.get_sample_value
    assert value("http_server_request_duration_seconds_count", labels) == 1.0
    assert value("http_server_request_duration_seconds_sum", labels) == pytest.approx(0.3)


def test_track_request_records_an_exception_as_a_500_with_its_class() -> None:
    exporter = Exporter("api")
    with pytest.raises(KeyError), exporter.track_request("/l/{slug}"):
        raise KeyError("slug")
    assert exporter.registry.get_sample_value("http_server_request_duration_seconds_count", {
        "service": "api", "http_request_method": "GET", "http_route": "/l/{slug}",
        "http_response_status_code": "500", "error_type": "KeyError"}) == 1.0


def test_user_reports_and_deploys_are_recorded_and_only_the_live_release_is_1() -> None:
    exporter = Exporter("api", release="1.4.2", clock=lambda: 1_700_000_000.0)
    exporter.user_report("cannot_open_link", endpoint="/l/{slug}")
    exporter.deploy("1.4.3", fix="INC-12", at=1_700_000_600.0)
    value = exporter.registry.get_sample_value
    assert value("candor_app_user_reports_total", {
        "service": "api", "kind": "cannot_open_link", "endpoint": "/l/{slug}"}) == 1.0
    assert value("candor_app_release_info", {"service": "api", "release": "1.4.3",
                                             "fix": "INC-12"}) == 1.0
    assert value("candor_app_release_info", {"service": "api", "release": "1.4.2",
                                             "fix": ""}) is None
    assert value("candor_app_deploy_timestamp_seconds", {"service": "api"}) == 1_700_000_600.0
    assert b"\ncandor_app_errors_total{" not in exporter.metrics_text()  # no error yet
    assert b"candor_app_release_info{" in exporter.metrics_text()


@pytest.mark.parametrize(("call", "message"), [
    (lambda e: e.error("x", severity="fatal"), "severity 'fatal' is not one of critical"),
    (lambda e: e.error(""), "error() needs a kind"),
    (lambda e: e.request("/x", status=42, seconds=1), "status 42 is not an HTTP status"),
    (lambda e: e.user_report(""), "user_report() needs a kind"),
    (lambda e: e.deploy(""), "deploy() needs a release name"),
])
def test_misuse_is_a_value_error_that_says_what_is_expected(call, message) -> None:
    exporter = Exporter("api")
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call(exporter)
    assert exporter.registry.get_sample_value("candor_app_errors_total", {
        "service": "api", "kind": "x", "endpoint": "", "user_visible": "false",
        "severity": "fatal"}) is None


def test_an_exporter_needs_a_service_name() -> None:
    with pytest.raises(ValueError, match="needs a service name"):
        Exporter("")


def test_the_same_instruments_flow_through_an_opentelemetry_meter_provider() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    exporter = Exporter("links-api", meter_provider=provider, release="2.0.0")
    exporter.error("timeout", endpoint="/links/{id}", user_visible=True)
    exporter.request("/links", status=200, seconds=0.02)
    exporter.user_report("slow")
    data = reader.get_metrics_data()
    assert data is not None
    metrics = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics
               for m in sm.metrics}
    assert set(metrics) == {"candor.app.errors", "http.server.request.duration",
                            "candor.app.user_reports", "candor.app.release.info",
                            "candor.app.deploy.timestamp"}
    point = metrics["candor.app.errors"].data.data_points[0]
    assert isinstance(point, NumberDataPoint)
    assert point.value == 1 and dict(point.attributes or {}) == ERROR
    assert metrics["http.server.request.duration"].unit == "s"
    release = metrics["candor.app.release.info"].data.data_points[0]
    assert dict(release.attributes or {}) == {"service": "links-api", "release": "2.0.0", "fix": ""}
    provider.shutdown()


def test_multiprocess_mode_aggregates_workers(tmp_path) -> None:
    code = textwrap.dedent("""
        import os, sys
        from prometheus_client import generate_latest
        from exporters import Exporter, multiprocess_registry
        if sys.argv[1] == "record":
            Exporter("api").error("timeout")
        else:
            print(generate_latest(multiprocess_registry()).decode())
    """)
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", code, "record"], env=env, check=True, timeout=60)
    out = subprocess.run([sys.executable, "-c", code, "read"], env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    assert 'candor_app_errors_total{endpoint="",kind="timeout",service="api",severity="error",' \
           'user_visible="false"} 2.0' in out
