"""``candor serve``: the HTTP API, the rule engine, scraping and the background jobs."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Annotated

import typer
import uvicorn

from monitor.app import create_app
from monitor.cli.common import ConfigOpt, runtime_from
from monitor.cli.output import fail
from monitor.errors import ConfigError
from monitor.rules.loader import RuleFileError
from monitor.wiring import assemble, start

app = typer.Typer(add_completion=False)


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
