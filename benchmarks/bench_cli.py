"""CLI startup: ``candor --help`` and ``candor incident --help`` wall time, measured by
``hyperfine`` (Debian package) beside ``python -c pass`` with the same interpreter, in the
same run. Target: ``candor --help`` ≤ 0.3 s.

Writes benchmarks/results/cli.json (rows: see ``_report``).
Run: ``.venv/bin/python benchmarks/bench_cli.py``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import _repo  # noqa: F401  (puts the repository root on the path)

from benchmarks._report import repeats, row, write

RUNS = repeats(15, 3)
TARGET_S = 0.3
CANDOR = str(Path(sys.executable).with_name("candor"))


def hyperfine(commands: list[str], runs: int = RUNS) -> list[list[float]]:
    """Each command's wall times in seconds (one warm-up run each, not counted)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(["hyperfine", "--warmup", "1", "--runs", str(runs), "-N",
                        "--export-json", out.name, *commands], check=True,
                       capture_output=True, text=True, timeout=600)
        results = json.loads(Path(out.name).read_text())["results"]
    return [r["times"] for r in results]


def main() -> None:
    if shutil.which("hyperfine") is None:
        raise SystemExit("hyperfine is not installed: `make test-deps` installs it")
    bare, help_all = hyperfine([f"{sys.executable} -c pass", f"{CANDOR} --help"])
    # a command that needs the runtime loads the rooms it uses: fewer runs, it is slow
    (help_incident,) = hyperfine([f"{CANDOR} incident --help"], runs=repeats(5, 2))
    rows = [
        row("cli.help", what="candor --help, wall", unit="s", better="lower", values=help_all,
            reference="python -c pass", reference_values=bare, target=f"≤ {TARGET_S} s",
            met=sorted(help_all)[len(help_all) // 2] <= TARGET_S, today="2.3–3.3 s"),
        row("cli.incident_help", what="candor incident --help, wall", unit="s", better="lower",
            values=help_incident, reference="python -c pass", reference_values=bare),
    ]
    write("cli", rows, runs=RUNS)


if __name__ == "__main__":
    main()
