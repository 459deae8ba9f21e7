"""The event vocabulary: the stored strings are pinned, and no other module spells them."""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

import pytest
from pydantic import ValidationError

from monitor.config.notify import ReceiverConfig
from monitor.event_types import (
    IMPACT_STARTED,
    NOTICE_VERSIONS,
    DirectMessage,
    EventType,
    Notification,
    PostmortemEventType,
)
from postmortem.timeline import category_of

ROOT = Path(__file__).parents[2]

STORED = {
    EventType: ["incident.opened", "incident.transitioned", "incident.linked", "incident.group_released",
                "alert.attached", "alert.resolved", "alerts.all_resolved", "note.added", "severity.changed",
                "commander.assigned", "fix.deployed", "verification.passed", "verification.verdict",
                "impact.measured", "notice.published", "notice.updated", "notice.corrected",
                "notice.retracted", "user_report.received"],
    PostmortemEventType: ["postmortem.drafted", "postmortem.edited", "postmortem.submitted",
                          "postmortem.approved", "postmortem.changes_requested",
                          "postmortem.reviewed", "postmortem.published"],
    Notification: ["incident.opened", "incident.state_changed", "incident.resolved",
                   "incident.regressed", "incident.retracted", "notice.published", "notice.updated",
                   "notice.corrected", "notice.retracted", "postmortem.published"],
    DirectMessage: ["subscriber.confirm", "report.resolved", "report.corrected", "digest.published"],
}


@pytest.mark.parametrize("vocabulary", list(STORED), ids=lambda v: v.__name__)
def test_the_stored_strings_never_change(vocabulary: type[StrEnum]) -> None:
    assert [member.value for member in vocabulary] == STORED[vocabulary]


def test_member_names_spell_the_string() -> None:
    for member in EventType:
        assert member.name == member.value.upper().replace(".", "_")


def test_notice_versions_are_the_notice_events() -> None:
    assert sorted(NOTICE_VERSIONS) == sorted(t for t in EventType if t.startswith("notice."))


def test_every_event_type_has_a_timeline_category() -> None:
    assert {t: category_of(t) for t in EventType if category_of(t) == "other"} == {}
    assert category_of(IMPACT_STARTED) == "impact"


def test_receivers_choose_among_the_notifications_only() -> None:
    for name in Notification:
        assert ReceiverConfig(name="ops", kind="webhook", url="https://x.example", events=[name])
    for name in [*DirectMessage, EventType.NOTE_ADDED]:
        with pytest.raises(ValidationError, match="Input should be 'incident.opened'"):
            ReceiverConfig(name="ops", kind="webhook", url="https://x.example", events=[str(name)])


def _spelled_out(path: Path, words: set[str]) -> list[str]:
    """String constants equal to an event type, outside docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = {id(node.value) for node in ast.walk(tree)
                  if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)}
    return [f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}" for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value in words and id(node) not in docstrings]


def test_no_module_spells_an_event_type_out() -> None:
    words = {m.value for vocabulary in STORED for m in vocabulary} | {IMPACT_STARTED}
    owner = ROOT / "monitor" / "event_types.py"
    found = [hit for package in ("monitor", "postmortem", "exporters", "dashboards")
             for path in sorted((ROOT / package).rglob("*.py"))
             if path != owner and "migrations" not in path.parts
             for hit in _spelled_out(path, words)]
    assert found == [], "use monitor.event_types instead of the string"
