"""Mutation testing for ``make mutate`` (mutmut; configured in ``[tool.mutmut]``).

    python scripts/mutate.py [--jobs 2] [--sample 5] [--promql-sample 20] [--only PATTERN ...]

Runs mutmut over monitor/incidents, monitor/alerting and the promql evaluator, kernels,
functions and aggregation, then prints the score per package from mutmut's results
(``mutants/**/*.meta``). There are ~6,000 mutants (incidents ~990, alerting ~840, promql
~4,250) and each takes seconds, so by default a sample runs: one in ``--sample`` of
incidents and alerting, one in ``--promql-sample`` of promql (every n-th name in sorted
order: the same sample on every run, spread over every function). ``--only`` runs just the
mutants whose names match (fnmatch patterns, e.g. ``'monitor.incidents.lifecycle.*'``).
mutmut keeps results in ``mutants/`` and reruns only mutants whose function or tests changed.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

MUTMUT = str(Path(sys.executable).with_name("mutmut"))
PACKAGES = ("monitor.incidents", "monitor.alerting", "monitor.promql")
#: mutmut's exit codes (mutmut/stats.py), folded into the four columns reported.
STATUS = {1: "killed", 3: "killed", 0: "survived", 36: "timeout", 24: "timeout",
          -24: "timeout", 152: "timeout", 255: "timeout", 37: "killed", 5: "no tests",
          33: "no tests"}


def results() -> dict[str, int | None]:
    """Every generated mutant's exit code (None: not run), by mutant name."""
    codes: dict[str, int | None] = {}
    for meta in Path("mutants").rglob("*.py.meta"):
        codes.update(json.loads(meta.read_text())["exit_code_by_key"])
    return codes


def status(code: int | None) -> str:
    if code is None:
        return "not run"
    return STATUS.get(code, "other")


def score_table(codes: dict[str, int | None], names: set[str] | None = None) -> str:
    lines = [f"{'package':<20} {'killed':>7} {'survived':>9} {'timeout':>8} {'no tests':>9} "
             f"{'other':>6} {'total':>6} {'score':>7}"]
    for package in PACKAGES:
        counts = Counter(status(code) for name, code in codes.items()
                         if name.startswith(package + ".") and (names is None or name in names)
                         and code is not None)
        total = sum(counts.values())
        caught = counts["killed"] + counts["timeout"]
        score = f"{100 * caught / total:6.1f}%" if total else "    n/a"
        lines.append(f"{package:<20} {counts['killed']:>7} {counts['survived']:>9} "
                     f"{counts['timeout']:>8} {counts['no tests']:>9} {counts['other']:>6} "
                     f"{total:>6} {score}")
    return "\n".join(lines)


def mutmut_run(jobs: int, names: list[str]) -> None:
    # mutmut exits non-zero when mutants survive; the table below says how many.
    subprocess.run([MUTMUT, "run", "--max-children", str(jobs), *names], check=False)


def sample(names: list[str], every: int) -> list[str]:
    """Every ``every``-th name in sorted order (the same sample on every run, spread over
    every function of every module)."""
    return sorted(names)[::max(every, 1)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=2, help="mutants run at once")
    parser.add_argument("--sample", type=int, default=5,
                        help="run one incidents/alerting mutant in this many (1: all)")
    parser.add_argument("--promql-sample", type=int, default=20,
                        help="run one promql mutant in this many (1: all)")
    parser.add_argument("--only", nargs="*", default=[], help="mutant name patterns")
    args = parser.parse_args(argv)
    if not results():
        # The first run generates every mutant and records which tests reach which function.
        mutmut_run(args.jobs, ["monitor.incidents.api.*"])
    every = {"monitor.promql": args.promql_sample}
    if args.only:
        chosen = sorted(n for n in results() if any(fnmatch.fnmatch(n, p) for p in args.only))
    else:
        chosen = [n for package in PACKAGES
                  for n in sample([m for m in results() if m.startswith(package + ".")],
                                  every.get(package, args.sample))]
    if chosen:
        mutmut_run(args.jobs, chosen)
    print(score_table(results(), set(chosen)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
