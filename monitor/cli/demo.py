"""Run the EVERLINKS demo: a simulated app develops an error spike, Candor opens an incident.

Starts Candor on --listen, simulates link-redirect traffic that starts failing,
detects the spike, and follows the incident through fix and verification.
With --once it runs the story headless, prints a summary and exits 0 when the
incident opened, was fixed and verified.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated

import httpx
import typer
import uvicorn

from monitor.api.app import create_app
from monitor.api.runtime import Runtime
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.cli.output import fail, out
from monitor.config import Settings
from monitor.demo.traffic import Second, Story, error_ratio, tick

THRESHOLD = 0.05
WINDOW = 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(runtime: Runtime, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            fail(f"Candor did not start on {host}:{port}; is the port free?", 1)
        time.sleep(0.05)
    return server


def _alert(firing: bool, ratio: float, started: str) -> dict[str, object]:
    alert: dict[str, object] = {
        "labels": {"alertname": "RedirectErrorRateHigh", "service": "redirect", "severity": "critical"},
        "annotations": {
            "summary": "Short links are not redirecting for many users",
            "description": f"{ratio:.0%} of redirects failed over the last {WINDOW}s (threshold {THRESHOLD:.0%}).",
        },
        "startsAt": started,
        "generatorURL": "http://127.0.0.1/demo",
    }
    if not firing:
        alert["endsAt"] = started
    return alert


def demo(
    once: Annotated[bool, typer.Option("--once", help="run the story headless and exit")] = False,
    listen: Annotated[
        str | None, typer.Option(help="host:port (default 127.0.0.1:8080; --once picks a free port)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where the demo keeps its data (default: a temp dir)")] = None,
    speed: Annotated[float, typer.Option(min=0.1, max=1000, help="story seconds per real second")] = 1.0,
) -> None:
    host, port = "127.0.0.1", 8080
    if listen:
        host, _, raw = listen.rpartition(":")
        if not raw.isdigit():
            fail(f"--listen {listen!r}: expected host:port, e.g. 127.0.0.1:8080")
        port = int(raw)
    elif once:
        port = _free_port()
    if once and speed == 1.0:
        speed = 20.0
    directory = data_dir or Path(tempfile.mkdtemp(prefix="candor-demo-"))
    settings = Settings.model_validate({
        "storage": {"data_dir": str(directory)},
        "auth": {"anonymous_role": "viewer"},
        "verification": {"window": "10s", "sweep_interval": "1s"},
    })
    runtime = Runtime.build(settings)
    with runtime.unit() as s:
        _, token = auth.create_token(s, name="demo", role=Role.ADMIN, clock=runtime.clock)
    server = _serve(runtime, host, port)
    base = f"http://{host}:{port}"
    out.print(f"[bold]Candor demo[/bold] — EVERLINKS on {base}")
    out.print(f"  incidents:  {base}/api/v1/incidents\n  API docs:   {base}/docs\n  metrics:    {base}/metrics")
    out.print(f"  admin token (this demo only): {token}")

    from monitor import scheduler

    jobs = scheduler.start(runtime)
    story = Story()
    seen: list[Second] = []
    firing_since: str | None = None
    key = None
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=10) as api:
        for second in range(story.spike_end + 25):
            seen.append(tick(story, second))
            ratio = error_ratio(seen[-WINDOW:], "redirect")
            now = runtime.clock.now().isoformat()
            if ratio > THRESHOLD and firing_since is None:
                firing_since = now
                result = api.post("/api/v1/alerts", json=[_alert(True, ratio, now)]).json()
                key = result["incidents"][0]
                out.print(f"t={second:>3}s  redirect errors {ratio:.0%} → alert fired → [bold red]{key} opened[/]")
                api.post(f"/api/v1/incidents/{key}/ack")
                for state, reason in (("identified", "bad redirect cache config"), ("fixing", "")):
                    api.post(f"/api/v1/incidents/{key}/transitions", json={"to": state, "reason": reason})
                out.print(f"t={second:>3}s  on-call acknowledged {key}; cause identified; fixing")
            elif key and second == story.spike_end:
                fix = {"description": "Rolled back the redirect cache config", "release": "2026.11.25-2"}
                api.post(f"/api/v1/incidents/{key}/fixes", json=fix)
                out.print(f"t={second:>3}s  fix deployed (release 2026.11.25-2)")
            elif firing_since and ratio <= THRESHOLD:
                api.post("/api/v1/alerts", json=[_alert(False, ratio, firing_since)])
                firing_since = None
                state = api.get(f"/api/v1/incidents/{key}").json()["state"]
                out.print(f"t={second:>3}s  errors back to {ratio:.1%} → alert resolved → {key} {state}")
            time.sleep(1 / speed)
        final = api.get(f"/api/v1/incidents/{key}").json() if key else None
        deadline = time.monotonic() + 30
        while once and final and final["state"] == "verifying" and time.monotonic() < deadline:
            time.sleep(0.5)
            final = api.get(f"/api/v1/incidents/{key}").json()
    if final:
        out.print(f"{final['key']} is [bold]{final['state']}[/bold] (detected {final['detected_at']}, "
                  f"fixed {final['fix_deployed_at']}, verified {final['verified_at']})")
    if once:
        jobs.shutdown(wait=False)
        server.should_exit = True
        ok = bool(final and final["state"] == "resolved")
        out.print("demo: " + ("ok — incident opened from the spike, fixed and verified" if ok else "FAILED"))
        raise typer.Exit(0 if ok else 1)
    out.print(f"Candor keeps running on {base}; Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        jobs.shutdown(wait=False)
        server.should_exit = True
