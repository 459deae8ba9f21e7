"""Story: a newcomer's first hour with the CLI. Help reads as plain text (flags without
"<bool>", brackets kept), --version answers, every command that records something says what it
recorded and who did it, tables never cut the id you need next, an empty list says so, and an
error points at a command to run, not at an HTTP route."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.alerting import service as alerting
from monitor.alerting.identity import Alert
from monitor.cli.main import app
from monitor.config import load, parse
from monitor.incidents import service
from monitor.wiring import build_runtime


@pytest.fixture
def cli(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n')

    def run(*args: str, code: int = 0, columns: int = 200, env: dict[str, str] | None = None) -> str:
        runner = CliRunner(env={"COLUMNS": str(columns), "CANDOR_ACTOR": "", **(env or {})})
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{result.output}"
        return result.output

    run.config = config  # type: ignore[attr-defined]
    return run


def _incident(cli, alert: bool = True) -> None:
    runtime = build_runtime(load(cli.config))
    with runtime.unit() as s:
        if alert:
            alerting.receive(s, [Alert(labels={"alertname": "RedirectErrors", "service": "redirect",
                                               "severity": "critical"},
                                       annotations={"summary": "Short links fail [EU]"},
                                       starts_at=runtime.clock.now())],
                             settings=runtime.settings, clock=runtime.clock, source="test")
        else:
            service.open_incident(s, clock=runtime.clock, key_prefix="INC", actor="test",
                                  title="Redirects failing [EU]", severity="SEV2",
                                  services=["redirect"])


def test_help_is_plain_text_with_flags_and_brackets_as_written() -> None:
    runner = CliRunner(env={"COLUMNS": "120"})
    top = runner.invoke(app, ["--help"]).output
    assert "The ``candor`` command." not in top and "Candor finds errors fast" in top
    assert "<bool>" not in top and "--version" in top
    publish = runner.invoke(app, ["notice", "publish", "--help"]).output
    assert "a [content] table" in publish and "[comms.impact]" in publish and "<bool>" not in publish
    lint = runner.invoke(app, ["notice", "lint", "--help"]).output
    assert "Exit 1: blocking findings" in lint
    assert runner.invoke(app, ["--version"]).output.startswith("candor 0.")


def test_every_change_says_what_was_recorded_and_by_whom(cli) -> None:
    _incident(cli, alert=False)
    assert cli("incident", "ack", "INC-1", "--as", "alice").strip() == (
        "INC-1: acknowledged by alice (event 2); state acknowledged")
    noted = cli("incident", "note", "INC-1", "rolled back 2026.11.25-1", env={"CANDOR_ACTOR": "bia"})
    assert noted.strip() == "INC-1: note added by bia (event 3); state acknowledged"
    fixed = cli("incident", "fix", "INC-1", "rolled back the cache config", "--release", "2026.11.25-2")
    assert fixed.startswith("INC-1: fix INC-1/fix-1 recorded, release 2026.11.25-2 (event 4)")
    events = json.loads(cli("incident", "show", "INC-1", "--json"))["events"]
    assert [e["actor"] for e in events][1:3] == ["alice", "bia"]
    assert events[3]["actor"] not in ("", "cli")  # the login name, not "cli"


def test_show_reads_as_sentences_with_whole_timestamps_and_json_has_the_alerts(cli) -> None:
    _incident(cli)
    cli("incident", "note", "INC-1", "see the [EU] dashboard", "--as", "alice")
    shown = cli("incident", "show", "INC-1", columns=100)
    assert "Short links fail [EU]" in shown or "RedirectErrors" in shown
    assert "{'" not in shown and "': '" not in shown  # no Python dict reprs
    assert "Alert RedirectErrors fired" in shown and "Note: see the [EU] dashboard" in shown
    assert " UTC" in shown and "T0" not in shown
    data = json.loads(cli("incident", "show", "INC-1", "--json"))
    assert [a["name"] for a in data["alerts"]] == ["RedirectErrors"]
    assert data["alerts"][0]["labels"]["service"] == "redirect"


def test_a_narrow_terminal_never_cuts_a_silence_id(cli) -> None:
    made = json.loads(cli("silence", "add", "service=redirect", "--comment",
                          "planned maintenance of the redirect fleet tonight", "--json"))
    listed = cli("silence", "list", columns=60)
    assert made["id"] in listed
    second = cli("silence", "add", "service=api", "--comment", "x")
    assert "(end it early: candor silence expire " in second


def test_an_empty_list_says_so(cli) -> None:
    assert cli("outbox", "list").strip() == "No messages in the outbox."
    assert cli("outbox", "list", "--state", "dead").strip() == "No dead messages in the outbox."
    assert cli("silence", "list").strip() == "No silences."
    assert cli("incident", "list").strip() == "No incidents match."


def test_errors_point_at_a_command_to_run(cli) -> None:
    missing = cli("incident", "show", "INC-9", code=2)
    assert "candor incident list" in missing
    assert "candor silence list" in cli("silence", "expire", "nope", code=2)


README = Path(__file__).resolve().parents[3] / "README.md"


def test_the_readme_cli_table_is_one_table_naming_every_command() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index("| command | what |")
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append(line)
    table = "\n".join(rows)
    for command in ("serve", "demo", "check-config", "db upgrade", "incident", "silence", "token",
                    "rules check", "promql test", "notice lint", "outbox", "postmortem create",
                    "postmortem edit", "postmortem review", "postmortem item", "postmortem render",
                    "digest"):
        assert f"`candor {command}" in table, command


def test_the_readme_tour_runs_candor_from_the_path_it_sets_up() -> None:
    text = README.read_text(encoding="utf-8")
    assert "source .venv/bin/activate" in text
    assert text.index("source .venv/bin/activate") < text.index("candor incident list")
    assert "signals.close()" in text and "interval" in text  # the exporters example flushes
    assert "Authorization: Bearer" in text  # Grafana's data source header
    assert "make demo PORT=8081" in text


def test_config_toml_documents_slo_keys_with_an_example_that_loads() -> None:
    text = (README.parent / "config.toml").read_text(encoding="utf-8")
    start = text.index("# [[slo]]")
    block = []
    for line in text[start:].splitlines():
        if not line.startswith("#"):
            break
        block.append(line[2:] if line.startswith("# ") else line[1:])
    settings = parse("\n".join(block) + "\n", "config.toml")
    assert [slo.name for slo in settings.slo] == ["redirects-available"]
