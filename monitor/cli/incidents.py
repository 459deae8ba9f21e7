"""``candor incident …``: list, show, ack, transition, note, severity, commander, link, fix.

Every command that changes an incident records an event and says what it recorded
(``INC-1: note added (event 7)``); ``--json`` gives the incident as the API does.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from monitor.alerting.models import AlertPublic
from monitor.alerting.service import alerts_of
from monitor.cli.common import ActorOpt, ConfigOpt, JsonOpt, actor, runtime_from, settings_from
from monitor.cli.output import emit, fail, fields, out, reported, table, when
from monitor.clock import Clock
from monitor.i18n import check_lang
from monitor.incidents import service
from monitor.incidents.api import public
from monitor.incidents.lifecycle import State
from monitor.incidents.models import EventPublic, Incident, IncidentEvent
from monitor.verification import service as verification
from monitor.verification import words
from postmortem.sentences import describe
from postmortem.signal import queryable
from postmortem.timeline import build_timeline

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)
Key = Annotated[str, typer.Argument(help="incident key, e.g. INC-42")]


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
        [[i.key, i.severity, i.state, i.title, ", ".join(i.services), when(i.detected_at)]
         for i in data], whole=("key", "detected"), empty="No incidents match."))


@app.command()
def show(key: Key, config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """An incident with its alerts and its history, one sentence per event."""
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        data = public(incident)
        stored = service.events(s, incident)
        events = [EventPublic.model_validate(e, from_attributes=True) for e in stored]
        alerts = [AlertPublic.model_validate(a, from_attributes=True) for a in alerts_of(s, incident)]
    entries = {e.seq: e for e in build_timeline(stored)}

    def human() -> None:
        out.print(f"{data.key}  {data.title}", style="bold")
        out.print(f"severity {data.severity} · state {data.state} · services "
                  f"{', '.join(data.services) or '-'} · commander {data.commander or '-'}")
        out.print(f"detected {when(data.detected_at)} · impact started "
                  f"{when(data.impact_started_at) or '-'}")
        out.print(f"allowed next: {', '.join(data.allowed_transitions) or 'none (final state)'}")
        table("Alerts", ["fingerprint", "alertname", "status", "since"],
              [[a.fingerprint, a.name, a.status, when(a.starts_at)] for a in alerts],
              whole=("fingerprint", "since"), empty="Alerts: none (opened by hand).")
        table("Events", ["#", "at", "what happened", "who"],
              [[e.seq, when(e.at), describe(entries[e.seq], "en") if e.seq in entries
                else f"{e.type}: {fields(e.payload)}", e.actor] for e in events],
              whole=("#", "at"))

    emit({"incident": data, "alerts": alerts, "events": events}, as_json, human)


Action = Callable[[Session, Incident, Clock], IncidentEvent]


def _act(config: Path | None, key: str, as_json: bool, action: Action,
         said: Callable[[Incident, IncidentEvent], str]) -> None:
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, key)
        event = action(s, incident, runtime.clock)
        data = public(incident)
        message = f"{incident.key}: {said(incident, event)} (event {event.seq}); state {incident.state}"
    emit(data, as_json, lambda: out.print(message))


def _payload(event: IncidentEvent) -> dict[str, Any]:
    return dict(event.payload)


@app.command()
def ack(key: Key, config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None) -> None:
    """Acknowledge: someone is on it."""
    name = actor(who)
    _act(config, key, as_json,
         lambda s, i, c: service.transition(s, i, State.ACKNOWLEDGED, actor=name, clock=c),
         lambda i, e: f"acknowledged by {name}")


@app.command()
def transition(
    key: Key,
    to: Annotated[str, typer.Argument(help="target state")],
    reason: Annotated[str, typer.Option()] = "",
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Move an incident to another state (see `incident show` for the allowed ones)."""
    if to not in set(State):
        fail(f"state {to!r} does not exist; expected one of {', '.join(State)}")
    name = actor(who)
    _act(config, key, as_json, lambda s, i, c: service.transition(
        s, i, State(to), actor=name, clock=c, reason=reason),
        lambda i, e: f"moved {_payload(e)['from']} → {_payload(e)['to']} by {name}")


@app.command()
def note(
    key: Key, text: Annotated[str, typer.Argument()],
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Add a note to the timeline."""
    if not text.strip():
        fail("the note is empty; write what happened or what you found")
    name = actor(who)
    _act(config, key, as_json, lambda s, i, c: service.add_note(s, i, text, actor=name, clock=c),
         lambda i, e: f"note added by {name}")


@app.command()
def severity(
    key: Key, level: Annotated[str, typer.Argument(help="SEV1…SEV4")],
    reason: Annotated[str, typer.Option()] = "",
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Change the severity."""
    if level not in ("SEV1", "SEV2", "SEV3", "SEV4"):
        fail(f"severity {level!r}: expected SEV1, SEV2, SEV3 or SEV4")
    name = actor(who)
    _act(config, key, as_json, lambda s, i, c: service.change_severity(
        s, i, level, actor=name, clock=c, reason=reason),
        lambda i, e: f"severity {_payload(e)['from']} → {_payload(e)['to']}")


@app.command()
def commander(
    key: Key, person: Annotated[str, typer.Argument(help="who leads the response")],
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Assign the incident commander."""
    name = actor(who)
    _act(config, key, as_json,
         lambda s, i, c: service.assign_commander(s, i, person, actor=name, clock=c),
         lambda i, e: f"incident commander is now {person}")


@app.command()
def link(
    key: Key, other: Annotated[str, typer.Argument(help="the other incident's key")],
    relation: Annotated[str, typer.Option(help="related|duplicate|caused_by|causes")] = "related",
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Link two incidents (both get an event)."""
    if relation not in ("related", "duplicate", "caused_by", "causes"):
        fail(f"--relation {relation!r}: expected related, duplicate, caused_by or causes")
    name = actor(who)
    _act(config, key, as_json, lambda s, i, c: service.link(
        s, i, other, relation=relation, actor=name, clock=c),
        lambda i, e: f"linked to {other} ({relation})")


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
    config: ConfigOpt = None, as_json: JsonOpt = False, who: ActorOpt = None,
) -> None:
    """Record that a fix or deployment went out; the incident moves to verifying and Candor
    judges the fix from the signal. The options override [verification] for this fix."""
    overrides = {k: v for k, v in (("window", window), ("confidence", confidence), ("tolerance", tolerance),
                                   ("min_requests", min_requests), ("errors_query", errors_query),
                                   ("total_query", total_query)) if v is not None}
    name = actor(who)

    def record(s: Session, i: Incident, c: Clock) -> IncidentEvent:
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
        return service.record_fix(s, i, description, release=release, actor=name, clock=c,
                                  service=service_name, verification=overrides or None)

    _act(config, key, as_json, record,
         lambda i, e: f"fix {e.payload.get('id', '')} recorded".replace("  ", " ")
         + (f", release {release}" if release else ""))


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
