"""``make bench``: run every ``benchmarks/bench_*.py`` and gather their rows.

Each benchmark measures Candor against a reference measured in the same run (a bare
prometheus_client counter, an empty handler, real Prometheus…) over repeated runs and
writes ``benchmarks/results/<name>.json`` (see ``benchmarks/_report.py``). This gathers
the rows of the benchmarks that ran into ``benchmarks/results/latest.json`` with the
machine and the package versions, and prints the table.

    python -m benchmarks                 every benchmark
    python -m benchmarks http cli        some of them
    python -m benchmarks --quick         fewer, shorter runs (make bench QUICK=1)
    python -m benchmarks --table FILE    the Markdown table of a latest.json (README)

Compare two runs with ``candor bench compare OLD NEW``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
PACKAGES = ("candor", "fastapi", "starlette", "uvicorn", "pydantic", "sqlmodel", "sqlalchemy",
            "prometheus-client", "jinja2", "typer")
BINARIES = {"wrk": ["wrk", "--version"], "prometheus": ["prometheus", "--version"],
            "hyperfine": ["hyperfine", "--version"]}


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for text in Path("/proc/cpuinfo").read_text().splitlines():
            if text.startswith("model name"):
                cpu = text.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        mem_kb = next(int(t.split()[1]) for t in Path("/proc/meminfo").read_text().splitlines()
                      if t.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem_kb = 0
    return {"platform": platform.platform(), "cpu": cpu, "cpus": os.cpu_count(),
            "memory_gib": round(mem_kb / 2**20, 1), "load_average_1m": round(os.getloadavg()[0], 2)}


def versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    for name, argv in BINARIES.items():
        if shutil.which(argv[0]) is None:
            out[name] = "absent"
            continue
        done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        first = (done.stdout or done.stderr).strip().splitlines()
        out[name] = first[0][:80] if first else "unknown"
    return out


def table(latest: dict[str, Any]) -> str:
    """The Markdown table of a latest.json: one line per row."""
    lines = ["| benchmark | what | today (issue 15) | Candor, median (p95) | reference, median "
             "| ratio | target | met |", "|---|---|---|---|---|---|---|---|"]
    for r in latest["rows"]:
        c, ref = r["candor"], r["reference"]
        lines.append(" | ".join([
            f"| `{r['name']}`", r["what"], r.get("today") or "—",
            f"{c['median']:g} {r['unit']} ({c['p95']:g})",
            f"{ref['median']:g} {r['unit']} ({ref['name']})" if ref else "—",
            f"{r['ratio']:g}×" if r["ratio"] is not None else "—",
            r.get("target") or "—",
            {True: "yes", False: "**no**", None: "—"}[r["met"]]]) + " |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--table"]:
        print(table(json.loads(Path(argv[1]).read_text())))
        return 0
    quick = "--quick" in argv or os.environ.get("CANDOR_BENCH_QUICK", "") not in ("", "0")
    wanted = {a for a in argv if not a.startswith("--")}
    scripts = sorted(p for p in HERE.glob("bench_*.py") if not wanted or p.stem[6:] in wanted)
    if wanted and not scripts:
        print(f"no benchmark named {', '.join(sorted(wanted))}; have: "
              + ", ".join(p.stem[6:] for p in sorted(HERE.glob("bench_*.py"))), file=sys.stderr)
        return 2
    results = Path(os.environ.get("CANDOR_BENCH_RESULTS") or HERE / "results")
    results.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "CANDOR_BENCH_QUICK": "1" if quick else "0",
           "CANDOR_BENCH_RESULTS": str(results)}
    started, start = datetime.now(UTC), time.monotonic()
    failed, benches = [], {}
    for script in scripts:
        name = script.stem[6:]
        print(f"== {name}{' (quick)' if quick else ''}", flush=True)
        began = time.monotonic()
        code = subprocess.call([sys.executable, str(script)], cwd=HERE.parent, env=env)
        took = round(time.monotonic() - began, 1)
        print(f"   ({name}: exit {code}, {took}s)", flush=True)
        out = results / f"{name}.json"
        if code or not out.exists() or out.stat().st_mtime < time.time() - (time.monotonic() - began) - 1:
            failed.append(name)
            continue
        benches[name] = {**json.loads(out.read_text()), "duration_s": took}
    rows = [r for b in benches.values() for r in b["rows"]]
    latest: dict[str, Any] = {"started_at": started.isoformat(timespec="seconds"), "quick": quick,
              "duration_s": round(time.monotonic() - start, 1), "machine": machine(),
              "versions": versions(), "failed": failed,
              "rows": rows, "benchmarks": benches}
    (results / "latest.json").write_text(json.dumps(latest, indent=2, sort_keys=True) + "\n")
    print(table(latest))
    print(f"results: {results / 'latest.json'} ({len(rows)} rows, "
          f"{latest['duration_s']}s); failed: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
