"""What every benchmark writes: rows of repeated measurements beside a reference.

A benchmark measures each path several times (``repeats``), measures its reference in the
same run (an empty handler, real Prometheus, ``python -c pass``…), and calls ``write``
with one ``row`` per path. ``python -m benchmarks`` gathers the rows of one run into
``benchmarks/results/latest.json`` with the machine and the versions; ``candor bench
compare OLD NEW`` compares two such files.

A row::

    {"name": "http.status_page", "what": "GET /status", "unit": "req/s",
     "better": "higher",                      # or "lower" (latencies, durations)
     "candor": {"median": …, "p95": …, "min": …, "max": …, "runs": [...]},
     "reference": {"name": "empty handler", "median": …, …} | None,
     "ratio": candor median / reference median | None,
     "target": "≥ 0.9× the empty handler", "met": true | false | None,
     "today": "536 req/s (0.23×)"}           # the figure the issue started from

``p95`` is over the runs (with few runs it is close to the max). Set
``CANDOR_BENCH_QUICK=1`` (``make bench QUICK=1``) for fewer, shorter runs: the
figures are then only a smoke test.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

QUICK = os.environ.get("CANDOR_BENCH_QUICK", "") not in ("", "0")
RESULTS = Path(os.environ.get("CANDOR_BENCH_RESULTS") or Path(__file__).parent / "results")

Better = Literal["higher", "lower"]


def repeats(full: int, quick: int = 2) -> int:
    """How many times to measure: ``full`` normally, ``quick`` under QUICK."""
    return quick if QUICK else full


def quantile(values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation between the sorted values."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, p95, min and max over repeated runs, and the runs themselves."""
    if not values:
        raise ValueError("a benchmark row needs at least one measured run")
    return {"median": _round(statistics.median(values)), "p95": _round(quantile(values, 0.95)),
            "min": _round(min(values)), "max": _round(max(values)),
            "runs": [_round(v) for v in values]}


def _round(value: float) -> float:
    return float(f"{value:.4g}")


def ratio_met(r: dict[str, Any], *, at_least: float | None = None,
              at_most: float | None = None) -> bool | None:
    """Whether a row's ratio meets its target; None (not measured) when the run gave no ratio,
    e.g. a reference that answered nothing on a loaded machine."""
    ratio = r["ratio"]
    if ratio is None:
        return None
    return (at_least is None or ratio >= at_least) and (at_most is None or ratio <= at_most)


def row(name: str, *, what: str, unit: str, better: Better, values: Sequence[float],
        reference: str | None = None, reference_values: Sequence[float] = (),
        target: str | None = None, met: bool | None = None, today: str | None = None,
        **details: Any) -> dict[str, Any]:
    """One path's measurements and its reference's, measured in the same run."""
    candor = summary(values)
    ref = {"name": reference, **summary(reference_values)} if reference_values else None
    ratio = (_round(candor["median"] / ref["median"]) if ref and ref["median"] else None)
    return {"name": name, "what": what, "unit": unit, "better": better, "candor": candor,
            "reference": ref, "ratio": ratio, "target": target, "met": met, "today": today,
            **({"details": details} if details else {})}


def write(bench: str, rows: list[dict[str, Any]], **details: Any) -> Path:
    """``results/<bench>.json``: the rows, and whatever else the benchmark wants kept."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{bench}.json"
    out.write_text(json.dumps({"bench": bench, "quick": QUICK, "rows": rows, **details},
                              indent=2, sort_keys=True) + "\n")
    for r in rows:
        print(line(r), flush=True)
    return out


def line(r: dict[str, Any]) -> str:
    """A human line for one row."""
    c = r["candor"]
    text = f"  {r['name']:<34} {c['median']:>10g} {r['unit']:<6} (p95 {c['p95']:g})"
    if r["reference"]:
        ratio = "—" if r["ratio"] is None else f"{r['ratio']:g}"  # a starved reference
        text += f"  ref {r['reference']['median']:g} ({r['reference']['name']})  ratio {ratio}"
    if r["met"] is not None:
        text += f"  target {r['target']}: {'met' if r['met'] else 'NOT met'}"
    return text
