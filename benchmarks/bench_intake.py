"""Alert intake under load: Alertmanager webhooks (``POST /api/v1/alertmanager``) sent by
Debian's ``wrk`` (a Lua script writes each request's body, 8 connections) to Candor and, in
the same run, the same bodies to an empty handler served the same way.

Two shapes, each a row in webhooks/s and one in alerts/s:

* ``intake.new_group``: one alert of a new group per webhook (every webhook opens an
  incident: the insert-or-get, the incident, its events and outbox rows);
* ``intake.batch50``: 50 alerts of one new group per webhook (one incident, 50 alerts
  attached).

Candor runs on SQLite (the default store) with one webhook receiver configured, so each
new incident also writes its outbox row. The reference is a FastAPI app whose route only
parses the JSON body and returns a constant (``bench_http.empty_app``) on uvicorn in this
process exactly as Candor is. Writes benchmarks/results/intake.json.
Run: ``.venv/bin/python benchmarks/bench_intake.py``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (puts tests.support on the path)

from benchmarks._report import QUICK, ratio_met, repeats, row, write
from benchmarks.bench_http import empty_app
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.config import Settings
from monitor.wiring import assemble, build_runtime
from tests.support.processes import serve, serve_candor

CONNECTIONS = 8
SECONDS = 1 if QUICK else 4
REPEATS = repeats(5, 1)
SHAPES = {  # name: (alerts per webhook, what the issue measured)
    "new_group": (1, "119–124 webhooks/s, p99 770 ms (0.11×)"),
    "batch50": (50, "370–590 alerts/s"),
}

# Each request a new group: the thread's number and a counter in the labels.
LUA = r"""
local counter = 0
local threads = 0
local alerts = tonumber(os.getenv("ALERTS") or "1")
local token = os.getenv("TOKEN") or ""
local run = os.getenv("RUN") or "0"
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local group = run .. "-" .. tid .. "-" .. counter
  local parts = {}
  for i = 1, alerts do
    parts[i] = string.format('{"status":"firing","labels":{"alertname":"BenchErrors",'
      .. '"service":"svc-%s","instance":"host-%d","severity":"critical"},'
      .. '"annotations":{"summary":"error ratio above 5%% on svc-%s"},'
      .. '"startsAt":"2030-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z",'
      .. '"generatorURL":"http://prometheus/graph","fingerprint":"%s-%d"}', group, i, group, group, i)
  end
  local body = '{"version":"4","groupKey":"{}:{service=\\"svc-' .. group .. '\\"}",'
    .. '"status":"firing","receiver":"candor","groupLabels":{"service":"svc-' .. group .. '"},'
    .. '"commonLabels":{},"commonAnnotations":{},"externalURL":"http://alertmanager",'
    .. '"truncatedAlerts":0,"alerts":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", nil, {["Content-Type"] = "application/json",
                                  ["Authorization"] = "Bearer " .. token}, body)
end
function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("answer " .. status .. ": " .. body .. "\n")
  end
end
"""

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(url: str, script: Path, *, alerts: int, token: str, run: str) -> tuple[float, float]:
    """``(webhooks/s, p99 ms)``; fails on any non-2xx answer."""
    argv = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s",
            "-s", str(script), url]
    env = {"ALERTS": str(alerts), "TOKEN": token, "RUN": run, "PATH": "/usr/bin:/bin"}
    done = subprocess.run(argv, capture_output=True, text=True, timeout=SECONDS + 60,
                          check=True, env=env)
    if "Non-2xx or 3xx responses" in done.stdout or done.stderr.strip():
        raise RuntimeError(f"{url} answered errors under load:\n{done.stdout}\n{done.stderr[:2000]}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))  # type: ignore[union-attr]  # wrk always prints it
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", done.stdout).groups()  # type: ignore[union-attr]  # --latency prints it
    return rate, float(value) * _UNITS[unit]


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: `make test-deps` installs it (Debian package wrk)")
    with tempfile.TemporaryDirectory(prefix="candor-bench-intake-") as tmp:
        script = Path(tmp) / "intake.lua"
        script.write_text(LUA)
        settings = Settings.model_validate({
            "storage": {"data_dir": tmp}, "server": {"max_body_bytes": 16 * 1_048_576},
            "notify": {"receivers": [{"name": "ops", "kind": "webhook",
                                      "url": "http://127.0.0.1:9/hook"}]}})
        candor = assemble(build_runtime(settings))
        runtime = candor.runtime
        with runtime.unit() as s:
            _, token = auth.create_token(s, name="bench", role=Role.RESPONDER, clock=runtime.clock)
        runs: dict[str, list[tuple[float, float]]] = {}
        try:
            with serve(empty_app()) as empty, serve_candor(candor) as base:
                for shape, (alerts, _) in SHAPES.items():  # warm up
                    wrk(f"{base}/api/v1/alertmanager", script, alerts=alerts, token=token,
                        run=f"warm{shape}")
                for n in range(REPEATS):
                    for shape, (alerts, _) in SHAPES.items():
                        runs.setdefault(f"empty.{shape}", []).append(
                            wrk(f"{empty}/empty", script, alerts=alerts, token=token, run="e"))
                        runs.setdefault(shape, []).append(
                            wrk(f"{base}/api/v1/alertmanager", script, alerts=alerts,
                                token=token, run=f"{n}"))
                    time.sleep(0.2)
        finally:
            candor.close()
    write("intake", rows(runs), connections=CONNECTIONS, seconds_per_run=SECONDS,
          repeats=REPEATS)


def rows(runs: dict[str, list[tuple[float, float]]]) -> list[dict[str, Any]]:
    out = []
    for shape, (alerts, today) in SHAPES.items():
        rate = [r for r, _ in runs[shape]]
        ref = [r for r, _ in runs[f"empty.{shape}"]]
        what = f"POST /api/v1/alertmanager, {alerts} alert(s) of a new group per webhook"
        hooks = row(f"intake.{shape}", what=f"{what}, {CONNECTIONS} connections",
                    unit="hooks/s", better="higher", values=rate, reference="empty handler",
                    reference_values=ref, target="≥ 0.5× empty", today=today)
        hooks["met"] = ratio_met(hooks, at_least=0.5)
        per_alert = row(f"intake.{shape}.alerts", what=f"alerts/s of {what}", unit="alerts/s",
                        better="higher", values=[r * alerts for r in rate],
                        target="≥ 1,000 alerts/s", today=today if alerts > 1 else None)
        per_alert["met"] = per_alert["candor"]["median"] >= 1000
        p99 = row(f"intake.{shape}.p99", what=f"p99 latency of {what}", unit="ms",
                  better="lower", values=[p for _, p in runs[shape]], reference="empty handler",
                  reference_values=[p for _, p in runs[f"empty.{shape}"]])
        out += [hooks, per_alert, p99]
    return out


if __name__ == "__main__":
    main()
