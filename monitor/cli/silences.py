"""``candor silence add/list/expire``."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.alerting import service
from monitor.alerting.matchers import parse_matcher
from monitor.alerting.models import SilencePublic
from monitor.cli.common import ConfigOpt, JsonOpt, runtime_from
from monitor.cli.output import emit, fail, out, reported, table

app = typer.Typer(no_args_is_help=True)


@app.command()
def add(
    matchers: Annotated[list[str], typer.Argument(help='e.g. service=redirect alertname=~"High.*"')],
    comment: Annotated[str, typer.Option(help="why (required)")],
    duration: Annotated[str, typer.Option(help="how long, e.g. 2h")] = "1h",
    author: Annotated[str, typer.Option()] = "cli",
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
        silence = service.create_silence(s, matchers=parsed, comment=comment, created_by=author,
                                         clock=runtime.clock, duration=duration)
        data = SilencePublic.model_validate(silence)
        data.state = service.silence_state(silence, runtime.clock.now())
    emit(data, as_json, lambda: out.print(f"silence {data.id} until {data.ends_at.isoformat(timespec='seconds')}"))


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
          d.ends_at.isoformat(timespec="seconds"), d.created_by, d.comment] for d in data]))


@app.command()
def expire(silence_id: str, config: ConfigOpt = None) -> None:
    """End a silence now."""
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        service.expire_silence(s, silence_id, clock=runtime.clock)
    out.print(f"silence {silence_id} expired")
