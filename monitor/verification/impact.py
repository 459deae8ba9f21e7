"""Impact from the series: when it started and ended, and what it cost.

``bounds(...)`` is pure: the error-ratio points, the points where the alert expression
had a value, the ratio allowed by the baseline and the detection time go in; impact
start and end come out. Start is the beginning of the unbroken bad run that contains
(or ends at) detection — "bad" meaning the alert expression had a value *or* the error
ratio was above the allowed ratio — so it is usually *before* the alert fired. End is
one step after the last bad point; ``None`` while the last point is still bad.

``measure(source, queries, …)`` runs the queries (I/O through a ``Queryable``) and returns
an :class:`Impact` whose ``as_payload()`` is what the ``impact.measured`` event keeps,
queries included, so every figure can be checked by running them again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.config.slo import SLO, expand
from monitor.promsource import Queryable
from monitor.verification.signal import Queries, _seconds, instant_value, range_points

__all__ = ["Impact", "bounds", "measure"]


def bounds(ratio: Sequence[tuple[float, float]], active: Sequence[float], allowed: float,
           detected: float, step: float) -> tuple[float | None, float | None]:
    """``(start, end)`` in Unix seconds (see the module docstring); ``(None, None)`` without
    any bad point."""
    bad = sorted({t for t, v in ratio if v > allowed} | set(active))
    if not bad:
        return None, None
    gap = 1.5 * step
    # the run containing detection: last bad point at or before detection (+ a step's slack)
    anchor = max((t for t in bad if t <= detected + gap), default=None)
    if anchor is None:
        anchor = bad[0]
    i = bad.index(anchor)
    start = anchor
    while i > 0 and bad[i] - bad[i - 1] <= gap:
        i -= 1
        start = bad[i]
    j = bad.index(anchor)
    while j + 1 < len(bad) and bad[j + 1] - bad[j] <= gap:
        j += 1
    last_bad = bad[j]
    seen = [t for t, _ in ratio] + list(active)
    last_seen = max(seen) if seen else last_bad
    end = None if last_bad >= last_seen else last_bad + step
    return start, end


@dataclass(frozen=True)
class Impact:
    started_at: datetime | None
    ended_at: datetime | None
    duration_seconds: float | None
    errors_served: float | None
    affected_requests: float | None
    total_requests: float | None
    affected_users: float | None
    peak_error_ratio: float | None
    error_budget: list[dict[str, Any]] = field(default_factory=list)
    queries: dict[str, str] = field(default_factory=dict)
    step_seconds: float = 0.0
    allowed_ratio: float | None = None

    def figures(self) -> dict[str, Any]:
        """The figures alone (what a late-data recomputation compares)."""
        out = self.as_payload()
        out.pop("queries")
        return out

    def as_payload(self) -> dict[str, Any]:
        out = asdict(self)
        for name in ("started_at", "ended_at"):
            value = out[name]
            out[name] = value.isoformat() if value is not None else None
        return out


def _at(t: float | None) -> datetime | None:
    return datetime.fromtimestamp(t, tz=UTC) if t is not None else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return round(value, digits) if value is not None else None


def measure(source: Queryable, queries: Queries, *, detected: float, now: float, lookback: float,
            step: float, allowed: float, slos: Sequence[SLO] = ()) -> Impact:
    """Read the series around the incident and compute its impact (``CandorError`` on a
    failed query). ``lookback`` is how far before detection impact start is searched."""
    shown: dict[str, str] = {}
    ratio_q, start_s = queries.ratio(step), detected - lookback
    ratio: list[tuple[float, float]] = []
    if ratio_q:
        shown["error_ratio"] = ratio_q
        ratio = range_points(source, ratio_q, start_s, now, step, queries.alert_labels)
    active: list[float] = []
    if queries.alert:
        shown["alert"] = queries.alert
        active = [t for t, _ in range_points(source, queries.alert, start_s, now, step,
                                             queries.alert_labels)]
    start, end = bounds(ratio, active, allowed, detected, step)
    if start is None:
        return Impact(None, None, None, None, None, None, None, None, [], shown, step, allowed)
    until = end if end is not None else now
    span = max(until - start, step)
    counts: dict[str, float | None] = {}
    for name, which in (("affected_requests", "errors"), ("total_requests", "total"),
                        ("errors_served", "served"), ("affected_users", "users")):
        text = getattr(queries, which)
        if not text:
            counts[name] = None
            continue
        if which == "users":
            expr = text.replace("$window", _seconds(span))
            shown[name] = f"{expr} @ {until:.3f}"
            counts[name] = _round(instant_value(source, expr, until), 0)
            continue
        expr = queries.count(which, span)
        assert expr is not None
        shown[name] = f"({expr}) * {span:g} @ {until:.3f}"
        value = instant_value(source, expr, until)
        counts[name] = _round(value * span if value is not None else None, 0)
    inside = [v for t, v in ratio if start <= t <= until]
    peak = max(inside) if inside else None
    budgets = []
    for slo in slos:
        budgets.append(_budget(source, slo, span, until, shown))
    return Impact(_at(start), _at(end), round(until - start, 3) if end is not None else None,
                  counts["errors_served"], counts["affected_requests"], counts["total_requests"],
                  counts["affected_users"], _round(peak, 6), budgets, shown, step, allowed)


def _budget(source: Queryable, slo: SLO, span: float, until: float,
            shown: dict[str, str]) -> dict[str, Any]:
    """Share of the SLO's error budget for its whole window that the impact consumed:
    bad events during impact / ((1 − objective) × events over the SLO window)."""
    rng, period = _seconds(span), slo.period.total_seconds()
    sli = slo.sli
    bad_q = expand(sli.bad, rng) if sli.bad else f"({expand(sli.total, rng)} - {expand(sli.good or '', rng)})"
    total_q = expand(sli.total, _seconds(period))
    shown[f"slo:{slo.name}:bad"] = f"({bad_q}) * {span:g} @ {until:.3f}"
    shown[f"slo:{slo.name}:total"] = f"({total_q}) * {period:g} @ {until:.3f}"
    bad = instant_value(source, bad_q, until)
    total = instant_value(source, total_q, until)
    consumed = None
    if bad is not None and total:
        consumed = round(bad * span / ((1 - slo.objective) * total * period), 6)
    return {"slo": slo.name, "service": slo.service, "objective": slo.objective,
            "window": _seconds(period), "bad_events": _round(bad * span if bad is not None else None, 0),
            "budget_consumed": consumed}
