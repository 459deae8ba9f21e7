"""Scale: the rule benchmark at 1×, 4× and 16× rules and series, one evaluation of 10,000
rules over 100,000 series, and a whole Candor's memory with a day's worth of data.

* **rules.scale_Nx** — the ``rules`` benchmark's group (``sum by (service)
  (rate(errors{service="svc-i"}[20s])) > 5``, 10 instances per service) with 1,000·N rules
  over 10,000·N series, evaluated by ``RuleManager`` as the ``rules`` job does (fresh
  samples stored before each run); the reference is the 1× run of the same process, so
  the ratio is the growth (N would be linear). The growth exponent ``k`` in
  ``time ∝ size^k`` is fitted from the 1× and 16× medians.
* **rules.evaluate_10000** — 10,000 rules over 100,000 series: must fit in a 1 s interval.
* **memory.candor** — RSS of a fresh process holding an assembled Candor after 1,000,000
  samples over 10,000 series and 10,000 incidents with their events (SQLite); target
  ≤ 300 MB. The reference is the same process before loading anything.

Writes benchmarks/results/scale.json (rows: see ``_report``). Quick: 1× and 2× only, a
smaller memory run. Run: ``.venv/bin/python benchmarks/bench_scale.py``.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import _repo  # noqa: F401  (puts the repository root on the path)
from prometheus_client import CollectorRegistry

from benchmarks._report import QUICK, repeats, row, write
from monitor.promql.labels import labels_from
from monitor.rules.loader import parse_rules
from monitor.rules.manager import RuleManager
from monitor.scheduler import settle_heap
from monitor.signals.rule_output import RuleOutput
from monitor.signals.store import SeriesStore, StoreLimits

INSTANCES = 10
WINDOW_S = 20
METRIC = "bench_http_errors_total"
FACTORS = (1, 2) if QUICK else (1, 4, 16)
RUNS = repeats(7, 3)


def rules_yaml(services: int) -> str:
    lines = ["groups:", "  - name: bench", "    interval: 1s", "    rules:"]
    for i in range(services):
        lines += [f"      - alert: HighErrors{i:05d}",
                  f"        expr: sum by (service) (rate({METRIC}{{service=\"svc-{i:05d}\"}}"
                  f"[{WINDOW_S}s])) > 5",
                  "        for: 1m",
                  "        labels: {severity: critical}"]
    return "\n".join(lines) + "\n"


def evaluate(services: int) -> list[float]:
    """Seconds per evaluation of ``services`` rules over ``services * 10`` series."""
    t0 = 1_772_442_000
    store = SeriesStore(retention_ms=86_400_000, limits=StoreLimits(max_series_per_metric=2_000_000,
                                                                   max_series=2_000_000))
    keys = [(labels_from({"__name__": METRIC, "service": f"svc-{s:05d}", "instance": f"i-{k}"}),
             10.0 if s % 10 == 0 else 0.1) for s in range(services) for k in range(INSTANCES)]

    def scrape(t: int) -> None:
        store.append([(key, t * 1000, rate * (t - t0 + 1000)) for key, rate in keys],
                     now_ms=t * 1000)

    for t in range(t0 - WINDOW_S - 2, t0):
        scrape(t)
    registry = CollectorRegistry()
    groups = parse_rules(rules_yaml(services))[0].groups
    manager = RuleManager(groups, RuleOutput(store), default_interval=1.0, registry=registry)
    settle_heap()
    labels = {"rule_group": groups[0].key}
    durations = []
    for run in range(RUNS + 1):
        scrape(t0 + run)
        manager.evaluate_due(float(t0 + run))
        durations.append(registry.get_sample_value(
            "candor_rule_group_last_duration_seconds", labels) or 0.0)
    store.close()
    return durations[1:]


_MEMORY_CHILD = textwrap.dedent("""
    import json, sys, tempfile, psutil
    from monitor.config import Settings
    from monitor.incidents import service as incidents
    from monitor.incidents.lifecycle import State
    from monitor.promql.labels import labels_from
    from monitor.wiring import assemble, build_runtime
    series, steps, count = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    proc = psutil.Process()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.model_validate({"storage": {"data_dir": tmp},
                                            "signals": {"max_series": series * 2}})
        candor = assemble(build_runtime(settings))
        before = proc.memory_info().rss
        store, runtime = candor.signals.store, candor.runtime
        keys = [labels_from({"__name__": "bench_errors_total", "service": f"svc-{i % 100}",
                             "series": str(i)}) for i in range(series)]
        t0 = 1_772_442_000_000
        for step in range(steps):
            store.append([(k, t0 + step * 15_000, float(step)) for k in keys], now_ms=t0)
        for start in range(0, count, 500):
            with runtime.unit() as s:
                for i in range(start, min(start + 500, count)):
                    incident = incidents.open_incident(
                        s, clock=runtime.clock, key_prefix="INC", actor="bench",
                        title=f"Errors on svc-{i % 100}", severity="SEV2",
                        services=[f"svc-{i % 100}"], labels={"service": f"svc-{i % 100}"})
                    incidents.transition(s, incident, State.ACKNOWLEDGED, actor="bench",
                                         clock=runtime.clock)
                    incidents.add_note(s, incident, "looking", actor="bench", clock=runtime.clock)
        with runtime.unit() as s:
            incidents.list_incidents(s, limit=50)
        after = proc.memory_info().rss
        print(json.dumps({"before": before, "after": after, **store.stats()}))
        candor.close()
""")


def memory() -> dict[str, Any]:
    series, steps, count = (10_000, 10, 300) if QUICK else (10_000, 100, 10_000)
    done = subprocess.run([sys.executable, "-c", _MEMORY_CHILD, str(series), str(steps),
                           str(count)], check=True, capture_output=True, text=True,
                          cwd=Path(__file__).parent.parent, timeout=1800)
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return {**out, "incidents": count, "samples_loaded": series * steps}


def main() -> None:
    measured = {f: evaluate(1_000 * f) for f in FACTORS}
    base = measured[1]
    rows = [row(f"rules.scale_{f}x", what=f"one evaluation, {1_000 * f:,} rules over "
                f"{10_000 * f:,} series", unit="s", better="lower", values=measured[f],
                reference="the 1× run (ratio = growth; linear is the factor)",
                reference_values=base) for f in FACTORS]
    big = max(FACTORS)
    exponent = math.log(statistics.median(measured[big]) / statistics.median(base)) / math.log(big)
    rows.append(row("rules.growth_exponent", what=f"k in time ∝ size^k (1× to {big}×)",
                    unit="", better="lower", values=[exponent], target="≈ 1 (linear)",
                    met=exponent <= 1.15))
    if not QUICK:
        ten = evaluate(10_000)
        rows.append(row("rules.evaluate_10000", what="one evaluation, 10,000 rules over "
                        "100,000 series", unit="s", better="lower", values=ten,
                        target="≤ 1 s (fits a 1 s interval)",
                        met=statistics.median(ten) <= 1.0))
    mem = memory()
    rss_mb = mem["after"] / 2**20
    rows.append(row("memory.candor", what=f"RSS, {mem['samples_loaded']:,} samples over "
                    f"{mem['series']:,} series + {mem['incidents']:,} incidents with events",
                    unit="MiB", better="lower", values=[rss_mb],
                    reference="the same process before loading",
                    reference_values=[mem["before"] / 2**20], target="≤ 300 MB",
                    met=None if QUICK else mem["after"] <= 300e6))
    write("scale", rows, memory=mem, growth_exponent=exponent)


if __name__ == "__main__":
    main()
