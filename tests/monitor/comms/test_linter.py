"""Story: the linter catches jargon, blame, hedging, leaks and missing parts — and says so
precisely enough that we can measure it on a corpus of good and bad notices."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.notices import app, lint_file
from monitor.comms.linter import lint_text, reading_ease
from monitor.config.comms import LinterConfig

CORPUS = Path(__file__).parent / "corpus"


def _scores(lang: str) -> tuple[float, float, int, int, int]:
    """Precision and recall over (notice, rule family) pairs, plus TP/FP/FN counts."""
    tp = fp = fn = 0
    for path in sorted((CORPUS / lang).glob("*.toml")):
        expected = set(tomllib.loads(path.read_text(encoding="utf-8"))["expect"])
        got = {f.finding.rule.split(".")[0] for f in lint_file(path)}
        tp += len(expected & got)
        fp += len(got - expected)
        fn += len(expected - got)
    return tp / (tp + fp), tp / (tp + fn), tp, fp, fn


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_precision_and_recall_on_the_corpus(lang: str) -> None:
    precision, recall, tp, fp, fn = _scores(lang)
    print(f"{lang}: precision {precision:.2f} recall {recall:.2f} (tp={tp} fp={fp} fn={fn})")
    assert len(list((CORPUS / lang).glob("good-*.toml"))) >= 7
    assert len(list((CORPUS / lang).glob("bad-*.toml"))) >= 11
    assert precision >= 0.9 and recall >= 0.95


def test_every_good_notice_is_clean() -> None:
    for path in sorted(CORPUS.glob("*/good-*.toml")):
        assert lint_file(path) == [], path


def test_findings_carry_position_reason_and_rewrite() -> None:
    text = "Links work.\nOur provider returned 5xx."
    found = {f.rule: f for f in lint_text(text, "en")}
    blame, code = found["blame.shift"], found["jargon.status-code"]
    assert (blame.line, blame.column, blame.severity, blame.excerpt) == (2, 1, "error", "Our provider")
    assert "we" in blame.suggestion and "responsib" in blame.reason
    assert (code.line, code.column, code.severity) == (2, 23, "warning")


def test_configured_jargon_extends_the_lexicon() -> None:
    config = LinterConfig(jargon={"pt-BR": ["kafka"]})
    assert [f.excerpt for f in lint_text("A fila Kafka parou.", "pt-BR", config)] == ["Kafka"]
    assert lint_text("A fila Kafka parou.", "en", config) == []


def test_reading_ease_needs_enough_text_and_prefers_short_words() -> None:
    assert reading_ease("Too short.", "en") is None
    simple = "We broke the links. We fixed them. " * 5
    assert (reading_ease(simple, "en") or 0) > 80


runner = CliRunner()


def test_cli_exit_status_tells_errors_from_warnings(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["lint", str(CORPUS / "en" / "good-initial.toml")])
    assert ok.exit_code == 0 and "0 error(s), 0 warning(s)" in ok.output
    bad = runner.invoke(app, ["lint", str(CORPUS / "pt-BR" / "bad-blame-provider.toml")])
    assert bad.exit_code == 1
    assert ":what_happened:1:1: error [blame.shift] 'Nosso provedor'" in bad.output
    text = tmp_path / "draft.en.txt"
    text.write_text("The pods restarted.", encoding="utf-8")
    warned = runner.invoke(app, ["lint", str(text)])
    assert warned.exit_code == 0 and "[jargon.term] 'pods'" in warned.output


@pytest.mark.parametrize(
    ("name", "body", "args", "message"),
    [
        ("n.toml", 'lang = "de"\n[content]\n', [], "lang 'de' is not one of pt-BR, en"),
        ("n.toml", 'lang = "en"\nkind = "rewrite"\n', [], "kind 'rewrite' is not one of"),
        ("n.toml", 'lang = "en"\n[content]\nwhat = "x"\n', [], "content.what: Extra inputs"),
        ("n.toml", 'lang = "en"\ncolour = 1\n', [], "unknown keys ['colour']"),
        ("n.toml", "lang = ", [], "not valid TOML"),
        ("n.txt", "hello", [], "cannot tell the language"),
        ("n.txt", "hello", ["--lang", "fr"], "--lang 'fr': expected one of pt-BR, en"),
    ],
)
def test_cli_bad_input_exits_2_with_the_fix(
    tmp_path: Path, name: str, body: str, args: list[str], message: str
) -> None:
    path = tmp_path / name
    path.write_text(body, encoding="utf-8")
    result = runner.invoke(app, ["lint", str(path), *args])
    assert result.exit_code == 2
    assert message in result.output


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["lint", str(tmp_path / "nope.toml")])
    assert result.exit_code == 2 and "no such file" in result.output
