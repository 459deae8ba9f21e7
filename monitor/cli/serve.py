"""``candor serve``: the HTTP API, the rule engine, scraping and the background jobs."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Annotated

import typer
import uvicorn

from monitor import logs
from monitor.api.logs import RedactTokens
from monitor.app import create_app
from monitor.cli.common import ConfigOpt, runtime_from, settings_from
from monitor.cli.output import fail
from monitor.errors import ConfigError
from monitor.rules.loader import RuleFileError
from monitor.wiring import assemble, start

log = logging.getLogger("candor")

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def serve(
    config: ConfigOpt = None,
    listen: Annotated[str | None, typer.Option(help="host:port (default: server.listen)")] = None,
    log_format: Annotated[str | None, typer.Option(
        "--log-format", help="logfmt or json (default: server.log_format)")] = None,
) -> None:
    """Run the HTTP API, the rule engine, scraping and the background jobs.

    Logs one structured line (logfmt or JSON, with the request id) per thing that happened:
    an incident opened, moved or resolved, a notice published, a delivery that failed."""
    settings = settings_from(config)
    server = settings.server
    chosen = log_format or server.log_format
    if chosen not in ("logfmt", "json"):
        fail(f"--log-format {chosen!r}: expected logfmt or json")
    logs.configure(chosen, server.log_level, chatter=server.scheduler_logs)  # type: ignore[arg-type]
    # with scheduler_logs the access log is on: a status-page link's token never reaches it
    logging.getLogger("uvicorn.access").addFilter(RedactTokens())
    runtime = runtime_from(config)
    host, _, port = (listen or runtime.settings.server.listen).rpartition(":")
    if not port.isdigit():
        fail(f"--listen {listen!r}: expected host:port, e.g. 127.0.0.1:8080")
    if listen:  # what the self-scrape reports as instance, too
        listening = runtime.settings.server.model_copy(update={"listen": listen})
        runtime = replace(runtime, settings=runtime.settings.model_copy(update={"server": listening}))
    try:
        candor = assemble(runtime)
        background = start(candor)
    except (RuleFileError, ConfigError) as exc:
        fail(str(exc))
    try:
        log.info("candor serving", extra=logs.fields(listen=f"{host}:{port}",
                                                     mode=runtime.settings.engine.mode))
        uvicorn.run(create_app(candor), host=host, port=int(port), log_config=None,
                    log_level=server.log_level, access_log=server.scheduler_logs)
    finally:
        background.stop()
        candor.close()
