"""Charts of the triggering signal, with the incident's milestones marked.

``signal_chart(points, markers)`` returns SVG text (vector: sharp in the PDF,
text kept as text so ``pdftotext`` and screen readers see the labels). It
uses matplotlib's object API (``Figure``) and never pyplot, so there is no
global figure state and no GUI backend; PNG output uses the Agg canvas.
The same input gives the same bytes (fixed hash salt, no date metadata).
matplotlib loads when the first chart is drawn, not when this module is imported
(reports and digests import it; most never draw).

Signal data comes in as ``[(datetime, value), …]``: the caller reads it from
the series store (or anywhere else).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from monitor.clock import utc

if TYPE_CHECKING:
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

COLORS = {"impact": "#c0392b", "detection": "#e67e22", "communication": "#2980b9",
          "fix": "#27ae60", "verification": "#8e44ad", "recovery": "#16a085",
          "resolved": "#2c3e50"}
STYLE: dict[RcKeyType, Any] = {"svg.hashsalt": "candor", "svg.fonttype": "none",
                               "font.family": "DejaVu Sans", "font.size": 9}


@dataclass(frozen=True)
class Marker:
    at: datetime
    label: str
    kind: str  # a key of COLORS


@contextmanager
def _drawing() -> Iterator[None]:
    """matplotlib, loaded now (the heavy import), with :data:`STYLE` applied."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        yield


def _new_figure(height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(7.5, height), dpi=100, layout="constrained")


def _dates(fmt: str, tz: str | None = None) -> DateFormatter:
    from matplotlib.dates import DateFormatter

    return DateFormatter(fmt, tz=tz)  # type: ignore[no-untyped-call]  # untyped in matplotlib's stubs


def _figure(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], title: str,
            unit: str, threshold: float | None = None) -> Figure:
    figure = _new_figure(2.8)
    axes = figure.add_subplot()
    xs = [utc(at) for at, _ in points]
    ys = [float(v) for _, v in points]
    axes.plot(xs, ys, color="#34495e", linewidth=1.4)
    if xs:
        axes.fill_between(xs, ys, color="#34495e", alpha=0.08)
    if threshold is not None:
        axes.axhline(threshold, color="#c0392b", linestyle=":", linewidth=1)
        axes.text(1.0, threshold, f" {threshold:g}", color="#c0392b", fontsize=7, va="center",
                  ha="left", transform=axes.get_yaxis_transform())
    for index, marker in enumerate(sorted(markers, key=lambda m: m.at)):
        color = COLORS.get(marker.kind, "#7f8c8d")
        axes.axvline(utc(marker.at), color=color, linestyle="--", linewidth=1)
        axes.text(utc(marker.at), 1.01 + 0.07 * (index % 3), marker.label, color=color,
                  fontsize=7, ha="center", va="bottom", transform=axes.get_xaxis_transform())
    axes.set_title(title, loc="left", fontsize=10, pad=30)
    axes.set_ylabel(unit)
    axes.xaxis.set_major_formatter(_dates("%H:%M", tz="UTC"))
    axes.grid(alpha=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure


def signal_chart(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], *,
                 title: str = "", unit: str = "", threshold: float | None = None) -> str:
    """An SVG line chart of ``points`` with a dashed line per marker (and a dotted threshold)."""
    with _drawing():
        return _svg(_figure(points, markers, title, unit, threshold))


def signal_chart_png(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], *,
                     title: str = "", unit: str = "") -> bytes:
    """The same chart as PNG (for Markdown readers and chat tools)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    with _drawing():
        figure = _figure(points, markers, title, unit)
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


def _svg(figure: Figure) -> str:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.StringIO()
    FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inlined in HTML


def _trend_axes(title: str) -> tuple[Figure, Any]:
    figure = _new_figure(2.0)
    axes = figure.add_subplot()
    axes.set_title(title, loc="left", fontsize=9)
    axes.grid(axis="y", alpha=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure, axes


def bar_chart(days: Sequence[date], counts: Sequence[int], *, title: str = "") -> str:
    """Incidents per day as SVG bars (digest trends)."""
    with _drawing():
        figure, axes = _trend_axes(title)
        axes.bar(list(days), list(counts), color="#34495e", width=0.8)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.xaxis.set_major_formatter(_dates("%m-%d"))
        return _svg(figure)


def line_chart(weeks: Sequence[date], values: Sequence[float | None], *, title: str = "") -> str:
    """A weekly figure (e.g. MTTR in minutes) as an SVG line; weeks without data are gaps."""
    with _drawing():
        figure, axes = _trend_axes(title)
        ys = [float("nan") if v is None else v for v in values]
        axes.plot(list(weeks), ys, color="#16a085", marker="o", linewidth=1.4)
        axes.set_ylim(bottom=0)
        axes.set_xticks(list(weeks)[:: max(1, len(weeks) // 10)])
        axes.xaxis.set_major_formatter(_dates("%m-%d"))
        return _svg(figure)
