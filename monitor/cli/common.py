"""Options and loaders every command shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.api.runtime import Runtime
from monitor.cli.output import reported
from monitor.config import Settings, load
from monitor.wiring import build_runtime

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="config file (default: ./config.toml if present)")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def settings_from(path: Path | None) -> Settings:
    if path is None and Path("config.toml").exists():
        path = Path("config.toml")
    with reported():
        return load(path)


def runtime_from(path: Path | None, *, migrate: bool = True) -> Runtime:
    settings = settings_from(path)
    with reported():
        return build_runtime(settings, migrate=migrate)
