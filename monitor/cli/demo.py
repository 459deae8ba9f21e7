"""Run the EVERLINKS demo: a simulated app develops an error spike and Candor handles it.

Starts Candor on --listen with the embedded rule engine. A simulated EVERLINKS
(link shortening and redirects) records its traffic with the exporters library
and pushes it to Candor every second. Redirects start failing; the alert rule
fires within seconds and an incident opens. On-call acknowledges it and tells
users in Portuguese and English (linted, published to the status page and to a
signed webhook); a fix goes out; a correction follows ("creating links also
failed"); the signal recovers; after the verification window Candor judges the
fix from the signal (a binomial test of the error ratio against the incident's own
baseline) and the incident resolves as verified, with the evidence printed; a
closing notice with the impact figures goes out and a postmortem is drafted from
what happened. With --bad-fix the first fix does not stop the errors: the verdict
is regressed (back to fixing), a second fix is verified, and when the errors come
back the incident reopens naming the fix. With --once the story runs headless and
the command exits 0 when all of that happened.
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
from monitor.app import create_app
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.cli.output import fail, out
from monitor.config import Settings
from monitor.demo import notices
from monitor.demo.app import record
from monitor.demo.metrics import AppMetrics
from monitor.demo.receiver import WebhookReceiver
from monitor.demo.traffic import Story, tick
from monitor.event_types import EventType, Notification
from monitor.i18n import when
from monitor.i18n.verdicts import Verdicts, transition_reason
from monitor.verification import words
from monitor.wiring import Candor, assemble, build_runtime, start

RULES = Path(__file__).resolve().parents[1] / "demo" / "rules.yml"
SERVICE = "redirect"
SECRET_VAR = "CANDOR_DEMO_WEBHOOK_SECRET"
LANGS = ("pt-BR", "en")
REQUESTS = "http_server_request_duration_seconds_count"
SLO_SILENCE = {"matchers": [{"name": "alertname", "value": "ErrorBudgetBurn"}], "duration": "24h",
               "comment": "demo: the redirects SLO burns within seconds of the spike; the story "
                          "follows the RedirectErrorRatioHigh incident"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


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
        "server": {"public_url": public_url, "listen": public_url.removeprefix("http://")},
        "storage": {"data_dir": str(directory)},
        "auth": {"anonymous_role": "viewer"},
        # Demo-sized verification: an 8 s soak at 1 s resolution; one percentage point of
        # tolerance over the baseline (production defaults: 10m, 15s, 0.1 point).
        "verification": {"window": "8s", "sweep_interval": "1s", "resolution": "1s",
                         "tolerance_floor": 0.01},
        "engine": {"rule_files": [str(RULES)], "evaluation_interval": "1s"},
        "notify": {"interval": "1s", "receivers": [
            {"name": "on-call-tool", "kind": "webhook", "url": webhook, "secret": f"env:{SECRET_VAR}"}]},
        "comms": {"components": [{"name": "Links", "services": [SERVICE]}]},
        # Candor's own metrics every second, so its dashboards have data within the minute.
        "signals": {"self_scrape_interval": "1s"},
        # An SLO for the SLO dashboard; its burn-rate alerts are silenced (see SLO_SILENCE).
        "slo": [{"name": "redirects", "service": SERVICE, "objective": 0.99, "window": "28d",
                 "description": "short links open",
                 "sli": {"bad": f'{REQUESTS}{{service="{SERVICE}", http_response_status_code=~"5.."}}',
                         "total": f'{REQUESTS}{{service="{SERVICE}"}}'}}],
    })


class OnCall:
    """The on-call engineer: reacts to what Candor shows, through the API."""

    def __init__(self, api: httpx.Client) -> None:
        self.api = api
        self.key: str | None = None
        self.state = ""
        self.notices: dict[str, int] = {}
        self.start = ""
        self.seen = 0

    def say(self, second: int, text: str) -> None:
        out.print(f"t={second:>3}s  {text}")

    def call(self, method: str, url: str, **kwargs: Any) -> Any:  # the JSON body: an object or a list
        response = self.api.request(method, url, **kwargs)
        if response.status_code >= 400:
            fail(f"demo: {method} {url} answered {response.status_code}: {response.text[:500]}", 1)
        return response.json()

    def news(self, second: int) -> None:
        """Print what Candor decided since the last look: verdicts with their evidence,
        regressions, reopenings, impact."""
        events = self.call("GET", f"/api/v1/incidents/{self.key}/events")
        for event in events[self.seen:]:
            payload = event["payload"]
            if event["type"] == EventType.VERIFICATION_VERDICT:
                first, *rest = words.verdict_lines(payload, "en")
                self.say(second, first)
                for line in rest:
                    self.say(second, line)
            elif event["type"] == EventType.INCIDENT_TRANSITIONED and payload["to"] in ("regressed", "reopened"):
                why = transition_reason(payload.get("reason_code", ""), payload.get("reason_values") or {},
                                        "en") or payload["reason"]
                self.say(second, f"{payload['to']}: {why}")
            elif event["type"] == EventType.IMPACT_MEASURED and payload.get("started_at"):
                self.say(second, Verdicts.impact_measured("en", start=when(payload["started_at"], "en", seconds=True))
                         + (Verdicts.impact_ended("en", end=when(payload["ended_at"], "en", seconds=True))
                            if payload.get("ended_at") else ""))
        self.seen = len(events)

    def look(self, second: int) -> dict[str, Any] | None:
        if self.key is None:
            page = self.call("GET", "/api/v1/incidents")["data"]
            if not page:
                return None
            self.key = page[0]["key"]
            self.start = page[0]["impact_started_at"][11:16]
            self.say(second, f"alert {page[0]['title']!r} fired → {self.key} opened")
            self.call("POST", f"/api/v1/incidents/{self.key}/ack")
            for state, reason in (("identified", "redirect cache misconfigured"), ("fixing", "")):
                self.call("POST", f"/api/v1/incidents/{self.key}/transitions", json={"to": state, "reason": reason})
            self.say(second, f"on-call acknowledged {self.key}; cause identified; fixing")
            self.tell_users(second)
        self.news(second)
        incident: dict[str, Any] = self.call("GET", f"/api/v1/incidents/{self.key}")
        if incident["state"] != self.state:
            self.state = incident["state"]
            self.say(second, f"{self.key} is {self.state}")
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


def close_incident(oncall: OnCall, api: httpx.Client, directory: Path | None, second: int,
                   base: str) -> None:
    """Closing notice with the measured impact, the impact figures and their queries, postmortem
    (written to ``directory`` when the data directory is the user's)."""
    verification = oncall.call("GET", f"/api/v1/incidents/{oncall.key}/verification")
    impact = verification.get("impact")
    for lang in LANGS:
        body = {"kind": "update", "content": notices.closing(lang, start=oncall.start, impact=impact)}
        oncall.call("POST", f"/api/v1/notices/{oncall.notices[lang]}/versions", json=body)
    oncall.say(second, "closing notice with the impact and the corrective actions published")
    oncall.say(second, "impact, from the series:")
    for line in words.impact_lines(impact, "en"):
        out.print(f"        {line}", markup=False)
    drafted = oncall.call("POST", f"/api/v1/incidents/{oncall.key}/postmortem")["content"]
    where = f"{base}/api/v1/incidents/{oncall.key}/postmortem/render?format=html"
    if directory is not None:
        report = api.get(f"/api/v1/incidents/{oncall.key}/postmortem/render",
                         params={"format": "md", "lang": "en"})
        path = directory / f"postmortem-{oncall.key}.en.md"
        path.write_text(report.text, encoding="utf-8")
        where = str(path)
    oncall.say(second, f"postmortem drafted from the timeline: {where}")
    for section in ("detection", "response", "recovery"):
        if drafted.get(section):
            out.print(f"        {section}: {drafted[section]}")


def demo(
    once: Annotated[bool, typer.Option("--once", help="run the story headless and exit")] = False,
    listen: Annotated[
        str | None, typer.Option(help="host:port (default 127.0.0.1:8080; --once picks a free port)")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="where the demo keeps its data (default: a temp dir)")] = None,
    bad_fix: Annotated[bool, typer.Option("--bad-fix", help="the first fix does not work: regressed, "
                                          "then verified, then reopened")] = False,
    app_metrics: Annotated[str | None, typer.Option(
        "--app-metrics", help="host:port where the simulated app serves its /metrics, for a real "
                              "Prometheus to scrape (default: not served)")] = None,
) -> None:
    host, port = "127.0.0.1", 8080
    if listen:
        host, _, raw = listen.rpartition(":")
        if not raw.isdigit():
            fail(f"--listen {listen!r}: expected host:port, e.g. 127.0.0.1:8080")
        port = int(raw)
    elif once:
        port = _free_port()
    if not _port_free(host, port):
        fail(f"port {port} on {host} is in use (another Candor, or an earlier demo still "
             f"running?). Pick another: make demo PORT={port + 1}, or "
             f"candor demo --listen {host}:{port + 1}")
    scratch = None if data_dir else tempfile.TemporaryDirectory(prefix="candor-demo-")
    try:
        _run(once, host, port, data_dir or Path(scratch.name), bad_fix,  # type: ignore[union-attr]
             keep=data_dir is not None, app_metrics=app_metrics)
    finally:
        if scratch is not None:
            scratch.cleanup()  # every run starts clean and leaves nothing behind


def _run(once: bool, host: str, port: int, directory: Path, bad_fix: bool, *, keep: bool,
         app_metrics: str | None) -> None:
    """The story itself; ``keep``: the data directory is the user's (write the postmortem there)."""
    base = f"http://{host}:{port}"
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    os.environ[SECRET_VAR] = secret
    webhook = WebhookReceiver(secret)
    candor = assemble(build_runtime(_settings(directory, base, webhook.url)))
    runtime = candor.runtime
    with runtime.unit() as s:
        _, token = auth.create_token(s, name="demo", role=Role.ADMIN, clock=runtime.clock)
    server = _serve(candor, host, port)
    background = start(candor)
    out.print(f"Candor demo — EVERLINKS on {base}", style="bold")
    out.print(f"  status page: {base}/status  ({base}/status?lang=en)\n"
              f"  incidents:   {base}/api/v1/incidents\n  API docs:    {base}/docs\n"
              f"  metrics:     {base}/metrics\n  admin token (this demo only): {token}")

    # the bad fix is judged regressed once the alert expression has had its bounded wait to go
    # inactive (window 8 s + the rule's 5 s range + two 1 s rule intervals + a 1 s step)
    story = Story(spike_end=40, relapse_start=58) if bad_fix else Story()
    fixes = [(20, "2026.11.25-2", "Rolled back the redirect cache config")]
    if bad_fix:
        fixes = [(20, "2026.11.25-2", "Restarted the redirect cache"),
                 (40, "2026.11.25-3", "Rolled back the redirect cache config")]
    app = Exporter(SERVICE, release="2026.11.25-1")
    served = None
    if app_metrics:
        app_host, _, app_port = app_metrics.rpartition(":")
        if not app_port.isdigit():
            fail(f"--app-metrics {app_metrics!r}: expected host:port, e.g. 127.0.0.1:9100")
        served = AppMetrics(app, app_host, int(app_port))
        out.print(f"  app metrics: {served.url}")
    app.push_to(base, token=token, interval=1.0)
    final: dict[str, Any] | None = None
    closed = reopened = False
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=10) as api:
        oncall = OnCall(api)
        oncall.call("POST", "/api/v1/silences", json=SLO_SILENCE)
        for second in range(story.spike_end + (45 if not bad_fix else 60)):
            started = time.monotonic()
            record(app, tick(story, second))
            if second == story.spike_start:
                oncall.say(second, "redirects start failing (a bad cache config went out)")
            if second == story.relapse_start:
                oncall.say(second, "redirects fail again (the fix had a flaw)")
            for at, release, text in fixes:
                if second == at and oncall.key:
                    oncall.call("POST", f"/api/v1/incidents/{oncall.key}/fixes",
                                json={"description": text, "release": release, "service": SERVICE})
                    app.deploy(release, fix=oncall.key)  # the exporters' marker names the fix too
                    oncall.say(second, f"fix deployed: {text} (release {release})")
            if second == 22 and oncall.key:
                oncall.publish("correction", notices.CORRECTION)
                oncall.say(second, "correction published: creating links had failed too")
            final = oncall.look(second)
            if final and final["state"] == "resolved" and not closed:
                closed = True
                close_incident(oncall, api, directory if keep else None, second, base)
                if not bad_fix:
                    break
            if final and final["state"] == "reopened":
                reopened = True
                break
            time.sleep(max(0.0, 1.0 - (time.monotonic() - started)))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and Notification.NOTICE_CORRECTED not in webhook.types():
            time.sleep(0.5)
    if once:
        app.close(timeout=2)
    delivered = webhook.types()
    out.print(f"webhook receiver got {len(delivered)} signed messages: {', '.join(sorted(set(delivered)))}"
              + (f"; {webhook.bad_signatures} with a bad signature" if webhook.bad_signatures else ""))
    ok = bool(final and closed and (reopened or not bad_fix) and not webhook.bad_signatures
              and Notification.NOTICE_CORRECTED in delivered)
    if final:
        out.print(f"{final['key']}: impact started {final['impact_started_at']}, detected "
                  f"{final['detected_at']}, fix deployed {final['fix_deployed_at']}, "
                  f"verified {final['verified_at'] or '—'}, state {final['state']}")
    if once:
        background.stop()
        server.should_exit = True
        webhook.close()
        if served:
            served.close()
        candor.close()
        story_told = ("the first fix regressed, the second was verified, and the incident reopened "
                      "when the errors came back" if bad_fix else
                      "the fix was verified from the signal and a postmortem drafted")
        out.print("demo: " + (f"ok — the spike opened an incident; users were told and the mistake "
                              f"corrected; {story_told}" if ok else "FAILED"))
        raise typer.Exit(0 if ok else 1)
    out.print(f"Candor keeps running on {base} (status page: {base}/status); Ctrl-C to stop.")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        app.close(timeout=2)
        if served:
            served.close()
        background.stop()
        server.should_exit = True
        webhook.close()
        candor.close()
