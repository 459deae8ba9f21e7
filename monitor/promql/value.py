"""Result values of PromQL evaluation: :class:`Scalar`, :class:`String`, :class:`Vector`
of :class:`Sample`, :class:`Matrix` of :class:`RangeSeries`.

Labels are :data:`~monitor.promql.labels.Labels` (see :mod:`monitor.promql.labels`).
Timestamps are integer milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from monitor.promql.errors import EvalError
from monitor.promql.labels import Labels, drop_name, format_labels


def format_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v) if v != int(v) or abs(v) >= 1e15 else str(int(v))


class Sample:
    """One sample: a label set, a value and a time. The element of an instant vector
    (``t_ms`` is the sample's own timestamp for raw selector output, otherwise the
    evaluation time; ``drop_name`` marks a metric name to be dropped at the end of the
    query) and what a rule group outputs (recording rules, ``ALERTS``, stale markers)."""

    __slots__ = ("drop_name", "labels", "t_ms", "value")

    def __init__(self, labels: Labels, value: float, t_ms: int, drop_name: bool = False) -> None:
        self.labels = labels
        self.value = value
        self.t_ms = t_ms
        self.drop_name = drop_name

    def __repr__(self) -> str:
        return f"{format_labels(self.labels)} => {format_value(self.value)} @{self.t_ms}"


class Vector(list[Sample]):
    """An instant vector: a list of :class:`Sample`."""


@dataclass
class Scalar:
    value: float
    t_ms: int = 0


@dataclass
class String:
    value: str
    t_ms: int = 0


@dataclass
class RangeSeries:
    """One series of a range vector / range-query result: parallel ``ts``/``vs`` lists."""

    labels: Labels
    ts: list[int] = field(default_factory=list)
    vs: list[float] = field(default_factory=list)
    drop_name: bool = False

    @property
    def points(self) -> list[tuple[int, float]]:
        return list(zip(self.ts, self.vs, strict=True))

    def __repr__(self) -> str:
        pts = " ".join(f"{format_value(v)}@{t}" for t, v in zip(self.ts, self.vs, strict=True))
        return f"{format_labels(self.labels)} => {pts}"


class Matrix(list[RangeSeries]):
    """A range vector: a list of :class:`RangeSeries`."""


Value = Scalar | String | Vector | Matrix


def finish_vector(vec: Vector, t: int) -> Vector:
    """A query's final instant vector: marked metric names dropped, duplicate label sets
    rejected, every sample stamped with the evaluation time ``t``."""
    out = Vector()
    seen: set[Labels] = set()
    for s in vec:
        lbls = drop_name(s.labels) if s.drop_name else s.labels
        if lbls in seen:
            raise EvalError("vector cannot contain metrics with the same labelset")
        seen.add(lbls)
        out.append(Sample(lbls, s.value, t))
    return out


def finish_matrix(mat: Matrix) -> Matrix:
    """A query's final range vector: marked metric names dropped, duplicate label sets
    rejected."""
    out = Matrix()
    seen: set[Labels] = set()
    for rs in mat:
        lbls = drop_name(rs.labels) if rs.drop_name else rs.labels
        if lbls in seen:
            raise EvalError("vector cannot contain metrics with the same labelset")
        seen.add(lbls)
        out.append(RangeSeries(lbls, rs.ts, rs.vs))
    return out
