"""``candor dashboards build|metrics``: Grafana dashboards generated from ``dashboards/``."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry

from dashboards import OUTPUT, Catalog, UnknownMetric, write
from dashboards.mixin import render
from exporters import Exporter
from monitor.cli.output import fail, out
from monitor.config import Settings
from monitor.errors import Unprocessable
from monitor.slo import SLO, generate
from monitor.wiring import assemble, build_runtime

app = typer.Typer(no_args_is_help=True, help="Grafana dashboards as code.", rich_markup_mode=None)

_SAMPLE_SLO = {"name": "sample", "service": "sample", "objective": 0.99,
               "sli": {"bad": "bad_total", "total": "all_total"}}


def metric_catalog() -> Catalog:
    """The metrics a dashboard may name, from the real registries: a throwaway Candor (every
    metric wiring registers, on SQLite in a temp dir), an exporters ``Exporter``, and the
    series Candor's SLO rules record."""
    with tempfile.TemporaryDirectory(prefix="candor-catalog-") as directory:
        settings = Settings.model_validate({"storage": {"data_dir": directory},
                                            "signals": {"persist": False}})
        candor = assemble(build_runtime(settings, registry=CollectorRegistry()))
        try:
            recorded = [r["record"] for group in generate([SLO.model_validate(_SAMPLE_SLO)])
                        for r in group["rules"] if "record" in r]
            return Catalog.from_registries(candor.runtime.registry, Exporter("sample").registry,
                                           recorded=recorded)
        finally:
            candor.close()


@app.command("build")
def build_command(
    output: Annotated[Path, typer.Option("-o", "--output", help="directory for the JSON")] = OUTPUT,
) -> None:
    """Write every dashboard's JSON (byte-identical on every run)."""
    try:
        paths = write(metric_catalog(), output)
    except (UnknownMetric, Unprocessable) as exc:
        fail(str(exc))
    for path in paths:
        out.print(str(path))


@app.command("alerts")
def alerts_command(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the rule file here "
                                                "(rules/candor-self.yml in the repository)")] = None,
) -> None:
    """Candor's own alerts (the mixin) as a Prometheus rule file, on stdout or into a file."""
    text = render()
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    out.print(str(output))


@app.command("metrics")
def metrics_command() -> None:
    """List the metrics dashboards may use, with their kind (counter or gauge)."""
    for name, kind in metric_catalog().samples.items():
        out.print(f"{kind:8} {name}")
