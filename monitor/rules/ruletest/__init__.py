"""Run promtool unit-test files (``promtool test rules`` format) against Candor's engine.

    ok, report = run_test_file("rules/tests/everlinks_test.yml")

Supported: ``rule_files`` (globs, relative to the test file), ``evaluation_interval``,
``group_eval_order``, and ``tests[]`` with ``name``, ``interval``, ``input_series``
(``series`` + ``values`` in the expanding notation ``1+2x10``, ``_``, ``_x3``, ``stale``),
``alert_rule_test`` (``eval_time``, ``alertname``, ``exp_alerts[].exp_labels /
exp_annotations``), ``promql_expr_test`` (``expr``, ``eval_time``, ``exp_samples[].labels /
value``), ``external_labels`` and ``external_url``. The evaluation loop is promtool's:
every group is evaluated at 0, interval, 2×interval … up to the largest ``eval_time``,
and alerts are compared at the last evaluation at or before each ``eval_time``.

Four steps, each taking and returning plain values::

    parse.py     file → TestFile, TestInputs, AlertCase/ExprCase   (TestFileError: exit 2)
    simulate.py  groups + inputs → Simulation (firing alerts per case time, rule failures)
    compare.py   cases + simulation → AlertMismatch / SampleMismatch
    report.py    mismatches → promtool's text, byte for byte
    runner.py    the steps in promtool's order, for one file
"""

from monitor.rules.ruletest.parse import TestFileError
from monitor.rules.ruletest.runner import run_test_file

__all__ = ["TestFileError", "run_test_file"]
