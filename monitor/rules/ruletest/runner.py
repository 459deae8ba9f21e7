"""One test file, end to end: parse → simulate → compare → report.

The order of the steps inside a test is promtool's, so the same broken file gets the
same answer: the test's fields and input series, then the rule files (a rule file
that does not load is a failed test), then the cases; expected samples are read once
their expression has an answer.
"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any

from monitor.promql.errors import PromQLError
from monitor.rules.loader import RuleFileError, load_rules
from monitor.rules.models import RuleGroup
from monitor.rules.ruletest import compare, parse
from monitor.rules.ruletest import report as text
from monitor.rules.ruletest.parse import BadLabels, TestFile, TestFileError
from monitor.rules.ruletest.simulate import last_eval_time, query, simulate


def run_test_file(path: str | Path) -> tuple[bool, str]:
    """Run one unit-test file; returns (passed, report text like promtool's).

    Raises :class:`TestFileError` (or ``RuleFileError``) when the file cannot be run."""
    file = parse.read_file(Path(path))
    errors: list[str] = []
    for raw in file.tests:
        try:
            errors.extend(run_test(file, raw))
        except RuleFileError as exc:
            errors.append(str(exc))
    return text.report(path, errors)


def run_test(file: TestFile, raw: Any) -> list[str]:
    """The failure lines of one ``tests[]`` entry (empty: it passed)."""
    inputs = parse.test_inputs(raw)
    groups = load_groups(file.base, file.rule_files, file.group_eval_order)
    alert_cases, expr_cases = parse.test_cases(raw)
    run = simulate(groups, inputs, eval_interval=file.evaluation_interval,
                   until=last_eval_time([c.eval_time for c in alert_cases],
                                        [c.eval_time for c in expr_cases]),
                   check_times=sorted({c.eval_time for c in alert_cases}))
    errors = [text.alert_mismatch(inputs.name, m) for m in compare.alerts(alert_cases, run.firing)]
    if run.failures:
        return errors + [text.rule_failure(f) for f in run.failures]
    for case in expr_cases:
        got = query(run.engine, case.expr, case.eval_time)
        if isinstance(got, PromQLError):
            errors.append(text.expr_error(case.expr, case.eval_time, got))
            continue
        expected = parse.expected_samples(case.exp_samples)
        if isinstance(expected, BadLabels):
            errors.append(text.bad_labels(case.expr, case.eval_time, expected))
            continue
        mismatch = compare.samples(expected, got)
        if mismatch is not None:
            errors.append(text.sample_mismatch(case.expr, case.eval_time, mismatch))
    return errors


def load_groups(base: Path, rule_files: list[str], order: list[str]) -> list[RuleGroup]:
    """The groups of ``rule_files`` (globs, relative to ``base``), in ``group_eval_order``."""
    groups: list[RuleGroup] = []
    for pattern in rule_files:
        full = str(base / pattern) if not Path(pattern).is_absolute() else pattern
        matches = sorted(glob.glob(full)) if glob.has_magic(full) else [full]
        for path in matches:
            groups.extend(load_rules(path).groups)
    if order:
        names = {g.name for g in groups}
        for name in order:
            if name not in names:
                raise TestFileError(f"group name {name} in group_eval_order not found")
        pos = {n: i for i, n in enumerate(order)}
        groups.sort(key=lambda g: pos.get(g.name, 0))
    return groups
