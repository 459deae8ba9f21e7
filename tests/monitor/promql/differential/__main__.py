"""``python -m tests.monitor.promql.differential --count 5000 --seed 1 [--grid]``."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from tests.monitor.promql.differential.harness import Prometheus, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.monitor.promql.differential",
                                     description=__doc__)
    parser.add_argument("--count", type=int, default=1000, help="expressions to compare")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--grid", action="store_true",
                        help="evaluate on the sample grid (left window edges hit samples)")
    parser.add_argument("--show", type=int, default=20, help="unexplained cases to print")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="promql-diff-") as tmp, \
            Prometheus.serve(Path(tmp)) as prom:
        report = run(prom, count=args.count, seed=args.seed, grid=args.grid)
    shown: set[str] = set()
    for case in report.unexplained:
        if case.query.expr in shown or len(shown) >= args.show:
            continue  # one case per expression
        shown.add(case.query.expr)
        print(case.report(), end="\n\n")
    print(report.summary())
    return 1 if report.unexplained else 0


if __name__ == "__main__":
    sys.exit(main())
