"""Prometheus mode against the real Debian ``prometheus`` and ``prometheus-alertmanager``.

Story: a simulated EVERLINKS app records its traffic with the exporters library and
exposes ``/metrics``. Real Prometheus scrapes it every second and evaluates the demo's
rules as ``candor rules export`` writes them; when redirects start failing the alert
fires, Alertmanager calls Candor's webhook, and an incident opens with the alert
attached. Candor (``[engine] mode = "prometheus"``) reads the error series back through
Prometheus's HTTP API with ``Candor.signal_source()``.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import start_http_server
from pydantic import ValidationError
from sqlmodel import col, select

from exporters import Exporter
from monitor.alerting.models import AlertRecord
from monitor.api.runtime import Runtime
from monitor.auth.models import Role
from monitor.clock import utc
from monitor.demo.app import record
from monitor.demo.traffic import Story, tick
from monitor.errors import Unavailable, Unprocessable
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.models import Incident
from monitor.promsource import InstantSample, PrometheusClient
from monitor.promsource.configs import alertmanager_yml, prometheus_yml
from monitor.rules.export import dump_groups
from monitor.rules.loader import load_rules
from monitor.verification.service import sweep
from monitor.wiring import Candor, assemble, build_runtime, jobs
from tests.conftest import bearer
from tests.support.processes import (
    ALERTMANAGER,
    PROMETHEUS,
    PROMTOOL,
    free_port,
    run_binary,
    serve_candor,
    wait_for,
)

pytestmark = pytest.mark.slow

DEMO_RULES = Path(__file__).resolve().parents[2] / "monitor" / "demo" / "rules.yml"


class App:
    """The simulated EVERLINKS: healthy traffic until ``fail()``, then redirects fail."""

    def __init__(self) -> None:
        self.exporter = Exporter("redirect", release="2026.11.25-1")
        self.port = free_port()
        self.server, _ = start_http_server(self.port, addr="127.0.0.1",
                                           registry=self.exporter.registry)
        self.failing = threading.Event()
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        healthy = Story(rps=40, spike_start=10**9)
        spike = Story(rps=40, spike_start=0, spike_end=10**9)
        n = 0
        while not self.stopped.wait(0.25):
            record(self.exporter, tick(spike if self.failing.is_set() else healthy, n))
            n += 1

    def close(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=5)
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def app() -> Iterator[App]:
    simulated = App()
    yield simulated
    simulated.close()


@pytest.fixture
def prometheus_port() -> int:
    return free_port()


@pytest.fixture
def candor(make_settings: Callable[..., Any], prometheus_port: int
           ) -> Iterator[tuple[str, Candor]]:
    """Candor in prometheus mode on uvicorn (system clock: Alertmanager's times are real)."""
    settings = make_settings(engine={"mode": "prometheus",
                                     "prometheus_url": f"http://127.0.0.1:{prometheus_port}"},
                             verification={"window": "4s", "resolution": "1s", "tolerance_floor": 0.01,
                                           "min_requests": 100, "severity": {"SEV1": {"min_requests": 100}}})
    service = assemble(build_runtime(settings))
    try:
        with serve_candor(service) as url:
            yield url, service
    finally:
        service.close()


@pytest.fixture
def alertmanager(candor: tuple[str, Candor], tmp_path: Path) -> Iterator[str]:
    url, service = candor
    token = bearer(service.runtime, Role.RESPONDER, "alertmanager")["Authorization"].split()[1]
    config = tmp_path / "alertmanager.yml"
    config.write_text(alertmanager_yml(candor_url=url, token=token, group_wait="1s",
                                       group_interval="1s", repeat_interval="1h"))
    port = free_port()
    with run_binary(ALERTMANAGER, [
            f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="],
            log=tmp_path / "alertmanager.log", url=f"http://127.0.0.1:{port}") as am_url:
        yield am_url


@pytest.fixture
def prometheus(app: App, alertmanager: str, prometheus_port: int, tmp_path: Path
               ) -> Iterator[str]:
    """Real Prometheus scraping the app every second with the demo rules, as exported."""
    rules = tmp_path / "rules" / "demo.yml"
    rules.parent.mkdir()
    rules.write_text(dump_groups(load_rules(DEMO_RULES).groups))
    checked = subprocess.run([PROMTOOL, "check", "rules", str(rules)], capture_output=True,
                             text=True, timeout=30)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = tmp_path / "prometheus.yml"
    config.write_text(prometheus_yml(targets=[f"127.0.0.1:{app.port}"], rule_files=[str(rules)],
                                     alertmanagers=[alertmanager.removeprefix("http://")]))
    with run_binary(PROMETHEUS, [
            f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}"],
            log=tmp_path / "prometheus.log", url=f"http://127.0.0.1:{prometheus_port}") as url:
        yield url


def _app_errors(app: App) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(sample.labels.items())): sample.value
            for metric in app.exporter.registry.collect()
            for sample in metric.samples if sample.name == "candor_app_errors_total"}


def incident_with_alert(runtime: Runtime) -> tuple[Incident, AlertRecord] | None:
    with runtime.unit() as s:
        for alert in s.exec(select(AlertRecord).where(col(AlertRecord.incident_id).is_not(None))):
            incident = s.get(Incident, alert.incident_id)
            assert incident is not None
            return incident, alert
    return None


def test_prometheus_fires_on_the_spike_and_candor_opens_an_incident_and_reads_series_back(
    candor: tuple[str, Candor], app: App, prometheus: str
) -> None:
    _, service = candor
    runtime = service.runtime
    # Candor's own rule engine stays off in prometheus mode
    assert service.rules is None and "rules" not in [job.name for job in jobs(service)]
    source = service.signal_source()
    assert isinstance(source, PrometheusClient)
    with source:
        # not just "nothing yet": the alert's expression has been evaluated over healthy
        # traffic (its recording rule holds a value under the threshold) and is inactive
        healthy = wait_for("the alert's recording rule over healthy traffic", lambda: source.query(
            'service:http_errors:ratio_rate5s{service="redirect"}', time.time()), timeout=60)
        assert [s.value < 0.05 for s in healthy] == [True]
        assert source.query('ALERTS{alertname="RedirectErrorRatioHigh"}', time.time()) == []
        assert incident_with_alert(runtime) is None

        app.failing.set()
        incident, alert = wait_for("an incident opened from the spike",
                                   lambda: incident_with_alert(runtime))

        assert (incident.title, incident.severity) == (
            "Short links are not opening for many users", "SEV1")
        assert (alert.name, alert.source, alert.status) == (
            "RedirectErrorRatioHigh", "alertmanager", "firing")
        assert alert.labels["service"] == "redirect"

        now = time.time()
        errors = source.query('sum by (service) (candor_app_errors_total)', now)
        recorded = sum(v for k, v in _app_errors(app).items())  # what the app counted so far
        assert [e.labels for e in errors] == [{"service": "redirect"}]
        assert 0 < errors[0].value <= recorded  # scraped from the app, at most one scrape behind
        ratio = source.query_range("service:http_errors:ratio_rate5s", now - 10, now, 1)
        assert ratio and ratio[0].labels["service"] == "redirect"
        assert max(v for _, v in ratio[0].points) > 0.05


def test_a_fix_is_verified_from_prometheus_with_the_expression_from_the_generator_url(
    candor: tuple[str, Candor], app: App, prometheus: str
) -> None:
    """Prometheus mode end to end: the alert comes through Alertmanager, the fix is judged
    from Prometheus (the rule expression read from the alert's generatorURL, its recording
    rule's range from Prometheus's /api/v1/rules).

    Robust by construction, not by sleeps: the baseline is waited for in Prometheus's own
    samples, and the fix is recorded the moment the errors stop, while the alert
    expression (a 5s rate behind a recording rule) and Alertmanager's resolve still lag —
    the soak starts when the expression has gone inactive, however long that takes."""
    _, service = candor
    runtime = service.runtime
    source = service.signal_source()
    assert isinstance(source, PrometheusClient)
    with source:
        wait_for("Prometheus to hold ten scrapes of healthy traffic", lambda: source.query(
            'count_over_time(http_server_request_duration_seconds_count{service="redirect"}[1m]) >= 10',
            time.time()), timeout=60)
        recording, interval = source.rules()
        assert "service:http_errors:ratio_rate5s" in recording and interval == 1
    app.failing.set()
    incident, alert = wait_for("an incident opened from the spike", lambda: incident_with_alert(runtime))
    assert "g0.expr=" in alert.generator_url
    app.failing.clear()
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        incidents.record_fix(s, row, "roll back", release="2026.11.25-2", actor="test", clock=runtime.clock)
        assert row.state == "verifying"

    def verdict() -> list[tuple[str, str]] | None:
        with runtime.unit() as s:
            result = sweep(s, settings=runtime.settings, clock=runtime.clock, source=service.signal_source)
        return result.verdicts or None

    assert wait_for("a verdict from Prometheus", verdict, timeout=60) == [(incident.key, "verified")]
    with runtime.unit() as s:
        row = incidents.get_by_key_or_raise(s, incident.key)
        found = incidents.events(s, row)
        assert row.state == "resolved" and row.verified_at is not None
    payload = [e.payload for e in found if e.type == EventType.VERIFICATION_VERDICT][-1]
    assert payload["signal"]["expression_from"] == "generatorURL"
    settling = payload["settling"]                         # the lag, as seen and as allowed
    assert settling["longest_range_seconds"] == 5 and settling["rules_in_chain"] == 2
    assert settling["inactive_at"] >= settling["since"] and payload["window"]["start"] == settling["inactive_at"]
    assert payload["tests"]["errors"]["soak_requests"] >= 100
    impact = [e.payload for e in found if e.type == EventType.IMPACT_MEASURED][-1]
    assert row.detected_at is not None
    assert datetime.fromisoformat(impact["started_at"]) <= utc(row.detected_at)  # before the alert
    assert impact["affected_requests"] > 0


def test_prometheus_mode_needs_a_url(make_settings: Callable[..., Any]) -> None:
    with pytest.raises(ValidationError, match=r'mode = "prometheus" needs prometheus_url'):
        make_settings(engine={"mode": "prometheus"})
    with pytest.raises(ValidationError, match="got 'localhost:9090'"):
        make_settings(engine={"mode": "prometheus", "prometheus_url": "localhost:9090"})


def test_an_unreachable_prometheus_is_unavailable_and_says_where() -> None:
    with PrometheusClient(f"http://127.0.0.1:{free_port()}", timeout=2) as prom:
        with pytest.raises(Unavailable, match=r"cannot reach Prometheus at http://127\.0\.0\.1"):
            prom.query("up", time.time())


def test_bad_promql_is_named_as_the_real_prometheus_names_it(tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    with run_binary(PROMETHEUS, [
            f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}"],
            log=tmp_path / "prometheus.log", url=f"http://127.0.0.1:{port}") as url:
        with PrometheusClient(url) as prom:
            with pytest.raises(Unprocessable, match=r"^Prometheus rejected the query \(bad_data\): "
                                                    r"invalid parameter \"query\": 1:5: parse "
                                                    r"error: unclosed left parenthesis$"):
                prom.query("sum(", 0)
            with pytest.raises(Unprocessable, match=r"^Prometheus rejected the query \(bad_data\): "
                                                    r"1:9: parse error: unexpected right "
                                                    r"parenthesis '\)'$"):
                prom.query_range("rate(x))", 0, 10, 1)
            assert prom.query("vector(1)", 0) == [InstantSample({}, 1.0)]


def test_non_prometheus_answers_are_named(httpserver: Any) -> None:
    httpserver.expect_request("/api/v1/query_range").respond_with_data("<html>nginx</html>")
    with PrometheusClient(httpserver.url_for("/")) as prom:
        with pytest.raises(Unavailable, match="non-JSON.*is prometheus_url .* a Prometheus"):
            prom.query_range("up", 0, 10, 1)
        with pytest.raises(Unprocessable, match="step must be positive"):
            prom.query_range("up", 0, 10, 0)
