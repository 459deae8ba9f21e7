"""``candor bench compare OLD NEW``: what got slower between two ``make bench`` runs.

Both files are ``benchmarks/results/latest.json`` as ``python -m benchmarks`` writes them.
Rows are matched by name. A row measured against a reference in the same run is compared
by its ratio (Candor over the reference), which a busy or slower machine moves far less
than the raw figure; a row without a reference by its median. A row is a regression when
it got worse by more than ``--threshold`` (10 % by default) in its own direction
(``better``: "higher" for rates, "lower" for times). Exit 1 if any row regressed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from monitor.cli.output import emit, fail, out, table

app = typer.Typer(no_args_is_help=True, rich_markup_mode=None)


@app.callback()
def bench() -> None:
    """Benchmark results (``make bench`` writes them)."""


@dataclass(frozen=True)
class Change:
    name: str
    basis: str  # "ratio" or "median"
    old: float
    new: float
    worse_by: float  # the fraction it got worse by in its own direction (negative: better)
    regressed: bool

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "basis": self.basis, "old": self.old, "new": self.new,
                "worse_by": round(self.worse_by, 4), "regressed": self.regressed}


def compare(old: list[dict[str, Any]], new: list[dict[str, Any]], *,
            threshold: float = 0.10) -> tuple[list[Change], list[str], list[str]]:
    """The changes of the rows both runs have; and the names only in the old, only in the new."""
    before = {r["name"]: r for r in old}
    after = {r["name"]: r for r in new}
    changes = []
    for name, now in after.items():
        then = before.get(name)
        if then is None:
            continue
        if then.get("ratio") and now.get("ratio"):
            basis, a, b = "ratio", float(then["ratio"]), float(now["ratio"])
        else:
            basis, a, b = "median", float(then["candor"]["median"]), float(now["candor"]["median"])
        if a == 0:
            worse = 0.0
        elif now.get("better") == "higher":
            worse = (a - b) / a
        else:
            worse = (b - a) / a
        changes.append(Change(name, basis, a, b, worse, worse > threshold))
    return (changes, sorted(set(before) - set(after)), sorted(set(after) - set(before)))


def _rows(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        fail(f"{path}: cannot read it ({exc.strerror}); give a latest.json written by make bench")
    except json.JSONDecodeError as exc:
        fail(f"{path}:{exc.lineno}: not JSON ({exc.msg}); give a latest.json written by make bench")
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        fail(f"{path}: no \"rows\" list; give a latest.json written by make bench")
    for i, r in enumerate(rows):
        if not (isinstance(r, dict) and isinstance(r.get("name"), str)
                and isinstance(r.get("candor"), dict) and "median" in r["candor"]):
            fail(f"{path}: rows[{i}] lacks a name or candor.median; give a latest.json "
                 "written by make bench")
    return rows


@app.command("compare")
def compare_cmd(
    old: Annotated[Path, typer.Argument(help="the earlier latest.json")],
    new: Annotated[Path, typer.Argument(help="the later latest.json")],
    threshold: Annotated[float, typer.Option(help="regression threshold, a fraction", min=0)] = 0.10,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Compare two benchmark runs; exit 1 if a row got worse by more than the threshold."""
    changes, gone, added = compare(_rows(old), _rows(new), threshold=threshold)

    def human() -> None:
        table(f"{old} → {new}", ["benchmark", "by", "old", "new", "worse by", ""],
              [[c.name, c.basis, f"{c.old:g}", f"{c.new:g}", f"{c.worse_by:+.1%}",
                "REGRESSION" if c.regressed else ""] for c in changes])
        for name in gone:
            out.print(f"{name}: only in {old}")
        for name in added:
            out.print(f"{name}: only in {new}")
        regressed = [c.name for c in changes if c.regressed]
        out.print(f"{len(regressed)} regression(s) over {threshold:.0%}"
                  + (f": {', '.join(regressed)}" if regressed else ""))

    emit({"changes": [c.as_dict() for c in changes], "only_old": gone, "only_new": added},
         as_json, human)
    if any(c.regressed for c in changes):
        raise typer.Exit(1)
