"""``make bench QUICK=1`` keeps working: every benchmark runs once, quickly, and
``latest.json`` holds valid rows; ``candor bench compare`` flags what got worse.
No time is asserted here (speed lives in the benchmarks' own figures)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from benchmarks._report import line, ratio_met, row
from monitor.cli.bench import compare
from monitor.cli.main import app

REPO = Path(__file__).resolve().parents[2]


def _row(name: str, median: float, *, ratio: float | None = None,
         better: str = "lower") -> dict[str, Any]:
    return {"name": name, "better": better, "ratio": ratio, "unit": "s",
            "candor": {"median": median, "p95": median, "min": median, "max": median}}


def test_a_row_worse_by_more_than_ten_percent_is_a_regression() -> None:
    old = [_row("a", 1.0), _row("b", 100.0, better="higher"), _row("c", 1.0, ratio=0.5),
           _row("gone", 1.0)]
    new = [_row("a", 1.2), _row("b", 95.0, better="higher"), _row("c", 9.0, ratio=0.52),
           _row("added", 1.0)]
    changes, gone, added = compare(old, new)
    by_name = {c.name: c for c in changes}
    assert by_name["a"].regressed and by_name["a"].basis == "median"
    assert not by_name["b"].regressed  # 5 % fewer requests/s
    assert not by_name["c"].regressed and by_name["c"].basis == "ratio"  # the ratio held
    assert (gone, added) == (["gone"], ["added"])


def test_a_reference_that_answered_nothing_leaves_the_target_unjudged() -> None:
    """A loaded machine can starve the reference (an empty handler at 0 req/s): the row has
    no ratio, and whether it met its target is not measured, never true nor a crash."""
    starved = row("http.x", what="GET /x", unit="req/s", better="higher", values=[500.0],
                  reference="empty handler", reference_values=[0.0], target="≥ 0.5× empty")
    assert starved["ratio"] is None and ratio_met(starved, at_least=0.5) is None
    assert "ratio —" in line(starved)  # the run prints every row it writes
    fine = row("http.x", what="GET /x", unit="req/s", better="higher", values=[500.0],
               reference="empty handler", reference_values=[1000.0], target="≥ 0.5× empty")
    assert ratio_met(fine, at_least=0.5) is True and ratio_met(fine, at_most=0.4) is False


def test_compare_exits_1_on_a_regression_and_2_on_a_file_that_is_not_a_result(
        tmp_path: Path) -> None:
    old, new, bad = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "bad.json"
    old.write_text(json.dumps({"rows": [_row("a", 1.0)]}))
    new.write_text(json.dumps({"rows": [_row("a", 2.0)]}))
    bad.write_text(json.dumps({"rows": [{"name": "a"}]}))
    runner = CliRunner()
    assert runner.invoke(app, ["bench", "compare", str(old), str(old)]).exit_code == 0
    worse = runner.invoke(app, ["bench", "compare", str(old), str(new)])
    assert worse.exit_code == 1 and "REGRESSION" in worse.output
    refused = runner.invoke(app, ["bench", "compare", str(old), str(bad)])
    assert refused.exit_code == 2 and "rows[0]" in refused.output
    missing = runner.invoke(app, ["bench", "compare", str(old), str(tmp_path / "none.json")])
    assert missing.exit_code == 2 and "cannot read" in missing.output


@pytest.mark.slow
def test_make_bench_quick_writes_every_row(tmp_path: Path) -> None:
    env = {**os.environ, "CANDOR_BENCH_RESULTS": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "benchmarks", "--quick"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    latest = json.loads((tmp_path / "latest.json").read_text())
    assert latest["quick"] is True and latest["failed"] == []
    assert {"machine", "versions", "duration_s", "started_at"} <= set(latest)
    names = {r["name"] for r in latest["rows"]}
    for bench in ("exporters", "ingest", "rules", "detection", "postmortem", "http", "cli",
                  "memory"):
        assert any(n.startswith(bench + ".") for n in names), bench
    for r in latest["rows"]:
        assert {"median", "p95", "min", "max"} <= set(r["candor"]), r["name"]
        assert r["better"] in ("higher", "lower")
        if r["reference"] is not None:
            assert r["ratio"] is not None
