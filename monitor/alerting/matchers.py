"""Label matchers (``name="v"``, ``!=``, ``=~``, ``!~``) as plain values, as Alertmanager's:
parsed from silences, the API and the CLI, and matched against an alert's labels.

>>> parse_matcher('severity=~"critical|page"').matches({"severity": "page"})
True
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class MatchOp(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"


@dataclass(frozen=True)
class Matcher:
    """A label matcher; regexes are fully anchored, as in Prometheus."""

    name: str
    value: str
    op: MatchOp = MatchOp.EQ

    def matches(self, labels: dict[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op is MatchOp.EQ:
            return actual == self.value
        if self.op is MatchOp.NE:
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op is MatchOp.RE else not hit

    def __str__(self) -> str:
        return f'{self.name}{self.op}"{self.value}"'


_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"?(.*?)"?\s*$')


def parse_matcher(text: str) -> Matcher:
    """``'severity=~"critical|page"'`` → Matcher; ``ValueError`` says the accepted form."""
    match = _MATCHER.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a matcher (expected name=value, name!=value, name=~regex or name!~regex)"
        )
    matcher = Matcher(match.group(1), match.group(3), MatchOp(match.group(2)))
    if matcher.op in (MatchOp.RE, MatchOp.NRE):
        try:
            re.compile(matcher.value)
        except re.error as exc:
            raise ValueError(f"{text!r}: invalid regular expression: {exc}") from None
    return matcher


def matches_all(matchers: list[Matcher], labels: dict[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
