"""Detection latency: from an app's first bad sample to Candor's incident being created.

The same error spike, measured three ways in one run:

* **embedded** — apps push every 1s (as in the demo) to Candor, whose rule engine
  evaluates every 1s and opens the incident itself;
* **prometheus, group_wait 30s** — real Prometheus scrapes the apps every 1s, evaluates
  every 1s and notifies a real Alertmanager with its default ``group_wait`` (30s), whose
  webhook opens the incident in Candor (``[engine] mode = "prometheus"``);
* **prometheus, group_wait 1s** — the same, with ``group_wait: 1s`` for a fair pipeline
  comparison.

Rules are the demo's (error ratio over 5s) with ``for: 0s``, so only pipeline latency is
measured. Each app has the demo's rare healthy 5xx during warm-up, so its 5xx series
already exists when the spike starts (a series born with the spike needs a second sample
before ``rate()`` sees it, adding one push/scrape interval to every pipeline alike).
Each trial is its own service (its own series, alert group and incident); the spikes
start 0.37s apart so they fall at different phases of the 1s scrape/eval ticks.
Latency = ``incident.created_at`` − wall-clock time the first failing request was
recorded. Writes benchmarks/results/detection.json (rows: see ``_report``).
Run: ``.venv/bin/python benchmarks/bench_detection.py`` (about 70 seconds).
"""

from __future__ import annotations

import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (puts tests.support on the path)
from prometheus_client import start_http_server
from sqlmodel import col, select

from benchmarks._report import QUICK, row, write
from exporters import Exporter
from monitor.alerting.models import AlertRecord
from monitor.api.runtime import Runtime
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.config import Settings
from monitor.incidents.models import Incident
from monitor.promsource.configs import alertmanager_yml, prometheus_yml
from monitor.wiring import Candor, assemble, build_runtime, start
from tests.support.processes import ALERTMANAGER, PROMETHEUS, free_port, run_binary, serve_candor, wait_for

TRIALS = 4 if QUICK else 10
WARMUP_S = 4.0      # healthy traffic before the first spike (fills the 5s rate window)
STAGGER_S = 0.37    # between spike starts: spreads them over the 1s tick phases
TICK_S = 0.1        # the apps record traffic this often
TARGET_P95_S = 0.5

RULES = """\
groups:
  - name: detection-bench
    interval: 1s
    rules:
      - record: service:http_errors:ratio_rate5s
        expr: |
          sum by (service) (rate(http_server_request_duration_seconds_count{http_response_status_code=~"5.."}[5s]))
            / sum by (service) (rate(http_server_request_duration_seconds_count[5s]))
      - alert: RedirectErrorRatioHigh
        expr: service:http_errors:ratio_rate5s > 0.05
        for: 0s
        labels:
          severity: critical
        annotations:
          summary: Short links are not opening for many users
"""


class Traffic:
    """``TRIALS`` apps (one service each) serving 40 req/s; app ``i`` starts failing half
    its redirects at ``spike_at[i]``. ``first_bad[service]`` is when that happened."""

    def __init__(self, exporters: list[Exporter]) -> None:
        self.exporters = exporters
        start = time.time() + WARMUP_S
        self.spike_at = [start + i * STAGGER_S for i in range(len(exporters))]
        self.first_bad: dict[str, float] = {}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        for exporter in self.exporters:
            # The demo's healthy background error ratio (0.2%): one failed redirect in the
            # warm-up, so the 5xx series exists before the spike (as in a real app) and
            # `rate()` can see the spike from its first sample. The ratio stays far below 5%.
            exporter.request("/l/{slug}", status=503, seconds=0.01)
        while not self.stopped.wait(TICK_S):
            for exporter, spike_at in zip(self.exporters, self.spike_at, strict=True):
                now = time.time()
                failing = now >= spike_at
                if failing and exporter.service not in self.first_bad:
                    self.first_bad[exporter.service] = now
                for i in range(4):
                    exporter.request("/l/{slug}", status=503 if failing and i % 2 else 200,
                                     seconds=0.01)

    @contextmanager
    def running(self) -> Iterator[Traffic]:
        self.thread.start()
        try:
            yield self
        finally:
            self.stopped.set()
            self.thread.join(timeout=5)


def latencies(runtime: Runtime, traffic: Traffic, timeout: float) -> list[float]:
    """Wait until every service has an incident; latency of each, in trial order."""
    def created() -> dict[str, float] | None:
        with runtime.unit() as s:
            rows = s.exec(select(AlertRecord.labels, Incident.created_at)
                          .join(Incident, col(Incident.id) == col(AlertRecord.incident_id))).all()
        found = {labels.get("service", ""): at.timestamp() for labels, at in rows}
        return found if len(found) >= TRIALS else None

    found = wait_for(f"{TRIALS} incidents", created, timeout=timeout, poll=0.05)
    return [round(found[e.service] - traffic.first_bad[e.service], 3) for e in traffic.exporters]


def summary(values: list[float]) -> dict[str, Any]:
    ordered = sorted(values)
    p95 = statistics.quantiles(ordered, n=20, method="inclusive")[18]
    return {"p50_s": round(statistics.median(ordered), 3), "p95_s": round(p95, 3),
            "min_s": ordered[0], "max_s": ordered[-1], "latencies_s": values}


def candor_for(directory: Path, engine: dict[str, object]) -> tuple[Candor, str]:
    settings = Settings.model_validate({"storage": {"data_dir": str(directory / "data")},
                                        "engine": engine})
    candor = assemble(build_runtime(settings))
    with candor.runtime.unit() as s:
        _, token = auth.create_token(s, name="bench", role=Role.RESPONDER,
                                     clock=candor.runtime.clock)
    return candor, token


def embedded(directory: Path, rules: Path) -> list[float]:
    candor, token = candor_for(directory, {"rule_files": [str(rules)],
                                           "evaluation_interval": "1s"})
    runtime = candor.runtime
    exporters = [Exporter(f"svc-{i}") for i in range(TRIALS)]
    with serve_candor(candor) as url:
        background = start(candor)  # the lease, the jobs (rules among them), as `candor serve`
        try:
            for exporter in exporters:
                exporter.push_to(url, token=token, interval=1.0)
            with Traffic(exporters).running() as traffic:
                return latencies(runtime, traffic, timeout=60)
        finally:
            for exporter in exporters:
                exporter.close(timeout=2)
            background.stop()
            candor.close()


def through_prometheus(directory: Path, rules: Path, group_wait: str) -> list[float]:
    directory.mkdir()
    prom_port, am_port = free_port(), free_port()
    candor, token = candor_for(directory, {"mode": "prometheus", "rule_files": [],
                                             "prometheus_url": f"http://127.0.0.1:{prom_port}"})
    exporters = [Exporter(f"svc-{i}") for i in range(TRIALS)]
    with ExitStack() as stack:
        ports = []
        for exporter in exporters:
            port = free_port()
            server, _ = start_http_server(port, addr="127.0.0.1", registry=exporter.registry)
            stack.callback(server.server_close)
            stack.callback(server.shutdown)
            ports.append(port)
        url = stack.enter_context(serve_candor(candor))
        stack.callback(candor.close)
        am_config = directory / "alertmanager.yml"
        am_config.write_text(alertmanager_yml(candor_url=url, token=token, group_wait=group_wait))
        am = stack.enter_context(run_binary(
            ALERTMANAGER, [f"--config.file={am_config}", f"--storage.path={directory / 'am'}",
                           f"--web.listen-address=127.0.0.1:{am_port}",
                           "--cluster.listen-address="],
            log=directory / "alertmanager.log", url=f"http://127.0.0.1:{am_port}"))
        prom_config = directory / "prometheus.yml"
        prom_config.write_text(prometheus_yml(
            targets=[f"127.0.0.1:{p}" for p in ports], rule_files=[str(rules)],
            alertmanagers=[am.removeprefix("http://")]))
        stack.enter_context(run_binary(
            PROMETHEUS, [f"--config.file={prom_config}", f"--storage.tsdb.path={directory / 'tsdb'}",
                         f"--web.listen-address=127.0.0.1:{prom_port}"],
            log=directory / "prometheus.log", url=f"http://127.0.0.1:{prom_port}"))
        with Traffic(exporters).running() as traffic:
            return latencies(candor.runtime, traffic, timeout=120)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="candor-bench-detect-") as tmp:
        base = Path(tmp)
        rules = base / "rules.yml"
        rules.write_text(RULES)
        runs = {"embedded": embedded(base / "embedded", rules),
                "gw1": through_prometheus(base / "gw1", rules, "1s")}
        if not QUICK:  # 30 s of group_wait and more: only in the full run
            runs["gw30"] = through_prometheus(base / "gw30", rules, "30s")
    emb = summary(runs["embedded"])
    what = "first bad request → incident, embedded engine (p95 over trials)"
    rows = [row("detection.embedded", what=what, unit="s", better="lower",
                values=runs["embedded"], reference="Prometheus + Alertmanager, group_wait 1s",
                reference_values=runs["gw1"], target=f"p95 ≤ {TARGET_P95_S} s",
                met=emb["p95_s"] <= TARGET_P95_S,
                today="p95 1.84 s (group_wait 1s: 4.38 s; 30s: 32.7 s)")]
    if "gw30" in runs:
        rows.append(row("detection.embedded_vs_default_am", what=what, unit="s", better="lower",
                        values=runs["embedded"],
                        reference="Prometheus + Alertmanager, default group_wait 30s",
                        reference_values=runs["gw30"]))
    write("detection", rows, **{name: summary(values) for name, values in runs.items()},
          setup={"trials": TRIALS, "push_interval_s": 1.0, "scrape_interval_s": 1.0,
                 "evaluation_interval_s": 1.0, "rule_for": "0s", "window": "5s"})


if __name__ == "__main__":
    main()
