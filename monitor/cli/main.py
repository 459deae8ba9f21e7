"""The ``candor`` command.

Commands that change incidents, silences or tokens work directly on the store
named by the config file (SQLite by default, or PostgreSQL), so they work with
or without a running server. Every command takes ``--config`` and most take
``--json``; user errors exit 2 with the reason on stderr.

Startup: this module imports only Typer. ``COMMANDS`` maps each command name to the
module that holds it; ``LazyGroup`` imports that module (with ``importlib``, at its top
level as usual) only when the command runs or its own help is asked for, so
``candor --help`` loads no room, no FastAPI, no scheduler (``benchmarks/bench_cli.py``).
A new command is one line in ``COMMANDS``; ``tests/monitor/cli/test_cli.py`` checks that
each entry resolves and that its help line is the module's own.
"""

from __future__ import annotations

import importlib
from typing import Annotated, Any, NamedTuple

import typer
from typer.core import TyperGroup


class Entry(NamedTuple):
    module: str  # under monitor.cli
    attr: str  # a Typer (a group, or one command) or a command function
    help: str  # the line `candor --help` shows, without importing the module
    module_doc: bool = False  # the command's own --help is its module's docstring


COMMANDS: dict[str, Entry] = {
    "backup": Entry("backup", "backup", "Copy the SQLite store to FILE while Candor runs "
                    "(consistent: one instant)."),
    "bench": Entry("bench", "app", "Benchmark results: compare two runs of make bench."),
    "check-config": Entry("checks", "app", "Validate a config file: exit 0 if valid, 2 with one "
                          "line per problem otherwise."),
    "dashboards": Entry("dashboards", "app", "Grafana dashboards: build the JSON."),
    "db": Entry("database", "app", "Database schema."),
    "demo": Entry("demo", "demo", "Run the EVERLINKS demo: a simulated app develops an error "
                  "spike and Candor handles it.", module_doc=True),
    "digest": Entry("postmortem", "digest", "Leadership digest for a period (week, month, quarter)."),
    "incident": Entry("incidents", "app", "Look at and work on incidents."),
    "notice": Entry("notices", "app", "Public notices: lint a notice file, publish it."),
    "outbox": Entry("outbox", "app", "Outgoing notifications: list, deliver, redeliver."),
    "postmortem": Entry("postmortem", "app", "Postmortems: create, show, edit sections, review, "
                         "action items, render."),
    "promql": Entry("rules", "promql_app", "PromQL tools: run promqltest files."),
    "restore": Entry("backup", "restore", "Replace the (stopped) SQLite store with FILE, after "
                     "checking it; migrates it up."),
    "rules": Entry("rules", "app", "Prometheus rule files: check, test (promtool format), export."),
    "serve": Entry("serve", "app", "Run the HTTP API, the rule engine, scraping and the "
                   "background jobs."),
    "silence": Entry("silences", "app", "Mute alerts that match label matchers."),
    "token": Entry("tokens", "app", "API tokens (shown once when created)."),
}


def load(name: str) -> Any:
    """The command (a Typer click command or group) for ``candor NAME``, importing its
    module now."""
    entry = COMMANDS[name]
    module = importlib.import_module(f"monitor.cli.{entry.module}")
    target: Any = getattr(module, entry.attr)
    if not isinstance(target, typer.Typer):
        single = typer.Typer(add_completion=False, rich_markup_mode=None)
        single.command(name, help=module.__doc__ if entry.module_doc else entry.help)(target)
        target = single
    command = typer.main.get_command(target)
    command.name = name
    # a sub-app converted on its own would offer shell completion; `candor` does not
    command.params = [p for p in command.params
                      if p.name not in ("install_completion", "show_completion")]
    if isinstance(command, TyperGroup) or not command.help:
        command.help = entry.help
    return command


class LazyGroup(TyperGroup):
    """A group whose subcommands are imported when used; the listing comes from COMMANDS.

    (Typer vendors its own click, private to it: the context and formatter are typed ``Any``.)
    """

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return load(cmd_name) if cmd_name in COMMANDS else None

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name].help) for name in sorted(COMMANDS)])


HELP = """Candor finds errors fast, tells users plainly (and corrects itself openly),
verifies fixes with data and writes the postmortem.

Commands work on the store named by the config (--config, default ./config.toml),
with or without a running server. Tables for people, --json for scripts. A
mistake in what you typed exits 2 with the reason; nothing is changed.

Start with: candor check-config, candor db upgrade, candor serve (or candor demo)."""

app = typer.Typer(cls=LazyGroup, no_args_is_help=True, add_completion=False, help=HELP,
                  rich_markup_mode=None,
                  context_settings={"max_content_width": 110, "help_option_names": ["-h", "--help"]})


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version  # noqa: PLC0415 - only for --version

        typer.echo(f"candor {version('candor')}")
        raise typer.Exit()


@app.callback()
def candor(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    pass


if __name__ == "__main__":
    app()
