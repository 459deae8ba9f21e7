"""Story: a VP reads the charts at a glance, in their language: the incident fills the signal
chart (with a margin), every milestone is named in a legend however close the times, the axis
says its unit, the title says what the alert means, the threshold is labelled; trend charts keep
their labels apart with one week or fifty, and no point sits above the top tick."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from postmortem import charts
from postmortem.chartdata import Marker, SignalChart, titles_from, unit_of

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def short_incident() -> SignalChart:
    """30 s of errors inside 20 minutes of data (the demo's shape)."""
    points = [(T0 - timedelta(minutes=15) + timedelta(seconds=5 * i),
               0.3 if 0 <= 5 * i - 900 < 30 else 0.001) for i in range(246)]
    marks = [Marker(T0, "impact"), Marker(T0 + timedelta(seconds=4), "detection"),
             Marker(T0 + timedelta(seconds=9), "communication", "published"),
             Marker(T0 + timedelta(seconds=10), "communication", "published"),
             Marker(T0 + timedelta(seconds=20), "fix"),
             Marker(T0 + timedelta(seconds=22), "communication", "corrected"),
             Marker(T0 + timedelta(seconds=38), "resolved")]
    return SignalChart(points=points, markers=marks, unit="percent", threshold=0.05,
                       titles={"": "Short links are not opening",
                               "pt-BR": "Links curtos não estão abrindo"},
                       name="RedirectErrorRatioHigh: service:http_errors:ratio_rate5s",
                       impact_started_at=T0, ended_at=T0 + timedelta(seconds=38))


def test_the_incident_window_fills_the_axis_with_a_margin() -> None:
    span = short_incident().span()
    assert span is not None
    start, end = span
    assert (start, end) == (T0 - timedelta(seconds=30), T0 + timedelta(seconds=68))
    assert 38 / (end - start).total_seconds() > 0.35  # not the leftmost 8 %


@pytest.mark.parametrize(("lang", "words", "foreign"), [
    ("en", ["Short links are not opening", "% of requests", "alert threshold: 5%",
            "notice published 09:00:09 (×2)", "fix deployed 09:00:20", "notice corrected",
            "time (UTC)", "incident"], ["aviso", "limite"]),
    ("pt-BR", ["Links curtos não estão abrindo", "% das requisições", "limite do alerta: 5%",
               "aviso publicado 09:00:09 (×2)", "correção implantada 09:00:20", "aviso corrigido",
               "hora (UTC)", "incidente"], ["notice", "threshold", "detected"]),
])
def test_the_signal_chart_speaks_the_readers_language(lang, words, foreign) -> None:
    svg = charts.signal_chart(short_incident(), lang)
    text = " ".join(re.findall(r">([^<>]+)<", svg))
    for word in words:
        assert word in text, word
    assert not [w for w in foreign if w in text]
    assert "service:http_errors" not in text  # the rule's name is the caption's, not the title


def test_units_and_titles_come_from_the_rule() -> None:
    assert unit_of("service:http_errors:ratio_rate5s") == "percent"
    assert unit_of("histogram_quantile(0.95, rate(x_seconds_bucket[5m]))") == "seconds"
    assert unit_of("sum(rate(http_requests_total[1m]))") == "per_second"
    assert unit_of("process_resident_memory_bytes") == "bytes"
    assert titles_from({"summary": "Links fail", "summary_pt_BR": "Links falham"}) == {
        "": "Links fail", "pt-BR": "Links falham"}


@pytest.mark.parametrize("values", [[0], [1], [3, 1], [7.5], [31.2, 4], [99, 101], [0.2, 0.04]])
def test_the_top_tick_is_above_every_point(values) -> None:
    assert charts._top(values) >= max(values)  # noqa: SLF001
    assert charts._top(values, integer=True) >= max(values)  # noqa: SLF001


@pytest.mark.parametrize("weeks", [1, 50])
def test_trend_labels_never_crowd_with_one_week_or_fifty(weeks) -> None:
    days = [date(2026, 3, 1) - timedelta(days=n) for n in range(14 * weeks)][::-1]
    svg = str(charts.bar_chart(days, [n % 3 for n in range(len(days))], lang="pt-BR",
                           since=days[len(days) // 2]))
    labels = re.findall(r">(\d{2}/(?:\d{2}|\d{4}))<", svg)
    assert 2 <= len(labels) <= 9, labels
    assert ("Incidentes por semana" if weeks == 50 else "Incidentes por dia") in svg
    mondays = sorted({d - timedelta(days=d.weekday()) for d in days})
    line = str(charts.line_chart(mondays, [None] + [30.0] * (len(mondays) - 1), lang="en",
                                 target=60))
    assert "target: 1h 00m" in line
    assert 2 <= len(re.findall(r">(\d{2}-\d{2}|\d{4}-\d{2})<", line)) <= 9
