"""Run the EVERLINKS demo: a simulated app develops an error spike and Candor handles it.

Starts Candor on --listen with the embedded rule engine. A simulated EVERLINKS
(link shortening and redirects) records its traffic with the exporters library
and pushes it to Candor every second. Redirects start failing; the alert rule
fires within seconds and an incident opens. On-call acknowledges it and tells
users in Portuguese and English (linted, published to the status page and to a
signed webhook); a fix goes out; a correction follows ("creating links also
failed"); the signal recovers; after the verification window the incident
resolves as verified, a closing notice with the corrective actions goes out and
a postmortem is drafted from what happened. With --once the story runs
headless and the command exits 0 when all of that happened.
"""

from __future__ import annotations

import base64
import os
import secrets
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
from monitor.app import create_app
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.cli.output import fail, out
from monitor.config import Settings
from monitor.demo import notices
from monitor.demo.app import record
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.traffic import Story, tick
from monitor.event_types import Notification
from monitor.wiring import Candor, assemble, build_runtime, jobs

RULES = Path(__file__).resolve().parents[1] / "demo" / "rules.yml"
SERVICE = "redirect"
SECRET_VAR = "CANDOR_DEMO_WEBHOOK_SECRET"
LANGS = ("pt-BR", "en")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(candor: Candor, host: str, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(create_app(candor), host=host, port=port, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or server.should_exit:
            fail(f"Candor did not start on {host}:{port}; is the port free?", 1)
        time.sleep(0.05)
    return server


def _settings(directory: Path, public_url: str, webhook: str) -> Settings:
    return Settings.model_validate({
        "server": {"public_url": public_url},
        "storage": {"data_dir": str(directory)},
        "auth": {"anonymous_role": "viewer"},
        "verification": {"window": "8s", "sweep_interval": "1s"},
        "engine": {"rule_files": [str(RULES)], "evaluation_interval": "1s"},
        "notify": {"interval": "1s", "receivers": [
            {"name": "on-call-tool", "kind": "webhook", "url": webhook, "secret": f"env:{SECRET_VAR}"}]},
        "comms": {"components": [{"name": "Links", "services": [SERVICE]}]},
    })


class OnCall:
    """The on-call engineer: reacts to what Candor shows, through the API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.key: str | None = None
        self.state = ""
        self.notices: dict[str, int] = {}
        self.start = ""

    def say(self, second: int, text: str) -> None:
        out.print(f"t={second:>3}s  {text}")

    def call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self.api.request(method, url, **kwargs)
        if response.status_code >= 400:
            fail(f"demo: {method} {url} answered {response.status_code}: {response.text[:500]}", 1)
        return response.json()  # type: ignore[no-any-return]

    def look(self, second: int) -> dict[str, Any] | None:
        if self.key is None:
            page = self.call("GET", "/api/v1/incidents")["data"]
            if not page:
                return None
            self.key = page[0]["key"]
            self.start = page[0]["impact_started_at"][11:16]
            self.say(second, f"alert {page[0]['title']!r} fired → [bold red]{self.key} opened[/]")
            self.call("POST", f"/api/v1/incidents/{self.key}/ack")
            for state, reason in (("identified", "redirect cache misconfigured"), ("fixing", "")):
                self.call("POST", f"/api/v1/incidents/{self.key}/transitions", json={"to": state, "reason": reason})
            self.say(second, f"on-call acknowledged {self.key}; cause identified; fixing")
            self.tell_users(second)
        incident: dict[str, Any] = self.call("GET", f"/api/v1/incidents/{self.key}")
        if incident["state"] != self.state:
            self.state = incident["state"]
            self.say(second, f"{self.key} is [bold]{self.state}[/]")
        return incident

    def tell_users(self, second: int) -> None:
        for lang in LANGS:
            body = {"lang": lang, "content": notices.content(notices.INITIAL[lang], start=self.start)}
            notice = self.call("POST", f"/api/v1/incidents/{self.key}/notices", json=body)
            self.notices[lang] = notice["id"]
            self.call("POST", f"/api/v1/notices/{notice['id']}/publish", json={})
        self.say(second, "first notice drafted, linted and published in pt-BR and en")

    def publish(self, kind: str, texts: dict[str, dict[str, Any]]) -> None:
        for lang in LANGS:
            body = {"kind": kind, "content": notices.content(texts[lang], start=self.start)}
            self.call("POST", f"/api/v1/notices/{self.notices[lang]}/versions", json=body)


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
    directory = data_dir or Path(tempfile.mkdtemp(prefix="candor-demo-"))
    base = f"http://{host}:{port}"
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    os.environ[SECRET_VAR] = secret
    webhook = WebhookReceiver(secret)
    candor = assemble(build_runtime(_settings(directory, base, webhook.url)))
    runtime = candor.runtime
    with runtime.unit() as s:
        _, token = auth.create_token(s, name="demo", role=Role.ADMIN, clock=runtime.clock)
    server = _serve(candor, host, port)
    background = scheduler.start(jobs(candor))
    out.print(f"[bold]Candor demo[/bold] — EVERLINKS on {base}")
    out.print(f"  status page: {base}/status  ({base}/status?lang=en)\n"
              f"  incidents:   {base}/api/v1/incidents\n  API docs:    {base}/docs\n"
              f"  metrics:     {base}/metrics\n  admin token (this demo only): {token}")

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
                oncall.say(second, "redirects start failing (a bad cache config went out)")
            if second == story.spike_end and oncall.key:
                app.deploy("2026.11.25-2", fix=oncall.key)
                fix = {"description": "Rolled back the redirect cache config", "release": "2026.11.25-2"}
                oncall.call("POST", f"/api/v1/incidents/{oncall.key}/fixes", json=fix)
                oncall.say(second, "fix deployed (release 2026.11.25-2)")
            if second == story.spike_end + 2 and oncall.key:
                oncall.publish("correction", notices.CORRECTION)
                oncall.say(second, "[bold]correction[/] published: creating links had failed too")
            final = oncall.look(second)
            if final and final["state"] == "resolved":
                break
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        if final and final["state"] == "resolved":
            oncall.publish("update", notices.RESOLVED)
            oncall.say(second, "closing notice with the corrective actions published")
            oncall.call("POST", f"/api/v1/incidents/{oncall.key}/postmortem")
            report = api.get(f"/api/v1/incidents/{oncall.key}/postmortem/render",
                             params={"format": "md", "lang": "en"})
            path = directory / f"postmortem-{oncall.key}.en.md"
            path.write_text(report.text, encoding="utf-8")
            oncall.say(second, f"postmortem drafted from the timeline: {path}")
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and Notification.NOTICE_CORRECTED not in webhook.types():
            time.sleep(0.5)
    app.close(timeout=2)
    delivered = webhook.types()
    out.print(f"webhook receiver got {len(delivered)} signed messages: {', '.join(sorted(set(delivered)))}"
              + (f"; {webhook.bad_signatures} with a bad signature" if webhook.bad_signatures else ""))
    ok = bool(final and final["state"] == "resolved" and Notification.NOTICE_CORRECTED in delivered
              and not webhook.bad_signatures)
    if final:
        out.print(f"{final['key']}: detected {final['detected_at']}, fix deployed {final['fix_deployed_at']}, "
                  f"verified {final['verified_at']}")
    if once:
        background.shutdown(wait=False)
        server.should_exit = True
        webhook.close()
        candor.close()
        out.print("demo: " + ("ok — the spike opened an incident; users were told and the mistake corrected; "
                              "the fix was verified and a postmortem drafted" if ok else "FAILED"))
        raise typer.Exit(0 if ok else 1)
    out.print(f"Candor keeps running on {base} (status page: {base}/status); Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        background.shutdown(wait=False)
        server.should_exit = True
        webhook.close()
        candor.close()
