"""Errors raised by the PromQL engine.

Hierarchy::

    PromQLError                 base class; ``message`` and optional ``position``
    ├── ParseError              the query text is not valid PromQL (has line/col)
    └── EvalError               the query is valid but cannot be evaluated
                                (e.g. many-to-many matching, duplicate labelsets)

``str(ParseError)`` renders like Prometheus: ``1:5: parse error: unexpected ...``.
"""

from __future__ import annotations


class PromQLError(Exception):
    """Base class for every error raised by :mod:`monitor.promql`."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: Zero-based character offset into the query, when known.
        self.position = position

    def __str__(self) -> str:
        return self.message


class ParseError(PromQLError):
    """The query text is not valid PromQL.

    ``line`` and ``column`` are 1-based. Fix the query at that position.
    """

    def __init__(self, message: str, position: int, line: int, column: int) -> None:
        super().__init__(message, position)
        self.line = line
        self.column = column

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: parse error: {self.message}"


class EvalError(PromQLError):
    """The query parsed but could not be evaluated against the data."""


TOO_MANY_SAMPLES = "query processing would load too many samples into memory in query execution"
"""Prometheus's message for a query over the samples limit (``--query.max-samples``)."""
