"""Run the EVERLINKS demo: a simulated app develops an error spike, Candor opens an incident.

Starts Candor on --listen with the embedded rule engine. A simulated EVERLINKS
(link shortening and redirects) records its traffic with the exporters library
and pushes it to Candor every second. Redirects start failing; the alert rule
fires within seconds and an incident opens; on-call works it, a fix is
deployed, the signal recovers and, after the verification window, the incident
resolves as verified. With --once the story runs headless and the command
exits 0 when all of that happened.
"""

from __future__ import annotations

import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
import uvicorn

from exporters import Exporter
from monitor import scheduler
from monitor.api.app import create_app
from monitor.api.runtime import Runtime
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.cli.output import fail, out
from monitor.config import Settings
from monitor.demo.app import record
from monitor.demo.traffic import Story, tick

RULES = Path(__file__).resolve().parents[1] / "demo" / "rules.yml"
SERVICE = "redirect"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(runtime: Runtime, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(runtime), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or server.should_exit:
            fail(f"Candor did not start on {host}:{port}; is the port free?", 1)
        time.sleep(0.05)
    return server


def _settings(directory: Path) -> Settings:
    return Settings.model_validate({
        "storage": {"data_dir": str(directory)},
        "auth": {"anonymous_role": "viewer"},
        "verification": {"window": "8s", "sweep_interval": "1s"},
        "engine": {"rule_files": [str(RULES)], "evaluation_interval": "1s"},
    })


class OnCall:
    """The on-call engineer: reacts to what Candor shows, through the API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.key: str | None = None
        self.state = ""

    def look(self, second: int) -> dict[str, Any] | None:
        if self.key is None:
            page = self.api.get("/api/v1/incidents").json()["data"]
            if not page:
                return None
            self.key = page[0]["key"]
            out.print(f"t={second:>3}s  alert {page[0]['title']!r} fired → [bold red]{self.key} opened[/]")
            self.api.post(f"/api/v1/incidents/{self.key}/ack")
            for state, reason in (("identified", "redirect cache misconfigured"), ("fixing", "")):
                self.api.post(f"/api/v1/incidents/{self.key}/transitions", json={"to": state, "reason": reason})
            out.print(f"t={second:>3}s  on-call acknowledged {self.key}; cause identified; fixing")
        incident: dict[str, Any] = self.api.get(f"/api/v1/incidents/{self.key}").json()
        if incident["state"] != self.state:
            self.state = incident["state"]
            out.print(f"t={second:>3}s  {self.key} is [bold]{self.state}[/]")
        return incident


def demo(
    once: Annotated[bool, typer.Option("--once", help="run the story headless and exit")] = False,
    listen: Annotated[
        str | None, typer.Option(help="host:port (default 127.0.0.1:8080; --once picks a free port)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where the demo keeps its data (default: a temp dir)")] = None,
) -> None:
    host, port = "127.0.0.1", 8080
    if listen:
        host, _, raw = listen.rpartition(":")
        if not raw.isdigit():
            fail(f"--listen {listen!r}: expected host:port, e.g. 127.0.0.1:8080")
        port = int(raw)
    elif once:
        port = _free_port()
    runtime = Runtime.build(_settings(data_dir or Path(tempfile.mkdtemp(prefix="candor-demo-"))))
    with runtime.unit() as s:
        _, token = auth.create_token(s, name="demo", role=Role.ADMIN, clock=runtime.clock)
    server = _serve(runtime, host, port)
    jobs = scheduler.start(runtime)
    base = f"http://{host}:{port}"
    out.print(f"[bold]Candor demo[/bold] — EVERLINKS on {base}")
    out.print(f"  incidents:  {base}/api/v1/incidents\n  API docs:   {base}/docs\n  metrics:    {base}/metrics")
    out.print(f"  admin token (this demo only): {token}")

    story = Story()
    app = Exporter(SERVICE, release="2026.11.25-1")
    app.push_to(base, token=token, interval=1.0)
    final: dict[str, Any] | None = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
        oncall = OnCall(api)
        for second in range(story.spike_end + 45):
            started = time.monotonic()
            record(app, tick(story, second))
            if second == story.spike_start:
                out.print(f"t={second:>3}s  redirects start failing (a bad cache config went out)")
            if second == story.spike_end and oncall.key:
                app.deploy("2026.11.25-2", fix=oncall.key)
                fix = {"description": "Rolled back the redirect cache config", "release": "2026.11.25-2"}
                api.post(f"/api/v1/incidents/{oncall.key}/fixes", json=fix)
                out.print(f"t={second:>3}s  fix deployed (release 2026.11.25-2)")
            final = oncall.look(second)
            if final and final["state"] == "resolved":
                break
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
    app.close(timeout=2)
    ok = bool(final and final["state"] == "resolved")
    if final:
        out.print(f"{final['key']}: detected {final['detected_at']}, fix deployed {final['fix_deployed_at']}, "
                  f"verified {final['verified_at']}")
    if once:
        jobs.shutdown(wait=False)
        server.should_exit = True
        runtime.close()
        out.print("demo: " + ("ok — the spike opened an incident; it was fixed and verified" if ok else "FAILED"))
        raise typer.Exit(0 if ok else 1)
    out.print(f"Candor keeps running on {base}; Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        jobs.shutdown(wait=False)
        server.should_exit = True
        runtime.close()
