"""An SRE writes SLOs in config.toml; mistakes fail at load time with file, line and key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from monitor.config.loader import parse
from monitor.errors import ConfigError

GOOD = """
[[slo]]
name = "redirects-available"
service = "redirector"
objective = 0.999
labels = { team = "links" }
[slo.sli]
bad = 'http_requests_total{job="redirector", code=~"5.."}'
total = 'http_requests_total{job="redirector"}'
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(text)
    return info.value.lines


def test_an_slo_entry_loads_with_defaults() -> None:
    (slo,) = parse(GOOD).slo

    assert (slo.name, slo.service, slo.objective, slo.window) == (
        "redirects-available", "redirector", 0.999, "28d")
    assert slo.period == timedelta(days=28)
    assert slo.sli.good is None and slo.labels == {"team": "links"}
    assert parse("").slo == []


def test_a_good_over_total_sli_with_a_window_placeholder_is_accepted() -> None:
    text = GOOD.replace("bad = 'http_requests_total{job=\"redirector\", code=~\"5..\"}'",
                        "good = 'sum(rate(latency_bucket{le=\"0.3\"}[$window]))'")

    assert parse(text).slo[0].sli.good == 'sum(rate(latency_bucket{le="0.3"}[$window]))'


@pytest.mark.parametrize(("change", "expected"), [
    (("objective = 0.999", "objective = 1.5"),
     "config.toml:5: slo[0].objective: Input should be less than 1"),
    (('window = "28d"', 'window = "1d"'),
     "config.toml:6: slo[0].window: '1d' is shorter than 3d, the longest burn-rate alert "
     "window; use the budget period you report on, typically '28d' or '30d'"),
    (('window = "28d"', 'window = "four weeks"'),
     "config.toml:6: slo[0].window: 'four weeks' is not a duration"),
    (("total = 'http_requests_total{job=\"redirector\"}'", "total = 'http_requests_total{'"),
     # (keys under [slo.sli] are reported at the [[slo]] line: monitor.config.loader maps
     # sub-tables of array tables to their parent)
     "slo[0].sli.total: 'http_requests_total{' is not valid PromQL: 1:21: parse error: "
     "unexpected end of input inside braces"),
    (("total = 'http_requests_total{job=\"redirector\"}'", "total = 'rate(x[$window])[5m]'"),
     "slo[0].sli.total: 'rate(x[$window])[5m]' is not valid PromQL once $window is replaced "
     "('rate(x[5m])[5m]')"),
    (("total = 'http_requests_total{job=\"redirector\"}'", "total = '1 + $window'"),
     "slo[0].sli.total: '1 + $window' must give an instant vector (like sum(rate(...))), "
     "not a scalar"),
    (("total = 'http_requests_total{job=\"redirector\"}'", "total = 'scalar(x[$window])'"),
     "slo[0].sli.total: 'scalar(x[$window])' is not valid PromQL"),
    (("total = 'http_requests_total{job=\"redirector\"}'", "total = 'sum(http_requests_total)'"),
     "slo[0].sli.total: 'sum(http_requests_total)' is neither a counter "
     "selector nor an expression using $window"),
    (("bad = 'http_requests_total{job=\"redirector\", code=~\"5..\"}'", "good = 'up'\nbad = 'up'"),
     "slo[0].sli: set exactly one of `bad` or `good` (with `total`)"),
    (('labels = { team = "links" }', 'labels = { severity = "low" }'),
     "config.toml:7: slo[0].labels: label 'severity' is set by Candor on every generated "
     "rule; choose another name"),
    (("[slo.sli]", 'objectve = 0.9\n[slo.sli]'),
     "slo[0].objectve: unknown key; did you mean 'objective'?"),
])
def test_a_bad_slo_entry_names_the_key_and_the_fix(change: tuple[str, str], expected: str) -> None:
    text = GOOD.replace('objective = 0.999', 'objective = 0.999\nwindow = "28d"')
    assert change[0] in text
    found = problems(text.replace(*change))

    assert any(line.startswith(expected) or expected in line for line in found), found


def test_two_slos_with_one_name_are_refused() -> None:
    found = problems(GOOD + GOOD.replace('service = "redirector"', 'service = "other"'))

    assert any("SLO name 'redirects-available' is used twice" in line for line in found), found
