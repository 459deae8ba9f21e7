"""``candor token create/list/revoke``."""

from __future__ import annotations

from typing import Annotated

import typer

from monitor.auth import service
from monitor.auth.models import Role, TokenPublic
from monitor.cli.common import ConfigOpt, JsonOpt, runtime_from
from monitor.cli.output import emit, fail, out, reported, table

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.command()
def create(
    name: Annotated[str, typer.Argument(help="who or what uses it, e.g. alertmanager")],
    role: Annotated[str, typer.Option(help="viewer | responder | admin")] = "viewer",
    config: ConfigOpt = None, as_json: JsonOpt = False,
) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    if role not in set(Role):
        fail(f"--role {role!r}: expected viewer, responder or admin")
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        row, token = service.create_token(s, name=name, role=Role(role), clock=runtime.clock)
        data = TokenPublic.model_validate(row)
    emit({**data.model_dump(mode="json"), "token": token}, as_json,
         lambda: out.print(f"{token}\n(token {data.id} '{name}', role {role}; shown once, keep it safe)"))


@app.command("list")
def list_(config: ConfigOpt = None, as_json: JsonOpt = False) -> None:
    """Tokens (never the secrets)."""
    runtime = runtime_from(config)
    with runtime.unit() as s:
        data = [TokenPublic.model_validate(t) for t in service.list_tokens(s)]
    emit(data, as_json, lambda: table(
        "Tokens", ["id", "name", "role", "prefix", "created", "revoked"],
        [[t.id, t.name, t.role, t.prefix + "…", t.created_at.isoformat(timespec="seconds"),
          t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else ""] for t in data]))


@app.command()
def revoke(token_id: int, config: ConfigOpt = None) -> None:
    """Revoke a token at once."""
    runtime = runtime_from(config)
    with reported(), runtime.unit() as s:
        service.revoke_token(s, token_id, clock=runtime.clock)
    out.print(f"token {token_id} revoked")
