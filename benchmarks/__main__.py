"""``make bench``: run every ``benchmarks/bench_*.py`` and collect their JSON results.

Each benchmark measures Candor against a reference measured in the same run
(a bare prometheus_client counter, an empty handler, real Prometheus…), prints
a human line with the ratio and writes ``benchmarks/results/<name>.json``.
Run one with ``python -m benchmarks NAME`` (e.g. ``ingest``).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).parent
RESULTS = HERE / "results"


def main(argv: list[str]) -> int:
    wanted = set(argv)
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or p.stem[6:] in wanted)
    if wanted and not scripts:
        print(f"no benchmark named {', '.join(sorted(wanted))}; have: "
              + ", ".join(p.stem[6:] for p in sorted(HERE.glob("bench_*.py"))), file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    failed = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        start = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent)
        print(f"   ({script.stem}: exit {code}, {time.monotonic() - start:.1f}s)", flush=True)
        if code:
            failed.append(script.stem)
    summary = {p.stem: json.loads(p.read_text()) for p in sorted(RESULTS.glob("*.json")) if p.stem != "summary"}
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    print(f"results: {RESULTS}/ ({len(summary)} files); failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
