"""The embedded engine: rule files from config, evaluated on their interval, results
written back to the store, firing alerts opening incidents."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from sqlmodel import select

from monitor.config import Settings
from monitor.incidents.models import Incident
from monitor.promql.storage import Matcher, MatchType
from monitor.rules.loader import RuleFileError
from monitor.rules.manager import RuleManager
from monitor.signals.rule_output import RuleOutput
from monitor.signals.store import SeriesStore
from monitor.wiring import intake_sink


def store() -> RuleOutput:
    """The real series store, wrapped as the wiring hands it to the rule manager."""
    return RuleOutput(SeriesStore(retention_ms=86_400_000))


RULES = """
groups:
- name: errors
  rules:
  - alert: ErrorsSpike
    expr: errors > 5
    labels: {severity: critical, service: links-api}
    annotations: {summary: "{{ $value }} errors"}
  - record: broken
    expr: label_replace(vector(1), "a", "1", "", "") or vector(2)
    labels: {a: z}
"""


def manager(tmp_path: Path, make_settings, registry: CollectorRegistry
            ) -> tuple[RuleManager, RuleOutput]:
    (tmp_path / "r.yml").write_text(RULES)
    settings = make_settings(engine={"rule_files": [str(tmp_path / "*.yml")],
                                     "evaluation_interval": "5s"})
    output = store()
    return RuleManager.from_settings(settings, output, registry=registry), output


def test_a_spike_opens_an_incident_and_metrics_count(tmp_path, make_settings, runtime) -> None:
    registry = CollectorRegistry()
    mgr, output = manager(tmp_path, make_settings, registry)
    sink = intake_sink(runtime)
    output.append({"__name__": "errors"}, 0, 1.0)
    output.append({"__name__": "errors"}, 5_000, 9.0)

    assert mgr.evaluate_due(1.0, sink) == []
    assert mgr.evaluate_due(3.0, sink) == []          # not due yet
    sent = mgr.evaluate_due(6.0, sink)
    assert [a.name for a in sent] == ["ErrorsSpike"]
    mgr.evaluate_due(27.0, sink)                      # 3 slots late

    with runtime.unit() as session:
        assert len(session.exec(select(Incident)).all()) == 1
    alerts = output.select([Matcher(MatchType.EQUAL, "__name__", "ALERTS")], 0, 30_000)
    assert [(dict(a.labels), list(a.samples)) for a in alerts] == [  # ALERTS written back
        ({"__name__": "ALERTS", "alertname": "ErrorsSpike", "alertstate": "firing",
          "severity": "critical", "service": "links-api"}, [(6_000, 1.0), (27_000, 1.0)])]
    key = {"rule_group": f"{tmp_path}/r.yml;errors"}
    assert registry.get_sample_value("candor_rule_group_iterations_missed_total", key) == 3
    assert registry.get_sample_value("candor_rule_evaluation_failures_total", key) == 3
    assert registry.get_sample_value("candor_rule_group_last_evaluation_timestamp_seconds",
                                     key) == 27.0


def test_bad_rule_files_in_config_are_reported_with_positions(tmp_path, make_settings) -> None:
    (tmp_path / "r.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n")
    settings = make_settings(engine={"rule_files": [str(tmp_path / "r.yml")]})

    with pytest.raises(RuleFileError, match=r"r.yml:5:\d+: group \"g\", rule 1, \"A\": could not"):
        RuleManager.from_settings(settings, store())


def test_engine_config_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="not a duration"):
        Settings.model_validate({"engine": {"evaluation_interval": "fast"}})
    with pytest.raises(ValidationError, match="mode"):
        Settings.model_validate({"engine": {"mode": "remote"}})
    with pytest.raises(ValidationError, match="extra"):
        Settings.model_validate({"engine": {"rulefiles": []}})
