"""The real Alertmanager (Debian's prometheus-alertmanager) notifies a real Candor over HTTP.

Story: alerts are added with ``amtool``; Alertmanager groups them and calls Candor's
webhook with a responder token; one incident opens with both alerts attached, with
the fingerprints Alertmanager shows. The alerts are then resolved with ``amtool
--end`` and the incident moves to ``verifying``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from monitor.alerting.models import AlertRecord
from monitor.api.runtime import Runtime
from monitor.auth.models import Role
from monitor.incidents.models import Incident
from monitor.wiring import assemble, build_runtime
from tests.conftest import bearer
from tests.support.processes import ALERTMANAGER, AMTOOL, free_port, run_binary, serve_candor, wait_for

pytestmark = pytest.mark.slow



@pytest.fixture
def candor(make_settings) -> Iterator[tuple[str, Runtime]]:
    """Candor served by uvicorn on a free port (system clock: Alertmanager's times are real)."""
    candor = assemble(build_runtime(make_settings()))
    try:
        with serve_candor(candor) as url:
            yield url, candor.runtime
    finally:
        candor.close()


@pytest.fixture
def alertmanager(candor: tuple[str, Runtime], tmp_path: Path) -> Iterator[str]:
    url, runtime = candor
    token = bearer(runtime, Role.RESPONDER, "alertmanager")["Authorization"].split()[1]
    config = tmp_path / "alertmanager.yml"
    config.write_text(f"""
route:
  receiver: candor
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: candor
    webhook_configs:
      - url: {url}/api/v1/alertmanager
        send_resolved: true
        http_config:
          authorization:
            credentials: {token}
""")
    port = free_port()
    with run_binary(ALERTMANAGER, [
            f"--config.file={config}", f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address=",
            "--log.level=debug"],
            log=tmp_path / "alertmanager.log", url=f"http://127.0.0.1:{port}") as am_url:
        yield am_url


def amtool(am_url: str, *args: str) -> None:
    subprocess.run([AMTOOL, "alert", "add", *args, f"--alertmanager.url={am_url}"],
                   check=True, capture_output=True, timeout=30)


def incident_with_alerts(runtime: Runtime) -> tuple[Incident, list[AlertRecord]] | None:
    with runtime.unit() as s:
        found = list(s.exec(select(Incident)))
        if len(found) != 1:
            return None
        alerts = list(s.exec(select(AlertRecord).where(AlertRecord.incident_id == found[0].id)))
        return (found[0], alerts) if len(alerts) == 2 else None


def test_alertmanager_notifies_candor_and_one_incident_opens_then_verifies(
    candor: tuple[str, Runtime], alertmanager: str
) -> None:
    _, runtime = candor
    labels = ["alertname=HighErrorRate", "service=redirect", "severity=critical"]
    for instance in ("redirect-1", "redirect-2"):
        amtool(alertmanager, *labels, f"instance={instance}",
               "--annotation=summary=Short links fail with 502")

    incident, alerts = wait_for("one incident with both alerts", lambda: incident_with_alerts(runtime))

    assert (incident.title, incident.severity, incident.state) == (
        "Short links fail with 502", "SEV1", "detected")
    shown = httpx.get(f"{alertmanager}/api/v2/alerts", timeout=5).json()
    assert {a["fingerprint"] for a in shown} == {a.fingerprint for a in alerts}

    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for instance in ("redirect-1", "redirect-2"):
        amtool(alertmanager, *labels, f"instance={instance}", f"--end={past}",
               "--annotation=summary=Short links fail with 502")

    def verifying() -> bool:
        with runtime.unit() as s:
            return s.exec(select(Incident)).one().state == "verifying"

    wait_for("the incident to move to verifying", verifying)
    with runtime.unit() as s:
        statuses = {a.status for a in s.exec(select(AlertRecord))}
        incident = s.exec(select(Incident)).one()
    assert statuses == {"resolved"}
    assert incident.alerts_resolved is True
