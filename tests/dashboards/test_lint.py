"""dashboard-linter's and mixtool's rules, ported, over every generated dashboard; and every
expression through promtool as a recording rule."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from dashboards import BOARDS, OUTPUT, Catalog, filename
from dashboards.lint import LINT_VALUES, lint, targets
from dashboards.query import substitute
from tests.support.processes import PROMTOOL, require

MODELS = {b.slug: json.loads((OUTPUT / filename(b)).read_text(encoding="utf-8")) for b in BOARDS}
FIXED = frozenset(q.expr for b in BOARDS for p in b.panels for q in p.queries if q.fixed_window)


@pytest.mark.parametrize("slug", sorted(MODELS))
def test_every_dashboard_is_clean(slug: str, catalog: Catalog) -> None:
    assert [str(f) for f in lint(MODELS[slug], catalog, FIXED)] == []


def _broken() -> dict[str, Any]:
    model = json.loads(json.dumps(MODELS["incidents"]))
    model["templating"]["list"] = [v for v in model["templating"]["list"] if v["name"] != "datasource"]
    panels = [p for p in model["panels"] if p["type"] != "row"]
    panels[0]["description"] = ""
    panels[1]["fieldConfig"]["defaults"].pop("unit")
    panels[2]["targets"][0]["expr"] = "sum(candor_alerts_received_total)"
    panels[3]["targets"][0]["expr"] = "sum(rate(candor_alerts_received_total[5m]))"
    panels[4]["targets"][0]["expr"] = "rate(candor_incidents_open[$__rate_interval])"
    panels[5]["targets"] = []
    panels[6]["targets"][0]["expr"] = "sum(candor_nope)"
    panels[7]["datasource"] = {"type": "prometheus", "uid": "prometheus"}
    panels[8]["targets"][0]["expr"] = "sum(rate(x[5m]"
    return model


def test_each_rule_catches_what_it_is_for(catalog: Catalog) -> None:
    rules = sorted({f.rule for f in lint(_broken(), catalog)})
    assert rules == ["panel-datasource-rule", "panel-no-targets-rule", "panel-title-description-rule",
                     "panel-units-rule", "target-counter-agg-rule", "target-promql-rule",
                     "target-rate-interval-rule", "template-datasource-rule", "unknown-metric"]
    messages = [str(f) for f in lint(_broken(), catalog)]
    assert any("candor-incidents / " in m and "counter candor_alerts_received_total used raw" in m
               for m in messages)
    assert any("rate() of gauge candor_incidents_open" in m for m in messages)


def test_promtool_accepts_every_expression_as_a_recording_rule(tmp_path: Path) -> None:
    promtool = require(PROMTOOL)
    rules = []
    for slug, model in sorted(MODELS.items()):
        exprs = [t["expr"] for _, t in targets(model)]
        exprs += [a["expr"] for a in model.get("annotations", {}).get("list", [])]
        values = {**LINT_VALUES, "__rate_interval": "5m", "__range": "6h"}
        rules += [{"record": f"dashboard:{slug.replace('-', '_')}:{i}", "expr": substitute(e, values)}
                  for i, e in enumerate(exprs)]
    path = tmp_path / "dashboards.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}), encoding="utf-8")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(rules)} rules found" in result.stdout
