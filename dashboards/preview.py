"""PNG previews of a dashboard, drawn with matplotlib from real query answers (the range
answers of :func:`dashboards.validate.validate`), laid out on Grafana's 24-column grid.

    draw(model, answers, Path("docs/dashboards/candor-incidents.png"), source="prometheus")
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.gridspec import GridSpec  # noqa: E402

from dashboards.validate import Answer  # noqa: E402

__all__ = ["draw"]

_PERCENT = {"percentunit"}


def _legend(fmt: str, labels: Mapping[str, str]) -> str:
    text = re.sub(r"\{\{\s*(\w+)\s*\}\}", lambda m: labels.get(m.group(1), ""), fmt or "")
    return (text if fmt and fmt != "__auto" else ", ".join(f"{k}={v}" for k, v in sorted(labels.items()))
            ).strip() or "value"


def _format(value: float, unit: str) -> str:
    if value != value:  # NaN
        return "NaN"
    if unit in _PERCENT:
        return f"{value * 100:.3g}%"
    if unit == "s":
        return f"{value:.3g} s"
    return f"{value:.4g}"


def draw(model: Mapping[str, Any], answers: Sequence[Answer], path: Path, *, source: str) -> None:
    """One figure: every panel at its grid position, its series or its last value."""
    panels = [p for p in model.get("panels", []) if p.get("type") != "row"]
    rows = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in model["panels"])
    by_key = {(a.panel, a.ref, a.mode): a for a in answers if a.source == source}
    figure = plt.figure(figsize=(18, rows * 0.32), dpi=80)
    grid = GridSpec(rows, 24, figure=figure, hspace=2.5, wspace=1.2)
    figure.suptitle(f"{model['title']}  —  {source}", fontsize=14, fontweight="bold")
    for panel in panels:
        pos = panel["gridPos"]
        axes = figure.add_subplot(grid[pos["y"]:pos["y"] + pos["h"], pos["x"]:pos["x"] + pos["w"]])
        unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
        axes.set_title(f"{panel['title']} ({unit})", fontsize=9, loc="left")
        axes.tick_params(labelsize=7)
        if panel["type"] == "stat":
            texts = []
            for target in panel["targets"]:
                answer = by_key.get((panel["title"], target["refId"], "instant"))
                for series, item in zip(answer.series if answer else (), answer.result if answer else (),
                                        strict=True):
                    texts.append(f"{_legend(target.get('legendFormat', ''), dict(series))}: "
                                 f"{_format(float(item['value'][1]), unit)}")
            axes.axis("off")
            axes.text(0.5, 0.5, "\n".join(texts[:6]) or "no data", ha="center", va="center",
                      fontsize=12 if len(texts) < 3 else 9, transform=axes.transAxes)
            continue
        plotted = 0
        for target in panel["targets"]:
            answer = by_key.get((panel["title"], target["refId"], "range"))
            for item in answer.result if answer else ():
                labels = {k: v for k, v in item["metric"].items() if k != "__name__"}
                times: Any = [datetime.fromtimestamp(float(t), UTC) for t, _ in item["values"]]
                values = [float(v) * (100 if unit in _PERCENT else 1) for _, v in item["values"]]
                axes.plot(times, values, linewidth=1.2,
                          label=_legend(target.get("legendFormat", ""), labels)[:40])
                plotted += 1
        for step in panel.get("fieldConfig", {}).get("defaults", {}).get("thresholds", {}).get("steps", []):
            if step.get("value") is not None and step.get("color") == "red" and plotted:
                axes.axhline(float(step["value"]) * (100 if unit in _PERCENT else 1), color="red",
                             linestyle="--", linewidth=0.8)
        axes.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
        if plotted:
            axes.legend(fontsize=6, loc="upper left", ncol=2 if plotted > 4 else 1)
        else:
            axes.text(0.5, 0.5, "no data (empty by nature in the demo)", ha="center", va="center",
                      fontsize=9, color="grey", transform=axes.transAxes)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
