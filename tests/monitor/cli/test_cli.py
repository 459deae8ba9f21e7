"""An SRE drives Candor from the shell: config checks, tokens, incidents, silences."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.main import app

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cli(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{tmp_path / "data"}"\n')
    runner = CliRunner(env={"COLUMNS": "200"})

    def run(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == code, f"{args}: exit {result.exit_code}\n{result.output}"
        return result.output

    run.config = config  # type: ignore[attr-defined]
    return run


def test_the_default_config_is_valid():
    result = CliRunner().invoke(app, ["check-config", str(REPO / "config.toml")])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_check_config_prints_every_problem_with_file_line_and_key(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[server]\nlisten = "127.0.0.1:8080"\nmax_body_bites = 5\n\n'
                   '[incidents]\nreopen_window = "5 minutes"\n')
    result = CliRunner().invoke(app, ["check-config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:3: server.max_body_bites: unknown key; did you mean 'max_body_bytes'?" in result.output
    assert f"{bad}:6: incidents.reopen_window: '5 minutes' is not a duration" in result.output
    assert "Traceback" not in result.output


def test_check_config_on_a_missing_file_exits_2(tmp_path: Path):
    result = CliRunner().invoke(app, ["check-config", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2
    assert "not found" in result.output


def test_serve_refuses_an_invalid_config(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[intake.alertmanager]\nbearer_token = "hunter2"\n')
    result = CliRunner().invoke(app, ["serve", "--config", str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:2: intake.alertmanager.bearer_token: secrets must not be written inline" in result.output
    assert "hunter2" not in result.output


def test_a_token_is_printed_once_and_only_its_hash_is_stored(cli, tmp_path: Path):
    created = json.loads(cli("token", "create", "oncall", "--role", "responder", "--json"))
    assert created["token"].startswith("cnd_") and created["role"] == "responder"
    listed = json.loads(cli("token", "list", "--json"))
    assert [t["name"] for t in listed] == ["oncall"] and "token" not in listed[0]
    with sqlite3.connect(tmp_path / "data" / "candor.db") as db:
        stored = " ".join(str(v) for row in db.execute("SELECT * FROM api_token") for v in row)
    assert created["token"] not in stored
    cli("token", "revoke", str(created["id"]))
    assert "already revoked" in cli("token", "revoke", str(created["id"]), code=2)
    assert "--role 'root'" in cli("token", "create", "x", "--role", "root", code=2)


def test_an_incident_is_worked_from_the_shell(cli):
    assert json.loads(cli("incident", "list", "--json")) == []
    from monitor.config import load
    from monitor.incidents import service
    from monitor.wiring import build_runtime

    runtime = build_runtime(load(cli.config))
    with runtime.unit() as s:
        service.open_incident(s, clock=runtime.clock, key_prefix="INC", actor="test",
                              title="Redirects failing", severity="SEV2", services=["redirect"])
    cli("incident", "ack", "INC-1", "--as", "alice")
    cli("incident", "transition", "INC-1", "identified", "--reason", "bad cache config")
    cli("incident", "note", "INC-1", "rolled back")
    cli("incident", "severity", "INC-1", "SEV1")
    cli("incident", "commander", "INC-1", "bob")
    shown = json.loads(cli("incident", "show", "INC-1", "--json"))
    assert shown["incident"]["state"] == "identified"
    assert shown["incident"]["severity"] == "SEV1" and shown["incident"]["commander"] == "bob"
    assert [e["type"] for e in shown["events"]] == [
        "incident.opened", "incident.transitioned", "incident.transitioned", "note.added",
        "severity.changed", "commander.assigned"]
    assert shown["events"][1]["actor"] == "alice"
    human = cli("incident", "list", "--state", "identified")
    assert "INC-1" in human and "Redirects failing" in human

    refused = cli("incident", "transition", "INC-1", "resolved", code=2)
    assert "Allowed from identified: fixing, verifying, retracted" in refused
    assert "does not exist" in cli("incident", "transition", "INC-1", "done", code=2)
    assert "no incident 'INC-9'" in cli("incident", "ack", "INC-9", code=2)
    assert "expected SEV1" in cli("incident", "severity", "INC-1", "SEV7", code=2)
    assert json.loads(cli("incident", "show", "INC-1", "--json"))["incident"]["state"] == "identified"

    refused = cli("incident", "fix", "INC-1", "roll back", "--window", "100ms", code=2)
    assert "$.verification.window" in refused and "shorter than the evaluation interval" in refused
    assert "unknown service 'nope'" in cli("incident", "fix", "INC-1", "x", "--service", "nope", code=2)
    cli("incident", "fix", "INC-1", "roll back", "--release", "r2", "--window", "15m", "--service", "redirect")
    shown = json.loads(cli("incident", "verification", "INC-1", "--json"))
    assert (shown["state"], shown["verdicts"], shown["impact"]) == ("verifying", [], None)
    assert "Impact was not measured: no signal data" in cli("incident", "verification", "INC-1")
    assert "O impacto não foi medido" in cli("incident", "verification", "INC-1", "--lang", "pt-BR")
    assert "--lang: language 'xx'" in cli("incident", "verification", "INC-1", "--lang", "xx", code=2)


def test_silences_are_added_listed_and_expired(cli):
    out = json.loads(cli("silence", "add", "service=redirect", 'alertname=~"High.*"',
                         "--comment", "maintenance", "--duration", "2h", "--json"))
    assert out["state"] == "active"
    assert {m["op"] for m in out["matchers"]} == {"=", "=~"}
    listed = json.loads(cli("silence", "list", "--json"))
    assert [s["id"] for s in listed] == [out["id"]]
    cli("silence", "expire", out["id"])
    assert json.loads(cli("silence", "list", "--json"))[0]["state"] == "expired"
    assert "is not a matcher" in cli("silence", "add", "service", "--comment", "x", code=2)
    assert "invalid regular expression" in cli("silence", "add", "a=~(", "--comment", "x", code=2)
    assert "not a duration" in cli("silence", "add", "a=b", "--comment", "x", "--duration", "2 hours", code=2)


def test_db_upgrade_is_idempotent(cli):
    first = cli("db", "upgrade")  # a fresh data directory: upgraded from empty to the head
    assert first.startswith("schema empty → "), first
    head = first.removeprefix("schema empty → ").strip()
    assert "nothing to do" in cli("db", "upgrade")
    assert cli("db", "status").split() == ["current:", head, "head:", head, "ok"]


def test_demo_once_tells_the_whole_story_and_leaves_nothing_behind(tmp_path: Path):
    """The headless demo: a spike opens an incident; users are told, a mistake corrected,
    the fix verified and a postmortem drafted from what happened. Its scratch data goes.
    This one runs the real command (a server, a scheduler, a pusher, seconds of real time);
    the stories' verdicts are checked on an injected clock in tests/monitor/test_story_clock.py."""
    result = subprocess.run([sys.executable, "-m", "monitor.cli.main", "demo", "--once"],
                            capture_output=True, text=True, timeout=180, cwd=REPO,
                            env={**os.environ, "TMPDIR": str(tmp_path)})
    assert result.returncode == 0, result.stdout + result.stderr
    story = result.stdout
    for step in ("INC-1 opened", "published in pt-BR and en", "fix deployed", "correction",
                 "INC-1 is verifying", "INC-1 is resolved", "postmortem drafted", "demo: ok"):
        assert step in story, f"{step!r} missing from:\n{story}"
    assert "notice.corrected" in story  # the signed webhook got the correction
    assert "by the alert RedirectErrorRatioHigh" in story  # what the draft says
    assert "Fix deployed: Rolled back the redirect cache config" in story
    assert list(tmp_path.iterdir()) == []  # no candor-demo-* directory left behind


def test_demo_on_a_busy_port_says_how_to_pick_another():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["demo", "--listen", f"127.0.0.1:{port}"])
    assert result.exit_code == 2
    assert f"port {port} on 127.0.0.1 is in use" in result.output
    assert f"make demo PORT={port + 1}" in result.output and "--listen" in result.output
