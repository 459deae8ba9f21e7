"""Exporter overhead: a recorded error vs a bare ``Counter.labels(...).inc()``, same run.

Target: ratio <= 3. Writes benchmarks/results/exporters.json (rows: see ``_report``).
Run: ``.venv/bin/python benchmarks/bench_exporters.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import _repo  # noqa: F401  (puts the repository root on the path)
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, Counter

from benchmarks._report import QUICK, ratio_met, repeats, row, write
from exporters import Exporter

N = 20_000 if QUICK else 200_000
ROUNDS = repeats(7, 3)
KINDS = ["timeout", "db_unavailable", "bad_gateway", "rate_limited"]
ENDPOINTS = ["/links", "/links/{id}", "/login", "/l/{slug}"]


def rounds(run: Callable[[], None]) -> list[float]:
    """Nanoseconds per call, one figure per round."""
    times = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) / N * 1e9)
    return times


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

    bare_ns: list[float] = []
    mine: list[float] = []
    otel: list[float] = []
    for _ in range(2):  # interleaved, so a slow spell of the machine hits both sides
        bare_ns += rounds(run_bare)
        mine += rounds(run_exporter)
        otel += rounds(run_otel)
    provider.shutdown()
    rows = [row("exporters.error", what="Exporter.error() per call", unit="ns", better="lower",
                values=mine, reference="bare Counter.labels().inc()", reference_values=bare_ns,
                target="ratio ≤ 3"),
            row("exporters.error_with_otel", what="Exporter.error() with an OTel MeterProvider",
                unit="ns", better="lower", values=otel,
                reference="bare Counter.labels().inc()", reference_values=bare_ns)]
    rows[0]["met"] = ratio_met(rows[0], at_most=3.0)
    write("exporters", rows, calls_per_round=N)
    return {"ratio": rows[0]["ratio"]}


if __name__ == "__main__":
    main()
