"""A small, generic text linter: rules are data, findings say where, why and what instead.

Use it for any prose Candor checks before people read it: public notices
(``monitor.comms.linter``: jargon, blame-shifting, leaked internal data) and
postmortems (a blameless lint: "human error", "should have", "careless" …).
The engine knows nothing about either; callers bring their rules.

A ``Rule`` matches either a regular expression (``pattern``) or a list of
literal ``phrases`` (matched case-insensitively on word boundaries, so "pod"
does not match "podcast"). ``langs`` limits a rule to some languages; empty
means every language. ``suggestion`` may use ``{match}`` for the matched text.
A ``Check`` is a plain function ``(text, lang) -> Iterable[Finding]`` for what
a pattern cannot express (sentence length, missing sections); ``long_sentences``
is one, ready to use.

    >>> rule = Rule(id="blame.human-error", phrases=("human error",),
    ...             reason="blames a person; describe what the system allowed",
    ...             suggestion="describe the gap in the process or tooling",
    ...             severity="error")
    >>> [f.line for f in lint("All fine.\\nIt was human error.", [rule], "en")]
    [2]
    >>> f = lint("It was Human Error.", [rule], "en")[0]
    >>> (f.rule, f.severity, f.start, f.end, f.column, f.excerpt)
    ('blame.human-error', 'error', 7, 18, 8, 'Human Error')

Findings come back sorted by position, then rule id; ``blocking(findings)``
keeps the errors, ``Rule.from_dict`` builds rules from config tables. This
module's public names (``__all__``) are a stable API; extend, don't change.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")


@dataclass(frozen=True)
class Finding:
    """One problem at one place. ``start``/``end`` are character offsets; line/column from 1."""

    rule: str
    severity: Severity
    start: int
    end: int
    line: int
    column: int
    excerpt: str
    reason: str
    suggestion: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule, "severity": self.severity, "start": self.start, "end": self.end,
            "line": self.line, "column": self.column, "excerpt": self.excerpt,
            "reason": self.reason, "suggestion": self.suggestion,
        }

    def __str__(self) -> str:
        tail = f" — try: {self.suggestion}" if self.suggestion else ""
        where = f"{self.line}:{self.column}: {self.severity} [{self.rule}]"
        return f"{where} {self.excerpt!r}: {self.reason}{tail}"


@dataclass(frozen=True)
class Rule:
    """A pattern or phrase list, why it is a problem, and what to write instead."""

    id: str
    reason: str
    suggestion: str = ""
    severity: Severity = "warning"
    pattern: str | None = None
    phrases: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    case_sensitive: bool = False
    _compiled: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            choices = ", ".join(SEVERITIES)
            raise ValueError(
                f"rule {self.id!r}: severity {self.severity!r} is not one of {choices}"
            )
        if (self.pattern is None) == (not self.phrases):
            raise ValueError(f"rule {self.id!r}: give exactly one of 'pattern' or 'phrases'")
        if self.pattern is not None:
            source = self.pattern
        else:
            alternatives = sorted((p for p in self.phrases if p.strip()), key=len, reverse=True)
            if not alternatives:
                raise ValueError(f"rule {self.id!r}: 'phrases' holds only empty strings")
            source = r"(?<!\w)(?:" + "|".join(_phrase(p) for p in alternatives) + r")(?!\w)"
        flags = 0 if self.case_sensitive else re.IGNORECASE
        try:
            compiled = re.compile(source, flags)
        except re.error as exc:
            raise ValueError(
                f"rule {self.id!r}: pattern is not a valid regular expression: {exc}"
            ) from None
        object.__setattr__(self, "_compiled", compiled)

    def applies_to(self, lang: str) -> bool:
        return not self.langs or lang in self.langs or lang.split("-")[0] in self.langs

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        assert self._compiled is not None
        return self._compiled.finditer(text)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Rule:
        """Build a rule from a config table; unknown keys are an error naming the known ones."""
        known = {
            "id", "reason", "suggestion", "severity",
            "pattern", "phrases", "langs", "case_sensitive",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown rule keys {unknown}; known keys: {', '.join(sorted(known))}")
        values = dict(data)
        for key in ("phrases", "langs"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)


Check = Callable[[str, str], Iterable[Finding]]
"""A rule as code: ``check(text, lang)`` yields findings (use ``finding_at`` to build them)."""


def _phrase(phrase: str) -> str:
    # Any run of whitespace in a phrase matches any run of whitespace in the text.
    return r"\s+".join(re.escape(word) for word in phrase.split())


def position(text: str, offset: int) -> tuple[int, int]:
    """Line and column (both from 1) of a character offset."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


def finding_at(
    text: str,
    start: int,
    end: int,
    *,
    rule: str,
    severity: Severity,
    reason: str,
    suggestion: str = "",
) -> Finding:
    """A finding for ``text[start:end]`` with its line and column filled in."""
    line, column = position(text, start)
    excerpt = text[start:end]
    if len(excerpt) > 80:
        excerpt = excerpt[:77] + "..."
    return Finding(rule, severity, start, end, line, column, excerpt, reason, suggestion)


def lint(
    text: str, rules: Sequence[Rule], lang: str, *, checks: Sequence[Check] = ()
) -> list[Finding]:
    """Every finding of ``rules`` (those that apply to ``lang``) and ``checks`` in ``text``."""
    out: list[Finding] = []
    for rule in rules:
        if not rule.applies_to(lang):
            continue
        for match in rule.finditer(text):
            if match.end() == match.start():
                continue
            suggestion = rule.suggestion.replace("{match}", match.group(0))
            out.append(finding_at(
                text, match.start(), match.end(), rule=rule.id, severity=rule.severity,
                reason=rule.reason, suggestion=suggestion,
            ))
    for check in checks:
        out.extend(check(text, lang))
    out.sort(key=lambda f: (f.start, f.rule, f.end))
    return out


def blocking(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with severity ``error``: the ones that stop a publish."""
    return [f for f in findings if f.severity == "error"]


_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)", re.MULTILINE)
_WORD = re.compile(r"\w+(?:[-']\w+)*")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` offsets of each sentence: split on . ! ? and line breaks."""
    for match in _SENTENCE.finditer(text):
        chunk = match.group(0)
        stripped = chunk.lstrip()
        if not _WORD.search(stripped):
            continue
        start = match.start() + (len(chunk) - len(stripped))
        yield start, match.end()


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def long_sentences(
    max_words: Mapping[str, int] | int,
    *,
    rule: str = "readability.long-sentence",
    severity: Severity = "warning",
    reason: str = "sentence has {words} words (limit {limit}); long sentences are hard to follow",
    suggestion: str = "split it into two or three short sentences",
) -> Check:
    """A check flagging sentences over ``max_words`` (an int, or a per-language mapping).

    >>> check = long_sentences({"en": 5})
    >>> [f.excerpt for f in check("Short one. This sentence is far too long.", "en")]
    ['This sentence is far too long.']
    """

    def check(text: str, lang: str) -> Iterator[Finding]:
        if isinstance(max_words, int):
            limit: int | None = max_words
        else:
            limit = max_words.get(lang, max_words.get(lang.split("-")[0]))
        if limit is None:
            return
        for start, end in sentences(text):
            words = word_count(text[start:end])
            if words > limit:
                yield finding_at(
                    text, start, end, rule=rule, severity=severity,
                    reason=reason.format(words=words, limit=limit), suggestion=suggestion,
                )

    return check


__all__ = [
    "SEVERITIES",
    "Check",
    "Finding",
    "Rule",
    "Severity",
    "blocking",
    "finding_at",
    "lint",
    "long_sentences",
    "position",
    "sentences",
    "word_count",
]
