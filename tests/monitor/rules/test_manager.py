"""The embedded engine: rule files from config, evaluated on their interval, results
written back to the store, firing alerts opening incidents."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from sqlmodel import select

from monitor.config import Settings
from monitor.incidents.models import Incident
from monitor.promql.storage import MemoryStorage
from monitor.rules.loader import RuleFileError
from monitor.rules.manager import RuleManager
from monitor.wiring import intake_sink


class Store(MemoryStorage):
    def append(self, labels: Mapping[str, str], ts_ms: int, value: float) -> None:
        self.add(labels, [(ts_ms, value)])


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


def manager(tmp_path: Path, make_settings, registry: CollectorRegistry) -> tuple[RuleManager, Store]:
    (tmp_path / "r.yml").write_text(RULES)
    settings = make_settings(engine={"rule_files": [str(tmp_path / "*.yml")],
                                     "evaluation_interval": "5s"})
    store = Store()
    return RuleManager.from_settings(settings, store, registry=registry), store


def test_a_spike_opens_an_incident_and_metrics_count(tmp_path, make_settings, runtime) -> None:
    registry = CollectorRegistry()
    mgr, store = manager(tmp_path, make_settings, registry)
    sink = intake_sink(runtime)
    store.append({"__name__": "errors"}, 0, 1.0)
    store.append({"__name__": "errors"}, 5_000, 9.0)

    assert mgr.evaluate_due(1.0, sink) == []
    assert mgr.evaluate_due(3.0, sink) == []          # not due yet
    sent = mgr.evaluate_due(6.0, sink)
    assert [a.name for a in sent] == ["ErrorsSpike"]
    mgr.evaluate_due(27.0, sink)                      # 3 slots late

    with runtime.unit() as session:
        assert len(session.exec(select(Incident)).all()) == 1
    assert store.select([], 6_000, 6_000)  # ALERTS written back
    key = {"rule_group": f"{tmp_path}/r.yml;errors"}
    assert registry.get_sample_value("candor_rule_group_iterations_missed_total", key) == 3
    assert registry.get_sample_value("candor_rule_evaluation_failures_total", key) == 3
    assert registry.get_sample_value("candor_rule_group_last_evaluation_timestamp_seconds",
                                     key) == 27.0


def test_bad_rule_files_in_config_are_reported_with_positions(tmp_path, make_settings) -> None:
    (tmp_path / "r.yml").write_text("groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n")
    settings = make_settings(engine={"rule_files": [str(tmp_path / "r.yml")]})

    with pytest.raises(RuleFileError, match=r"r.yml:5:\d+: group \"g\", rule 1, \"A\": could not"):
        RuleManager.from_settings(settings, Store())


def test_engine_config_rejects_bad_values() -> None:
    with pytest.raises(ValidationError, match="not a duration"):
        Settings.model_validate({"engine": {"evaluation_interval": "fast"}})
    with pytest.raises(ValidationError, match="mode"):
        Settings.model_validate({"engine": {"mode": "remote"}})
    with pytest.raises(ValidationError, match="extra"):
        Settings.model_validate({"engine": {"rulefiles": []}})
