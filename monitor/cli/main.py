"""The ``candor`` command.

Commands that change incidents, silences or tokens work directly on the store
named by the config file (SQLite by default, or PostgreSQL), so they work with
or without a running server. Every command takes ``--config`` and most take
``--json``; user errors exit 2 with the reason on stderr.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from monitor import db
from monitor.app import create_app
from monitor.cli import dashboards, demo, incidents, silences, tokens
from monitor.cli import notices as notice_cli
from monitor.cli import outbox as outbox_cli
from monitor.cli import postmortem as postmortem_cli
from monitor.cli import rules as rules_cli
from monitor.cli.common import ConfigOpt, runtime_from, settings_from
from monitor.cli.output import fail, out, reported
from monitor.comms.render import check_templates
from monitor.errors import ConfigError
from monitor.rules.loader import RuleFileError
from monitor.wiring import assemble, start

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__.split("\n\n")[0])
@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="config file")] = Path("config.toml")) -> None:
    """Validate a config file: exit 0 if valid, 2 with one line per problem otherwise."""
    settings_from(path)
    with reported():
        check_templates()
    out.print(f"{path}: ok")


@app.command()
def serve(
    config: ConfigOpt = None,
    listen: Annotated[str | None, typer.Option(help="host:port (default: server.listen)")] = None,
) -> None:
    """Run the HTTP API, the rule engine, scraping and the background jobs."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    runtime = runtime_from(config)
    host, _, port = (listen or runtime.settings.server.listen).rpartition(":")
    if not port.isdigit():
        fail(f"--listen {listen!r}: expected host:port, e.g. 127.0.0.1:8080")
    if listen:  # what the self-scrape reports as instance, too
        server = runtime.settings.server.model_copy(update={"listen": listen})
        runtime = replace(runtime, settings=runtime.settings.model_copy(update={"server": server}))
    try:
        candor = assemble(runtime)
        background = start(candor)
    except (RuleFileError, ConfigError) as exc:
        fail(str(exc))
    try:
        uvicorn.run(create_app(candor), host=host, port=int(port), log_level="info")
    finally:
        background.stop()
        candor.close()


db_app = typer.Typer(no_args_is_help=True, help="Database schema.")
app.add_typer(db_app, name="db")


@db_app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply pending schema migrations (data is kept)."""
    runtime = runtime_from(config, migrate=False)
    before = db.current_revision(runtime.engine)
    with reported():
        db.upgrade(runtime.engine)
    after = db.current_revision(runtime.engine)
    out.print(f"schema {before or 'empty'} → {after}" if before != after else f"schema at {after}; nothing to do")


@db_app.command("status")
def db_status(config: ConfigOpt = None) -> None:
    """Show the schema revision and whether migrations are pending."""
    runtime = runtime_from(config, migrate=False)
    current, head = db.current_revision(runtime.engine), db.head_revision()
    out.print(f"current: {current or 'empty'}  head: {head}  {'ok' if current == head else 'run `candor db upgrade`'}")


app.add_typer(incidents.app, name="incident", help="Look at and work on incidents.")
app.add_typer(silences.app, name="silence", help="Mute alerts that match label matchers.")
app.add_typer(tokens.app, name="token", help="API tokens (shown once when created).")
app.add_typer(rules_cli.app, name="rules", help="Prometheus rule files: check, test (promtool format), export.")
app.add_typer(rules_cli.promql_app, name="promql", help="PromQL tools: run promqltest files.")
app.add_typer(notice_cli.app, name="notice", help="Public notices: lint and publish.")
app.add_typer(outbox_cli.app, name="outbox", help="Outgoing notifications: list, deliver, redeliver.")
app.add_typer(postmortem_cli.app, name="postmortem", help="Postmortems: draft, render (md, html, pdf).")
app.add_typer(dashboards.app, name="dashboards", help="Grafana dashboards: build the JSON.")
app.command("digest", help="Leadership digest for a period (week, month, quarter).")(postmortem_cli.digest)
app.command(help=demo.__doc__)(demo.demo)


if __name__ == "__main__":
    app()
