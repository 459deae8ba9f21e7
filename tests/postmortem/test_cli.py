"""`candor postmortem render` and `candor digest` against a real store named by config.toml."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from monitor.cli import postmortem as cli


@pytest.fixture
def candor(runtime, story, tmp_path: Path):
    """A ``candor``-like app with our commands, and the config file pointing at the test store."""
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\ndata_dir = "{runtime.settings.storage.data_dir}"\n')
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
    config.write_text(f'[storage]\ndata_dir = "{runtime.settings.storage.data_dir}"\n'
                      f'[engine]\nrule_files = ["{tmp_path / "rules.yml"}"]\n')
    app = typer.Typer()
    app.add_typer(cli.app, name="postmortem")
    app.command("digest")(cli.digest)
    result = CliRunner().invoke(app, ["postmortem", "render", "INC-1", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert "](INC-1-signal.en.svg)" in result.output
    assert "_Triggering signal: RedirectErrorsHigh: redirect_error_ratio{service=" in result.output
    assert "No signal data" not in result.output
