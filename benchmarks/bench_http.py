"""HTTP reads under an incident's load: Debian's ``wrk``, 50 connections, against Candor
and against an empty handler served the same way, in the same run.

* Candor (SQLite, the default store) holds 2,000 incidents; 12 of them have published
  notices in en (4 open, 8 resolved), so the status page shows a real incident;
* the reference is a FastAPI app whose routes only parse the body and return a constant,
  on uvicorn in this process exactly as Candor is (``tests.support.processes.serve``);
* each repeat measures the empty handler, then every Candor path, for the same time;
  a row's ratio is Candor's median over the empty handler's median of the same repeats.

Paths: ``GET /api/v1/incidents?limit=50``, ``GET /api/v1/incidents/{key}`` (bearer
token), ``GET /status``, ``/status.json``, ``/status/feed.atom``, ``/api/v1/banner``
(public). Two rows per path: requests/s (higher is better) and p99 latency (lower).
Writes benchmarks/results/http.json. Run: ``.venv/bin/python benchmarks/bench_http.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from datetime import timedelta
from typing import Any

import _repo  # noqa: F401  (puts tests.support on the path)
import httpx
from fastapi import FastAPI, Request

from benchmarks._report import QUICK, ratio_met, repeats, row, write
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.config import Settings
from monitor.incidents import service as incidents
from monitor.wiring import assemble, build_runtime
from tests.monitor.comms.factories import GOOD
from tests.support.processes import serve, serve_candor

INCIDENTS = 2_000
CONNECTIONS = 50
SECONDS = 1 if QUICK else 4
REPEATS = repeats(5, 1)

PATHS = {  # name: (path, authenticated, what the issue measured, targets)
    "incidents_list": ("/api/v1/incidents?limit=50", True, ("113 req/s", "767 ms"), (0.5, 2.0)),
    "incident": ("/api/v1/incidents/{key}", True, ("202 req/s", "540 ms"), (0.5, 2.0)),
    "status_page": ("/status", False, ("536 req/s (0.23×)", "199 ms"), (0.9, 1.5)),
    "status_json": ("/status.json", False, (None, None), (0.9, 1.5)),
    "status_feed": ("/status/feed.atom", False, (None, None), (0.9, 1.5)),
    "banner": ("/api/v1/banner", False, (None, None), (0.9, 1.5)),
}


def empty_app() -> FastAPI:
    """Routes that parse the body (if any) and return a constant."""
    app = FastAPI()

    @app.get("/empty")
    def get() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/empty")
    async def post(request: Request) -> dict[str, str]:
        await request.json()
        return {"status": "ok"}

    return app


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, *, seconds: int, token: str | None = None) -> tuple[float, float]:
    """``(requests/s, p99 ms)`` of ``wrk`` over ``url``; fails on any non-2xx/3xx answer."""
    argv = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if token:
        argv += ["-H", f"Authorization: Bearer {token}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30,
                          check=True)
    text = done.stdout
    if "Non-2xx or 3xx responses" in text:
        raise RuntimeError(f"{url} answered errors under load:\n{text}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]  # wrk always prints it
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]  # --latency prints it
    return rate, float(value) * _UNITS[unit]


def seed(base: str, token: str) -> str:
    """12 incidents with an en notice (4 open, 8 resolved); returns an open one's key."""
    headers = {"Authorization": f"Bearer {token}"}
    keys = []
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        for n in range(12):
            key = f"INC-{INCIDENTS - n}"
            content = {**GOOD["en"], "title": f"Short links are not opening ({n})",
                       "next_update_at": "2030-01-01T10:00:00+00:00"}
            notice = client.post(f"/api/v1/incidents/{key}/notices",
                                 json={"lang": "en", "content": content})
            assert notice.status_code == 201, notice.text
            published = client.post(f"/api/v1/notices/{notice.json()['id']}/publish")
            assert published.status_code == 201, published.text
            if n >= 4:
                for to in ("acknowledged", "verifying", "resolved"):
                    moved = client.post(f"/api/v1/incidents/{key}/transitions",
                                        json={"to": to, "reason": "bench"})
                    assert moved.status_code == 200, moved.text
            keys.append(key)
    return keys[0]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make test-deps` installs it (Debian package wrk)")
    with tempfile.TemporaryDirectory(prefix="candor-bench-http-") as tmp:
        settings = Settings.model_validate({"storage": {"data_dir": tmp}})
        candor = assemble(build_runtime(settings))
        runtime = candor.runtime
        with runtime.unit() as s:
            _, token = auth.create_token(s, name="bench", role=Role.ADMIN, clock=runtime.clock)
            for i in range(INCIDENTS):
                incidents.open_incident(
                    s, clock=runtime.clock, key_prefix="INC", actor="bench",
                    title=f"Errors on service {i % 40}", severity=f"SEV{1 + i % 4}",
                    summary="error ratio above 5%", services=[f"svc-{i % 40}"],
                    labels={"alertname": "HighErrors", "service": f"svc-{i % 40}"},
                    impact_started_at=runtime.clock.now() - timedelta(minutes=i % 60))
        try:
            with serve(empty_app()) as empty, serve_candor(candor) as base:
                key = seed(base, token)
                measured = measure(empty, base, key, token)
        finally:
            candor.close()
    write("http", rows(measured), incidents=INCIDENTS, connections=CONNECTIONS,
          seconds_per_run=SECONDS, repeats=REPEATS)


def measure(empty: str, base: str, key: str, token: str) -> dict[str, list[tuple[float, float]]]:
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in ["empty", *PATHS]}
    for path, authed, _, _ in PATHS.values():  # warm up every path once
        wrk(base + path.format(key=key), seconds=1, token=token if authed else None)
    for _ in range(REPEATS):
        runs["empty"].append(wrk(f"{empty}/empty", seconds=SECONDS))
        for name, (path, authed, _, _) in PATHS.items():
            runs[name].append(wrk(base + path.format(key=key), seconds=SECONDS,
                                  token=token if authed else None))
        time.sleep(0.2)
    return runs


def rows(runs: dict[str, list[tuple[float, float]]]) -> list[dict[str, Any]]:
    empty_rate = [r for r, _ in runs["empty"]]
    empty_p99 = [p for _, p in runs["empty"]]
    out = []
    for name, (path, _, (today_rate, today_p99), (rate_x, p99_x)) in PATHS.items():
        rate = [r for r, _ in runs[name]]
        p99 = [p for _, p in runs[name]]
        rate_row = row(f"http.{name}", what=f"GET {path}, {CONNECTIONS} connections", unit="req/s",
                       better="higher", values=rate, reference="empty handler",
                       reference_values=empty_rate, target=f"≥ {rate_x}× empty", today=today_rate)
        rate_row["met"] = ratio_met(rate_row, at_least=rate_x)
        p99_row = row(f"http.{name}.p99", what=f"p99 latency of GET {path}", unit="ms",
                      better="lower", values=p99, reference="empty handler",
                      reference_values=empty_p99, target=f"≤ {p99_x}× empty", today=today_p99)
        p99_row["met"] = ratio_met(p99_row, at_most=p99_x)
        out += [rate_row, p99_row]
    return out


if __name__ == "__main__":
    main()
