"""When the soak starts: after the alert expression has gone inactive, never on a lagging signal.

A fix is usually recorded the moment the errors stop, but the alert expression stays
active a little longer: its ``rate(…[5m])`` still holds the bad samples, each recording
rule it reads adds an evaluation interval, and Alertmanager's resolve notification comes
later still. Judging from the fix's own moment would call a good fix regressed. So:

- **since** — the latest of: verification began, the fix went out (never before detection:
  a fix deployed before the alert fired is judged from when verification began);
- **inactive at** — the first step at or after *since* where the alert expression has no
  value while the request series do (a gap in the data is not a recovery);
- **soak** — ``[inactive at, inactive at + window]``;
- **bounded wait** — the expression must go inactive by ``since + wait``, where
  ``wait = window + lag`` and ``lag = longest range in the expression (recording rules
  expanded) + one evaluation interval per rule in the chain + one resolution step``.
  A rule whose recording rules Candor cannot see gets the window again as its lag.

"Regressed" from the expression means one of two things, and the verdict says which:
``active_again`` (it became active after having gone inactive, within the soak) or
``never_inactive`` (still active at ``since + wait``). A significant error ratio during
the soak is judged apart (``monitor.verification.judge``).

Pure: plain numbers in (Unix seconds), plain values out.

    >>> timing("rate(x[5m]) > 1", recording={}, interval=15).lag(15)
    330.0
    >>> settle([100.0, 115.0], None, since=100.0, now=200.0, step=15, wait=300).inactive_at
    130.0
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from monitor.promql import PromQLError, ast
from monitor.promql.parser import parse_expr

__all__ = ["Settling", "Timing", "settle", "timing"]

MAX_DEPTH = 8
"""Recording rules reading recording rules: followed this deep, then the lag is unknown."""


@dataclass(frozen=True)
class Timing:
    """What delays the alert expression after the errors stop."""

    longest_range: float | None
    """Seconds; ``None`` when a recording rule it reads is unknown (or it does not parse)."""
    rules: int
    """Rules in the chain: the alert's own plus the recording rules it reads, transitively."""
    interval: float

    def lag(self, step: float, *, fallback: float = 0.0) -> float:
        if self.longest_range is None:
            return fallback
        return self.longest_range + self.rules * self.interval + step

    def as_evidence(self, step: float, fallback: float) -> dict[str, float | int | None]:
        return {"longest_range_seconds": self.longest_range, "rules_in_chain": self.rules,
                "evaluation_interval_seconds": self.interval,
                "lag_seconds": self.lag(step, fallback=fallback)}


def _walk(node: ast.Expr, recording: Mapping[str, str], depth: int,
          seen: set[str]) -> tuple[float | None, int]:
    """``(longest range in seconds, recording rules read)``; ``None`` for an unknown one."""
    longest, rules = 0.0, 0
    stack = [node]
    while stack:
        e = stack.pop()
        if isinstance(e, ast.MatrixSelector | ast.SubqueryExpr):
            longest = max(longest, e.range_ms / 1000)
        if isinstance(e, ast.VectorSelector) and e.name and ":" in e.name:
            # a recording rule by Prometheus's naming convention (level:metric:operations)
            if e.name in seen:
                continue
            text = recording.get(e.name)
            if text is None or depth >= MAX_DEPTH:
                return None, rules
            try:
                inner, more = _walk(parse_expr(text), recording, depth + 1, seen | {e.name})
            except PromQLError:
                return None, rules
            if inner is None:
                return None, rules
            longest, rules = max(longest, inner), rules + 1 + more
        stack.extend(ast.children(e))
    return longest, rules


def timing(expr: str, *, recording: Mapping[str, str], interval: float) -> Timing:
    """The :class:`Timing` of an alert expression; ``recording`` maps recording-rule names to
    their expressions (the loaded rule groups, or Prometheus's ``/api/v1/rules``)."""
    try:
        longest, rules = _walk(parse_expr(expr), recording, 0, set())
    except PromQLError:
        longest, rules = None, 0
    return Timing(longest, rules + 1, interval)


@dataclass(frozen=True)
class Settling:
    status: Literal["waiting", "inactive", "never_inactive"]
    since: float
    deadline: float
    inactive_at: float | None = None
    active_after: list[float] = field(default_factory=list)
    """Steps after ``inactive_at`` (up to ``now``) where the expression was active again."""
    active_before: int = 0
    """Steps from ``since`` where it was still active (the lag, as seen)."""


def settle(active: Iterable[float], present: Iterable[float] | None, *, since: float, now: float,
           step: float, wait: float) -> Settling:
    """Where the expression stands (see the module docstring).

    ``active``: the range query's timestamps (grid ``since + k·step``) where the alert
    expression had a value; ``present``: the timestamps where the request series had one
    (``None``: not known, every step counts as present)."""
    def index(t: float) -> int:
        return round((t - since) / step)

    on = {index(t) for t in active}
    seen = None if present is None else {index(t) for t in present}
    deadline = since + wait
    last = int((min(now, deadline) - since) // step) if now >= since else -1
    for k in range(last + 1):
        if k not in on and (seen is None or k in seen):
            inactive_at = since + k * step
            after = sorted(since + j * step for j in on if j > k and since + j * step <= now)
            return Settling("inactive", since, deadline, inactive_at, after, active_before=k)
    if now >= deadline:
        return Settling("never_inactive", since, deadline, active_before=len(on))
    return Settling("waiting", since, deadline, active_before=len(on))
