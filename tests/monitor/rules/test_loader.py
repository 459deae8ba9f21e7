"""`candor rules check` reports FILE:LINE:COL: message, like `promtool check rules`."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from monitor.cli.rules import app
from monitor.rules.loader import check_rules

BAD = """\
groups:
  - name: g
    interval: 5x
    rules:
      - record: job:x:sum
        expr: sum(rate(x[5m]) by (job)
        bogus: 1
      - alert: A
        expr: |
          sum(up)
            by (job) +
        labels:
          severity: "{{ $labels.x "
  - name: g
    rules:
      - record: r
        expr: up
      - record: r
        expr: up
"""


def test_each_problem_points_at_its_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(BAD)

    lines = [str(p).replace(str(tmp_path) + "/", "") for p in check_rules(path)]

    assert lines == [
        'bad.yml:3:15: group "g": interval: not a valid duration string: "5x"',
        'bad.yml:6:31: group "g", rule 1, "job:x:sum": could not parse expression: 1:17: '
        'parse error: unexpected <by> in aggregation, expected "," or ")"',
        "bad.yml:7:9: field bogus not found in rule (expected one of: record, alert, expr, "
        "for, keep_firing_for, labels, annotations)",
        'bad.yml:12:11: group "g", rule 2, "A": could not parse expression: 3:1: parse error: '
        "unexpected end of input",
        'bad.yml:13:21: group "g", rule 2, "A": label "severity": error parsing template: '
        "template: __alert_A:1: unclosed action",
        'bad.yml:14:11: groupname: "g" is repeated in the same file',
        "bad.yml:18:17: duplicate rule: r{} is also defined at line 16; might cause "
        "inconsistency while recording expressions",
    ]


def test_check_exits_2_on_errors_and_0_with_only_warnings(tmp_path: Path) -> None:
    bad, dup = tmp_path / "bad.yml", tmp_path / "dup.yml"
    bad.write_text(BAD)
    dup.write_text("groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n"
                   "  - record: r\n    expr: up\n")

    assert CliRunner().invoke(app, ["check", str(bad)]).exit_code == 2
    result = CliRunner().invoke(app, ["check", str(dup)])
    assert result.exit_code == 0
    assert "(warning)" in result.output and "SUCCESS" in result.output


def test_recording_rules_reject_alert_fields_and_bad_names(tmp_path: Path) -> None:
    path = tmp_path / "r.yml"
    path.write_text("groups:\n- name: g\n  rules:\n  - record: 'bad name'\n    expr: up\n"
                    "    for: 5m\n    labels: {__name__: x}\n")

    messages = [p.message for p in check_rules(path)]

    assert messages == [
        'group "g", rule 1, "bad name": invalid recording rule name: bad name',
        "group \"g\", rule 1, \"bad name\": invalid field 'for' in recording rule",
        'group "g", rule 1, "bad name": invalid label name: __name__',
    ]


def test_missing_and_unreadable_files_are_reported(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["check", str(tmp_path / "nope.yml")])
    assert result.exit_code == 2
    assert "cannot read rule file" in result.output
    (tmp_path / "y.yml").write_text("groups: [\n")
    assert "invalid YAML" in str(check_rules(tmp_path / "y.yml")[0])


def test_unit_test_file_errors_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "t.yml"
    path.write_text("rule_files: []\ntests:\n- intervl: 1m\n")

    result = CliRunner().invoke(app, ["test", str(path)])

    assert result.exit_code == 2
    assert "field intervl not found" in result.output
