"""What a PromQL function or aggregation may ask of the query being evaluated:
:class:`EvalContext`, the part of :class:`~monitor.promql.engine.Evaluator` that
:mod:`monitor.promql.functions` and :mod:`monitor.promql.aggregation` use.

Those modules are called by the evaluator and call back into it; typing their first
argument with this protocol, not with the evaluator class, keeps the imports one way:
``engine`` imports them, they never import ``engine``.
"""

from __future__ import annotations

from typing import Protocol

from monitor.promql import ast
from monitor.promql.labels import Labels
from monitor.promql.plan import QueryPlan
from monitor.promql.storage import Rows, Window
from monitor.promql.value import Matrix, Value, Vector

__all__ = ["EvalContext"]


class EvalContext(Protocol):
    """One query under evaluation. ``start_ms``/``end_ms``/``step_ms`` describe the whole
    query (equal start and end, step 0 for an instant query); ``summaries`` holds the
    storage window summaries of the selectors only ``rate``-like functions read, by
    ``id`` of the selector."""

    plan: QueryPlan
    start_ms: int
    end_ms: int
    step_ms: int
    summaries: dict[int, list[Rows | Window]]
    delayed: bool
    """Delayed name removal (``Engine(delayed_name_removal=...)``)."""

    def eval(self, node: ast.Expr, t: int) -> Value: ...

    def eval_vector(self, node: ast.Expr, t: int) -> Vector: ...

    def eval_scalar(self, node: ast.Expr, t: int) -> float: ...

    def eval_matrix(self, node: ast.Expr, t: int) -> Matrix: ...

    def warn(self, msg: str, node: ast.Expr) -> None:
        """Add a "PromQL warning" annotation pointing at ``node``."""

    def info(self, msg: str, node: ast.Expr) -> None:
        """Add a "PromQL info" annotation pointing at ``node``."""

    def range_bounds(self, node: ast.Expr, t: int) -> tuple[int, int, int]:
        """``(range_start, range_end, range_ms)`` of a range argument at ``t``."""

    def matrix_rows(self, node: ast.MatrixSelector,
                    t: int) -> list[tuple[Labels, list[int], list[float]]]:
        """``(labels, ts, vs)`` of every series of a matrix selector at ``t``."""
