"""Two query answers in Prometheus's JSON form, and what differs between them.

Both sides are the body Prometheus's HTTP API answers (``{"status": ..., "data": ...}``);
:func:`answer` reads one into an :class:`Answer`, :func:`differences` lists what differs.
Values are equal when within 1e-9 relative, NaN equals NaN, and infinities and zeros
must have the same sign (the JSON writes ``"-0"``, ``"-Inf"``). Label sets are exact.
Series order matters only where the query defines it (``sort``, ``sort_desc``,
``sort_by_label``); there the values must come in the same order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

REL_TOL = 1e-9

Labels = tuple[tuple[str, str], ...]
Points = tuple[tuple[int, str], ...]


@dataclass(frozen=True)
class Answer:
    """A query's outcome: an error (``error_type``, ``error``) or a result: ``series`` of
    (labels, points) in the order given; a scalar is one series without labels."""

    result_type: str  # "vector", "matrix", "scalar", "string" or "error"
    series: tuple[tuple[Labels, Points], ...] = ()
    error_type: str = ""
    error: str = ""

    @property
    def failed(self) -> bool:
        return self.result_type == "error"

    def by_labels(self) -> dict[Labels, Points]:
        return dict(self.series)

    def short(self, limit: int = 6) -> str:
        if self.failed:
            return f"error {self.error_type}: {self.error}"
        shown = [f"{_fmt_labels(lb)} {' '.join(v for _, v in pts[:4])}"
                 + (" ..." if len(pts) > 4 else "") for lb, pts in self.series[:limit]]
        more = f" (+{len(self.series) - limit} more)" if len(self.series) > limit else ""
        return f"{self.result_type} [{'; '.join(shown)}]{more}"


def _fmt_labels(labels: Labels) -> str:
    return "{" + ",".join(f"{k}={v!r}" for k, v in labels) + "}"


def _ms(t: float | int) -> int:
    return round(float(t) * 1000)


def answer(body: dict[str, Any]) -> Answer:
    """An :class:`Answer` from an API response body (success or error)."""
    if body.get("status") != "success":
        message = str(body.get("error", ""))
        prefix = 'invalid parameter "query": '
        if message.startswith(prefix):
            message = message[len(prefix):]
        return Answer("error", error_type=str(body.get("errorType", "")), error=message)
    data = body["data"]
    kind = data["resultType"]
    result = data["result"]
    if kind in ("scalar", "string"):
        return Answer(kind, (((), ((_ms(result[0]), str(result[1])),)),))
    series = []
    for item in result:
        labels = tuple(sorted(item["metric"].items()))
        points = [item["value"]] if kind == "vector" else item.get("values", [])
        series.append((labels, tuple((_ms(t), str(v)) for t, v in points)))
    return Answer(kind, tuple(series))


def same_value(ours: str, theirs: str, rel_tol: float = REL_TOL) -> bool:
    """Equal within ``rel_tol`` relative; NaN equals NaN; signs of zero and
    infinities must agree."""
    if ours == theirs:
        return True
    a, b = float(ours), float(theirs)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b) or a == 0 or b == 0:
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    return math.isclose(a, b, rel_tol=rel_tol)


@dataclass(frozen=True)
class Difference:
    """One way two answers differ. ``kind``: ``status`` (one failed), ``error`` (both
    failed, differently), ``type`` (result types), ``missing`` (a series only
    Prometheus has), ``extra`` (only Candor), ``points`` (a series' timestamps differ),
    ``value``, ``order``."""

    kind: str
    labels: Labels = ()
    t_ms: int = 0
    theirs: str = ""
    ours: str = ""

    def __str__(self) -> str:
        where = f" {_fmt_labels(self.labels)}" if self.labels else ""
        at = f" @{self.t_ms}" if self.t_ms else ""
        return f"{self.kind}{where}{at}: prometheus {self.theirs!r}, candor {self.ours!r}"


def differences(theirs: Answer, ours: Answer, *, ordered: bool = False,
                rel_tol: float | None = None) -> list[Difference]:
    """Everything that differs between Prometheus's answer and Candor's; empty if none."""
    tol = REL_TOL if rel_tol is None else rel_tol
    if theirs.failed or ours.failed:
        if theirs.failed and ours.failed:
            if (theirs.error_type, theirs.error) == (ours.error_type, ours.error):
                return []
            return [Difference("error", theirs=theirs.error, ours=ours.error)]
        return [Difference("status", theirs=theirs.short(), ours=ours.short())]
    if theirs.result_type != ours.result_type:
        return [Difference("type", theirs=theirs.result_type, ours=ours.result_type)]
    out: list[Difference] = []
    mine, yours = ours.by_labels(), theirs.by_labels()
    for labels, points in theirs.series:
        if labels not in mine:
            out.append(Difference("missing", labels, theirs=" ".join(v for _, v in points[:5])))
            continue
        out.extend(_points(labels, points, mine[labels], tol))
    for labels, points in ours.series:
        if labels not in yours:
            out.append(Difference("extra", labels, ours=" ".join(v for _, v in points[:5])))
    if ordered and not out:
        a = [pts[0][1] for _, pts in theirs.series]
        b = [pts[0][1] for _, pts in ours.series]
        if not all(same_value(x, y, tol) for x, y in zip(a, b, strict=True)):
            out.append(Difference("order", theirs=" ".join(a), ours=" ".join(b)))
    return out


def _points(labels: Labels, theirs: Points, ours: Points, tol: float) -> list[Difference]:
    if [t for t, _ in theirs] != [t for t, _ in ours]:
        only_theirs = sorted({t for t, _ in theirs} - {t for t, _ in ours})
        only_ours = sorted({t for t, _ in ours} - {t for t, _ in theirs})
        return [Difference("points", labels, theirs=f"only at {only_theirs[:5]}",
                           ours=f"only at {only_ours[:5]}")]
    return [Difference("value", labels, t, a, b)
            for (t, a), (_, b) in zip(theirs, ours, strict=True) if not same_value(b, a, tol)]
