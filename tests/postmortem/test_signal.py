"""Charts from real signals: the firing rule's expression over the incident, from the series store."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from monitor.promql.labels import labels_from
from postmortem import examples, signal
from postmortem.report import load
from tests.support.processes import free_port, prometheus_with_data

RULES = """
groups:
  - name: redirects
    rules:
      - alert: RedirectErrorsHigh
        expr: redirect_error_ratio{service="redirector"} > 0.05
        for: 1m
"""
IMPACT = examples.IMPACT


def spike(store, name="redirect_error_ratio", **labels):
    """One sample per 30 s from 30 min before impact to an hour after; 0.31 for 20 min."""
    samples = []
    for step in range(180):
        at = IMPACT - timedelta(minutes=30) + timedelta(seconds=30 * step)
        minutes = (at - IMPACT).total_seconds() / 60
        value = 0.31 if 0 <= minutes < 20 else 0.004
        samples.append((labels_from({"__name__": name, **labels}), int(at.timestamp() * 1000), value))
    store.append(samples, now_ms=samples[-1][1])


@pytest.fixture
def rules_file(tmp_path: Path) -> str:
    path = tmp_path / "rules.yml"
    path.write_text(RULES)
    return str(path)


@pytest.fixture
def signal_candor(make_settings, make_candor, rules_file):
    return make_candor(make_settings(engine={"rule_files": [rules_file]}))


def test_the_chart_is_the_firing_rules_expression_without_its_threshold(signal_candor, clock):
    spike(signal_candor.signals.store, service="redirector", region="sa-east-1")
    with signal_candor.runtime.unit() as session:
        examples.demo_incident(session, clock, signal_candor.runtime.settings)
    with signal_candor.runtime.unit() as session:
        found = signal_candor.chart_source().find(session, _inc(session), now=clock.now())
    assert found is not None and found.threshold == 0.05
    assert found.name == 'RedirectErrorsHigh: redirect_error_ratio{service="redirector"}'
    values = [v for _, v in found.points]
    assert max(values) == 0.31 and min(values) == 0.004  # both sides of the threshold
    assert found.points[0][0] == IMPACT - timedelta(minutes=15)
    assert found.points[-1][0] <= IMPACT + timedelta(minutes=38 + 5)  # resolved + 5 min


def test_the_render_route_draws_it_by_default(signal_candor, clock, viewer):
    from fastapi.testclient import TestClient

    from monitor.app import create_app

    spike(signal_candor.signals.store, service="redirector")
    with signal_candor.runtime.unit() as session:
        examples.demo_incident(session, clock, signal_candor.runtime.settings)
    with TestClient(create_app(signal_candor)) as client:
        html = client.get("/api/v1/incidents/INC-1/postmortem/render?format=html", headers=viewer)
    assert html.status_code == 200
    assert "<svg" in html.text and "RedirectErrorsHigh: redirect_error_ratio" in html.text
    assert "No signal data" not in html.text


def test_without_the_rule_the_alerts_series_is_charted(make_settings, make_candor, clock):
    candor = make_candor(make_settings(engine={"rule_files": []}))
    runtime = candor.runtime
    spike(candor.signals.store, name="ALERTS", alertname="RedirectErrorsHigh", alertstate="firing")
    with runtime.unit() as session:
        examples.demo_incident(session, clock, runtime.settings)
    with runtime.unit() as session:
        found = candor.chart_source().find(session, _inc(session), now=clock.now())
    assert found is not None and found.name.startswith('ALERTS{alertname="RedirectErrorsHigh"}')
    assert found.threshold is None


def test_without_data_the_report_says_so(signal_candor, clock):
    with signal_candor.runtime.unit() as session:
        examples.demo_incident(session, clock, signal_candor.runtime.settings)
    with signal_candor.runtime.unit() as session:
        source = signal_candor.chart_source()
        report = load(session, "INC-1", now=clock.now(), source=source)
    assert report.chart is None
    from postmortem.render import render

    assert "_No signal data: neither the alert rule" in str(render(report, "md", "en"))


def test_the_cli_reads_the_stored_segments_without_changing_them(signal_candor, clock):
    spike(signal_candor.signals.store, service="redirector")
    with signal_candor.runtime.unit() as session:
        examples.demo_incident(session, clock, signal_candor.runtime.settings)
    directory = Path(signal_candor.runtime.settings.storage.data_dir) / "series"
    before = {p.name: p.read_bytes() for p in directory.glob("*.seg")}
    assert before
    with signal_candor.runtime.unit() as session:
        found = signal.from_settings(signal_candor.runtime.settings).find(session, _inc(session),
                                                                   now=clock.now())
    assert found is not None and max(v for _, v in found.points) == 0.31
    assert {p.name: p.read_bytes() for p in directory.glob("*.seg")} == before


def test_a_broken_rule_file_falls_back_to_alerts_instead_of_failing(tmp_path, make_settings):
    bad = tmp_path / "bad.yml"
    bad.write_text("groups: [{name: x, rules: [{alert: A, expr: 'rate(x[5m]'}]}]\n")
    assert signal.rule_groups(make_settings(engine={"rule_files": [str(bad)]})) == []


def test_the_window_and_step_follow_the_incident():
    start, end, step = signal.window(IMPACT, IMPACT + timedelta(minutes=23), IMPACT + timedelta(days=1))
    assert start == IMPACT - timedelta(minutes=15) and end == IMPACT + timedelta(minutes=28)
    assert step == 15.0
    _, _, long_step = signal.window(IMPACT, None, IMPACT + timedelta(days=3))
    assert long_step == 1800.0


def _inc(session):
    from monitor.incidents import service as incidents

    return incidents.get_by_key_or_raise(session, "INC-1")


def test_in_prometheus_mode_the_chart_comes_from_prometheus(make_settings, make_candor, clock,
                                                           rules_file, signal_candor, tmp_path):
    """The same samples in a real Prometheus (backfilled with promtool) and in the embedded
    store: Prometheus mode draws exactly the chart the embedded engine draws."""
    spike(signal_candor.signals.store, service="redirector", region="sa-east-1")
    spike(signal_candor.signals.store, service="shortener")  # not the rule's series
    with signal_candor.runtime.unit() as session:
        examples.demo_incident(session, clock, signal_candor.runtime.settings)
    with signal_candor.runtime.unit() as session:
        embedded = signal_candor.chart_source().find(session, _inc(session), now=clock.now())
    assert embedded is not None

    data = _openmetrics([{"service": "redirector", "region": "sa-east-1"},
                         {"service": "shortener"}])
    with prometheus_with_data(tmp_path / "prometheus", data) as url:
        candor = make_candor(make_settings(engine={"mode": "prometheus",
                                                   "rule_files": [rules_file],
                                                   "prometheus_url": url}))
        runtime = candor.runtime
        with runtime.unit() as session:
            examples.demo_incident(session, clock, runtime.settings)
        source = candor.chart_source()
        try:
            with runtime.unit() as session:
                found = source.find(session, _inc(session), now=clock.now())
        finally:
            source.close()
    assert found is not None and found.threshold == 0.05
    assert found.name == embedded.name
    assert found.points[0][0] == IMPACT - timedelta(minutes=15)
    assert len(found.points) == 58 * 4 + 1  # 15 min before to 5 min after the end, by 15 s
    assert found.points == embedded.points


def _openmetrics(label_sets):
    """spike()'s samples as OpenMetrics text, for promtool's backfill."""
    lines = ["# TYPE redirect_error_ratio gauge"]
    for labels in label_sets:
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        for step in range(180):
            at = IMPACT - timedelta(minutes=30) + timedelta(seconds=30 * step)
            minutes = (at - IMPACT).total_seconds() / 60
            value = 0.31 if 0 <= minutes < 20 else 0.004
            lines.append(f"redirect_error_ratio{{{text}}} {value} {int(at.timestamp())}")
    return "\n".join(lines) + "\n# EOF\n"


def test_an_unreachable_prometheus_means_no_chart_not_an_error(make_settings, make_candor, clock,
                                                               rules_file):
    url = f"http://127.0.0.1:{free_port()}"
    candor = make_candor(make_settings(engine={"mode": "prometheus", "rule_files": [rules_file],
                                               "prometheus_url": url}))
    runtime = candor.runtime
    with runtime.unit() as session:
        examples.demo_incident(session, clock, runtime.settings)
    with runtime.unit() as session:
        assert load(session, "INC-1", now=clock.now(), source=candor.chart_source()).chart is None


def test_a_threshold_is_split_only_when_the_text_matches_the_parse():
    assert signal.split_threshold("sum by (s) (rate(x[5m]))  >  0.05") == ("sum by (s) (rate(x[5m]))", 0.05)
    assert signal.split_threshold("a > bool 1") == ("a > bool 1", None)
    assert signal.split_threshold("(a > 1)") == ("(a > 1)", None)
    assert signal.split_threshold("a > 1 and b") == ("a > 1 and b", None)
