"""``candor db upgrade`` and ``candor db status``."""

from __future__ import annotations

import typer

from monitor import db
from monitor.cli.common import ConfigOpt, runtime_from
from monitor.cli.output import out, reported

app = typer.Typer(no_args_is_help=True, help="Database schema.", rich_markup_mode=None)


@app.command("upgrade")
def db_upgrade(config: ConfigOpt = None) -> None:
    """Apply pending schema migrations (data is kept)."""
    runtime = runtime_from(config, migrate=False)
    before = db.current_revision(runtime.engine)
    with reported():
        db.upgrade(runtime.engine, secret_box=runtime.secrets)
    after = db.current_revision(runtime.engine)
    out.print(f"schema {before or 'empty'} → {after}" if before != after else f"schema at {after}; nothing to do")


@app.command("status")
def db_status(config: ConfigOpt = None) -> None:
    """Show the schema revision and whether migrations are pending."""
    runtime = runtime_from(config, migrate=False)
    current, head = db.current_revision(runtime.engine), db.head_revision()
    out.print(f"current: {current or 'empty'}  head: {head}  {'ok' if current == head else 'run `candor db upgrade`'}")
