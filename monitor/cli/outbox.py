"""``candor outbox …``: see stuck notifications, send them again, run one delivery pass."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.common import JsonOpt, runtime_from
from monitor.cli.output import emit, table, when
from monitor.errors import CandorError
from monitor.notify import service
from monitor.notify.delivery import Courier, drain
from monitor.notify.metrics import NotifyMetrics
from monitor.notify.models import Delivery

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Outbound notifications.",
                  rich_markup_mode=None)
ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="config file")]


@app.command("list")
def list_(
    state: Annotated[str | None, typer.Option(help="pending, delivered or dead")] = None,
    receiver: Annotated[str | None, typer.Option(help="receiver name")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Newest messages first, with their state, attempts and last error."""
    if state is not None and state not in set(Delivery):
        typer.echo(f"--state {state!r}: expected one of {', '.join(Delivery)}", err=True)
        raise typer.Exit(2)
    runtime = runtime_from(config)
    with runtime.unit() as s:
        rows: list[dict[str, Any]] = [{"id": m.id, "state": m.state, "receiver": m.receiver, "event": m.event_type,
                 "attempts": m.attempts, "created_at": m.created_at, "key": m.idempotency_key,
                 "last_error": m.last_error or ""}
                for m in service.list_messages(s, state=state, receiver=receiver, limit=limit)]
    which = " ".join(f for f in (state or "", f"for {receiver}" if receiver else "") if f)
    emit(rows, as_json, lambda: table(
        "Outbox", ["id", "state", "receiver", "event", "attempts", "created", "last error"],
        [[r["id"], r["state"], r["receiver"], r["event"], r["attempts"], when(r["created_at"]),
          r["last_error"]] for r in rows],
        whole=("id", "created"),
        empty=f"No {which + ' ' if which else ''}messages in the outbox."))


@app.command("redeliver")
def redeliver(
    message_id: Annotated[int, typer.Argument(help="outbox message id (from `candor outbox list`)")],
    config: ConfigOpt = None,
) -> None:
    """Put a dead-lettered message back in the queue with fresh attempts."""
    runtime = runtime_from(config)
    try:
        with runtime.unit() as s:
            message = service.redeliver(s, service.get_or_raise(s, message_id),
                                        now=runtime.clock.now())
            typer.echo(f"message {message.id} ({message.idempotency_key}) is pending again")
    except CandorError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None


@app.command("deliver")
def deliver(config: ConfigOpt = None) -> None:
    """Deliver every due message now (batch after batch) and print what happened."""
    runtime = runtime_from(config)
    metrics = NotifyMetrics(runtime.registry, runtime.engine, runtime.clock)
    stats = drain(Courier(runtime.engine, runtime.settings.notify, metrics, runtime.clock))
    typer.echo(f"claimed {stats.claimed}: delivered {stats.delivered}, retried {stats.retried}, "
               f"dead {stats.dead}")
    for key, error in stats.errors.items():
        typer.echo(f"  {key}: {error}")
