"""PromQL of the panels: Grafana's variables substituted, then parsed by Candor's parser.

``$__rate_interval`` is the only window a rate may use (dashboard-linter's rule) unless a
query names a fixed window and why; ``$__range`` is the dashboard's time range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from monitor.promql import ast, parse_expr

__all__ = ["Query", "RATE_FUNCTIONS", "metric_names", "substitute", "walk"]

RATE_FUNCTIONS = frozenset({"rate", "irate", "increase", "resets", "changes"})
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")


@dataclass(frozen=True)
class Query:
    """One target: the expression, its legend and, for a window other than
    ``$__rate_interval`` / ``$__range``, the reason (``fixed_window``)."""

    expr: str
    legend: str = ""
    fixed_window: str = ""
    instant: bool = False


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """Replace ``$name`` and ``${name}`` with ``values[name]``; unknown names stay (and
    then fail to parse, which is the point)."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        return values.get(name, match.group(0))
    return _VARIABLE.sub(one, expr)


def walk(node: ast.Expr, parents: tuple[ast.Expr, ...] = ()) -> Iterator[tuple[ast.Expr, tuple[ast.Expr, ...]]]:
    """Every node with the chain of its ancestors (outermost first)."""
    yield node, parents
    for child in ast.children(node):
        yield from walk(child, (*parents, node))


def metric_names(expr: str, values: Mapping[str, str]) -> set[str]:
    """The metric names an expression selects (after substitution)."""
    tree = parse_expr(substitute(expr, values))
    return {n.name for n, _ in walk(tree) if isinstance(n, ast.VectorSelector) and n.name}
