"""The digest's figures against numbers worked out by hand, for a week, a month and a quarter.

Seven incidents are written as events through the service with the test clock (so they go
through the store, SQLite then PostgreSQL, as the scheduled digest reads them). Each
figure below is computed in the comments from the minutes in ``STORIES``, not by the code
under test. Minutes are counted from each incident's impact start:

    key  impact     detected ack  restored       now          notices
    A    NOW-2d     +4       +10  +40 verifying  resolved +60
    B    NOW-3d     +2       +5   -              acknowledged en +7, retracted +15
    C    NOW-5d     +6       +9   +30 verifying  resolved +90 (regressed +45, fixing +50,
                                                              verifying +70)
    D    NOW-6d     +10      -    -              retracted +20 (a false alarm)
    E    NOW-1d     +3       +4   +25 verifying  resolved +40 en and pt-BR +5; correction
                                                              v2 in en +20 and pt-BR +21
    F    NOW-10d    +5       +15  +50 verifying  resolved +60
    G    NOW-45d    +1       +2   +25 verifying  resolved +30

In seconds: time to detect (detected - impact) A 240, B 120, C 360, D 600, E 180, F 300,
G 60; to acknowledge (ack - detected) A 360, B 180, C 180, E 60, F 600, G 60 (D never
acknowledged); to restore (first restore - impact, resolved incidents only) A 2400,
C 1800 (the first restore, before it regressed), E 1500, F 3000, G 1500; to first notice
B 420, E 300.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.event_types import EventType
from monitor.incidents import service as incidents
from monitor.incidents.lifecycle import State
from postmortem.digest import load_digest

NOW = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # a Monday
S = State
# key: (days before NOW the impact started, minutes to detection, then (minute, what) steps)
Notice = tuple[str, str, int]  # kind, language, version
STORIES: dict[str, tuple[int, int, list[tuple[int, State | Notice]]]] = {
    "A": (2, 4, [(10, S.ACKNOWLEDGED), (40, S.VERIFYING), (60, S.RESOLVED)]),
    "B": (3, 2, [(5, S.ACKNOWLEDGED), (7, ("initial", "en", 1)), (15, ("retraction", "en", 2))]),
    "C": (5, 6, [(9, S.ACKNOWLEDGED), (30, S.VERIFYING), (45, S.REGRESSED), (50, S.FIXING),
                 (70, S.VERIFYING), (90, S.RESOLVED)]),
    "D": (6, 10, [(20, S.RETRACTED)]),
    "E": (1, 3, [(4, S.ACKNOWLEDGED), (5, ("initial", "en", 1)), (5, ("initial", "pt-BR", 1)),
                 (20, ("correction", "en", 2)), (21, ("correction", "pt-BR", 2)),
                 (25, S.VERIFYING), (40, S.RESOLVED)]),
    "F": (10, 5, [(15, S.ACKNOWLEDGED), (50, S.VERIFYING), (60, S.RESOLVED)]),
    "G": (45, 1, [(2, S.ACKNOWLEDGED), (25, S.VERIFYING), (30, S.RESOLVED)]),
}
NOTICE_EVENTS = {"initial": EventType.NOTICE_PUBLISHED, "correction": EventType.NOTICE_CORRECTED,
                 "retraction": EventType.NOTICE_RETRACTED}


@pytest.fixture
def keys(runtime: Runtime, clock: FixedClock) -> dict[str, str]:
    """Write the stories; the incident key each letter got."""
    out = {}
    with runtime.unit() as session:
        for letter, (days, detect, steps) in STORIES.items():
            impact = NOW - timedelta(days=days)
            clock.set(impact + timedelta(minutes=detect))
            incident = incidents.open_incident(
                session, clock=clock, key_prefix="INC", actor="alertmanager", title=f"Story {letter}",
                severity="SEV2", services=[f"svc-{letter.lower()}"], impact_started_at=impact)
            out[letter] = incident.key
            for minute, step in steps:
                clock.set(impact + timedelta(minutes=minute))
                if isinstance(step, State):
                    incidents.transition(session, incident, step, actor="@ana", clock=clock)
                else:
                    kind, lang, version = step
                    incidents.record(session, incident, NOTICE_EVENTS[kind], {
                        "lang": lang, "kind": kind, "version": version, "title": f"{kind} {letter}",
                        "text": f"{kind} of {letter} in {lang}"}, actor="@carla", clock=clock)
    return out


def figures(runtime: Runtime, period: str) -> dict:
    with runtime.unit() as session:
        digest = load_digest(session, period, NOW).as_dict()
    means = {name: (digest["current"]["means"][name], digest["previous"]["means"][name])
             for name in ("time_to_detect", "time_to_acknowledge", "time_to_restore",
                          "time_to_first_notice")}
    return {
        "count": (digest["current"]["count"], digest["previous"]["count"]),
        "means": means,
        "over": digest["current"]["over"],
        "change": {name: trend["change"] for name, trend in digest["trends"].items()},
        "still_open": [(row["key"], row["state"]) for row in digest["still_open"]],
        "corrections": digest["corrections"], "retractions": digest["retractions"],
        "listed": sorted(row["key"] for row in digest["incidents"]),
    }


def test_a_week_of_figures(runtime: Runtime, keys: dict[str, str]) -> None:
    got = figures(runtime, "week")
    # The week is [NOW-7d, NOW): A, B, C, D, E; the week before [NOW-14d, NOW-7d): F.
    assert got["listed"] == sorted(keys[k] for k in "ABCDE")
    assert got["count"] == (5, 1)
    assert got["means"] == {
        "time_to_detect": (300.0, 300.0),        # (240+120+360+600+180)/5 = 1500/5; F 300
        "time_to_acknowledge": (195.0, 600.0),   # (360+180+180+60)/4 = 780/4, D never acked; F 600
        "time_to_restore": (1900.0, 3000.0),     # (2400+1800+1500)/3 = 5700/3, A C E resolved; F 3000
        "time_to_first_notice": (360.0, None),   # (420+300)/2; F published no notice
    }
    assert got["over"] == {"time_to_detect": 5, "time_to_acknowledge": 4, "time_to_restore": 3,
                           "time_to_first_notice": 2}
    assert got["change"] == {
        "time_to_detect": 0.0,            # (300-300)/300
        "time_to_acknowledge": -0.675,    # (195-600)/600
        "time_to_restore": -0.367,        # (1900-3000)/3000 = -0.3666…
        "time_to_first_notice": None,     # nothing to compare with
        "count": 4.0,                     # (5-1)/1
    }
    assert got["still_open"] == [(keys["B"], "acknowledged")]  # D retracted, A C E resolved
    # E's correction was published in two languages: one correction. Retractions: B's notice
    # and D (the incident).
    assert (got["corrections"], got["retractions"]) == (1, 2)


def test_a_month_of_figures(runtime: Runtime, keys: dict[str, str]) -> None:
    got = figures(runtime, "month")
    # The month is [NOW-30d, NOW): A to F; the month before [NOW-60d, NOW-30d): G.
    assert got["listed"] == sorted(keys[k] for k in "ABCDEF")
    assert got["count"] == (6, 1)
    assert got["means"] == {
        "time_to_detect": (300.0, 60.0),         # (1500+300)/6 = 1800/6; G 60
        "time_to_acknowledge": (276.0, 60.0),    # (780+600)/5 = 1380/5; G 60
        "time_to_restore": (2175.0, 1500.0),     # (5700+3000)/4 = 8700/4; G 1500
        "time_to_first_notice": (360.0, None),
    }
    assert got["change"] == {
        "time_to_detect": 4.0,            # (300-60)/60
        "time_to_acknowledge": 3.6,       # (276-60)/60
        "time_to_restore": 0.45,          # (2175-1500)/1500
        "time_to_first_notice": None,
        "count": 5.0,                     # (6-1)/1
    }
    assert got["still_open"] == [(keys["B"], "acknowledged")]
    assert (got["corrections"], got["retractions"]) == (1, 2)


def test_a_quarter_of_figures_against_an_empty_previous_quarter(runtime: Runtime,
                                                                  keys: dict[str, str]) -> None:
    got = figures(runtime, "quarter")
    # The quarter is [NOW-91d, NOW): all seven; the quarter before is empty.
    assert got["listed"] == sorted(keys.values())
    assert got["count"] == (7, 0)
    assert got["means"] == {
        "time_to_detect": (265.7, None),         # (1800+60)/7 = 1860/7 = 265.71…
        "time_to_acknowledge": (240.0, None),    # (1380+60)/6 = 1440/6
        "time_to_restore": (2040.0, None),       # (8700+1500)/5 = 10200/5
        "time_to_first_notice": (360.0, None),
    }
    # Nothing to compare with: no change, not a change from zero.
    assert got["change"] == dict.fromkeys(
        ("time_to_detect", "time_to_acknowledge", "time_to_restore", "time_to_first_notice",
         "count"))
    assert got["still_open"] == [(keys["B"], "acknowledged")]
    assert (got["corrections"], got["retractions"]) == (1, 2)


def test_a_correction_this_week_to_an_old_incident_counts_this_week(runtime: Runtime,
                                                                    clock: FixedClock) -> None:
    impact = NOW - timedelta(days=200)  # before any window's incidents
    with runtime.unit() as session:
        clock.set(impact)
        incident = incidents.open_incident(session, clock=clock, key_prefix="INC", actor="@ana",
                                           title="Long ago", severity="SEV3", impact_started_at=impact)
        clock.set(NOW - timedelta(days=2))
        for lang in ("en", "pt-BR"):
            incidents.record(session, incident, EventType.NOTICE_CORRECTED, {
                "lang": lang, "kind": "correction", "version": 2, "title": "Fixed date",
                "text": "The outage began at 09:00, not 10:00."}, actor="@carla", clock=clock)
    with runtime.unit() as session:
        digest = load_digest(session, "week", NOW)
    # Counted where it was published, once; the incident itself is not one of the week's.
    assert (digest.corrections, digest.current.count) == (1, 0)
    assert digest.sources["corrections"] == [f"{incident.key}#2"]
