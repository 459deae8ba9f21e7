"""Story: the linter catches jargon, blame, hedging, leaks and missing parts — and says so
precisely enough that we can measure it on a corpus of good and bad notices."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from monitor.cli.notices import app, lint_file
from monitor.comms.linter import DEFAULT_SEVERITY, lint_content, lint_text, reading_ease, severity
from monitor.comms.models import Content, Kind
from monitor.config.comms import LINT_RULES, LinterConfig
from tests.monitor.comms.factories import GOOD
from tests.monitor.test_i18n import english_in

CORPUS = Path(__file__).parent / "corpus"


STYLES = ("terse", "corporate", "chatty", "apologetic", "technical", "real")


@dataclass
class Scores:
    """Findings: precision and recall over (notice, rule family) pairs. Blocking: precision and
    recall of the decision to stop a notice, against what a communicator decided (``block``)."""

    notices: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    blocked: dict[str, int] = field(default_factory=lambda: {"tp": 0, "fp": 0, "fn": 0, "tn": 0})

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn)

    @property
    def block_precision(self) -> float:
        return self.blocked["tp"] / (self.blocked["tp"] + self.blocked["fp"])

    @property
    def block_recall(self) -> float:
        return self.blocked["tp"] / (self.blocked["tp"] + self.blocked["fn"])


def scores(lang: str) -> Scores:
    out = Scores()
    for path in sorted((CORPUS / lang).glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        expected = set(data["expect"])
        found = lint_file(path)
        got = {f.finding.rule.split(".")[0] for f in found}
        out.notices += 1
        out.tp += len(expected & got)
        out.fp += len(got - expected)
        out.fn += len(expected - got)
        stopped = any(f.severity == "error" for f in found)
        out.blocked[("tp" if data["block"] else "fp") if stopped else
                    ("fn" if data["block"] else "tn")] += 1
    return out


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_precision_and_recall_on_the_corpus(lang: str) -> None:
    s = scores(lang)
    print(f"{lang}: {s.notices} notices; findings precision {s.precision:.2f} recall "
          f"{s.recall:.2f} (tp={s.tp} fp={s.fp} fn={s.fn}); blocking precision "
          f"{s.block_precision:.2f} recall {s.block_recall:.2f} ({s.blocked})")
    names = [p.stem for p in (CORPUS / lang).glob("*.toml")]
    assert len(names) >= 60 and all(any(style in n for n in names) for style in STYLES)
    assert s.precision >= 0.9 and s.recall >= 0.95
    assert s.block_precision >= 0.9 and s.block_recall >= 0.95


def test_only_the_developer_notice_is_blocked_among_the_publishable_ones() -> None:
    """A status code is a word developers know: a team writing for them makes the rule a
    warning. Every other notice a communicator would publish goes through."""
    stopped = {path.stem for path in CORPUS.glob("*/*.toml")
               if not tomllib.loads(path.read_text(encoding="utf-8"))["block"]
               and any(f.severity == "error" for f in lint_file(path))}
    assert stopped == {"good-real-developer-api"}
    developers = LinterConfig(severity={"jargon.status-code": "warning"})
    for lang in ("en", "pt-BR"):
        found = lint_file(CORPUS / lang / "good-real-developer-api.toml", config=developers)
        assert [f.finding.rule for f in found] == ["jargon.status-code"]
        assert found[0].severity == "warning"


def test_every_good_notice_of_the_first_corpus_is_clean() -> None:
    for path in sorted(CORPUS.glob("*/good-*.toml")):
        if "-real-" not in path.stem and "good-time-in-text" not in path.stem:
            assert lint_file(path) == [], path


def test_findings_carry_position_reason_and_rewrite() -> None:
    text = "Links work.\nOur provider returned 5xx."
    found = {f.rule: f for f in lint_text(text, "en")}
    blame, code = found["blame.shift"], found["jargon.status-code"]
    assert (blame.line, blame.column, blame.severity, blame.excerpt) == (2, 1, "error", "Our provider")
    assert "we" in blame.suggestion and "responsib" in blame.reason
    assert (code.line, code.column, code.severity) == (2, 23, "error")  # a status code blocks
    assert "'5xx'" in code.suggestion and "pages did not load" in code.suggestion


def test_configured_jargon_extends_the_lexicon() -> None:
    config = LinterConfig(jargon={"pt-BR": ["encurtador"]})
    assert [f.excerpt for f in lint_text("O Encurtador parou.", "pt-BR", config)] == ["Encurtador"]
    assert lint_text("O Encurtador parou.", "en", config) == []


def test_reading_ease_needs_enough_text_and_prefers_short_words() -> None:
    assert reading_ease("Too short.", "en") is None
    simple = "We broke the links. We fixed them. " * 5
    assert (reading_ease(simple, "en") or 0) > 80


runner = CliRunner()


def test_cli_exit_status_tells_errors_from_warnings(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["lint", str(CORPUS / "en" / "good-initial.toml")])
    assert ok.exit_code == 0 and "publishable; 0 warning(s)" in ok.output
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


def test_each_kind_of_term_gets_its_own_hint_in_the_notice_language() -> None:
    hints = {f.excerpt: f.suggestion for f in lint_text(
        "We did a rollback. Latency was high.", "en", LinterConfig(max_jargon_per_100_words=0))}
    assert "'we undid the change'" in hints["rollback"]
    assert "how long people waited" in hints["Latency"] and "'Latency'" in hints["Latency"]
    pt = {f.excerpt: f.suggestion for f in lint_text(
        "Fizemos rollback. A latência subiu.", "pt-BR", LinterConfig(max_jargon_per_100_words=0))}
    assert "'desfizemos a mudança'" in pt["rollback"]
    assert "quanto tempo as pessoas esperaram" in pt["latência"]


def test_every_message_is_in_the_notice_language() -> None:
    content = Content(title="Links", what_happened="Bloqueamos 10.0.0.7 e db01 deu erro 503.",
                      what_we_are_doing="<b>Atualizaremos</b> em breve.")
    found = lint_content(content, Kind.INITIAL, "pt-BR")
    text = " ".join(f"{f.finding.reason} {f.finding.suggestion}" for f in found)
    assert english_in(text) == []
    reasons = {f.finding.rule: f.finding.reason for f in found}
    assert reasons["leak.ip"] == "endereço IP: dado interno"
    assert "a parte obrigatória 'Quem foi afetado' está vazia" in {
        f.finding.reason for f in found if f.finding.rule == "parts.missing"}
    assert reasons["promise.no-time"] == "promete uma atualização sem dizer quando"
    assert {"jargon.status-code", "leak.hostname", "markup.html"} <= set(reasons)


def test_an_update_promise_needs_a_time() -> None:
    def rules(text: str, lang: str = "en", **content: Any) -> set[str]:
        parts = {**GOOD["en" if lang == "en" else "pt-BR"], "what_we_are_doing": text, **content}
        return {f.finding.rule for f in lint_content(Content(**parts), Kind.INITIAL, lang)}

    assert "promise.no-time" in rules("We will update you soon.")
    assert "promise.no-time" not in rules("We will update you by 10:30 UTC.")
    assert "promise.no-time" not in rules("We will update you within 30 minutes.")
    assert "promise.no-time" not in rules("We will update you soon.",
                                          next_update_at="2026-03-02T10:30:00Z")
    assert "promise.no-time" in rules("Daremos notícias em breve.", "pt-BR")
    assert "promise.no-time" not in rules("Próxima atualização às 10h30 (UTC).", "pt-BR")


def test_one_term_warns_and_a_notice_full_of_them_is_blocked() -> None:
    one = lint_text("Opening short links was slow because of the cache, for everyone, all "
                    "morning, on every page of the site and in the app.", "en")
    assert [(f.rule, f.severity) for f in one] == [("jargon.term", "warning")]
    many = lint_text("The redirect pods hit a timeout and the replicas lost their cache.", "en")
    density = [f for f in many if f.rule == "jargon.density"]
    assert density and density[0].severity == "error" and "4 technical terms in 12 words" in \
        density[0].reason
    assert lint_text("Nginx returned 503s: the consumer lagged.", "en")[0].severity == "error"


def test_internal_names_from_the_config_block_like_built_in_ones() -> None:
    config = LinterConfig(components=["redirector"])
    found = lint_text("The redirector stopped.", "en", config)
    assert [(f.rule, f.severity, f.excerpt) for f in found] == [
        ("jargon.component", "error", "redirector")]
    assert "users do not know 'redirector'" in found[0].suggestion


@pytest.mark.parametrize(("severity", "message"), [
    ({"jargon.colour": "error"}, "unknown lint rule(s) 'jargon.colour'"),
    ({"hedge": "fatal"}, "Input should be 'info', 'warning' or 'error'"),
])
def test_a_wrong_severity_in_the_config_names_the_rule(severity: dict[str, str], message: str
                                                       ) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        LinterConfig(severity=severity)


def test_the_rules_the_config_knows_are_the_linters() -> None:
    assert set(DEFAULT_SEVERITY) == set(LINT_RULES)
    assert severity("hedge.vague", LinterConfig(severity={"hedge": "error"})) == "error"


def test_cli_exit_1_means_blocked_and_the_readme_says_so() -> None:
    bad = runner.invoke(app, ["lint", str(CORPUS / "en" / "bad-technical-nginx.toml")])
    assert bad.exit_code == 1 and "blocked: " in bad.output and "--override-reason" in bad.output
    readme = (Path(__file__).parents[3] / "README.md").read_text(encoding="utf-8")
    assert "exits 0 publishable (warnings printed), 1 blocked" in readme
