"""Postmortem rendering and digest speed (targets from issue 7; measured, not asserted).

    .venv/bin/python benchmarks/bench_postmortem.py

Renders a postmortem with 5,000 timeline entries to HTML (target ≤ 1 s) and PDF
(≤ 15 s; with the default ``pdf_timeline_limit`` and, for comparison, with every
entry), and computes and renders a digest over 1,000 incidents (≤ 5 s).
Prints the numbers and writes benchmarks/results/postmortem.json. Times are wall clock;
``*_cpu_s`` is this process's CPU time (steadier on a shared machine).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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


def main() -> None:
    _, warmup_s = timed(lambda: render(big_report(10), "pdf", "en"))  # imports, fontconfig, first SVG
    report, assemble_s = timed(lambda: big_report(5000))
    html, html_s = timed(lambda: render(report, "html", "en"))
    md, md_s = timed(lambda: render(report, "md", "pt-BR"))
    pdf, pdf_s = timed(lambda: render(report, "pdf", "en", pdf_timeline_limit=2000), "pdf_limit_2000_cpu_s")
    full_pdf, full_pdf_s = timed(lambda: render(report, "pdf", "en"), "pdf_all_entries_cpu_s")
    rows = incidents(1000)
    digest, digest_s = timed(lambda: compute_digest(rows, "quarter", NOW))
    _, digest_html_s = timed(lambda: render(digest, "html", "en", template="digest"))
    results = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 2)},
        "postmortem_5000_entries": {
            "assemble_s": assemble_s, "html_s": html_s, "html_target_s": 1.0, "md_s": md_s,
            "pdf_limit_2000_s": pdf_s, "pdf_target_s": 15.0, "pdf_limit_2000_pages": pages(pdf),
            "default_pdf_timeline_limit": LIMIT, **CPU,
            "pdf_all_entries_s": full_pdf_s, "pdf_all_entries_pages": pages(full_pdf),
            "html_bytes": len(html), "pdf_warmup_s": warmup_s,
        },
        "digest_1000_incidents": {"compute_s": digest_s, "render_html_s": digest_html_s,
                                  "target_s": 5.0, "incidents_in_period": digest.current.count},
    }
    out = Path(__file__).resolve().parent / "results" / "postmortem.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
