"""``candor check-config``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import settings_from
from monitor.cli.output import out, reported
from monitor.comms.render import check_templates

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command("check-config")
def check_config(path: Annotated[Path, typer.Argument(help="config file")] = Path("config.toml")) -> None:
    """Validate a config file: exit 0 if valid, 2 with one line per problem otherwise."""
    settings_from(path)
    with reported():
        check_templates()
    out.print(f"{path}: ok")
