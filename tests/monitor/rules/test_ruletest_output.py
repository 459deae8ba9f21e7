"""`candor rules test` output, byte for byte, for failing and invalid test files.

Each ``data/ruletest/NAME_test.yml`` says in its first line what it shows; ``NAME.out``
holds the exit code and the output (the data directory written ``{dir}``). The texts
are promtool's formats; the promtool parity test checks the verdicts against the real
promtool. After a deliberate change of the output, rewrite the files with
``CANDOR_WRITE_GOLDEN=1 .venv/bin/pytest tests/monitor/rules/test_ruletest_output.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.rules import app

DATA = Path(__file__).parent / "data" / "ruletest"
CASES = sorted(DATA.glob("*_test.yml"))


def run(path: Path) -> str:
    result = CliRunner().invoke(app, ["test", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return f"exit {result.exit_code}\n" + result.output.replace(str(DATA), "{dir}")


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name.removesuffix("_test.yml"))
def test_the_output_is_promtools(path: Path) -> None:
    golden = path.with_name(path.name.removesuffix("_test.yml") + ".out")
    got = run(path)
    if os.environ.get("CANDOR_WRITE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got == golden.read_text(encoding="utf-8")


def test_several_files_report_in_turn_and_exit_with_the_worst() -> None:
    files = [DATA / "scalar_differs_test.yml", DATA / "unknown_field_test.yml",
             DATA / "eval_times_between_steps_test.yml"]
    result = CliRunner().invoke(app, ["test", *map(str, files)])
    assert result.exit_code == 2
    assert [line for line in result.output.splitlines() if line.startswith("Unit Testing:")] == [
        f"Unit Testing:  {f}" for f in files]
