"""Ingest throughput and series-store memory.

* samples/s through ``POST /api/v1/signals`` (JSON) and ``POST /v1/metrics`` (OTLP
  protobuf) on a real uvicorn Candor, and each as a ratio to an empty FastAPI
  handler on the same server fed the same bodies;
* RSS of the series store after 1,000,000 samples over 10,000 series (in a fresh
  child process, so the number is the store's and not the benchmark's).

Writes benchmarks/results/ingest.json (rows: see ``_report``).
Run: ``.venv/bin/python benchmarks/bench_ingest.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import _repo  # noqa: F401  (puts tests.support on the path)
import httpx
from fastapi import FastAPI
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from benchmarks._report import QUICK, repeats, row, write
from monitor.app import create_app
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.config import Settings
from monitor.wiring import assemble, build_runtime
from tests.support.processes import serve

BATCH = 5_000
REQUESTS = 3 if QUICK else 20
STEPS = 10 if QUICK else 100  # x 10,000 series: samples in the memory measurement
REPEATS = repeats(5, 2)
SERIES = 1_000


def _app(data_dir: str) -> tuple[FastAPI, str]:
    settings = Settings.model_validate({"storage": {"data_dir": data_dir},
                                        "server": {"max_body_bytes": 64 * 1_048_576}})
    candor = assemble(build_runtime(settings))
    runtime = candor.runtime
    with runtime.unit() as session:
        _, token = auth.create_token(session, name="bench", role=Role.RESPONDER,
                                     clock=runtime.clock)
    app = create_app(candor)

    @app.post("/bench/empty")
    def empty() -> dict[str, int]:
        return {}

    return app, token


def _json_body(step: int, start_ms: int) -> bytes:
    ts = start_ms + step
    return json.dumps({"labels": {"service": "bench"}, "samples": [
        {"metric": "bench_requests_total", "labels": {"series": str(i % SERIES),
                                                     "shard": str(i // SERIES)},
         "value": float(step), "timestamp_ms": ts} for i in range(BATCH)]}).encode()


def _otlp_body(step: int, start_ns: int) -> bytes:
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add()
    metric.name = "bench.otlp.gauge"
    for i in range(BATCH):
        point = metric.gauge.data_points.add()
        point.as_double = float(step)
        point.time_unix_nano = start_ns + step * 1_000_000
        attr = point.attributes.add()
        attr.key, attr.value.string_value = "series", str(i)
    return request.SerializeToString()


def _rate(client: httpx.Client, url: str, bodies: list[bytes], content_type: str) -> float:
    start = time.perf_counter()
    for body in bodies:
        response = client.post(url, content=body, headers={"Content-Type": content_type})
        assert response.status_code == 200, response.text[:500]
    return BATCH * len(bodies) / (time.perf_counter() - start)


def throughput() -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as data_dir:
        app, token = _app(data_dir)
        with serve(app) as base:
            return _throughput(base, token)


def _throughput(base: str, token: str) -> dict[str, list[float]]:
    now_ms = int(time.time() * 1000) - 60_000
    runs: dict[str, list[float]] = {"empty_json": [], "signals": [], "empty_pb": [], "otlp": []}
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}, timeout=120) as client:
        for repeat in range(REPEATS):  # each repeat: the same series, later samples
            first = now_ms + repeat * REQUESTS
            json_bodies = [_json_body(i, first) for i in range(REQUESTS)]
            otlp_bodies = [_otlp_body(i, first * 1_000_000) for i in range(REQUESTS)]
            if repeat == 0:
                _rate(client, f"{base}/bench/empty", json_bodies[:2], "application/json")
            runs["empty_json"].append(_rate(client, f"{base}/bench/empty", json_bodies,
                                            "application/json"))
            runs["signals"].append(_rate(client, f"{base}/api/v1/signals", json_bodies,
                                         "application/json"))
            runs["empty_pb"].append(_rate(client, f"{base}/bench/empty", otlp_bodies,
                                          "application/x-protobuf"))
            runs["otlp"].append(_rate(client, f"{base}/v1/metrics", otlp_bodies,
                                      "application/x-protobuf"))
    return runs


_RSS_CHILD = textwrap.dedent("""
    import json, os, sys, psutil
    from monitor.signals.store import SeriesStore, StoreLimits
    from monitor.promql.labels import labels_from
    proc = psutil.Process()
    before = proc.memory_info().rss
    store = SeriesStore(retention_ms=86_400_000, limits=StoreLimits(10_000, 100_000),
                        directory=None if sys.argv[1] == "memory" else __import__("pathlib").Path(sys.argv[1]))
    keys = [labels_from({"__name__": "bench_errors_total", "service": "bench",
                         "endpoint": f"/e/{i % 100}", "series": str(i)}) for i in range(10_000)]
    t0 = 1_772_442_000_000
    for step in range(int(sys.argv[2])):
        store.append([(k, t0 + step * 15_000, float(step)) for k in keys], now_ms=t0)
    after = proc.memory_info().rss
    print(json.dumps({"rss_bytes": after, "store_rss_bytes": after - before,
                      **store.stats()}))
""")


def memory() -> dict[str, float]:
    out = {}
    with tempfile.TemporaryDirectory() as data_dir:
        for mode, arg in (("memory", "memory"), ("persisted", data_dir)):
            result = subprocess.run([sys.executable, "-c", _RSS_CHILD, arg, str(STEPS)], check=True,
                                    capture_output=True, text=True,
                                    cwd=Path(__file__).parent.parent)
            stats = json.loads(result.stdout)
            out[f"{mode}_process_rss_mb"] = round(stats["rss_bytes"] / 2**20, 1)
            out[f"{mode}_store_rss_mb"] = round(stats["store_rss_bytes"] / 2**20, 1)
            out["samples"], out["series"] = stats["samples"], stats["series"]
    return out


def main() -> None:
    runs = throughput()
    mem = memory()
    rows = [
        row("ingest.signals", what=f"POST /api/v1/signals (JSON, {BATCH:,} samples a request)",
            unit="samples/s", better="higher", values=runs["signals"],
            reference="empty handler, same bodies", reference_values=runs["empty_json"]),
        row("ingest.otlp", what=f"POST /v1/metrics (OTLP protobuf, {BATCH:,} points a request)",
            unit="samples/s", better="higher", values=runs["otlp"],
            reference="empty handler, same bodies", reference_values=runs["empty_pb"]),
        row("ingest.store_memory", what=f"series store RSS, {STEPS * 10_000:,} samples over 10,000 series",
            unit="MiB", better="lower", values=[mem["memory_store_rss_mb"]]),
    ]
    write("ingest", rows, memory=mem, batch_samples=BATCH, requests=REQUESTS)


if __name__ == "__main__":
    main()
