"""``candor incident …``: list, show, ack, transition, note, severity, commander, link, fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from monitor.alerting.service import alerts_of
from monitor.cli.common import ConfigOpt, JsonOpt, runtime_from, settings_from
from monitor.cli.output import emit, fail, out, reported, table
from monitor.clock import Clock
from monitor.i18n import check_lang
from monitor.incidents import service
from monitor.incidents.api import public
from monitor.incidents.lifecycle import State
from monitor.incidents.models import EventPublic, Incident
from monitor.verification import service as verification
from monitor.verification import words
from postmortem.signal import queryable

app = typer.Typer(no_args_is_help=True)
Key = Annotated[str, typer.Argument(help="incident key, e.g. INC-42")]
Actor = Annotated[str, typer.Option("--as", help="who is acting (recorded on the event)")]


@app.command("list")
def list_(
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
    state: Annotated[list[str] | None, typer.Option(help="repeatable")] = None,
    severity: Annotated[list[str] | None, typer.Option(help="repeatable, SEV1…SEV4")] = None,
    service_name: Annotated[str | None, typer.Option("--service")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
) -> None:
    """Newest incidents first."""
    for value in state or []:
        if value not in set(State):
            fail(f"--state {value!r}: expected one of {', '.join(State)}")
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        rows, _ = service.list_incidents(s, states=state, severities=severity, service=service_name, limit=limit)
        data = [public(r) for r in rows]
    emit(data, as_json, lambda: table(
        "Incidents", ["key", "severity", "state", "title", "services", "detected"],
        [[i.key, i.severity, i.state, i.title, ",".join(i.services),
          i.detected_at.strftime("%Y-%m-%d %H:%M:%S") if i.detected_at else ""] for i in data]))


@app.command()
def show(key: Key, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """An incident with its alerts and its event history."""
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        data = public(incident)
        events = [EventPublic.model_validate(e, from_attributes=True) for e in service.events(s, incident)]
        alerts = [(a.fingerprint, a.name, a.status) for a in alerts_of(s, incident)]

    def human() -> None:
        out.print(f"[bold]{data.key}[/bold] {data.title}  ({data.severity}, {data.state})")
        out.print(f"services: {', '.join(data.services) or '-'}   commander: {data.commander or '-'}")
        out.print(f"allowed next: {', '.join(data.allowed_transitions) or 'none'}")
        table("Alerts", ["fingerprint", "alertname", "status"], alerts)
        table("Events", ["#", "at", "type", "actor", "payload"],
              [[e.seq, e.at.isoformat(timespec="seconds"), e.type, e.actor, e.payload] for e in events])

    emit({"incident": data, "events": events}, as_json, human)


def _act(config: Path | None, key: str, as_json: bool,
         action: Callable[[Session, Incident, Clock], object]) -> None:
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        action(s, incident, runtime.clock)
        data = public(incident)
    emit(data, as_json, lambda: out.print(f"{data.key}: {data.state} ({data.severity})"))


@app.command()
def ack(key: Key, config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli") -> None:
    """Acknowledge: someone is on it."""
    _act(config, key, as_json, lambda s, i, c: service.transition(s, i, State.ACKNOWLEDGED, actor=actor, clock=c))


@app.command()
def transition(
    key: Key,
    to: Annotated[str, typer.Argument(help="target state")],
    reason: Annotated[str, typer.Option()] = "",
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Move an incident to another state (see `incident show` for the allowed ones)."""
    if to not in set(State):
        fail(f"state {to!r} does not exist; expected one of {', '.join(State)}")
    _act(config, key, as_json, lambda s, i, c: service.transition(
        s, i, State(to), actor=actor, clock=c, reason=reason))


@app.command()
def note(
    key: Key, text: Annotated[str, typer.Argument()],
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Add a note to the timeline."""
    if not text.strip():
        fail("the note is empty; write what happened or what you found")
    _act(config, key, as_json, lambda s, i, c: service.add_note(s, i, text, actor=actor, clock=c))


@app.command()
def severity(
    key: Key, level: Annotated[str, typer.Argument(help="SEV1…SEV4")],
    reason: Annotated[str, typer.Option()] = "",
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Change the severity."""
    if level not in ("SEV1", "SEV2", "SEV3", "SEV4"):
        fail(f"severity {level!r}: expected SEV1, SEV2, SEV3 or SEV4")
    _act(config, key, as_json, lambda s, i, c: service.change_severity(
        s, i, level, actor=actor, clock=c, reason=reason))


@app.command()
def commander(
    key: Key, who: Annotated[str, typer.Argument()],
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Assign the incident commander."""
    _act(config, key, as_json, lambda s, i, c: service.assign_commander(s, i, who, actor=actor, clock=c))


@app.command()
def link(
    key: Key, other: Annotated[str, typer.Argument(help="the other incident's key")],
    relation: Annotated[str, typer.Option(help="related|duplicate|caused_by|causes")] = "related",
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Link two incidents (both get an event)."""
    if relation not in ("related", "duplicate", "caused_by", "causes"):
        fail(f"--relation {relation!r}: expected related, duplicate, caused_by or causes")
    _act(config, key, as_json, lambda s, i, c: service.link(
        s, i, other, relation=relation, actor=actor, clock=c))


@app.command()
def fix(
    key: Key, description: Annotated[str, typer.Argument()],
    release: Annotated[str, typer.Option()] = "",
    service_name: Annotated[str, typer.Option("--service", help="the service deployed")] = "",
    window: Annotated[str | None, typer.Option(help="soak window for this fix, e.g. 15m")] = None,
    confidence: Annotated[float | None, typer.Option(help="e.g. 0.99")] = None,
    tolerance: Annotated[float | None, typer.Option(help="relative, e.g. 0.5")] = None,
    min_requests: Annotated[int | None, typer.Option()] = None,
    errors_query: Annotated[str | None, typer.Option(help="counter selector of failed requests")] = None,
    total_query: Annotated[str | None, typer.Option(help="counter selector of all requests")] = None,
    config: ConfigOpt = None, as_json: JsonOpt = False, actor: Actor = "cli",
) -> None:
    """Record that a fix or deployment went out; the incident moves to verifying and Candor
    judges the fix from the signal. The options override [verification] for this fix."""
    overrides = {k: v for k, v in (("window", window), ("confidence", confidence), ("tolerance", tolerance),
                                   ("min_requests", min_requests), ("errors_query", errors_query),
                                   ("total_query", total_query)) if v is not None}

    def record(s, i, c):  # type: ignore[no-untyped-def]
        settings = settings_from(config)
        source = queryable(settings)
        try:
            known = verification.known_services(settings, i, source, c.now()) if service_name else []
            verification.check_fix(settings=settings, overrides=overrides, service=service_name,
                                   incident=i, source=source, now=c.now(), known_services=known)
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        service.record_fix(s, i, description, release=release, actor=actor, clock=c,
                           service=service_name, verification=overrides or None)

    _act(config, key, as_json, record)


@app.command("verification")
def show_verification(key: Key, config: ConfigOpt = None, as_json: JsonOpt = False,
                      lang: Annotated[str, typer.Option(help="en or pt-BR")] = "en") -> None:
    """The fix verdicts with their evidence, and the measured impact with its queries."""
    try:
        check_lang(lang)
    except ValueError as exc:
        fail(f"--lang: {exc}")
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        found = service.events(s, incident)
        data: dict[str, Any] = {"key": incident.key, "state": incident.state,
                                "verdicts": verification.verdicts(found),
                                "impact": verification.latest_impact(found)}

    def show() -> None:
        out.print(f"{data['key']}: {data['state']}", markup=False)
        for verdict in data["verdicts"]:
            first, *rest = words.verdict_lines(verdict, lang)
            out.print(f"  {verdict['at']}  {first}", markup=False)
            for line in rest:
                out.print(f"    {line}", markup=False)
        for line in words.impact_lines(data["impact"], lang):
            out.print(f"  {line}", markup=False)

    emit(data, as_json, show)
