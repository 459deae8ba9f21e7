"""Rule files as plain values: what ``loader.load_rules`` returns and the evaluator reads.

    RuleFile(path, groups=[RuleGroup(name, interval_s, limit, query_offset_s, rules=[...])])

A rule is either a :class:`RecordingRule` or an :class:`AlertingRule`; both keep the
:class:`~monitor.promql.plan.QueryPlan` of their expression (made once, when the file is
loaded, and passed to the engine at every evaluation) and the source position of their
``expr`` so errors can point into the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from monitor.promql.plan import QueryPlan


@dataclass(frozen=True)
class Position:
    """1-based line and column in a rule file."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One finding in a rule file, printed as ``FILE:LINE:COL: message``."""

    path: str
    message: str
    position: Position | None = None
    warning: bool = False

    def __str__(self) -> str:
        where = f"{self.path}:{self.position}" if self.position else self.path
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    plan: QueryPlan
    labels: dict[str, str] = field(default_factory=dict)
    position: Position | None = None

    @property
    def name(self) -> str:
        return self.record


@dataclass(frozen=True)
class AlertingRule:
    alert: str
    expr: str
    plan: QueryPlan
    for_s: float = 0.0
    keep_firing_for_s: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    position: Position | None = None

    @property
    def name(self) -> str:
        return self.alert


Rule = RecordingRule | AlertingRule


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: list[Rule]
    interval_s: float | None = None  # None: the evaluation_interval of whoever runs it
    limit: int = 0
    query_offset_s: float = 0.0
    source: str = ""  # the file it came from

    @property
    def key(self) -> str:
        """Unique across files, as Prometheus's ``GroupKey``: ``file;name``."""
        return f"{self.source};{self.name}"


@dataclass(frozen=True)
class RuleFile:
    path: str
    groups: list[RuleGroup]
