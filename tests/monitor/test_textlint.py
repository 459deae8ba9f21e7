"""The generic lint engine: rules as data in, positioned findings out."""

from __future__ import annotations

import doctest

import pytest

from monitor import textlint
from monitor.textlint import Rule, blocking, lint, long_sentences, position

BLAME = Rule(
    id="blame", phrases=("human error", "should have"), severity="error",
    reason="blames people", suggestion="say what the system allowed instead of '{match}'",
)
JARGON_PT = Rule(id="jargon.pod", phrases=("pod",), langs=("pt-BR",), reason="jargon")


def test_docstring_examples_run() -> None:
    result = doctest.testmod(textlint)
    # attempted is pinned: a docstring example deleted or no longer collected fails here
    assert (result.failed, result.attempted) == (0, 6), result


def test_phrases_match_on_word_boundaries_any_case_and_spacing() -> None:
    text = "We should\n  have known. A podcast is not a Pod."
    found = lint(text, [BLAME, JARGON_PT], "pt-BR")
    assert [(f.rule, f.excerpt, f.line, f.column) for f in found] == [
        ("blame", "should\n  have", 1, 4),
        ("jargon.pod", "Pod", 2, 34),
    ]
    assert found[0].suggestion == "say what the system allowed instead of 'should\n  have'"


def test_language_filter_accepts_base_language() -> None:
    rule = Rule(id="r", phrases=("x",), langs=("pt",), reason="r")
    assert lint("x", [rule], "pt-BR") and not lint("x", [rule], "en")


def test_pattern_rules_and_blocking() -> None:
    ip = Rule(id="leak.ip", pattern=r"\b\d{1,3}(?:\.\d{1,3}){3}\b", reason="ip", severity="error")
    found = lint("host 10.0.0.12 is down; 5xx", [ip], "en")
    assert [f.excerpt for f in blocking(found)] == ["10.0.0.12"]


def test_long_sentences_check_per_language() -> None:
    check = long_sentences({"en": 3, "pt": 4})
    text = "One two three. One two three four."
    assert [f.excerpt for f in lint(text, [], "en", checks=[check])] == ["One two three four."]
    assert lint(text, [], "pt-BR", checks=[check]) == []
    assert lint(text, [], "de", checks=[check]) == []


def test_position_counts_from_one() -> None:
    assert position("ab\ncd", 0) == (1, 1)
    assert position("ab\ncd", 4) == (2, 2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "a", "reason": "r"}, "exactly one of 'pattern' or 'phrases'"),
        ({"id": "a", "reason": "r", "pattern": "(", }, "not a valid regular expression"),
        ({"id": "a", "reason": "r", "phrases": ["x"], "severity": "fatal"}, "is not one of info"),
        ({"id": "a", "reason": "r", "phrases": ["x"], "colour": 1}, "unknown rule keys ['colour']"),
        ({"id": "a", "reason": "r", "phrases": ["  "]}, "only empty strings"),
    ],
)
def test_bad_rules_say_what_to_fix(data: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Rule.from_dict(data)


def test_public_names_are_pinned() -> None:
    assert sorted(textlint.__all__) == sorted([
        "SEVERITIES", "Check", "Finding", "Rule", "Severity", "blocking", "finding_at", "lint",
        "long_sentences", "position", "sentences", "word_count",
    ])
