"""Candor's own alerts as a mixin: the committed rule file is the generated one, every alert
has a runbook section, and promtool accepts the variant with the no-leader alert.
(`promtool check rules` / `promtool test rules` on rules/candor-self.yml run in
tests/monitor/comms/test_self_alerts.py.)"""

import re
import subprocess
from pathlib import Path

import yaml
from typer.testing import CliRunner

from dashboards.mixin import ALERTS, MixinConfig, alert_groups, anchor, render
from monitor.cli.main import app
from tests.support.processes import PROMTOOL, require

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules" / "candor-self.yml"


def test_the_committed_rule_file_is_the_generated_one(tmp_path: Path) -> None:
    assert RULES.read_text(encoding="utf-8") == render(), "run `candor dashboards alerts -o rules/candor-self.yml`"
    result = CliRunner().invoke(app, ["dashboards", "alerts", "-o", str(tmp_path / "self.yml")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "self.yml").read_text(encoding="utf-8") == render()


def test_every_alert_has_a_runbook_section() -> None:
    docs = (REPO / "docs" / "alerts.md").read_text(encoding="utf-8")
    headings = {anchor(h) for h in re.findall(r"^## (\w+)$", docs, re.M)}
    assert set(map(anchor, ALERTS)) <= headings
    for rule in alert_groups()[0]["rules"]:
        assert rule["annotations"]["runbook_url"].endswith("/docs/alerts.md#" + anchor(rule["alert"]))
    assert {"CandorNoticeOverdue", "CandorFixRegressed", "CandorNotificationsFailing",
            "CandorRuleEvaluationsMissed", "CandorNoLeader"} <= set(ALERTS)


def test_promtool_accepts_the_mixin_with_the_leader_alert(tmp_path: Path) -> None:
    path = tmp_path / "self.yml"
    path.write_text(render(MixinConfig(with_leader=True)), encoding="utf-8")
    result = subprocess.run([require(PROMTOOL), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "CandorNoLeader" in {r["alert"] for r in yaml.safe_load(path.read_text())["groups"][0]["rules"]}
