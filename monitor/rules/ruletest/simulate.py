"""Run the rule groups over a test's input series the way ``promtool test rules`` does.

Every group is evaluated at 0, interval, 2×interval … up to the last ``eval_time``;
rule outputs are written back, so later groups and later steps read them. After the
last evaluation at or before each alert case's ``eval_time`` the firing alerts are
kept. The first step at which a rule fails ends the run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.promql.engine import Engine
from monitor.promql.errors import PromQLError
from monitor.promql.storage import MemoryStorage
from monitor.promql.value import Scalar, Vector
from monitor.rules.evaluate import AlertState, GroupState, evaluate_group
from monitor.rules.models import AlertingRule, RuleGroup
from monitor.rules.ruletest.parse import ExpectedAlert, Sample, TestInputs


@dataclass(frozen=True)
class RuleFailure:
    rule: str
    time: float
    message: str


@dataclass
class Simulation:
    engine: Engine
    """The engine over the input series and every rule output, for expression cases."""
    firing: dict[float, dict[str, list[ExpectedAlert]]] = field(default_factory=dict)
    """Alert case time -> alert name -> firing alerts (labels, annotations) at that time."""
    failures: list[RuleFailure] = field(default_factory=list)
    """The rules that failed at the step the run stopped (empty: the run completed)."""


def last_eval_time(alert_times: Sequence[float], expr_times: Sequence[float]) -> float:
    return max([*alert_times, *expr_times, 0.0])


def simulate(groups: list[RuleGroup], inputs: TestInputs, *, eval_interval: float, until: float,
             check_times: Sequence[float]) -> Simulation:
    """Evaluate ``groups`` every ``eval_interval`` from 0 to ``until`` (seconds); keep the
    firing alerts for each of ``check_times`` (sorted)."""
    storage = MemoryStorage()
    for series in inputs.series:
        storage.add(series.labels, series.points)
    run = Simulation(Engine(storage))
    states = [GroupState() for _ in groups]
    cur = 0
    steps = int(math.floor(until / eval_interval + 1e-9))
    for n in range(steps + 1):
        ts = n * eval_interval
        for gi, group in enumerate(groups):
            result = evaluate_group(group, run.engine, ts, states[gi],
                                    external_labels=inputs.external_labels,
                                    external_url=inputs.external_url)
            states[gi] = result.state
            for s in result.samples:
                storage.add(s.labels, [(s.t_ms, s.value)])
            run.failures.extend(RuleFailure(f.rule, ts, f.message) for f in result.failures)
        if run.failures:
            return run
        while cur < len(check_times) and ts <= check_times[cur] < ts + eval_interval:
            run.firing[check_times[cur]] = _firing(groups, states)
            cur += 1
    return run


def _firing(groups: list[RuleGroup], states: list[GroupState]) -> dict[str, list[ExpectedAlert]]:
    out: dict[str, list[ExpectedAlert]] = {}
    for group, state in zip(groups, states, strict=True):
        for ri, rule in enumerate(group.rules):
            if isinstance(rule, AlertingRule):
                out.setdefault(rule.alert, []).extend(
                    (dict(a.labels), dict(a.annotations)) for a in state.alerts.get(ri, {}).values()
                    if a.state is AlertState.FIRING)
    return out


def query(engine: Engine, expr: str, t: float) -> list[Sample] | PromQLError:
    """The samples ``expr`` gives at ``t``, or the error (a range result is one)."""
    try:
        value = engine.query_instant(expr, t).value
    except PromQLError as exc:
        return exc
    if isinstance(value, Scalar):
        return [({}, value.value)]
    if isinstance(value, Vector):
        return [(dict(s.labels), s.value) for s in value]
    return PromQLError("rule result is not a vector or scalar")
