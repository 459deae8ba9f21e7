"""Story: Candor watches its own promises — when a public notice is overdue its /metrics say
so, and rules/candor-self.yml (valid for promtool and for Candor) turns that into an alert."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from monitor.cli.rules import app as rules_cli
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.incidents.models import Incident

ROOT = Path(__file__).resolve().parents[3]
RULES = ROOT / "rules" / "candor-self.yml"
TESTS = ROOT / "rules" / "tests" / "candor-self_test.yml"


def test_promtool_accepts_and_passes_the_self_rules() -> None:
    checked = subprocess.run(["promtool", "check", "rules", str(RULES)], capture_output=True,
                             text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(["promtool", "test", "rules", str(TESTS)], capture_output=True,
                            text=True, timeout=60)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_candor_accepts_and_passes_the_self_rules() -> None:
    checked = CliRunner().invoke(rules_cli, ["check", str(RULES)])
    assert checked.exit_code == 0 and "SUCCESS" in checked.output, checked.output
    tested = CliRunner().invoke(rules_cli, ["test", str(TESTS)])
    assert tested.exit_code == 0, tested.output


def test_an_overdue_first_notice_shows_on_candors_own_metrics(
    client: TestClient, incident: Incident, fixed: FixedClock
) -> None:
    sample = 'candor_notices_overdue{due="first_notice",severity="SEV1"}'
    assert f"{sample} 0.0" in client.get("/metrics").text
    fixed.advance(minutes=11)  # SEV1: first notice due within 10 minutes
    assert f"{sample} 1.0" in client.get("/metrics").text


def test_self_scrape_is_on_by_default_and_documented() -> None:
    """No [[scrape]] of Candor is needed: embedded mode stores its own metrics in process."""
    text = (ROOT / "config.toml").read_text()
    assert re.search(r"^self_scrape = true ", text, re.M), "config.toml should document self_scrape"
    settings = Settings.model_validate(tomllib.loads(text))
    assert settings.signals.self_scrape and settings.signals.self_scrape_interval.total_seconds() == 15
