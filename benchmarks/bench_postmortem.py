"""Postmortem rendering and digest speed (targets from issue 7; measured, not asserted).

    .venv/bin/python benchmarks/bench_postmortem.py

Renders a postmortem with 5,000 timeline entries to HTML (target ≤ 1 s) and PDF
(≤ 15 s; with the default ``pdf_timeline_limit`` and, for comparison, with every
entry), and computes and renders a digest over 1,000 incidents (≤ 5 s).
Writes benchmarks/results/postmortem.json (rows: see ``_report``). Times are wall clock;
``*_cpu_s`` is this process's CPU time (steadier on a shared machine).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._report import QUICK, repeats, row, write  # noqa: E402
from monitor.config.postmortem import PostmortemSettings  # noqa: E402
from postmortem import examples  # noqa: E402
from postmortem.digest import compute_digest  # noqa: E402
from postmortem.render import render  # noqa: E402
from postmortem.report import Report, assemble  # noqa: E402

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 31, tzinfo=UTC)
LIMIT = PostmortemSettings().pdf_timeline_limit
TYPES = ("note.added", "alert.attached", "alert.resolved", "notice.published", "fix.deployed")


def ev(seq: int, type: str, at: datetime, payload: dict[str, object]) -> SimpleNamespace:
    return SimpleNamespace(seq=seq, type=type, at=at, actor="@ana", payload=payload)


def big_report(entries: int) -> Report:
    events = [ev(1, "incident.opened", T0, {"title": "Big", "severity": "SEV1",
                                            "impact_started_at": (T0 - timedelta(minutes=3)).isoformat()})]
    for seq in range(2, entries + 1):
        type = TYPES[seq % len(TYPES)]
        events.append(ev(seq, type, T0 + timedelta(seconds=3 * seq),
                         {"text": f"observation {seq}", "alertname": "RedirectErrorsHigh",
                          "description": f"deploy {seq}", "lang": "en", "title": f"notice {seq}"}))
    incident = SimpleNamespace(key="INC-5000", title="Benchmark incident", severity="SEV1",
                               state="resolved", services=["api"], commander="@ana", summary="",
                               related=[])
    return assemble(incident=incident, events=events, now=NOW, signal=examples.signal(T0),
                    signal_name="5xx ratio (%)")


def incidents(n: int) -> list[tuple[SimpleNamespace, list[SimpleNamespace]]]:
    rows = []
    for i in range(n):
        impact = NOW - timedelta(hours=2 * i + 1)
        events = [
            ev(1, "incident.opened", impact + timedelta(minutes=2 + i % 7),
               {"title": f"i{i}", "severity": f"SEV{1 + i % 4}", "impact_started_at": impact.isoformat()}),
            ev(2, "incident.transitioned", impact + timedelta(minutes=5 + i % 11),
               {"from": "detected", "to": "acknowledged"}),
            ev(3, "notice.published", impact + timedelta(minutes=9 + i % 13), {}),
            ev(4, "alerts.all_resolved", impact + timedelta(minutes=30 + i % 17), {}),
            ev(5, "incident.transitioned", impact + timedelta(minutes=45 + i % 17),
               {"from": "verifying", "to": "resolved"}),
        ]
        rows.append((SimpleNamespace(key=f"INC-{i}", title=f"Incident {i}", severity=f"SEV{1 + i % 4}",
                                     services=[f"svc{i % 9}"], group_key=f"g{i % 40}", state="resolved",
                                     created_at=impact), events))
    return rows


def pages(pdf: bytes) -> int:
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, check=True).stdout
    return int(next(line.split()[1] for line in info.decode().splitlines() if line.startswith("Pages:")))


CPU: dict[str, float] = {}
T = TypeVar("T")


def timed(fn: Callable[[], T], name: str = "") -> tuple[T, float]:
    start, cpu = time.perf_counter(), time.process_time()
    result = fn()
    if name:
        CPU[name] = round(time.process_time() - cpu, 3)
    return result, round(time.perf_counter() - start, 3)


ENTRIES = 500 if QUICK else 5000
INCIDENTS = 100 if QUICK else 1000


def main() -> None:
    _, warmup_s = timed(lambda: render(big_report(10), "pdf", "en"))  # imports, fontconfig, first SVG
    report = big_report(ENTRIES)
    html_s, pdf_s, digest_s = [], [], []
    rows = incidents(INCIDENTS)
    pages_of = 0
    for _ in range(repeats(3, 1)):
        html_s.append(timed(lambda: render(report, "html", "en"))[1])
        pdf, took = timed(lambda: render(report, "pdf", "en", pdf_timeline_limit=2000))
        pdf_s.append(took)
        pages_of = pages(pdf)
        digest, took = timed(lambda: compute_digest(rows, "quarter", NOW))
        digest_s.append(took + timed(partial(render, digest, "html", "en", template="digest"))[1])
    out = [
        row("postmortem.html", what=f"postmortem with {ENTRIES:,} timeline entries → HTML",
            unit="s", better="lower", values=html_s, target="≤ 1 s",
            met=max(html_s) <= 1.0 if not QUICK else None),
        row("postmortem.pdf", what=f"the same → PDF (timeline limit 2,000; {pages_of} pages)",
            unit="s", better="lower", values=pdf_s, target="≤ 15 s",
            met=max(pdf_s) <= 15.0 if not QUICK else None),
        row("postmortem.digest", what=f"digest over {INCIDENTS:,} incidents, computed and "
            "rendered to HTML", unit="s", better="lower", values=digest_s, target="≤ 5 s",
            met=max(digest_s) <= 5.0 if not QUICK else None),
    ]
    write("postmortem", out, pdf_warmup_s=warmup_s, default_pdf_timeline_limit=LIMIT,
          machine={"python": platform.python_version(), "cpus": os.cpu_count()})


if __name__ == "__main__":
    main()
