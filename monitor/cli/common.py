"""Options and loaders every command shares."""

from __future__ import annotations

import getpass
import os
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
ActorOpt = Annotated[str | None, typer.Option(
    "--as", help="who is acting, recorded on the event (default: $CANDOR_ACTOR, else your "
                 "login name)")]


def actor(given: str | None) -> str:
    """Who is acting: ``--as``, else ``$CANDOR_ACTOR``, else the login name; timelines then
    read "— alice", not "— cli"."""
    if given and given.strip():
        return given.strip()
    if os.environ.get("CANDOR_ACTOR", "").strip():
        return os.environ["CANDOR_ACTOR"].strip()
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


def settings_from(path: Path | None) -> Settings:
    if path is None and Path("config.toml").exists():
        path = Path("config.toml")
    with reported():
        return load(path)


def runtime_from(path: Path | None, *, migrate: bool = True) -> Runtime:
    settings = settings_from(path)
    with reported():
        return build_runtime(settings, migrate=migrate)
