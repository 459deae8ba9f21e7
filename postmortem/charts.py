"""Charts of the triggering signal, with the incident's milestones marked.

``signal_chart(points, markers)`` returns SVG text (vector: sharp in the PDF,
text kept as text so ``pdftotext`` and screen readers see the labels). It
uses matplotlib's object API (``Figure``) and never pyplot, so there is no
global figure state and no GUI backend; PNG output uses the Agg canvas.
The same input gives the same bytes (fixed hash salt, no date metadata).

Signal data comes in as ``[(datetime, value), …]``: the caller reads it from
the series store (or anywhere else).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from monitor.clock import utc

COLORS = {"impact": "#c0392b", "detection": "#e67e22", "communication": "#2980b9",
          "fix": "#27ae60", "verification": "#8e44ad", "recovery": "#16a085",
          "resolved": "#2c3e50"}
STYLE = {"svg.hashsalt": "candor", "svg.fonttype": "none", "font.family": "DejaVu Sans",
         "font.size": 9}


@dataclass(frozen=True)
class Marker:
    at: datetime
    label: str
    kind: str  # a key of COLORS


def _figure(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], title: str,
            unit: str) -> Figure:
    figure = Figure(figsize=(7.5, 2.8), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    xs = [utc(at) for at, _ in points]
    ys = [float(v) for _, v in points]
    axes.plot(xs, ys, color="#34495e", linewidth=1.4)
    if xs:
        axes.fill_between(xs, ys, color="#34495e", alpha=0.08)
    for index, marker in enumerate(sorted(markers, key=lambda m: m.at)):
        color = COLORS.get(marker.kind, "#7f8c8d")
        axes.axvline(utc(marker.at), color=color, linestyle="--", linewidth=1)
        axes.text(utc(marker.at), 1.01 + 0.07 * (index % 3), marker.label, color=color,
                  fontsize=7, ha="center", va="bottom", transform=axes.get_xaxis_transform())
    axes.set_title(title, loc="left", fontsize=10, pad=30)
    axes.set_ylabel(unit)
    axes.xaxis.set_major_formatter(DateFormatter("%H:%M", tz="UTC"))
    axes.grid(alpha=0.25)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    return figure


def signal_chart(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], *,
                 title: str = "", unit: str = "") -> str:
    """An SVG line chart of ``points`` with a dashed line per marker."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(points, markers, title, unit)
        buffer = io.StringIO()
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]  # drop the XML prolog and doctype: inlined in HTML


def signal_chart_png(points: Sequence[tuple[datetime, float]], markers: Sequence[Marker], *,
                     title: str = "", unit: str = "") -> bytes:
    """The same chart as PNG (for Markdown readers and chat tools)."""
    with matplotlib.rc_context(STYLE):
        figure = _figure(points, markers, title, unit)
        buffer = io.BytesIO()
        FigureCanvasAgg(figure).print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()
