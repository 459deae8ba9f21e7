"""Cluster mode: pushed signals live in a real Prometheus (remote write), not in a replica.

Two Candor replicas on one PostgreSQL forward what apps push (``exporters`` by JSON push,
the OpenTelemetry SDK by OTLP) to the Debian ``prometheus`` started with
``--web.enable-remote-write-receiver``; every sample pushed to either replica is
queryable in Prometheus. A config that would split the data (the embedded engine) is
refused at start with what to set.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from prometheus_client import CollectorRegistry

from exporters import Exporter
from monitor.auth.models import Role
from monitor.clock import SystemClock
from monitor.config import Settings
from monitor.errors import ConfigError, Unavailable, Unprocessable
from monitor.promql.labels import labels_from
from monitor.signals.remote_write import RemoteWriter, encode
from monitor.wiring import Candor, assemble, build_runtime
from tests.conftest import bearer
from tests.support.processes import PROMETHEUS, free_port, run_binary, serve_candor, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.postgres]


@pytest.fixture
def prometheus(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\n")
    with run_binary(PROMETHEUS, [f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}",
                                 "--web.enable-remote-write-receiver"],
                    log=tmp_path / "prometheus.log", url=f"http://127.0.0.1:{port}") as url:
        yield url


def cluster_settings(tmp_path: Path, prometheus_url: str, name: str) -> Settings:
    return Settings.model_validate({
        "storage": {"data_dir": str(tmp_path / name), "database_url": "env:CANDOR_TEST_PG"},
        "engine": {"mode": "prometheus", "prometheus_url": prometheus_url},
        "cluster": {"mode": "replicas"},
    })


@pytest.fixture
def replicas(tmp_path: Path, pg_url: str, prometheus: str,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], Candor]]:
    monkeypatch.setenv("CANDOR_TEST_PG", pg_url)
    built: list[Candor] = []

    def make(name: str) -> Candor:
        runtime = build_runtime(cluster_settings(tmp_path, prometheus, name), clock=SystemClock(),
                                registry=CollectorRegistry())
        built.append(assemble(runtime))
        return built[-1]

    yield make
    for candor in built:
        candor.close()


def instant(prometheus: str, expr: str) -> list[dict[str, Any]]:
    response = httpx.get(f"{prometheus}/api/v1/query", params={"query": expr}, timeout=5)
    assert response.status_code == 200, response.text
    return list(response.json()["data"]["result"])


def test_samples_pushed_to_any_replica_are_queryable_in_prometheus(replicas, prometheus) -> None:
    one, two = replicas("one"), replicas("two")
    token = bearer(one.runtime, Role.RESPONDER)
    with serve_candor(one) as url_one, serve_candor(two) as url_two:
        # the exporters library, unchanged, pushing JSON batches to replica one
        app = Exporter("links-api", release="1.4.2")
        app.error("db_unavailable", endpoint="/login", severity="critical")
        app.error("db_unavailable", endpoint="/login", severity="critical")
        pusher = app.push_to(url_one, token=token["Authorization"].removeprefix("Bearer "),
                             interval=60)
        assert pusher.flush(timeout=10)
        app.close()
        assert (app.registry.get_sample_value("candor_exporter_pushes_total",
                                              {"outcome": "ok"}) or 0) >= 1

        # the OpenTelemetry SDK's standard OTLP exporter, to replica two
        otlp = OTLPMetricExporter(endpoint=f"{url_two}/v1/metrics", headers=token)
        reader = PeriodicExportingMetricReader(otlp, export_interval_millis=3_600_000)
        provider = MeterProvider(resource=Resource.create({"service.name": "redirect"}),
                                 metric_readers=[reader])
        otel_app = Exporter("redirect", meter_provider=provider, release="2.0.0")
        otel_app.error("timeout", endpoint="/l/{slug}", user_visible=True)
        assert provider.force_flush(10_000)
        provider.shutdown()

        pushed = wait_for("the JSON push in Prometheus", lambda: instant(
            prometheus, 'candor_app_errors_total{service="links-api",kind="db_unavailable"}'))
        assert [float(s["value"][1]) for s in pushed] == [2.0]
        otlp_series = wait_for("the OTLP export in Prometheus", lambda: instant(
            prometheus, 'candor_app_errors_total{job="redirect",kind="timeout"}'))
        assert otlp_series[0]["metric"]["user_visible"] == "true"
        assert float(otlp_series[0]["value"][1]) == 1.0

        # Nothing stays in a replica: its own series views say where the data is.
        listed = httpx.get(f"{url_one}/api/v1/signals/series",
                           params={"match[]": "candor_app_errors_total"}, headers=token)
        assert listed.status_code == 503 and "remote write" in listed.json()["detail"]
        assert one.signals.store.stats()["series"] == 0
        assert two.signals.store.stats()["series"] == 0
        prom_api = httpx.get(f"{url_two}/prometheus/api/v1/query", params={"query": "up"},
                             headers=token)
        assert prom_api.status_code == 503 and prom_api.json()["errorType"] == "unavailable"
        counted = one.runtime.registry.get_sample_value("candor_ingest_samples_total",
                                                        {"source": "json"})
        assert counted and counted >= 2


def test_the_receivers_refusals_and_absence_are_422_and_503(prometheus: str) -> None:
    writer = RemoteWriter(f"{prometheus}/api/v1/write", timeout=5)
    key = labels_from({"__name__": "candor_test_total", "job": "t"})
    now = int(httpx.get(f"{prometheus}/api/v1/query", params={"query": "time()"}).json()
              ["data"]["result"][0] * 1000)
    assert writer.append([(key, now, 1.0), (key, now - 1000, 0.5)], now_ms=now).accepted == 2
    assert writer.append([(key, now, 1.0)], now_ms=now).accepted == 1  # a resend is fine
    with pytest.raises(Unprocessable, match="HTTP 400"):  # another value at a stored time
        writer.append([(key, now, 7.0)], now_ms=now)
    writer.close()
    assert float(instant(prometheus, "candor_test_total")[0]["value"][1]) == 1.0
    gone = RemoteWriter(f"http://127.0.0.1:{free_port()}/api/v1/write", timeout=2)
    with pytest.raises(Unavailable, match="cannot forward"):
        gone.append([(key, now, 1.0)], now_ms=now)
    not_a_receiver = RemoteWriter(f"{prometheus}/api/v1/nothing", timeout=2)
    with pytest.raises(Unavailable, match="remote-write-receiver"):
        not_a_receiver.append([(key, now, 1.0)], now_ms=now)


def test_the_encoding_is_a_prompb_write_request() -> None:
    body = encode([(labels_from({"__name__": "up", "job": "a"}), -1, float("inf"))])
    # WriteRequest{timeseries: [TimeSeries{labels: [__name__=up, job=a], samples: [...]}]}
    assert body.startswith(b"\x0a")
    assert b"\x0a\x08__name__\x12\x02up" in body and b"\x0a\x03job\x12\x01a" in body
    assert body.endswith(b"\x10" + b"\xff" * 9 + b"\x01")  # int64 -1 as a ten-byte varint


CONFIG_EMBEDDED = """
[storage]
database_url = "env:CANDOR_DATABASE_URL"

[cluster]
mode = "replicas"
"""


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_a_cluster_on_the_embedded_engine_is_refused_at_start(tmp_path: Path, command: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(CONFIG_EMBEDDED)
    args = [command, str(config)] if command == "check-config" else [command, "--config", str(config)]
    done = subprocess.run([sys.executable, "-m", "monitor.cli.main", *args], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "CANDOR_DATABASE_URL": "sqlite://"})
    assert done.returncode == 2, done.stderr
    assert f"{config}:6: engine.mode:" in done.stderr
    assert 'Set [engine] mode = "prometheus"' in done.stderr
    assert "Traceback" not in done.stderr


def test_assemble_refuses_what_the_loader_refuses(tmp_path: Path) -> None:
    settings = Settings.model_validate({"storage": {"data_dir": str(tmp_path)},
                                        "cluster": {"mode": "replicas"}})
    runtime = build_runtime(settings, registry=CollectorRegistry())
    with pytest.raises(ConfigError) as caught:
        assemble(runtime)
    runtime.close()
    assert any(line.startswith("engine.mode:") for line in caught.value.lines)
    assert any(line.startswith("storage.database_url:") for line in caught.value.lines)
