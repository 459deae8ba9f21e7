"""Write rule files back out in Prometheus's format, deterministically.

    text = dump_groups(groups)      # YAML that `promtool check rules` accepts

Fields appear in Prometheus's order; zero/empty fields are left out (so ``query_offset``
only appears when set, which Prometheus < 2.53 would reject).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from monitor.durations import format_duration
from monitor.rules.models import AlertingRule, RuleGroup

__all__ = ["dump_groups", "export"]


class _Dumper(yaml.SafeDumper):
    pass


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def _group(group: RuleGroup) -> dict[str, Any]:
    out: dict[str, Any] = {"name": group.name}
    if group.interval_s:
        out["interval"] = format_duration(group.interval_s)
    if group.query_offset_s:
        out["query_offset"] = format_duration(group.query_offset_s)
    if group.limit:
        out["limit"] = group.limit
    rules = []
    for rule in group.rules:
        r: dict[str, Any]
        if isinstance(rule, AlertingRule):
            r = {"alert": rule.alert, "expr": rule.expr}
            if rule.for_s:
                r["for"] = format_duration(rule.for_s)
            if rule.keep_firing_for_s:
                r["keep_firing_for"] = format_duration(rule.keep_firing_for_s)
            if rule.labels:
                r["labels"] = dict(sorted(rule.labels.items()))
            if rule.annotations:
                r["annotations"] = dict(sorted(rule.annotations.items()))
        else:
            r = {"record": rule.record, "expr": rule.expr}
            if rule.labels:
                r["labels"] = dict(sorted(rule.labels.items()))
        rules.append(r)
    out["rules"] = rules
    return out


def dump_groups(groups: Iterable[RuleGroup]) -> str:
    """Rule-file YAML for ``groups``."""
    return yaml.dump({"groups": [_group(g) for g in groups]}, Dumper=_Dumper, sort_keys=False,
                     allow_unicode=True, width=100)


def export(groups: Iterable[RuleGroup], out_dir: str | Path) -> list[Path]:
    """Write one file per source file into ``out_dir``; returns the paths written."""
    by_file: dict[str, list[RuleGroup]] = {}
    for g in groups:
        by_file.setdefault(Path(g.source).name or "rules.yml", []).append(g)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, gs in sorted(by_file.items()):
        path = out / name
        path.write_text(dump_groups(gs), encoding="utf-8")
        written.append(path)
    return written
