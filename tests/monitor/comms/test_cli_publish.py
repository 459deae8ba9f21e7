"""Story: from a terminal, publish a notice and its correction; the webhook receiver gets both;
a dead receiver's messages can be listed and sent again."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from monitor.cli.notices import app as notice_app
from monitor.cli.outbox import app as outbox_app
from monitor.config import load
from monitor.wiring import build_runtime
from tests.monitor.comms.conftest import open_incident

CORPUS = Path(__file__).parent / "corpus"
runner = CliRunner()


@pytest.fixture
def config(tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOOK_SECRET", "whsec_" + base64.b64encode(b"0123456789abcdef").decode())
    path = tmp_path / "config.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[notify]\nmax_attempts = 1\n'
        f'[[notify.receivers]]\nname = "hook"\nkind = "webhook"\n'
        f'url = "{httpserver.url_for("/hook")}"\nsecret = "env:HOOK_SECRET"\n'
        f'events = ["notice.published", "notice.corrected"]\n',
        encoding="utf-8")
    return path


def test_publish_then_correct_from_the_cli(config: Path, httpserver: HTTPServer) -> None:
    runtime = build_runtime(load(config))
    incident = open_incident(runtime)
    runtime.engine.dispose()
    httpserver.expect_request("/hook").respond_with_data("ok")

    first = runner.invoke(notice_app, ["publish", incident.key,
                                       str(CORPUS / "en" / "good-initial.toml"), "-c", str(config)])
    assert first.exit_code == 0, first.output
    assert "published notice 1 version 1 (initial, en)" in first.output
    fix = runner.invoke(notice_app, ["publish", incident.key,
                                     str(CORPUS / "en" / "good-correction.toml"),
                                     "--notice", "1", "-c", str(config)])
    assert fix.exit_code == 0 and "version 2 (correction, en)" in fix.output
    sent = runner.invoke(outbox_app, ["deliver", "-c", str(config)])
    assert "claimed 2: delivered 2" in sent.output
    types = [json.loads(r.get_data())["type"] for r, _ in httpserver.log]
    assert sorted(types) == ["notice.corrected", "notice.published"]


def test_lint_errors_stop_a_cli_publish_and_nothing_is_stored(config: Path) -> None:
    runtime = build_runtime(load(config))
    incident = open_incident(runtime)
    runtime.engine.dispose()
    bad = runner.invoke(notice_app, ["publish", incident.key,
                                     str(CORPUS / "en" / "bad-blame-provider.toml"),
                                     "-c", str(config)])
    assert bad.exit_code == 2
    assert "2 blocking lint finding(s)" in bad.output and "blame.shift" in bad.output
    assert runner.invoke(outbox_app, ["list", "-c", str(config)]).output == "No messages in the outbox.\n"
    wrong_kind = runner.invoke(notice_app, ["publish", incident.key,
                                            str(CORPUS / "en" / "good-correction.toml"),
                                            "-c", str(config)])
    assert wrong_kind.exit_code == 2 and "needs --notice ID" in wrong_kind.output


def test_dead_letters_are_listed_and_redelivered(config: Path, httpserver: HTTPServer) -> None:
    runtime = build_runtime(load(config))
    open_incident(runtime)
    runtime.engine.dispose()
    runner.invoke(notice_app, ["publish", "INC-1", str(CORPUS / "pt-BR" / "good-initial.toml"),
                               "-c", str(config)])
    httpserver.expect_oneshot_request("/hook").respond_with_data("down", status=500)
    assert "dead 1" in runner.invoke(outbox_app, ["deliver", "-c", str(config)]).output
    listed = json.loads(runner.invoke(outbox_app, ["list", "--state", "dead", "--json",
                                                   "-c", str(config)]).output)
    assert [(m["id"], m["state"], m["receiver"], m["event"], m["attempts"], m["key"], m["last_error"])
            for m in listed] == [(1, "dead", "hook", "notice.published", 1, "hook:INC-1:2",
                                  "HTTP 500: down")]
    assert runner.invoke(outbox_app, ["redeliver", "1", "-c", str(config)]).exit_code == 0
    again = runner.invoke(outbox_app, ["redeliver", "1", "-c", str(config)])
    assert again.exit_code == 2 and "only dead messages can be redelivered" in again.output
    httpserver.expect_request("/hook").respond_with_data("ok")
    assert "delivered 1" in runner.invoke(outbox_app, ["deliver", "-c", str(config)]).output
    bad_state = runner.invoke(outbox_app, ["list", "--state", "lost", "-c", str(config)])
    assert bad_state.exit_code == 2 and "expected one of pending, delivered, dead" in bad_state.output


def test_the_affected_share_widens_the_channels_and_must_be_a_share(config: Path) -> None:
    runtime = build_runtime(load(config))
    incident = open_incident(runtime)
    runtime.engine.dispose()
    notice = str(CORPUS / "en" / "good-initial.toml")

    wrong = runner.invoke(notice_app, ["publish", incident.key, notice, "--affected-share", "30",
                                       "-c", str(config)])
    assert wrong.exit_code == 2
    assert "Invalid value for '--affected-share'" in wrong.output
    assert "less than or equal to" in wrong.output
    wide = runner.invoke(notice_app, ["publish", incident.key, notice, "--affected-share", "0.3",
                                      "-c", str(config)])
    assert wide.exit_code == 0, wide.output
    assert "published notice 1 version 1" in wide.output  # the refused call stored nothing
    assert wide.output.rstrip().endswith("status_page, banner, subscribers, press")
