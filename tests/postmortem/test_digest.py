"""Digests: counts, mean times and trends for a period, honestly empty when nothing happened."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from monitor.errors import Unprocessable
from postmortem import examples
from postmortem.digest import compute_digest, load_digest
from postmortem.render import render
from tests.postmortem.conftest import event

NOW = datetime(2026, 3, 9, 0, 0, tzinfo=UTC)


def incident(key, days_ago, detect=2, ack=3, severity="SEV2", services=("api",), group="g", extra=()):
    impact = NOW - timedelta(days=days_ago)
    events = [
        event(1, "incident.opened", impact + timedelta(minutes=detect),
              {"title": key, "severity": severity, "impact_started_at": impact.isoformat()}),
        event(2, "incident.transitioned", impact + timedelta(minutes=detect + ack),
              {"from": "detected", "to": "acknowledged"}),
        *extra,
    ]
    row = SimpleNamespace(key=key, title=key, severity=severity, services=list(services),
                          group_key=group, state="resolved", created_at=impact)
    return row, events


def test_counts_means_and_trend_against_previous_week():
    at = NOW - timedelta(days=1)
    rows = [
        incident("INC-1", 1, detect=2, extra=[event(3, "notice.corrected", at, {})]),
        incident("INC-2", 3, detect=4, severity="SEV1", services=("api", "web")),
        incident("INC-3", 10, detect=6),  # previous week
        incident("INC-4", 40, detect=60),  # outside both windows
    ]
    digest = compute_digest(rows, "week", NOW)
    assert digest.current.count == 2 and digest.previous.count == 1
    assert digest.by_severity == {"SEV1": 1, "SEV2": 1, "SEV3": 0, "SEV4": 0}
    assert digest.by_service == {"api": 2, "web": 1}
    assert digest.current.means["time_to_detect"] == 180.0
    assert digest.trends["time_to_detect"].change == -0.5
    assert digest.corrections == 1
    assert {"by": "group", "value": "g", "incidents": ["INC-2", "INC-1"]} in digest.repeats


def test_empty_period_renders_an_honest_no_incidents_report():
    digest = compute_digest([], "month", NOW)
    assert digest.empty and digest.current.means["time_to_restore"] is None
    md = render(digest, "md", "en", template="digest")
    assert "No incidents in this period" in md and "| Incidents | 0 | 0 | — |" in md
    assert "Nenhum incidente neste período" in render(digest, "html", "pt-BR", template="digest")
    assert digest.as_dict()["empty"] is True


def test_unknown_period_is_refused():
    with pytest.raises(Unprocessable, match="period 'year' is not one of week, month, quarter"):
        compute_digest([], "year", NOW)


def test_digest_from_the_store_matches_the_demo(runtime):
    examples.build(runtime.engine, runtime.settings)
    with runtime.unit() as s:
        digest = load_digest(s, "week", datetime(2026, 3, 6, 17, tzinfo=UTC))
    assert [i["key"] for i in digest.incidents] == ["INC-1", "INC-4", "INC-5", "INC-6"]
    assert digest.incidents[-1]["state"] == "acknowledged"  # still open: the digest says so
    assert (digest.retractions, digest.corrections, digest.items_opened) == (1, 1, 4)
    assert digest.postmortems_published == ["INC-1"]


def test_restore_is_averaged_over_resolved_incidents_and_open_ones_are_listed_apart():
    day = NOW - timedelta(days=2)
    resolved = incident("INC-1", 2, extra=[
        event(3, "incident.transitioned", day + timedelta(minutes=10), {"from": "acknowledged", "to": "verifying"}),
        event(4, "incident.transitioned", day + timedelta(minutes=20), {"from": "verifying", "to": "resolved"})])
    regressed = incident("INC-2", 2, extra=[  # restored once, regressed, open again
        event(3, "incident.transitioned", day + timedelta(minutes=4), {"from": "acknowledged", "to": "verifying"}),
        event(4, "incident.transitioned", day + timedelta(minutes=6), {"from": "verifying", "to": "regressed"}),
        event(5, "incident.transitioned", day + timedelta(minutes=6), {"from": "regressed", "to": "fixing"})])
    digest = compute_digest([resolved, regressed], "week", NOW)
    assert digest.current.means["time_to_restore"] == 600.0       # INC-1 alone
    assert digest.current.over["time_to_restore"] == 1 and digest.current.over["time_to_detect"] == 2
    assert digest.still_open == [{"key": "INC-2", "state": "fixing", "title": "INC-2"}]
    assert digest.sources["time_to_restore"] == ["INC-1"]
    assert [i["state"] for i in digest.incidents] == ["resolved", "fixing"]  # from the events


def test_a_correction_in_two_languages_counts_once_and_names_its_events():
    at = NOW - timedelta(days=1)
    both = [event(3, "notice.corrected", at, {"lang": "pt-BR", "version": 2, "kind": "correction"}),
            event(4, "notice.corrected", at, {"lang": "en", "version": 2, "kind": "correction"}),
            event(5, "notice.corrected", at + timedelta(hours=1), {"lang": "en", "version": 3,
                                                                   "kind": "correction"})]
    digest = compute_digest([incident("INC-1", 1, extra=both)], "week", NOW)
    assert digest.corrections == 2
    assert digest.sources["corrections"] == ["INC-1#3", "INC-1#5"]
