"""Verdicts and impact as lines for people (CLI, demo), in their language.

The words are in ``monitor.i18n.verdicts``; this module only lays them out. Queries are
shown as they ran (PromQL is the same in every language).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from monitor.i18n import duration, number, when
from monitor.i18n.verdicts import ImpactWords, Verdicts, fix_text, p_value, percent, reasons

__all__ = ["impact_figures", "impact_lines", "public_impact", "verdict_lines"]


def verdict_lines(payload: Mapping[str, Any], lang: str = "en") -> list[str]:
    """A verdict and its evidence: the reasons, how the soak was placed, the tests, the queries."""
    said = reasons(payload, lang)
    lines = [f"{fix_text(payload.get('fix'), lang, str(payload.get('outcome')))}: "
             + ("; ".join(said) or "—")]
    settling = payload.get("settling") or {}
    if settling.get("inactive_at"):
        since, inactive = settling["since"], settling["inactive_at"]
        lag = (datetime.fromisoformat(inactive) - datetime.fromisoformat(since)).total_seconds()
        lines.append("  " + Verdicts.settled(lang, inactive=when(inactive, lang, seconds=True),
                                             lag=duration(lag, lang), since=when(since, lang, seconds=True),
                                             wait=duration(settling.get("wait_seconds"), lang)))
    window = payload.get("window") or {}
    if window.get("start"):
        kind = (payload.get("baseline_window") or {}).get("kind")
        lines.append("  " + Verdicts.soak(lang, start=when(window["start"], lang, seconds=True),
                                          end=when(window["end"], lang, seconds=True),
                                          length=window.get("length", "—"),
                                          baseline=Verdicts.baseline_kind(lang, kind) if kind else "—"))
    tests = payload.get("tests") or {}
    errors = tests.get("errors")
    if errors:
        lines.append(f"  {errors['test']}: {errors['soak_errors']}/{errors['soak_requests']} vs "
                     f"{errors['baseline_errors']}/{errors['baseline_requests']}, allowed "
                     f"{percent(errors['allowed_ratio'], lang, 4)}, p(below) {p_value(errors['p_value_below'])}, "
                     f"p(above) {p_value(errors['p_value_above'])} → {errors['result']}")
    latency = tests.get("latency")
    if latency:
        lines.append(f"  {latency['test']}: {latency['soak_median_seconds']} s vs "
                     f"{latency['baseline_median_seconds']} s, p {p_value(latency['p_value'])} → "
                     f"{latency['result']}")
    queries = dict(payload.get("queries") or {})
    if settling.get("query"):
        queries.setdefault("settling", settling["query"])
    for name, query in sorted(queries.items()):
        lines.append(f"  {name}: {query}")
    return lines


def impact_figures(impact: Mapping[str, Any] | None, lang: str) -> list[tuple[str, str, str, str]]:
    """``(name, label, value, query)`` per figure; a figure without data says so, never a
    default."""
    missing = ImpactWords.not_measured(lang)
    if not impact:
        return []
    queries = impact.get("queries") or {}

    def count(value: Any) -> str:
        return number(round(value), lang, digits=0) if isinstance(value, int | float) else missing

    rows = [
        ("started_at", ImpactWords.started(lang),
         when(impact.get("started_at"), lang, seconds=True) or missing, queries.get("error_ratio", "")),
        ("ended_at", ImpactWords.ended(lang), when(impact.get("ended_at"), lang, seconds=True)
         or (ImpactWords.still_ongoing(lang) if impact.get("started_at") else missing),
         queries.get("error_ratio", "")),
        ("duration_seconds", ImpactWords.lasted(lang),
         duration(impact.get("duration_seconds"), lang, empty=missing), ""),
        ("affected_requests", ImpactWords.affected_requests(lang), count(impact.get("affected_requests")),
         queries.get("affected_requests", "")),
        ("total_requests", ImpactWords.total_requests(lang), count(impact.get("total_requests")),
         queries.get("total_requests", "")),
        ("errors_served", ImpactWords.errors_served(lang), count(impact.get("errors_served")),
         queries.get("errors_served", "")),
        ("affected_users", ImpactWords.affected_users(lang), count(impact.get("affected_users")),
         queries.get("affected_users", "")),
        ("peak_error_ratio", ImpactWords.peak_error_ratio(lang),
         percent(impact.get("peak_error_ratio"), lang, 1)
         if impact.get("peak_error_ratio") is not None else missing, queries.get("error_ratio", "")),
    ]
    for budget in impact.get("error_budget") or []:
        consumed = budget.get("budget_consumed")
        rows.append((f"error_budget:{budget.get('slo')}", ImpactWords.budget(lang, slo=budget.get("slo", "?")),
                     percent(consumed, lang, 1) if isinstance(consumed, int | float) else missing,
                     str(queries.get(f"slo:{budget.get('slo')}:bad", ""))))
    return rows


def impact_lines(impact: Mapping[str, Any] | None, lang: str = "en") -> list[str]:
    if not impact:
        return [ImpactWords.none_measured(lang)]
    lines = [f"{label}: {value}" for _, label, value, _ in impact_figures(impact, lang)]
    for name, query in sorted((impact.get("queries") or {}).items()):
        lines.append(f"  {ImpactWords.query(lang)} {name}: {query}")
    return lines


def public_impact(impact: Mapping[str, Any] | None, lang: str) -> str:
    """The impact in plain words for a public notice (how long, how many requests failed, how
    many people where the signals carry them): no queries, no jargon; what was not measured
    is said, never guessed."""
    if not impact or not impact.get("started_at"):
        return ImpactWords.public_not_measured(lang)
    parts = []
    if impact.get("ended_at") and impact.get("duration_seconds") is not None:
        parts.append(ImpactWords.public_lasted(
            lang, duration=duration(impact["duration_seconds"], lang),
            start=when(impact["started_at"], lang, seconds=True),
            end=when(impact["ended_at"], lang, seconds=True)))
    failed, total = impact.get("affected_requests"), impact.get("total_requests")
    if isinstance(failed, int | float) and isinstance(total, int | float):
        n = round(failed)
        parts.append(ImpactWords.public_failed(lang, n, shown=number(n, lang, digits=0),
                                               total=number(round(total), lang, digits=0)))
    else:
        parts.append(ImpactWords.public_not_measured(lang))
    users = impact.get("affected_users")
    if isinstance(users, int | float) and users > 0:
        parts.append(ImpactWords.public_users(lang, users=number(round(users), lang, digits=0)))
    return " ".join(parts)
