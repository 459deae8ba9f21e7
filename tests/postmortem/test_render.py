"""Rendering: the committed examples regenerate byte for byte; PDFs read right; input is escaped."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from monitor.errors import Unprocessable
from postmortem import examples
from postmortem.render import render, render_template
from postmortem.report import Report, assemble
from tests.postmortem.conftest import event

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
NOW = datetime(2026, 3, 6, 17, 0, tzinfo=UTC)


def pdftext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("examples")
    examples.write_examples(out)
    return out


GENERATED = sorted(p.name for p in EXAMPLES.iterdir()
                   if p.suffix in (".md", ".html", ".svg") and p.name != "README.md")


@pytest.mark.parametrize("name", GENERATED)
def test_committed_examples_are_what_the_code_renders(generated: Path, name: str):
    assert (generated / name).read_text() == (EXAMPLES / name).read_text(), (
        f"docs/examples/{name} is stale: run `python -m postmortem.examples docs/examples`")


@pytest.mark.parametrize("lang, words", [
    ("en", ["Executive summary", "Time to detect", "2m 00s", "Five whys", "Communications",
            "Correction published", "Action items", "Page 1 of"]),
    ("pt-BR", ["Resumo executivo", "Tempo até detectar", "2 min 00s", "Cinco porquês", "Comunicação",
               "Correção do aviso publicada", "Ações", "Página 1 de"]),
])
def test_example_pdf_has_summary_page_sections_and_numbers(generated: Path, tmp_path, lang, words):
    text = pdftext((generated / f"postmortem-INC-1.{lang}.pdf").read_bytes(), tmp_path)
    first_page = text.split("\f")[0]
    assert examples.WRITTEN[lang]["title"] in first_page
    assert ("48,210" if lang == "en" else "48.210") in first_page and "SEV2" in first_page
    for word in words:
        assert word in text, word


def big_incident(entries: int) -> Report:
    t0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    events = [event(1, "incident.opened", t0, {"title": "Big", "severity": "SEV1",
                                              "impact_started_at": (t0 - timedelta(minutes=3)).isoformat()})]
    for seq in range(2, entries):
        events.append(event(seq, "note.added", t0 + timedelta(seconds=7 * seq),
                            {"text": f"observation number {seq} from the war room"}, actor="@ana"))
    events.append(event(entries, "incident.transitioned", t0 + timedelta(hours=2),
                        {"from": "verifying", "to": "resolved"}))
    incident = SimpleNamespace(key="INC-9", title="Big outage", severity="SEV1", state="resolved",
                               services=["api"], commander="@ana", summary="", related=[])
    return assemble(incident=incident, events=events, now=NOW)


def test_large_incident_pdf_keeps_every_entry_and_numbers_pages(tmp_path):
    report = big_incident(400)
    text = pdftext(render(report, "pdf", "en"), tmp_path)
    pages = text.count("\f")
    assert pages > 5 and f"Page {pages} of {pages}" in text
    assert "observation number 2 from" in text and "observation number 399 from" in text
    assert "Time to detect" in text.split("\f")[0] and "3m 00s" in text.split("\f")[0]
    assert "Timeline" in text and "2h 03m" in text  # duration from impact start


def test_html_and_script_in_text_fields_are_escaped_everywhere():
    report = big_incident(3)
    report.content["fault"] = "<script>alert(1)</script> | pipes"
    report.timeline[-1].payload["text"] = "<img src=x onerror=alert(1)>"
    html = render(report, "html", "en")
    md = render(report, "md", "pt-BR")
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>" not in md and "&lt;script&gt;" in md
    assert "<img src=x" not in html and "<img src=x" not in md


def test_user_templates_dir_overrides_built_in(tmp_path):
    (tmp_path / "postmortem.md.j2").write_text("Custom {{ r.key }} {{ L.timeline }}\n")
    assert render(big_incident(3), "md", "pt-BR", templates_dir=tmp_path) == "Custom INC-9 Linha do tempo\n"


def test_template_syntax_error_names_template_and_line(tmp_path):
    (tmp_path / "postmortem.html.j2").write_text("<h1>ok</h1>\n\n{% if r.key %}\n<p>never closed\n")
    with pytest.raises(Unprocessable) as error:
        render(big_incident(3), "html", "en", templates_dir=tmp_path)
    assert "postmortem.html.j2" in error.value.detail and error.value.extra["line"] == 4


def test_template_runtime_error_names_template_and_line(tmp_path):
    (tmp_path / "postmortem.md.j2").write_text("line one\n{{ r.no_such_field }}\n")
    with pytest.raises(Unprocessable, match=r"postmortem.md.j2, line 2: .*no_such_field"):
        render(big_incident(3), "md", "en", templates_dir=tmp_path)


def test_sandbox_refuses_reaching_into_python(tmp_path):
    (tmp_path / "x.j2").write_text("{{ r.__class__.__mro__ }}{{ ''.__class__.__subclasses__() }}")
    with pytest.raises(Unprocessable, match="x.j2"):
        render_template("x.j2", {"r": big_incident(3)}, templates_dir=tmp_path)


def test_unknown_format_language_or_templates_dir_are_refused(tmp_path):
    report = big_incident(3)
    with pytest.raises(Unprocessable, match="format 'docx' is not one of md, html, pdf"):
        render(report, "docx", "en")
    with pytest.raises(Unprocessable, match="language 'fr' is not one of en, pt-BR"):
        render(report, "md", "fr")
    with pytest.raises(Unprocessable, match="is not a directory"):
        render(report, "md", "en", templates_dir=tmp_path / "missing")


def test_report_without_postmortem_says_not_written_yet():
    md = render(big_incident(3), "md", "en")
    assert ("_Not written yet. What set it off. Write it with "
            "`candor postmortem edit INC-9 --section trigger`._") in md  # what, and how to write it
    assert "No public notice was published" in md
    assert "Nada registrado ainda." in render(big_incident(3), "md", "pt-BR")


def test_pdf_timeline_limit_keeps_key_moments_and_says_what_was_left_out(tmp_path):
    report = big_incident(300)
    text = " ".join(pdftext(render(report, "pdf", "en", pdf_timeline_limit=50), tmp_path).split())
    assert "Entries left out of this PDF" in text and "full timeline): 251" in text
    assert "observation number 2 from" in text and "observation number 299 from" in text
    assert "observation number 150 from" not in text
    assert "State: verifying → resolved" in text  # a key moment is always kept
    assert "observation number 150 from" in render(report, "md", "en", pdf_timeline_limit=50)


def test_example_digest_pdf_has_slo_teams_and_trend_charts(generated: Path, tmp_path):
    text = " ".join(pdftext((generated / "digest-week.en.pdf").read_bytes(), tmp_path).split())
    for words in ("No SLOs configured.", "Action items by team", "sre", "Trends",
                  "Incidents per day", "Mean time to restore per week", "Page 1 of"):
        assert words in text, words
