"""`candor dashboards build`: deterministic JSON, committed and up to date; unknown metrics refused."""

import json
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboards import BOARDS, OUTPUT, Catalog, UnknownMetric, build, filename
from dashboards.query import Query
from dashboards.spec import Board, Panel, Row
from monitor.cli.main import app


def test_the_catalog_comes_from_the_real_registries(catalog: Catalog) -> None:
    assert catalog.kind("candor_incidents_open") == "gauge"
    assert catalog.kind("candor_alerts_received_total") == "counter"
    assert catalog.kind("candor_time_to_resolve_seconds_count") == "counter"
    assert catalog.kind("http_server_request_duration_seconds_bucket") == "counter"   # exporters
    assert catalog.kind("slo:error_budget_remaining:ratio") == "gauge"                # SLO rules
    assert catalog.kind("candor_incidents_open_total") is None


def test_committed_json_is_what_the_generator_writes(catalog: Catalog) -> None:
    files = build(catalog)
    assert sorted(files) == sorted(p.name for p in OUTPUT.glob("*.json"))
    for name, text in files.items():
        assert (OUTPUT / name).read_text(encoding="utf-8") == text, \
            f"{name} is out of date: run `candor dashboards build`"
    assert build(catalog) == files                                    # byte-identical rerun


def test_the_cli_writes_identical_files(tmp_path: Path) -> None:
    for run in (1, 2):
        result = CliRunner().invoke(app, ["dashboards", "build", "-o", str(tmp_path / str(run))])
        assert result.exit_code == 0, result.output
    for board in BOARDS:
        first = (tmp_path / "1" / filename(board)).read_bytes()
        assert first == (tmp_path / "2" / filename(board)).read_bytes() == (OUTPUT / filename(board)).read_bytes()


def test_dashboards_have_fixed_uids_and_sorted_keys() -> None:
    uids = set()
    for board in BOARDS:
        text = (OUTPUT / filename(board)).read_text(encoding="utf-8")
        model = json.loads(text)
        assert text == json.dumps(model, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        assert model["uid"] == f"candor-{board.slug}"
        uids.add(model["uid"])
    assert len(uids) == 5


def _with_query(expr: str) -> Board:
    panel = Panel("Typo", "a panel with a misspelled metric", "short", (Query(expr),))
    return replace(BOARDS[0], rows=(Row("r", (panel,)),))


def test_an_unknown_metric_is_refused_naming_dashboard_and_panel(catalog: Catalog) -> None:
    with pytest.raises(UnknownMetric, match=r"dashboard 'error-signals', panel 'Typo': unknown metric "
                                            r"candor_incident_open"):
        build(catalog, boards=(_with_query("sum(candor_incident_open)"),))


def test_a_query_that_does_not_parse_is_refused(catalog: Catalog) -> None:
    with pytest.raises(Exception, match=r"panel 'Typo'.*does not parse"):
        build(catalog, boards=(_with_query("sum(rate(candor_alerts_received_total[5m])"),))
