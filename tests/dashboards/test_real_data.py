"""Every panel's queries on real data: the Debian prometheus scrapes Candor and the demo
app while `candor demo` tells its story; then every query of every dashboard runs, as an
instant and a range query, against that Prometheus and against Candor's own /prometheus.

Fails on an error, an empty answer (unless ALLOW says why the panel is empty by nature
in the demo) or label sets that differ between the two. With CANDOR_WRITE_PREVIEWS=1 it
also redraws docs/dashboards/*.png from the answers (`make dashboard-previews`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from dashboards import BOARDS, OUTPUT, filename
from dashboards.preview import draw
from dashboards.validate import PrometheusAPI, Report, Window, validate
from monitor.cli.demo import _settings
from monitor.slo import generate
from tests.support.processes import PROMETHEUS, free_port, require, run_binary, stop, wait_for

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs" / "dashboards"
MODELS = {f"candor-{b.slug}": json.loads((OUTPUT / filename(b)).read_text(encoding="utf-8")) for b in BOARDS}

# Panels empty by nature in the demo, with the reason. (dashboard uid, panel, refId[:mode]).
ALLOW = {
    ("candor-error-signals", "User reports", "B"):
        "support files no report with Candor in the demo (the app's own reports are query A)",
    ("candor-fix-verification", "Regressions by service", "A"):
        "the demo's fix works; `candor demo --bad-fix` regresses it",
    ("candor-self", "Samples rejected by reason", "A"): "the demo sends nothing Candor refuses",
    ("candor-self", "Delivery failures per receiver", "A"): "the demo's webhook receiver accepts every message",
    ("candor-self", "Delivery failures per receiver", "B"): "so nothing is dead-lettered either",
    ("candor-self", "HTTP error ratio", "A"): "Candor answers no request with a 5xx",
    ("candor-incidents", "Open incidents by severity and state", "A:instant"):
        "the incident is resolved when the story ends (`> 0` hides the zero rows)",
    ("candor-fix-verification", "annotation Fix deployed", ":instant"):
        "annotations mark moments; at the end of the story nothing is being deployed",
}
for _note in ("Incident opened", "Notice published", "Fix deployed", "Verdict", "Incident resolved"):
    for _uid in ("candor-error-signals", "candor-incidents", "candor-fix-verification", "candor-slos"):
        ALLOW[(_uid, f"annotation {_note}", ":instant")] = \
            "an annotation marks a moment of the story, not its end (the range query has it)"


def _prometheus_yml(candor: str, app: str, rules: Path) -> str:
    return yaml.safe_dump({
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules)],
        "scrape_configs": [
            {"job_name": "candor", "static_configs": [{"targets": [candor]}]},
            {"job_name": "everlinks", "static_configs": [{"targets": [app]}]},
        ]})


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Prometheus up first, then the demo story; yields once the story has ended."""
    require(PROMETHEUS)
    tmp = tmp_path_factory.mktemp("dashboards-real")
    candor_port, app_port, prom_port = free_port(), free_port(), free_port()
    rules = tmp / "slo.yml"
    slos = _settings(tmp, "http://127.0.0.1:1", "http://127.0.0.1:1/hook").slo
    rules.write_text(yaml.safe_dump({"groups": generate(slos)}), encoding="utf-8")
    config = tmp / "prometheus.yml"
    config.write_text(_prometheus_yml(f"127.0.0.1:{candor_port}", f"127.0.0.1:{app_port}", rules))
    with run_binary(PROMETHEUS, [f"--config.file={config}", f"--storage.tsdb.path={tmp / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{prom_port}"],
                    log=tmp / "prometheus.log", url=f"http://127.0.0.1:{prom_port}") as prom_url:
        log = tmp / "demo.log"
        with log.open("w") as out:
            demo = subprocess.Popen(
                [sys.executable, "-m", "monitor.cli.main", "demo", "--listen", f"127.0.0.1:{candor_port}",
                 "--app-metrics", f"127.0.0.1:{app_port}", "--data-dir", str(tmp / "candor")],
                stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
            try:
                wait_for("the demo story to end", lambda: demo.poll() is None and
                         "keeps running" in log.read_text(errors="replace"), timeout=240, poll=0.2)
                end = time.time() + 3   # the last scrapes after the verdict and resolution
                token = re.search(r"admin token \(this demo only\): (\S+)", log.read_text())
                assert token, log.read_text()
                time.sleep(6)   # both stores have scraped past the end
                yield {"prometheus": prom_url, "candor": f"http://127.0.0.1:{candor_port}",
                       "token": token.group(1), "end": end, "log": log}
            finally:
                stop(demo)


def _value(url: str, label: str, metric: str) -> str:
    answer = httpx.get(f"{url}/api/v1/label/{label}/values", params={"match[]": metric}, timeout=10).json()
    return str(sorted(answer["data"])[0])


@pytest.fixture(scope="module")
def report(story: dict[str, Any]) -> Report:
    prom = story["prometheus"]
    values = {"service": _value(prom, "service", "http_server_request_duration_seconds_count"),
              "severity": _value(prom, "severity", "candor_incidents_open"),
              "slo": _value(prom, "slo", "slo:objective:ratio"), "candor_url": story["candor"]}
    sources = {"prometheus": PrometheusAPI(prom),
               "candor": PrometheusAPI(f"{story['candor']}/prometheus", token=story["token"])}
    end = story["end"]
    return validate(MODELS, sources, Window(end - 100, end, 2.0, rate="4s"), values, allow=ALLOW)


def test_every_panel_answers_on_both_sources(report: Report) -> None:
    assert report.problems == [], report.text()
    panels = {(a.dashboard, a.panel) for a in report.answers if not a.panel.startswith("annotation")}
    assert len(panels) == sum(len(b.panels) for b in BOARDS)


def _summary(report: Report) -> str:
    """What every query answered, as a table (docs/dashboards/README.md)."""
    lines = ["| dashboard | panel | query | series (Prometheus / Candor) | instant value (Prometheus) |",
             "|---|---|---|---|---|"]
    got = {(a.dashboard, a.panel, a.ref, a.source, a.mode): a for a in report.answers}
    for uid, model in MODELS.items():
        for panel in [p for p in model["panels"] if p["type"] != "row"]:
            for target in panel["targets"]:
                key = (uid, panel["title"], target["refId"])
                prom, cand = got.get((*key, "prometheus", "range")), got.get((*key, "candor", "range"))
                inst = got.get((*key, "prometheus", "instant"))
                value = ", ".join(f"{v:.4g}" for v in inst.values[:3]) if inst and inst.values else "—"
                why = ALLOW.get(key) or ALLOW.get((*key[:2], f"{key[2]}:instant"))
                counts = f"{len(prom.series) if prom else '?'} / {len(cand.series) if cand else '?'}"
                lines.append(f"| {uid} | {panel['title']} | {target['refId']} | {counts} | "
                             f"{value}{' (empty by nature: ' + why + ')' if why else ''} |")
    return "\n".join(lines) + "\n"


def test_previews_are_drawn_from_the_answers(report: Report, tmp_path: Path) -> None:
    target = DOCS if os.environ.get("CANDOR_WRITE_PREVIEWS") else tmp_path
    for uid, model in MODELS.items():
        draw(model, [a for a in report.answers if a.dashboard == uid], target / f"{uid}.png", source="prometheus")
        assert (target / f"{uid}.png").stat().st_size > 10_000
    summary = _summary(report)
    assert "| candor-incidents | Open incidents | A | 1 / 1 |" in summary
    if target == DOCS:
        head = (DOCS / "README.md").read_text(encoding="utf-8").split("<!-- answers -->")[0]
        (DOCS / "README.md").write_text(head + "<!-- answers -->\n" + summary, encoding="utf-8")


def test_a_source_that_is_down_is_named_per_dashboard_and_panel(story: dict[str, Any]) -> None:
    end = story["end"]
    dead = {"prometheus": PrometheusAPI(f"http://127.0.0.1:{free_port()}", timeout=2)}
    one = {"candor-slos": MODELS["candor-slos"]}
    report = validate(one, dead, Window(end - 60, end, 5.0, rate="4s"), {"slo": "redirects"})
    assert report.problems and all("is unreachable" in p.message for p in report.problems)
    assert str(report.problems[0]).startswith("candor-slos / SLI vs objective [A] on prometheus (instant): ")


def test_a_query_that_errors_is_named(story: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(MODELS["candor-self"]))
    broken["panels"][1]["targets"][0]["expr"] = "max by (rule_group) (candor_rule_group_last_duration_seconds"
    broken["annotations"] = {"list": []}
    end = story["end"]
    sources = {"candor": PrometheusAPI(f"{story['candor']}/prometheus", token=story["token"])}
    report = validate({"candor-self": broken}, sources, Window(end - 60, end, 5.0, rate="4s"), {}, allow=ALLOW)
    assert {(p.dashboard, p.panel, p.ref, p.mode) for p in report.problems} == {
        ("candor-self", "Rule group duration vs interval", "A", "instant"),
        ("candor-self", "Rule group duration vs interval", "A", "range")}
    assert "HTTP 400" in report.problems[0].message
