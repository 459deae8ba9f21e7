"""``candor silence add/list/expire``."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.alerting import service
from monitor.alerting.matchers import parse_matcher
from monitor.alerting.models import SilencePublic
from monitor.cli.common import ActorOpt, ConfigOpt, JsonOpt, actor, runtime_from
from monitor.cli.output import emit, fail, out, reported, table, when

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command()
def add(
    matchers: Annotated[list[str], typer.Argument(help='e.g. service=redirect alertname=~"High.*"')],
    comment: Annotated[str, typer.Option(help="why (required)")],
    duration: Annotated[str, typer.Option(help="how long, e.g. 2h")] = "1h",
    who: ActorOpt = None,
    config: ConfigOpt = None, as_json: JsonOpt = False,
) -> None:
    """Silence alerts matching every matcher, starting now."""
    parsed = []
    for text in matchers:
        try:
            parsed.append(parse_matcher(text))
        except ValueError as exc:
            fail(f"matcher: {exc}")
    if not comment.strip():
        fail("--comment is empty; say why these alerts are silenced")
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        silence = service.create_silence(s, matchers=parsed, comment=comment, created_by=actor(who),
                                         clock=runtime.clock, duration=duration)
        data = SilencePublic.model_validate(silence)
        data.state = service.silence_state(silence, runtime.clock.now())
    emit(data, as_json, lambda: out.print(f"silence {data.id} until {when(data.ends_at)} "
                                          f"(end it early: candor silence expire {data.id})"))


@app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Every silence, newest first, with its state."""
    runtime = runtime_from(config)
    with runtime.unit() as s:
        now = runtime.clock.now()
        data = []
        for silence in service.list_silences(s):
            item = SilencePublic.model_validate(silence)
            item.state = service.silence_state(silence, now)
            data.append(item)
    emit(data, as_json, lambda: table(
        "Silences", ["id", "state", "matchers", "ends", "by", "comment"],
        [[d.id, d.state, " ".join(f"{m['name']}{m['op']}{m['value']}" for m in d.matchers),
          when(d.ends_at), d.created_by, d.comment] for d in data],
        whole=("id", "ends"), empty="No silences."))


@app.command()
def expire(silence_id: str, config: ConfigOpt = None) -> None:
    """End a silence now."""
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        service.expire_silence(s, silence_id, clock=runtime.clock)
    out.print(f"silence {silence_id} expired")
