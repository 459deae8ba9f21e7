"""PromQL syntax tree, and the signatures of PromQL's functions and aggregations.

Every node has ``pos`` (0-based character offset of its first character) and a
``type`` property naming the value it evaluates to: ``"scalar"``, ``"vector"``
(instant vector), ``"matrix"`` (range vector) or ``"string"``.
Durations are integer milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.promql.storage import Matcher

SCALAR = "scalar"
VECTOR = "vector"
MATRIX = "matrix"
STRING = "string"

#: Human names used in error messages, as Prometheus words them.
TYPE_NAMES = {SCALAR: "scalar", VECTOR: "instant vector", MATRIX: "range vector",
              STRING: "string"}


@dataclass(frozen=True)
class Function:
    """Signature of a PromQL function, as Prometheus declares it. With ``variadic``
    non-zero the last declared argument is optional and the call may have up to
    ``variadic`` of them (``-1``: unlimited); extra arguments take the last type."""

    name: str
    args: tuple[str, ...]
    ret: str
    variadic: int = 0


def _fn(name: str, args: str, ret: str = VECTOR, variadic: int = 0) -> Function:
    types = {"v": VECTOR, "m": MATRIX, "s": SCALAR, "S": STRING}
    return Function(name, tuple(types[c] for c in args), ret, variadic)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        *(_fn(n, "v") for n in (
            "abs", "absent", "acos", "acosh", "asin", "asinh", "atan", "atanh", "ceil", "cos",
            "cosh", "deg", "exp", "floor", "ln", "log10", "log2", "rad", "sgn", "sin", "sinh",
            "sort", "sort_desc", "sqrt", "tan", "tanh", "timestamp",
            "histogram_avg", "histogram_count", "histogram_sum", "histogram_stddev",
            "histogram_stdvar")),
        *(_fn(n, "m") for n in (
            "absent_over_time", "avg_over_time", "changes", "count_over_time", "delta", "deriv",
            "first_over_time", "idelta", "increase", "irate", "last_over_time", "mad_over_time",
            "max_over_time", "min_over_time", "present_over_time", "rate", "resets",
            "stddev_over_time", "stdvar_over_time", "sum_over_time", "ts_of_first_over_time",
            "ts_of_max_over_time", "ts_of_min_over_time", "ts_of_last_over_time")),
        *(_fn(n, "v", VECTOR, 1) for n in (
            "days_in_month", "day_of_month", "day_of_week", "day_of_year", "hour", "minute",
            "month", "year")),
        *(_fn(n, "", SCALAR) for n in ("end", "pi", "range", "start", "step", "time")),
        _fn("clamp", "vss"),
        _fn("clamp_max", "vs"),
        _fn("clamp_min", "vs"),
        _fn("double_exponential_smoothing", "mss"),
        _fn("histogram_fraction", "ssv"),
        _fn("histogram_quantile", "sv"),
        _fn("histogram_quantiles", "vSss", VECTOR, 9),
        _fn("label_replace", "vSSSS"),
        _fn("label_join", "vSSS", VECTOR, -1),
        _fn("max_of", "ss", SCALAR),
        _fn("min_of", "ss", SCALAR),
        _fn("predict_linear", "ms"),
        _fn("quantile_over_time", "sm"),
        _fn("round", "vs", VECTOR, 1),
        _fn("scalar", "v", SCALAR),
        _fn("sort_by_label", "vS", VECTOR, -1),
        _fn("sort_by_label_desc", "vS", VECTOR, -1),
        _fn("vector", "s"),
    ]
}

#: Aggregation operators and the type of their parameter, if they take one.
AGGREGATORS: dict[str, str | None] = {
    "sum": None, "avg": None, "count": None, "min": None, "max": None, "group": None,
    "stddev": None, "stdvar": None, "topk": SCALAR, "bottomk": SCALAR, "quantile": SCALAR,
    "count_values": STRING, "limitk": SCALAR, "limit_ratio": SCALAR,
}


class Expr:
    """Base class of all nodes."""

    pos: int

    @property
    def type(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(eq=False)
class NumberLiteral(Expr):
    value: float
    pos: int = 0

    @property
    def type(self) -> str:
        return SCALAR


@dataclass(eq=False)
class StringLiteral(Expr):
    value: str
    pos: int = 0

    @property
    def type(self) -> str:
        return STRING


@dataclass(eq=False)
class AtModifier:
    """``@ <timestamp>`` (``at_ms`` set) or ``@ start()`` / ``@ end()`` (``special``)."""

    at_ms: int | None = None
    special: str | None = None  # "start" | "end"


@dataclass(eq=False)
class VectorSelector(Expr):
    name: str | None
    matchers: list[Matcher]
    offset_ms: int = 0
    at: AtModifier | None = None
    pos: int = 0

    @property
    def type(self) -> str:
        return VECTOR


@dataclass(eq=False)
class MatrixSelector(Expr):
    selector: VectorSelector
    range_ms: int
    pos: int = 0

    @property
    def type(self) -> str:
        return MATRIX


@dataclass(eq=False)
class SubqueryExpr(Expr):
    expr: Expr
    range_ms: int
    step_ms: int  # 0 = engine default
    offset_ms: int = 0
    at: AtModifier | None = None
    pos: int = 0

    @property
    def type(self) -> str:
        return MATRIX


@dataclass(eq=False)
class ParenExpr(Expr):
    expr: Expr
    pos: int = 0

    @property
    def type(self) -> str:
        return self.expr.type


@dataclass(eq=False)
class UnaryExpr(Expr):
    op: str  # "-" or "+"
    expr: Expr
    pos: int = 0

    @property
    def type(self) -> str:
        return self.expr.type


@dataclass(eq=False)
class VectorMatching:
    """How two instant vectors are matched in a binary operation."""

    card: str = "one-to-one"  # one-to-one | many-to-one | one-to-many | many-to-many
    on: bool = False
    labels: list[str] = field(default_factory=list)
    include: list[str] = field(default_factory=list)  # group_left/right(labels)


@dataclass(eq=False)
class BinaryExpr(Expr):
    op: str
    lhs: Expr
    rhs: Expr
    return_bool: bool = False
    matching: VectorMatching | None = None  # set when both sides are vectors
    pos: int = 0

    def __post_init__(self) -> None:
        # computed once: long operator chains would otherwise recurse on every access
        both_scalar = self.lhs.type == SCALAR and self.rhs.type == SCALAR
        self._type = SCALAR if both_scalar else VECTOR

    @property
    def type(self) -> str:
        return self._type


@dataclass(eq=False)
class Call(Expr):
    func: str
    args: list[Expr]
    pos: int = 0

    @property
    def type(self) -> str:
        return FUNCTIONS[self.func].ret


@dataclass(eq=False)
class AggregateExpr(Expr):
    op: str
    expr: Expr
    param: Expr | None = None
    grouping: list[str] = field(default_factory=list)
    without: bool = False
    pos: int = 0

    @property
    def type(self) -> str:
        return VECTOR


def unwrap_parens(e: Expr) -> Expr:
    """Strip any number of enclosing parentheses."""
    while isinstance(e, ParenExpr):
        e = e.expr
    return e


def children(e: Expr) -> list[Expr]:
    """The expressions directly under ``e`` (a matrix selector's vector selector included)."""
    if isinstance(e, ParenExpr | UnaryExpr | SubqueryExpr):
        return [e.expr]
    if isinstance(e, MatrixSelector):
        return [e.selector]
    if isinstance(e, BinaryExpr):
        return [e.lhs, e.rhs]
    if isinstance(e, Call):
        return list(e.args)
    if isinstance(e, AggregateExpr):
        return [e.expr] if e.param is None else [e.param, e.expr]
    return []
