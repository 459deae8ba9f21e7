"""Exporter overhead: a recorded error vs a bare ``Counter.labels(...).inc()``, same run.

Target: ratio <= 3. Prints one line and writes benchmarks/results/bench_exporters.json.
Run: ``.venv/bin/python benchmarks/bench_exporters.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, Counter

from exporters import Exporter

N = 200_000
ROUNDS = 5
KINDS = ["timeout", "db_unavailable", "bad_gateway", "rate_limited"]
ENDPOINTS = ["/links", "/links/{id}", "/login", "/l/{slug}"]


def best(run: Callable[[], None]) -> float:
    """Best-of-ROUNDS nanoseconds per call."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times) / N * 1e9


def main() -> dict[str, float]:
    calls = [(KINDS[i % 4], ENDPOINTS[(i // 4) % 4]) for i in range(N)]
    bare = Counter("bare_errors", "bare", ["service", "kind", "endpoint", "user_visible",
                                           "severity"], registry=CollectorRegistry())

    def run_bare() -> None:
        for kind, endpoint in calls:
            bare.labels("links-api", kind, endpoint, "true", "error").inc()

    exporter = Exporter("links-api")

    def run_exporter() -> None:
        error = exporter.error
        for kind, endpoint in calls:
            error(kind, endpoint=endpoint, user_visible=True, severity="error")

    provider = MeterProvider()
    with_otel = Exporter("links-api", meter_provider=provider)

    def run_otel() -> None:
        error = with_otel.error
        for kind, endpoint in calls:
            error(kind, endpoint=endpoint, user_visible=True, severity="error")

    bare_ns, exporter_ns, otel_ns = best(run_bare), best(run_exporter), best(run_otel)
    provider.shutdown()
    result = {"bare_counter_ns": round(bare_ns, 1), "exporter_error_ns": round(exporter_ns, 1),
              "exporter_error_with_otel_ns": round(otel_ns, 1),
              "ratio": round(exporter_ns / bare_ns, 3),
              "ratio_with_otel": round(otel_ns / bare_ns, 3), "target_ratio": 3.0,
              "calls_per_round": N}
    print(f"exporters: error() {exporter_ns:.0f} ns vs bare Counter.labels().inc() "
          f"{bare_ns:.0f} ns -> ratio {result['ratio']:.2f} (target <= 3); "
          f"with an OTel MeterProvider too: {otel_ns:.0f} ns (ratio {result['ratio_with_otel']:.2f})")
    out = Path(__file__).parent / "results" / "bench_exporters.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return result


if __name__ == "__main__":
    main()
