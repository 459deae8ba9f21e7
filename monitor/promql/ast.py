"""PromQL syntax tree.

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
        from monitor.promql.parser import FUNCTIONS

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
