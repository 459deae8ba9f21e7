"""``candor --help`` starts fast: the top level imports only Typer, and each command's
module loads when that command runs."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from monitor.cli.main import COMMANDS, app, load

HEAVY = ("fastapi", "sqlalchemy", "uvicorn", "apscheduler", "monitor.wiring", "monitor.app",
         "monitor.config", "rich")


def test_the_top_level_imports_no_room_and_no_framework() -> None:
    probe = ("import sys, monitor.cli.main; "
             f"print(sorted({{m.split('.')[0] if not m.startswith('monitor') else m "
             f"for m in sys.modules if m.startswith({HEAVY!r})}}))")
    loaded = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                            text=True).stdout.strip()
    assert loaded == "[]"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_loads_under_its_name(name: str) -> None:
    command = load(name)
    assert callable(command.main)
    assert command.name == name
    assert command.help


def test_help_lists_every_command_with_its_line_without_loading_them() -> None:
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    for name, entry in COMMANDS.items():
        assert name in result.output
        assert " ".join(entry.help.split()[:3]) in result.output


def test_an_unknown_command_is_refused_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["nonsense"])
    assert result.exit_code == 2
    assert "nonsense" in result.output
