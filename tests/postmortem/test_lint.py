"""The blameless lint flags people named as causes, hindsight phrasing and empty sections."""

from __future__ import annotations

import pytest

from postmortem.lint import blocking, lint, lint_text
from postmortem.models import Content


@pytest.mark.parametrize("text, rule", [
    ("We should have rolled back sooner.", "blameless.counterfactual"),
    ("The deploy failed to include the flag.", "blameless.counterfactual"),
    ("A equipe deveria ter revisado a mudança.", "blameless.counterfactual"),
    ("Bruno forgot to enable the canary.", "blameless.person-caused"),
    ("@bruno broke the config.", "blameless.person-caused"),
    ("A Carla esqueceu o canário.", "blameless.person-caused"),
    ("It was human error.", "blameless.blame-words"),
    ("Foi erro humano do operador.", "blameless.blame-words"),
])
def test_rules_flag_blame_and_hindsight_in_both_languages(text, rule):
    assert rule in [f.rule for f in lint_text(text, "fault")]


@pytest.mark.parametrize("text", [
    "The config template read the value in a different unit.",
    "O alerta disparou dois minutos depois do início do impacto.",
    "The Redirector served errors.",  # a capitalised system name is not a person causing it
])
def test_plain_system_descriptions_pass(text):
    assert lint_text(text, "fault") == []


def test_empty_sections_block_and_counterfactuals_only_warn():
    content = Content(executive_summary="We should have known.").model_dump()
    findings = lint(content)
    empty = {f.section for f in findings if f.rule == "blameless.empty-section"}
    assert "fault" in empty and "root_causes" in empty and "executive_summary" not in empty
    assert all(f.rule == "blameless.empty-section" for f in blocking(findings))
    assert any(f.severity == "warning" and f.section == "executive_summary" for f in findings)


def test_list_sections_and_five_whys_are_linted_too():
    content = Content(five_whys=[{"question": "Why?", "answer": "Human error."}],
                      went_wrong=["Ana caused a delay"]).model_dump()
    sections = {(f.section, f.rule) for f in lint(content)}
    assert ("five_whys", "blameless.blame-words") in sections
    assert ("went_wrong", "blameless.person-caused") in sections
