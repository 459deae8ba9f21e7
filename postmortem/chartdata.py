"""What a chart shows, as plain values; ``postmortem.charts`` draws it (matplotlib loads there only).

``SignalChart`` is the triggering signal of one incident: the points, the incident's
milestones (``Marker``), the alert threshold, the unit of the values and a human title
per language (the alert's ``summary`` annotation). It is language-free data: the
renderer draws it in the reader's language, so the same report reads right in both.

>>> unit_of("service:http_errors:ratio_rate5s")
'percent'
>>> unit_of('sum(rate(http_requests_total{code=~"5.."}[1m]))')
'per_second'
>>> unit_of('ALERTS{alertname="X"}')
'alert'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

MIN_MARGIN = timedelta(seconds=30)


@dataclass(frozen=True)
class Marker:
    at: datetime
    kind: str  # impact | detection | communication | fix | verification | resolved
    label: str = ""  # a catalogue word: "detected", "published", "corrected", …


@dataclass(frozen=True)
class SignalChart:
    points: list[tuple[datetime, float]]
    markers: list[Marker]
    unit: str = "value"  # a key of monitor.i18n.reports.Charts.unit
    threshold: float | None = None
    titles: Mapping[str, str] = field(default_factory=dict)  # lang -> title; "" key: any language
    name: str = ""  # the alert and its expression, for engineers (the caption)
    impact_started_at: datetime | None = None
    ended_at: datetime | None = None  # resolved, or the last milestone

    def title(self, lang: str) -> str:
        return self.titles.get(lang) or self.titles.get("", "") or self.name

    def span(self) -> tuple[datetime, datetime] | None:
        """The x range: the incident window with a margin each side (a quarter of its length,
        at least 30 s), kept inside the data; ``None`` without points."""
        if not self.points:
            return None
        first, last = self.points[0][0], self.points[-1][0]
        start = self.impact_started_at or first
        end = self.ended_at or last
        if end < start:
            start, end = end, start
        margin = max((end - start) / 4, MIN_MARGIN)
        low, high = max(first, start - margin), min(last, end + margin)
        if high <= low:
            return first, last
        return low, high


_RATE = re.compile(r"\b(?:i?rate)\s*\(|:rate|_rate\d", re.IGNORECASE)


def unit_of(expression: str) -> str:
    """A unit for a signal from its expression and metric names (Prometheus naming rules):
    ``percent`` for ratios (drawn ×100), ``per_second`` for rates, ``seconds``, ``bytes``,
    ``alert`` for the ``ALERTS`` series, else ``value``."""
    text = expression.strip()
    if text.startswith("ALERTS"):
        return "alert"
    if re.search(r"ratio|_percent|_pct\b", text):
        return "percent"
    if "_seconds" in text and re.search(r"histogram_quantile|quantile|:p\d\d", text):
        return "seconds"  # a latency quantile of a seconds histogram
    if _RATE.search(text) and not re.search(r"_seconds(?!_count|_sum|_bucket|_total)", text):
        return "per_second"
    if re.search(r"_seconds(?!_count|_total)", text):
        return "seconds"
    if "_bytes" in text:
        return "bytes"
    return "value"


def titles_from(annotations: Mapping[str, str]) -> dict[str, str]:
    """Chart titles from an alert's annotations: ``summary`` for every language, and
    ``summary_pt_BR`` / ``summary_en`` where the rule gives one per language."""
    out: dict[str, str] = {}
    if annotations.get("summary"):
        out[""] = annotations["summary"]
    for lang, key in (("pt-BR", "summary_pt_BR"), ("en", "summary_en")):
        if annotations.get(key):
            out[lang] = annotations[key]
    return out


def sort_markers(markers: Sequence[Marker]) -> list[Marker]:
    return sorted(markers, key=lambda m: m.at)
