"""Result values of PromQL evaluation.

Labels are an immutable, name-sorted tuple of ``(name, value)`` pairs
(:data:`Labels`); use :func:`labels_from` / :func:`labels_dict` to convert.
Timestamps are integer milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.promql.errors import EvalError

Labels = tuple[tuple[str, str], ...]
NAME = "__name__"


def labels_from(mapping: Mapping[str, str]) -> Labels:
    """Canonical :data:`Labels` from a mapping; empty values are dropped, as in Prometheus."""
    return tuple(sorted((k, v) for k, v in mapping.items() if v != ""))


def labels_dict(labels: Labels) -> dict[str, str]:
    return dict(labels)


def label_get(labels: Labels, name: str) -> str:
    for k, v in labels:
        if k == name:
            return v
    return ""


#: Labels describing the metric's schema, removed together with the name
#: (Prometheus's ``schema.IsMetadataLabel``).
METADATA_LABELS = frozenset({NAME, "__type__", "__unit__"})


def drop_name(labels: Labels) -> Labels:
    """Remove the metric name (and the ``__type__``/``__unit__`` metadata labels)."""
    for k, _ in labels:
        if k in METADATA_LABELS:
            return tuple(p for p in labels if p[0] not in METADATA_LABELS)
    return labels


def format_labels(labels: Labels) -> str:
    """``{a="1", b="2"}`` with the metric name pulled out front, like Prometheus."""
    name = label_get(labels, NAME)
    rest = ", ".join(f'{k}="{_escape(v)}"' for k, v in labels if k != NAME)
    if name and not rest:
        return name
    return f"{name}{{{rest}}}"


def labels_string(labels: Labels) -> str:
    """Prometheus ``labels.Labels.String()``: ``{__name__="x", a="1"}``."""
    return "{" + ", ".join(f'{k}="{_escape(v)}"' for k, v in labels) + "}"


def _escape(v: str) -> str:
    return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def format_value(v: float) -> str:
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "+Inf" if v > 0 else "-Inf"
    return repr(v) if v != int(v) or abs(v) >= 1e15 else str(int(v))


class Sample:
    """One element of an instant vector. ``t_ms`` is the sample's own timestamp
    for raw selector output, otherwise the evaluation time."""

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
