"""Alerts and silences as plain values, with Prometheus/Alertmanager semantics.

>>> fingerprint({"alertname": "a"})  # the same 16 hex digits Alertmanager shows
'd258efc389808447'
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1
_SEPARATOR = 0xFF


def fingerprint(labels: dict[str, str]) -> str:
    """FNV-1a 64 over the sorted label set, as Prometheus's ``LabelSet.Fingerprint``."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for chunk in (name.encode(), bytes([_SEPARATOR]), labels[name].encode(), bytes([_SEPARATOR])):
            for byte in chunk:
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def group_key(labels: dict[str, str], group_by: list[str]) -> tuple[str, dict[str, str]]:
    """The routing group an alert belongs to, and the labels that define it."""
    grouped = {name: labels[name] for name in group_by if name in labels}
    digest = hashlib.sha256(json.dumps(grouped, sort_keys=True).encode()).hexdigest()[:32]
    return digest, grouped


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    generator_url: str = ""
    status: AlertStatus = AlertStatus.FIRING

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")


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
