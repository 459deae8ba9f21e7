"""The same promtool unit-test files through `candor rules test` and the real
`promtool test rules` (Debian's Prometheus 2.x): the verdict per file must agree.

The data files avoid the places where 2.x and 3.x differ (Candor follows 3.x): range
selectors' left boundary (the files use instant selectors) and the test-group
`interval` default (every file sets it). Each file says why it passes or fails.

The printed reports must match line for line. Two documented differences are normalised
(and nothing else): promtool writes the "Unit Testing:" header on stdout and a failure on
stderr, then a blank line on stdout after each file, while `candor rules test` writes a
file's whole report on one stream (stdout when it passed, stderr when it failed; see
`monitor/cli/rules.py`) without the trailing blank line.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.rules import app

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parents[3]
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
FILES = sorted(DATA.glob("*_test.yml")) + [ROOT / "rules/tests/everlinks_test.yml"]


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    if not Path(PROMTOOL).exists():
        pytest.fail("promtool not found: install Debian's `prometheus` package")
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_candor_and_promtool_agree_on_the_verdict(path: Path) -> None:
    ours = CliRunner().invoke(app, ["test", str(path)])
    theirs = promtool("test", "rules", str(path))

    assert ours.exit_code in (0, 1), ours.output
    assert (ours.exit_code == 0) == (theirs.returncode == 0), (ours.output, theirs.stdout)
    assert (ours.exit_code == 0) == path.name.startswith(("pass_", "everlinks")), ours.output
    # Candor: one stream per file, chosen by the verdict.
    assert (ours.stderr if ours.exit_code else ours.stdout) == ours.output, ours.output
    assert _promtool_report(theirs) == ours.output.rstrip("\n"), (
        f"--- promtool\n{theirs.stdout}{theirs.stderr}--- candor\n{ours.output}")


def _promtool_report(result: subprocess.CompletedProcess[str]) -> str:
    """promtool's report as one text: its stdout header, then its stderr (the failure),
    then the rest of stdout (the verdict on success, blank lines), trailing newlines cut."""
    header, _, rest = result.stdout.partition("\n")
    assert header.startswith("Unit Testing:  "), result.stdout
    return (header + "\n" + result.stderr + rest).rstrip("\n")


def test_promtool_accepts_the_example_rule_files() -> None:
    result = promtool("check", "rules", *map(str, sorted((ROOT / "rules").glob("*.yml"))))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_what_candor_exports(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[engine]\nrule_files = ["{ROOT}/rules/*.yml", "{DATA}/rules.yml"]\n')

    result = CliRunner().invoke(app, ["export", "--config", str(config),
                                      "--out", str(tmp_path / "out")])

    assert result.exit_code == 0, result.output
    written = sorted((tmp_path / "out").glob("*.yml"))
    assert [p.name for p in written] == ["candor-self.yml", "everlinks.yml", "rules.yml"]
    checked = promtool("check", "rules", *map(str, written))
    assert checked.returncode == 0, checked.stdout + checked.stderr
