"""Blameless lint: the postmortem's rules for the shared engine ``monitor.textlint``.

A postmortem looks at systems, not at people. The rules flag naming someone
as the cause ("Ana caused", "human error"), counterfactual phrasing ("should
have", "deveria ter") that judges with hindsight, and sections left empty.
Errors keep a postmortem in draft (``service.review(..., "submit")`` refuses);
warnings are shown but do not block.

>>> [f.rule for f in lint_text("We should have known. Ana caused the outage.", "fault")]
['blameless.counterfactual', 'blameless.person-caused']
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from monitor import textlint
from monitor.textlint import Rule
from postmortem.models import NARRATIVE

RULES: tuple[Rule, ...] = (
    Rule(
        id="blameless.counterfactual", severity="warning",
        phrases=("should have", "could have", "would have", "must have", "ought to have",
                 "failed to", "deveria ter", "poderia ter", "devia ter", "deveriam ter",
                 "poderiam ter", "falhou em", "deixou de"),
        reason="counterfactual phrasing judges with hindsight",
        suggestion="say what happened and why it made sense at the time "
                   "(e.g. 'the runbook did not cover this case')",
    ),
    Rule(
        id="blameless.person-caused", severity="error", case_sensitive=True,
        pattern=r"(?:@[\w.-]+|\b[A-Z][a-z]+)(?:'s)? (?:caused|broke|forgot|messed up|neglected"
                r"|causou|quebrou|esqueceu|derrubou)\b",
        reason="names a person as the cause of the incident",
        suggestion="describe the system condition that allowed it instead",
    ),
    Rule(
        id="blameless.blame-words", severity="error",
        phrases=("human error", "operator error", "user error", "careless", "carelessness",
                 "negligence", "negligent", "incompetence", "incompetent", "his fault", "her fault",
                 "their fault", "fault of", "erro humano", "culpa do", "culpa da", "culpa dos",
                 "descuido", "negligência", "incompetência"),
        reason="blame words: a postmortem is blameless",
        suggestion="name the gap in tooling, process or design",
    ),
)
REQUIRED = NARRATIVE + ("root_causes",)


@dataclass(frozen=True)
class Finding:
    """A textlint finding located in one section of the postmortem."""

    section: str
    rule: str
    severity: str
    excerpt: str
    reason: str
    suggestion: str = ""
    line: int = 0
    column: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"section": self.section, "rule": self.rule, "severity": self.severity,
                "excerpt": self.excerpt, "reason": self.reason, "suggestion": self.suggestion,
                "line": self.line, "column": self.column}


def lint_text(text: str, section: str, lang: str = "en") -> list[Finding]:
    """Findings for one section's text, in the order they appear.

    Every rule runs whatever ``lang`` says: people mix languages in one document.
    """
    return [
        Finding(section, f.rule, f.severity, f.excerpt, f.reason, f.suggestion, f.line, f.column)
        for f in textlint.lint(text, RULES, lang)
    ]


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out += [str(v) for v in item.values()] if isinstance(item, dict) else [str(item)]
        return out
    return []


def lint(content: Mapping[str, Any], lang: str = "en") -> list[Finding]:
    """Every finding in a postmortem's content (``Content.model_dump()``)."""
    findings: list[Finding] = []
    for name in REQUIRED:
        if not any(t.strip() for t in _texts(content.get(name))):
            findings.append(Finding(name, "blameless.empty-section", "error", "",
                                    f"the section '{name}' is empty",
                                    "write it before asking for review"))
    for name, value in content.items():
        for text in _texts(value):
            findings += lint_text(text, name, lang)
    return findings


def blocking(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity == "error"]
