"""`candor postmortem render` and `candor digest` against a real store named by config.toml."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from monitor.cli import postmortem as cli
from monitor.config.schema import Storage


def storage_toml(storage: Storage) -> str:
    """The ``[storage]`` section naming the test's store (SQLite, or PostgreSQL by reference)."""
    database_url = f'database_url = "{storage.database_url}"\n' if storage.database_url else ""
    return f'[storage]\ndata_dir = "{storage.data_dir}"\n{database_url}'


@pytest.fixture
def candor(runtime, story, tmp_path: Path):
    """A ``candor``-like app with our commands, and the config file pointing at the test store."""
    config = tmp_path / "config.toml"
    config.write_text(storage_toml(runtime.settings.storage))
    app = typer.Typer()
    app.add_typer(cli.app, name="postmortem")
    app.command("digest")(cli.digest)
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [*args, "--config", str(config)])

    return run


def test_render_each_format_to_a_file(candor, tmp_path):
    for fmt, lang, needle in (("md", "pt-BR", b"Linha do tempo"), ("html", "en", b"<h2>Timeline</h2>"),
                              ("pdf", "en", b"%PDF")):
        out = tmp_path / f"INC-1.{fmt}"
        result = candor("postmortem", "render", "INC-1", "--format", fmt, "--lang", lang, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert needle in out.read_bytes()


def test_render_unknown_incident_exits_2_with_the_reason(candor):
    result = candor("postmortem", "render", "INC-77")
    assert result.exit_code == 2 and "no incident 'INC-77'" in result.output


@pytest.mark.parametrize("args, words", [
    (("--format", "docx"), "'docx' is not one of"),
    (("--lang", "fr"), "'fr' is not one of"),
    (("-o", "/no/such/dir/x.md"), "does not exist"),
])
def test_render_bad_flags_exit_2(candor, args, words):
    result = candor("postmortem", "render", "INC-1", *args)
    assert result.exit_code == 2 and words in result.output


def test_draft_due_drafts_the_resolved_sev2(candor):
    assert "drafted: INC-1" in candor("postmortem", "draft-due").output
    assert "nothing to draft" in candor("postmortem", "draft-due").output


def test_digest_json_and_bad_period(candor):
    result = candor("digest", "--period", "quarter", "--format", "json")
    assert result.exit_code == 0 and json.loads(result.output)["period"] == "quarter"
    result = candor("digest", "--period", "year")
    assert result.exit_code == 2 and "'year' is not one of" in result.output


def test_render_charts_the_firing_rule_from_the_stored_series(runtime, story, tmp_path, make_candor):
    from tests.postmortem.test_signal import RULES, spike

    (tmp_path / "rules.yml").write_text(RULES)
    spike(make_candor(runtime.settings).signals.store, service="redirector")
    config = tmp_path / "config.toml"
    config.write_text(storage_toml(runtime.settings.storage) +
                      f'[engine]\nrule_files = ["{tmp_path / "rules.yml"}"]\n')
    app = typer.Typer()
    app.add_typer(cli.app, name="postmortem")
    app.command("digest")(cli.digest)
    result = CliRunner().invoke(app, ["postmortem", "render", "INC-1", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "](INC-1-signal.en.svg)" in result.output
    assert "_Triggering signal: RedirectErrorsHigh: redirect_error_ratio{service=" in result.output
    assert "No signal data" not in result.output


def test_a_postmortem_is_written_reviewed_and_tracked_from_the_shell(candor, tmp_path, monkeypatch):
    """create → edit each kind of section (file, stdin, $EDITOR, inline) → show → review →
    action items, with every mistake an exit 2 naming it and nothing changed."""
    monkeypatch.setenv("CANDOR_ACTOR", "ana")
    created = candor("postmortem", "create", "INC-1")
    assert created.exit_code == 0 and "still to write:" in created.output
    assert "candor postmortem edit INC-1 --section NAME" in created.output
    fault = tmp_path / "fault.md"
    fault.write_text("With 2 upstreams the redirector queued requests until they timed out.\n")
    saved = candor("postmortem", "edit", "INC-1", "--section", "fault", "--file", str(fault))
    assert saved.exit_code == 0 and "INC-1: fault saved (11 words); postmortem draft" in saved.output
    listed = candor("postmortem", "edit", "INC-1", "--section", "root_causes", "--text",
                    "- Regions read pool_size in different units\n- Nothing checks it\n")
    assert "root_causes saved (2 items)" in listed.output
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nprintf 'Q: Why did redirects fail?\\nA: Two upstreams.\\n' > \"$1\"\n")
    editor.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(editor))
    whys = candor("postmortem", "edit", "INC-1", "--section", "five_whys", "--editor")
    assert whys.exit_code == 0 and "five_whys saved (1 items)" in whys.output
    for section in ("executive_summary", "customer_impact", "lead_up", "trigger", "detection",
                    "response", "recovery"):
        assert candor("postmortem", "edit", "INC-1", "--section", section, "--text",
                      f"The {section} as we know it.").exit_code == 0
    shown = json.loads(candor("postmortem", "show", "INC-1", "--json").output)
    assert shown["content"]["root_causes"] == ["Regions read pool_size in different units",
                                               "Nothing checks it"]
    assert shown["content"]["five_whys"] == [{"question": "Why did redirects fail?",
                                              "answer": "Two upstreams."}]
    human = candor("postmortem", "show", "INC-1").output
    assert "fault" in human and "11 words" in human and "next: candor postmortem review INC-1 submit" in human

    assert "postmortem in_review" in candor("postmortem", "review", "INC-1", "submit").output
    approved = candor("postmortem", "review", "INC-1", "approve", "--as", "dora")
    assert "postmortem reviewed (approved by dora)" in approved.output
    assert "postmortem published" in candor("postmortem", "review", "INC-1", "publish").output
    again = candor("postmortem", "edit", "INC-1", "--section", "fault", "--text", "Two upstreams.")
    assert "now version 2" in again.output

    due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()  # the CLI runs on the real clock
    added = candor("postmortem", "item", "add", "INC-1", "Validate pool_size per region",
                   "--type", "prevent", "--owner", "@bruno", "--due", due, "--priority", "P1")
    assert added.exit_code == 0, added.output
    assert f"action item 1 added (prevent, @bruno, due {due})" in added.output
    (item,) = json.loads(candor("postmortem", "item", "list", "INC-1", "--json").output)
    assert item["title"] == "Validate pool_size per region" and item["overdue"] is False
    assert "│ 1  │ Validate" in candor("postmortem", "item", "list", "INC-1").output
    done = candor("postmortem", "item", "update", "INC-1", "1", "--status", "done")
    assert done.exit_code == 0 and "action item 1 is done (closed " in done.output


@pytest.mark.parametrize("args, words", [
    (("edit", "INC-1", "--section", "faults", "--text", "x"), "--section 'faults': expected one of"),
    (("edit", "INC-1", "--section", "fault"), "give exactly one of --file F, --editor or --text T"),
    (("edit", "INC-1", "--section", "five_whys", "--text", "Q: why?\nQ: again?"),
     "line 2: expected an 'A: answer' line"),
    (("edit", "INC-1", "--section", "fault", "--file", "/no/such.md"), "cannot read it"),
    (("item", "add", "INC-1", "x", "--type", "fix", "--owner", "@a", "--due", "2099-04-01"), "--type"),
    (("item", "add", "INC-1", "x", "--type", "prevent", "--owner", "ana", "--due", "2099-04-01"),
     "is not an owner"),
    (("item", "add", "INC-1", "x", "--type", "prevent", "--owner", "@a", "--due", "2000-01-01"),
     "is in the past"),
    (("item", "update", "INC-1", "9", "--status", "done"), "has no action item 9"),
    (("item", "update", "INC-1", "9", "--status", "done"), "`candor postmortem item list INC-1`"),
    (("item", "add", "INC-1", "x", "--type", "prevent", "--owner", "@a", "--due", "2099-04-01",
      "--ticket", "JIRA-1"), "--ticket: String should match pattern"),
    (("item", "update", "INC-1", "1", "--ticket", "JIRA-1"), "--ticket: String should match"),
    (("review", "INC-1", "ship"), "ship"),
])
def test_postmortem_commands_refuse_bad_input_with_exit_2(candor, args, words):
    assert candor("postmortem", "create", "INC-1").exit_code == 0
    result = candor("postmortem", *args)
    assert result.exit_code == 2 and words in result.output, result.output


def test_edit_with_no_editor_set_says_how(candor, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    candor("postmortem", "create", "INC-1")
    result = candor("postmortem", "edit", "INC-1", "--section", "fault", "--editor")
    assert result.exit_code == 2 and "set $EDITOR" in result.output
