"""``candor rules`` (check, test, export) and ``candor promql`` (test) commands.

Exit codes: 0 ok; 1 a unit test failed (as promtool); 2 invalid input (a rule file with
errors, an unreadable or malformed test file, bad options).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import settings_from
from monitor.cli.output import fail
from monitor.promql.promqltest import main as promqltest_main
from monitor.rules.export import export
from monitor.rules.loader import RuleFileError, check_rules
from monitor.rules.manager import load_groups, slo_groups
from monitor.rules.ruletest import TestFileError, run_test_file

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False,
                  help="Prometheus rule files: check, unit-test, export.")
promql_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, add_completion=False,
                         help="The PromQL engine: run promqltest conformance files.")

Files = Annotated[list[Path], typer.Argument(help="files", show_default=False)]


@app.command("check")
def check(files: Files) -> None:
    """Check rule files like `promtool check rules`: FILE:LINE:COL: message per problem."""
    failed = False
    for path in files:
        problems = check_rules(path)
        errors = [p for p in problems if not p.warning]
        for p in problems:
            typer.echo(f"{p}{' (warning)' if p.warning else ''}", err=True)
        if errors:
            failed = True
            typer.echo(f"{path}: FAILED: {len(errors)} error(s)", err=True)
        else:
            typer.echo(f"{path}: SUCCESS")
    if failed:
        raise typer.Exit(2)


@app.command("test")
def test(files: Files) -> None:
    """Run promtool unit-test files (`promtool test rules` format)."""
    worst = 0
    for path in files:
        try:
            ok, report = run_test_file(path)
        except (TestFileError, RuleFileError) as exc:
            typer.echo(f"Unit Testing:  {path}\n  FAILED:\n{exc}", err=True)
            worst = 2
            continue
        # The report's text is promtool's; unlike promtool (header on stdout, failure on
        # stderr, a blank line after each file) a file's whole report goes to one stream.
        typer.echo(report.rstrip("\n"), err=not ok)
        if not ok:
            worst = max(worst, 1)
    if worst:
        raise typer.Exit(worst)


@app.command("export")
def export_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="directory to write")] = Path(
        "build/rules"),
    config: Annotated[Path | None, typer.Option("--config", "-c", help="config file")] = None,
) -> None:
    """Write the configured rule files and the [[slo]] rules, normalised, for an external
    Prometheus."""
    settings = settings_from(config)
    try:
        groups = load_groups(settings.engine.rule_files) + slo_groups(settings)
    except RuleFileError as exc:
        fail(str(exc))
    if not groups:
        fail(f"no rule groups found in engine.rule_files = {settings.engine.rule_files!r}; "
             "check the globs (they are relative to the working directory)")
    for path in export(groups, out_dir):
        typer.echo(str(path))


@promql_app.command("test")
def promql_test(
    files: Files,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="show each failure")] = False,
) -> None:
    """Run promqltest files; exit 1 if any case fails."""
    code = promqltest_main((["-v"] if verbose else []) + [str(f) for f in files])
    if code:
        raise typer.Exit(code)
