"""Go-template rendering, function by function, against the real promtool (Debian's
Prometheus 2.42): each case is an alerting rule whose annotation is the template; the
generated promtool unit test expects, as ``exp_annotations``, exactly what Candor renders
for the same labels and value. promtool passes a case only if its own rendering is
byte-identical; a failing case's report shows promtool's rendering next to Candor's.

Functions over query results (``query``, ``first``, ``value``, ``label``, ``sortByLabel``,
``strvalue``) are documented as unsupported (``monitor/rules/template.py``): promtool
renders them over a seeded series, Candor refuses the rule when it loads, naming the
function (the last tests here).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from monitor.cli.rules import app
from monitor.rules.evaluate import _expand
from monitor.rules.loader import RuleFileError, load_rules
from tests.support.processes import PROMTOOL, require

LABELS = {"instance": "host-a.example.com:9100", "job": "api server", "path": "/v1/links",
          "phrase": "hello wORLD_foo-bar o'neil 3rd ação", "v6": "[::1]:9090", "empty": ""}
EXTERNAL_LABELS = {"cluster": "eu-1", "region": "sa-east-1"}
EXTERNAL_URL = "https://candor.example.com/prefix"


@dataclass(frozen=True)
class Case:
    function: str
    template: str
    value: str  # the series value, in promtool's input_series notation


CASES = [
    # humanize: SI prefixes, 4 significant digits, and the values with no prefix
    *[Case("humanize", "{{ $value | humanize }}", v) for v in
      ["0", "1", "999.95", "1234567", "0.000123", "-1500", "1e-9", "1e27", "123456789e30",
       "NaN", "Inf", "-Inf"]],
    *[Case("humanize1024", "{{ humanize1024 $value }}", v) for v in
      ["0", "1", "1024", "1536000", "0.5", "-2048", "1e20", "1e30", "NaN"]],
    *[Case("humanizeDuration", "{{ $value | humanizeDuration }}", v) for v in
      ["0", "0.5", "1", "59.9", "61", "3661", "90061", "0.000012", "-120", "-0.25", "1e-10",
       "86400", "Inf", "NaN"]],
    *[Case("humanizePercentage", "{{ humanizePercentage $value }}", v) for v in
      ["0", "0.1234", "1", "0.000001", "12.5", "-0.5"]],
    *[Case("humanizeTimestamp", "{{ $value | humanizeTimestamp }}", v) for v in
      ["0", "1772442000", "1772442000.123456", "1.5", "-86400", "NaN"]],
    # printf: verbs, widths, precisions, flags, the wrong kind of argument, missing/extra
    *[Case("printf", t, "1234.5678") for t in [
        '{{ printf "%.2f" $value }}', '{{ printf "%10.3f|" $value }}',
        '{{ printf "%-10.1f|" $value }}', '{{ printf "%e" $value }}',
        '{{ printf "%g" $value }}', '{{ printf "%G" 1e21 }}', '{{ printf "%v" $value }}',
        '{{ printf "%s" $labels.job }}', '{{ printf "%q" $labels.path }}',
        '{{ printf "%5s|%-5s|" "ab" "cd" }}', '{{ printf "%.3s" $labels.job }}',
        '{{ printf "%d" 42 }}', '{{ printf "%05d" 42 }}', '{{ printf "%x" 255 }}',
        '{{ printf "%d" $value }}', '{{ printf "%s" $value }}', '{{ printf "100%%" }}',
        '{{ printf "%s and %s" $labels.job }}', '{{ printf "%s" $labels.job "extra" }}',
        '{{ printf "%+.1f" $value }}', '{{ printf "%v" $labels.empty }}']],
    Case("printf", '{{ printf "%.1f" $value }}', "NaN"),
    Case("printf", '{{ printf "%f" $value }}', "-Inf"),
    # strings
    *[Case("toUpper", "{{ toUpper $labels.phrase }}", "1"),
      Case("toLower", "{{ $labels.phrase | toLower }}", "1"),
      Case("toUpper", '{{ toUpper "straße ǆ" }}', "1"),
      Case("title", "{{ title $labels.phrase }}", "1"),
      Case("title", "{{ title $labels.job }}", "1"),
      Case("title", '{{ title "foo.bar baz-qux x_y 1st" }}', "1"),
      Case("stripPort", "{{ stripPort $labels.instance }}", "1"),
      Case("stripPort", "{{ stripPort $labels.v6 }}", "1"),
      Case("stripPort", '{{ stripPort "no-port" }}', "1"),
      Case("safeHtml", '{{ safeHtml "<b>x</b> & y" }}', "1")],
    # regular expressions (Go's RE2 and its $1 / ${1} expansion)
    *[Case("match", t, "1") for t in [
        '{{ if match "^api" $labels.job }}yes{{ else }}no{{ end }}',
        '{{ match "example\\\\.com" $labels.instance }}',
        '{{ match "^server$" $labels.job }}']],
    *[Case("reReplaceAll", t, "1") for t in [
        '{{ reReplaceAll "(.*):(.*)" "$1" $labels.instance }}',
        '{{ reReplaceAll ":([0-9]+)$" " port ${1}" $labels.instance }}',
        '{{ reReplaceAll "(o)" "$1x" $labels.phrase }}',
        '{{ reReplaceAll "(o)" "${1}x" $labels.phrase }}',
        '{{ reReplaceAll "[aeiou]" "" $labels.job }}',
        '{{ reReplaceAll "(?P<host>[^.]+)\\\\..*" "$host" $labels.instance }}',
        '{{ reReplaceAll "a" "$$" $labels.job }}']],
    # comparisons, logic, len, index
    *[Case(f, t, "150") for f, t in [
        ("gt", "{{ if gt $value 100.0 }}high{{ else }}low{{ end }}"),
        ("lt", "{{ lt $value 100.0 }}"), ("ge", "{{ ge $value 150.0 }}"),
        ("le", "{{ le $value 149.0 }}"), ("eq", '{{ eq $labels.job "api" "api server" }}'),
        ("ne", '{{ ne $labels.job "api" }}'),
        ("gt", "{{ gt $value 100 }}"),  # float64 against int: Go refuses
        ("and", '{{ and $labels.job $labels.empty }}|{{ and $labels.job "x" }}'),
        ("or", '{{ or $labels.empty $labels.job }}|{{ or $labels.empty "" }}'),
        ("not", "{{ not $labels.empty }}{{ not $value }}"),
        ("len", "{{ len $labels }} {{ len $labels.job }}"),
        ("index", '{{ index $labels "job" }}|{{ index $labels "nope" }}|')]],
    # the data: variables, the dot, external labels and URL, range, with, trimming
    *[Case("data", t, "0.25") for t in [
        "{{ $value }}", "{{ .Value }}", "{{ .Labels.job }}", "{{ $labels.nope }}",
        "{{ $externalLabels.cluster }}/{{ .ExternalLabels.region }}", "{{ $externalURL }}",
        "{{ range $k, $v := $labels }}{{ $k }}={{ $v }};{{ end }}",
        "{{ with $labels.empty }}set{{ else }}unset{{ end }}",
        "{{ with $labels.job }}[{{ . }}]{{ end }}",
        "a  {{- $labels.job -}}  b", "{{/* a comment */}}x",
        '{{ $x := "v" }}{{ $x }}{{ $x = "w" }}{{ $x }}', "{{ $labels }}",
        "{{ if and (gt $value 0.1) (lt $value 1.0) }}in{{ end }}"]],
    Case("data", "{{ $value }}", "1e21"),
    Case("data", "{{ $value }}", "-0.000001"),
]


def _alertname(i: int) -> str:
    return f"T{i:03d}"


def _labels(i: int) -> dict[str, str]:
    """The alert's labels: the series' (an empty value is no label), with its case."""
    return {**{k: v for k, v in LABELS.items() if v}, "case": str(i)}


def _candor(i: int, case: Case) -> str:
    """What Candor's rule evaluation writes into the annotation."""
    labels = _labels(i)
    value = float(case.value.replace("Inf", "inf"))
    return _expand(case.template, _alertname(i), labels, value, EXTERNAL_LABELS, EXTERNAL_URL)


def _files(tmp: Path) -> Path:
    series, rules, tests = [], [], []
    label_text = ", ".join(f"{k}={json.dumps(v)}" for k, v in LABELS.items())
    for i, case in enumerate(CASES):
        selector = f'input{{case="{i}"}}'
        series.append({"series": f'input{{{label_text}, case="{i}"}}',
                       "values": f"{case.value} {case.value}"})
        rules.append(f"      - alert: {_alertname(i)}\n"
                     f"        expr: {json.dumps(selector + ' * 1')}\n"
                     f"        annotations:\n          out: {json.dumps(case.template)}\n")
        tests.append({"alertname": _alertname(i), "eval_time": "1m", "exp_alerts": [
            {"exp_labels": _labels(i),
             "exp_annotations": {"out": _candor(i, case)}}]})
    (tmp / "rules.yml").write_text("groups:\n  - name: templates\n    rules:\n" + "".join(rules))
    test = tmp / "templates_test.yml"
    test.write_text(json.dumps({
        "rule_files": ["rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "external_labels": EXTERNAL_LABELS,
                   "external_url": EXTERNAL_URL, "input_series": series,
                   "alert_rule_test": tests}]},
        ensure_ascii=False, indent=1))
    return test


@pytest.fixture(scope="module")
def promtool_failures(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Alert name → promtool's report for each case where promtool disagrees with Candor."""
    test = _files(tmp_path_factory.mktemp("templates"))
    result = subprocess.run([require(PROMTOOL), "test", "rules", test.name], cwd=test.parent,
                            capture_output=True, text=True, timeout=120)
    report = result.stdout + result.stderr
    assert "SUCCESS" in report or "FAILED:" in report, report
    blocks = re.split(r"\n(?=    alertname: )", report)
    failures = {m.group(1): block for block in blocks
                if (m := re.match(r"\s*alertname: (T\d{3}),", block))}
    assert (result.returncode == 0) == (not failures), report  # every failure was attributed
    yield failures


@pytest.mark.parametrize(("i", "case"), list(enumerate(CASES)),
                         ids=[f"{c.function}-{i}" for i, c in enumerate(CASES)])
def test_candor_renders_as_promtool_does(promtool_failures: dict[str, str], i: int,
                                         case: Case) -> None:
    ours = _candor(i, case)
    if ours.startswith(ERROR):
        # A failed expansion: Go's message names the template's column (after Prometheus's
        # own variable definitions) and "executing ... at <node>", Candor's does not (the
        # documented difference, monitor/rules/template.py). Both must fail, for the same
        # reason: the text after "error calling <function>:" is compared.
        got = _got_annotation(promtool_failures[_alertname(i)])
        assert got.startswith(ERROR) and _reason(got) == _reason(ours), (ours, got)
        return
    assert _alertname(i) not in promtool_failures, (
        f"{case.template!r} with value {case.value}: Candor renders {_candor(i, case)!r}; "
        f"promtool:\n{promtool_failures[_alertname(i)]}")


ERROR = "<error expanding template: "


def _got_annotation(report: str) -> str:
    got = report.split("got:", 1)[1]
    return json.loads(re.search(r'Annotations:\{out=(".*")\}', got).group(1))  # type: ignore[union-attr]


def _reason(text: str) -> str:
    return text.rsplit("error calling ", 1)[-1]


def test_every_supported_function_is_compared() -> None:
    from monitor.rules.template import FUNCS

    assert set(FUNCS) <= {c.function for c in CASES}, set(FUNCS) - {c.function for c in CASES}


def test_candor_rules_test_agrees_on_the_generated_file(tmp_path: Path) -> None:
    test = _files(tmp_path)
    result = CliRunner().invoke(app, ["test", str(test)])
    assert result.exit_code == 0, result.output


QUERY_FUNCTIONS = {
    "query": '{{ query "input" }}',
    "first": "{{ . | first }}",
    "value": "{{ value . }}",
    "label": '{{ label "job" . }}',
    "sortByLabel": '{{ sortByLabel "job" . }}',
    "strvalue": "{{ .Labels | strvalue }}",
}


def test_promtool_renders_query_functions_over_a_seeded_series(tmp_path: Path) -> None:
    """The documented gap, shown on promtool's side: it does render these."""
    (tmp_path / "rules.yml").write_text(
        "groups:\n  - name: q\n    rules:\n      - alert: Q\n        expr: input * 1\n"
        "        annotations:\n"
        '          out: \'{{ with query "input" }}{{ . | first | value }}'
        '/{{ . | first | label "job" }}{{ end }}\'\n')
    (tmp_path / "q_test.yml").write_text(json.dumps({
        "rule_files": ["rules.yml"], "evaluation_interval": "1m",
        "tests": [{"interval": "1m", "input_series": [
            {"series": 'input{job="api"}', "values": "7 7"}],
            "alert_rule_test": [{"alertname": "Q", "eval_time": "1m", "exp_alerts": [
                {"exp_labels": {"job": "api"}, "exp_annotations": {"out": "7/api"}}]}]}]}))
    result = subprocess.run([require(PROMTOOL), "test", "rules", "q_test.yml"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("function", sorted(QUERY_FUNCTIONS))
def test_candor_refuses_query_functions_when_the_rule_loads(tmp_path: Path,
                                                            function: str) -> None:
    path = tmp_path / "rules.yml"
    path.write_text("groups:\n  - name: q\n    rules:\n      - alert: Q\n        expr: up\n"
                    f"        annotations:\n          out: {json.dumps(QUERY_FUNCTIONS[function])}\n")
    with pytest.raises(RuleFileError, match=rf"annotation \"out\": error parsing template: "
                                            rf"template: __alert_Q:1: function '{function}' is "
                                            rf"not supported by Candor's template renderer"):
        load_rules(path)
