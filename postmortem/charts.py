"""Charts for reports: the triggering signal of an incident, and the digest's trends.

Every chart is drawn in the reader's language (words from ``monitor.i18n.reports.Charts``)
and read at a glance:

* the signal chart shows the incident window (shaded) with a margin each side, never the
  whole query range; milestones are dashed lines named in a legend under the plot (labels
  never overlap, however close the times); the y axis has its unit (ratios as percent),
  the title is what the alert means (its ``summary``), the alert threshold is a labelled line;
* trend charts keep their labels apart with one week or fifty (days become weeks past
  60 bars), the top tick is above every point, the period before is drawn lighter, and the
  restore-time chart has its target line.

SVG keeps text as text (``pdftotext`` and screen readers see the labels); PNG is for mail
(inline ``cid:`` images) and chat. matplotlib's object API (``Figure``), never pyplot: no
global state, no GUI backend. The same input gives the same bytes (fixed hash salt, no
date metadata). matplotlib loads when the first chart is drawn, not when this module is
imported (reports and digests import it; most never draw).
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Sequence
from datetime import date, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Literal, overload

from monitor.clock import utc
from monitor.i18n import duration, number
from monitor.i18n.reports import Charts, Reports
from postmortem.chartdata import Marker, SignalChart, sort_markers

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = {"impact": "#c0392b", "detection": "#e67e22", "communication": "#2980b9",
          "fix": "#27ae60", "verification": "#8e44ad", "recovery": "#16a085",
          "resolved": "#2c3e50"}
NOTICE_COLORS = {"published": "#2980b9", "updated": "#5dade2", "corrected": "#b35c00",
                 "retracted": "#7f8c8d"}
STYLES = {"impact": "-", "detection": "--", "communication": ":", "fix": "-.",
          "verification": (0, (5, 1, 1, 1)), "resolved": "--", "recovery": "-."}
STYLE = {"svg.hashsalt": "candor", "svg.fonttype": "none", "font.family": "DejaVu Sans",
         "font.size": 9, "axes.titlesize": 10}
INK, LIGHT, TARGET = "#34495e", "#b8c4ce", "#1e8449"
Format = Literal["svg", "png"]


@functools.cache
def _mpl() -> SimpleNamespace:
    """matplotlib's parts, imported when the first chart is drawn (the heavy import)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from matplotlib.dates import AutoDateLocator, DateFormatter, date2num
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    return SimpleNamespace(
        matplotlib=matplotlib, FigureCanvasAgg=FigureCanvasAgg, FigureCanvasSVG=FigureCanvasSVG,
        AutoDateLocator=AutoDateLocator, DateFormatter=DateFormatter, date2num=date2num,
        Figure=Figure, Line2D=Line2D, Patch=Patch, FuncFormatter=FuncFormatter,
        MaxNLocator=MaxNLocator)


# ---- output ------------------------------------------------------------------------------


@overload
def _out(figure: Figure, fmt: Literal["svg"]) -> str: ...
@overload
def _out(figure: Figure, fmt: Literal["png"]) -> bytes: ...
@overload
def _out(figure: Figure, fmt: Format) -> str | bytes: ...
def _out(figure: Figure, fmt: Format) -> str | bytes:
    if fmt == "png":
        raw = io.BytesIO()
        _mpl().FigureCanvasAgg(figure).print_png(raw, metadata={"Software": None})
        return raw.getvalue()
    text = io.StringIO()
    _mpl().FigureCanvasSVG(figure).print_svg(text, metadata={"Date": None})
    svg = text.getvalue()
    return svg[svg.index("<svg"):]  # no XML prolog or doctype: inlined in HTML


def _plain_axes(axes: Any) -> None:
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def _top(values: Sequence[float], *, integer: bool = False, floor: float = 1.0) -> float:
    """A y-axis top on a tick at or above every value (a point never sits above the top tick)."""
    high = max([v for v in values if v == v] + [0.0])
    if high <= 0:
        return floor
    room = high * 1.05  # a little air above the highest point
    ticks = _mpl().MaxNLocator(nbins=4, integer=integer, steps=[1, 2, 2.5, 5, 10]).tick_values(0, room)
    return float(next(t for t in ticks if t >= room))


# ---- the signal chart ------------------------------------------------------------------------


def _marker_label(marker: Marker, lang: str) -> str:
    if marker.kind == "communication":
        return Charts.notice(lang, marker.label or "published")
    words = {"impact": Charts.impact, "detection": Charts.detected, "fix": Charts.fix,
             "verification": Charts.verified, "resolved": Charts.resolved}
    found = words.get(marker.kind)
    return found(lang) if found else marker.label


def _value_text(value: float, unit: str, lang: str) -> str:
    if unit == "percent":
        return number(value * 100, lang, digits=1 if value * 100 % 1 else 0) + "%"
    if unit == "seconds":
        return duration(value, lang)
    return number(value, lang, digits=None if float(value).is_integer() else 2)


def _signal_figure(chart: SignalChart, lang: str) -> Figure:
    figure = _mpl().Figure(figsize=(7.5, 3.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    scale = 100.0 if chart.unit == "percent" else 1.0
    xs = [utc(at) for at, _ in chart.points]
    ys = [float(v) * scale for _, v in chart.points]
    handles: list[Any] = []
    if chart.impact_started_at is not None and chart.ended_at is not None:
        axes.axvspan(utc(chart.impact_started_at), utc(chart.ended_at), color="#c0392b",
                     alpha=0.07, linewidth=0)
        handles.append(_mpl().Patch(color="#c0392b", alpha=0.15, label=Charts.window(lang)))
    axes.plot(xs, ys, color=INK, linewidth=1.5)
    if xs:
        axes.fill_between(xs, ys, color=INK, alpha=0.06)
    tops = list(ys)
    if chart.threshold is not None:
        level = chart.threshold * scale
        tops.append(level)
        axes.axhline(level, color="#c0392b", linestyle=(0, (1, 2)), linewidth=1.2)
        axes.annotate(Charts.threshold(lang, value=_value_text(chart.threshold, chart.unit, lang)),
                      xy=(0.005, level), xycoords=("axes fraction", "data"), xytext=(0, 2),
                      textcoords="offset points", color="#c0392b", fontsize=7.5, va="bottom")
    ordered = sort_markers(chart.markers)
    counts: dict[str, int] = {}
    for marker in ordered:
        counts[_marker_label(marker, lang)] = counts.get(_marker_label(marker, lang), 0) + 1
    seen: set[str] = set()
    for marker in ordered:
        label = _marker_label(marker, lang)
        color = (NOTICE_COLORS.get(marker.label, COLORS["communication"])
                 if marker.kind == "communication" else COLORS.get(marker.kind, "#7f8c8d"))
        style = STYLES.get(marker.kind, "--")
        axes.axvline(utc(marker.at), color=color, linestyle=style, linewidth=1.1)
        if label not in seen:  # one legend entry per kind: the first time, and how many
            seen.add(label)
            many = f" (×{counts[label]})" if counts[label] > 1 else ""
            handles.append(_mpl().Line2D([], [], color=color, linestyle=style, linewidth=1.1,
                                         label=f"{label} {utc(marker.at):%H:%M:%S}{many}"))
    span = chart.span()
    if span is not None:
        axes.set_xlim(utc(span[0]), utc(span[1]))
        seconds = (span[1] - span[0]).total_seconds()
        axes.xaxis.set_major_locator(_mpl().AutoDateLocator(minticks=3, maxticks=7))
        axes.xaxis.set_major_formatter(_mpl().DateFormatter("%H:%M:%S" if seconds < 900 else "%H:%M",
                                                     tz="UTC"))
    axes.set_ylim(0, _top(tops) * 1.12 if chart.unit != "alert" else 1.15)
    if chart.unit == "percent":
        axes.yaxis.set_major_formatter(_mpl().FuncFormatter(lambda v, _: number(v, lang, digits=None
                                                     if not v % 1 else 1)))
    axes.set_ylabel(Charts.unit(lang, chart.unit))
    axes.set_xlabel(Charts.time_utc(lang))
    axes.set_title("\n".join(textwrap.wrap(chart.title(lang), 90)), loc="left")
    axes.grid(alpha=0.25)
    _plain_axes(axes)
    if handles:
        figure.legend(handles=handles, loc="outside lower center", ncols=min(3, len(handles)),
                      frameon=False, fontsize=7.5, handlelength=2.5)
    return figure


@overload
def signal_chart(chart: SignalChart, lang: str, fmt: Literal["svg"] = "svg") -> str: ...
@overload
def signal_chart(chart: SignalChart, lang: str, fmt: Literal["png"]) -> bytes: ...
def signal_chart(chart: SignalChart, lang: str, fmt: Format = "svg") -> str | bytes:
    """The triggering signal with the incident window, milestones and threshold (SVG or PNG)."""
    with _mpl().matplotlib.rc_context(STYLE):
        return _out(_signal_figure(chart, lang), fmt)


# ---- trends (the digest) ----------------------------------------------------------------------


def _date_axis(axes: Any, xs: Sequence[date], lang: str, *, weekly: bool) -> None:
    """Dates that never collide: at most eight labels, whatever the number of bars or points;
    weekly data is labelled on its Mondays."""
    first, last = xs[0], xs[-1]
    pad = timedelta(days=3.5 if weekly else 1.0)
    axes.set_xlim(_mpl().date2num(first - pad), _mpl().date2num(last + pad))
    if weekly and len(xs) <= 8:
        axes.set_xticks([_mpl().date2num(x) for x in xs])
    else:
        axes.xaxis.set_major_locator(_mpl().AutoDateLocator(minticks=2, maxticks=8))
    if (last - first).days > 120:  # ticks fall on months: say which year
        axes.xaxis.set_major_formatter(_mpl().DateFormatter("%m/%Y" if lang == "pt-BR" else "%Y-%m"))
    else:
        axes.xaxis.set_major_formatter(_mpl().DateFormatter("%d/%m" if lang == "pt-BR" else "%m-%d"))


def _weeks(days: Sequence[date], counts: Sequence[int]) -> tuple[list[date], list[int]]:
    by_week: dict[date, int] = {}
    for day, n in zip(days, counts, strict=True):
        monday = day - timedelta(days=day.weekday())
        by_week[monday] = by_week.get(monday, 0) + n
    return list(by_week), list(by_week.values())


def _trend_figure(title: str) -> tuple[Figure, Any]:
    figure = _mpl().Figure(figsize=(7.5, 2.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.set_title(title, loc="left")
    axes.grid(axis="y", alpha=0.25)
    _plain_axes(axes)
    return figure, axes


def bar_chart(days: Sequence[date], counts: Sequence[int], *, lang: str = "en",
              since: date | None = None, fmt: Format = "svg") -> str | bytes:
    """Incidents per day (per week past 60 days) as bars; days before ``since`` (the period
    before) are drawn lighter."""
    weekly = len(days) > 60
    xs, ys = _weeks(days, counts) if weekly else (list(days), list(counts))
    with _mpl().matplotlib.rc_context(STYLE):
        figure, axes = _trend_figure(Reports.per_week(lang) if weekly else Reports.per_day(lang))
        colors = [LIGHT if since is not None and x < since - timedelta(days=6 if weekly else 0)
                  else INK for x in xs]
        axes.bar([_mpl().date2num(x) for x in xs], ys, color=colors, width=5.5 if weekly else 0.8)
        axes.set_ylim(0, _top(ys, integer=True))
        axes.yaxis.set_major_locator(_mpl().MaxNLocator(nbins=4, integer=True))
        axes.set_ylabel(Charts.unit(lang, "incidents"))
        if xs:
            _date_axis(axes, xs, lang, weekly=weekly)
        if since is not None:
            figure.legend(handles=[_mpl().Patch(color=LIGHT, label=Reports.previous(lang)),
                                   _mpl().Patch(color=INK, label=Reports.this_period(lang))],
                          loc="outside upper right", ncols=2, frameon=False, fontsize=7.5)
        return _out(figure, fmt)


def line_chart(weeks: Sequence[date], values: Sequence[float | None], *, lang: str = "en",
               target: float | None = None, fmt: Format = "svg") -> str | bytes:
    """Mean time to restore per week, in minutes; weeks without data are gaps; ``target``
    (minutes) is a labelled line."""
    ys = [float("nan") if v is None else float(v) for v in values]
    with _mpl().matplotlib.rc_context(STYLE):
        figure, axes = _trend_figure(Reports.mttr_per_week(lang))
        axes.plot([_mpl().date2num(w) for w in weeks], ys, color="#16a085", marker="o", linewidth=1.5,
                  markersize=4)
        tops = [y for y in ys if y == y]
        if target is not None:
            tops.append(target * 1.15)  # room for its label
            axes.axhline(target, color=TARGET, linestyle="--", linewidth=1)
            axes.annotate(Charts.target(lang, value=duration(target * 60, lang)),
                          xy=(0.005, target), xycoords=("axes fraction", "data"),
                          xytext=(0, 2), textcoords="offset points", color=TARGET, fontsize=7.5,
                          va="bottom")
        axes.set_ylim(0, _top(tops))
        axes.yaxis.set_major_locator(_mpl().MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]))
        axes.set_ylabel(Charts.unit(lang, "minutes"))
        if weeks:
            _date_axis(axes, weeks, lang, weekly=True)
        if all(y != y for y in ys):
            axes.text(0.5, 0.5, Charts.no_data(lang), transform=axes.transAxes, ha="center",
                      va="center", color="#7f8c8d")
        return _out(figure, fmt)

