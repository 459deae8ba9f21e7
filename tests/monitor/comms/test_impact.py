"""Story: a SEV3 that hits a third of the users still reaches the banner, subscribers and the
press desk; a correction reaches at least everyone the original reached."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.api.runtime import Runtime
from monitor.clock import FixedClock
from monitor.comms.impact import channels
from monitor.config import parse
from monitor.config.comms import ImpactConfig
from monitor.errors import ConfigError
from tests.monitor.comms.conftest import open_incident
from tests.monitor.comms.factories import GOOD

BY_SEVERITY = {"SEV1": ["status_page", "banner", "subscribers", "press"], "SEV3": ["status_page"]}
IMPACT = ImpactConfig(banner_share=0.05, subscribers_share=0.10, press_share=0.25)


@pytest.mark.parametrize(
    ("severity", "share", "previous", "expected"),
    [
        ("SEV3", None, [], ["status_page"]),
        ("SEV3", 0.0, [], ["status_page"]),
        ("SEV3", 0.049, [], ["status_page"]),
        ("SEV3", 0.05, [], ["status_page", "banner"]),
        ("SEV3", 0.10, [], ["status_page", "banner", "subscribers"]),
        ("SEV3", 0.25, [], ["status_page", "banner", "subscribers", "press"]),
        ("SEV1", 0.0, [], ["status_page", "banner", "subscribers", "press"]),  # severity still counts
        ("SEV3", 0.0, ["press", "status_page"], ["status_page", "press"]),  # never narrower
        ("SEV9", None, [], ["status_page"]),  # unknown severity: the status page only
    ],
)
def test_channels_follow_severity_share_and_what_went_before(
    severity: str, share: float | None, previous: list[str], expected: list[str]
) -> None:
    assert channels(severity, share, by_severity=BY_SEVERITY, impact=IMPACT,
                    previous=previous) == expected


def test_impact_thresholds_load_with_defaults_and_reject_shares_outside_0_1() -> None:
    assert parse("").comms.impact == ImpactConfig(banner_share=0.05, subscribers_share=0.10,
                                                  press_share=0.25)
    assert parse("[comms.impact]\npress_share = 0.5\n").comms.impact.press_share == 0.5
    with pytest.raises(ConfigError) as caught:
        parse("[comms.impact]\npress_share = 25\n")
    assert "config.toml:2: comms.impact.press_share" in str(caught.value)


def good(lang: str, clock: FixedClock, **changes: Any) -> dict[str, Any]:
    return {**GOOD[lang], "next_update_at": (clock.now() + timedelta(minutes=30)).isoformat(),
            **changes}


def test_share_widens_a_minor_incident_and_a_correction_keeps_the_reach(
    client: TestClient, responder: dict[str, str], runtime: Runtime, fixed: FixedClock
) -> None:
    key = open_incident(runtime, severity="SEV3").key
    drafted = client.post(f"/api/v1/incidents/{key}/notices", headers=responder,
                          json={"lang": "en", "content": good("en", fixed), "affected_share": 0.3})
    assert drafted.status_code == 201, drafted.text
    assert drafted.json()["draft"]["affected_share"] == 0.3
    notice = drafted.json()["id"]
    first = client.post(f"/api/v1/notices/{notice}/publish", headers=responder).json()
    assert (first["channels"], first["affected_share"]) == (
        ["status_page", "banner", "subscribers", "press"], 0.3)
    assert client.get(f"/api/v1/incidents/{key}/press-release?lang=en",
                      headers=responder).status_code == 200
    # The correction says fewer users were hit; it still goes everywhere the original went.
    correction = client.post(f"/api/v1/notices/{notice}/versions", headers=responder, json={
        "kind": "correction", "affected_share": 0.02,
        "content": good("en", fixed, what_was_wrong="We said a third of users were affected.",
                        what_is_right="Two in a hundred users were affected."),
    })
    assert correction.status_code == 201, correction.text
    assert (correction.json()["channels"], correction.json()["affected_share"]) == (
        ["status_page", "banner", "subscribers", "press"], 0.02)
    # An update that gives no share keeps the last one.
    update = client.post(f"/api/v1/notices/{notice}/versions", headers=responder,
                         json={"kind": "update", "content": good("en", fixed)})
    assert update.json()["affected_share"] == 0.02


def test_share_given_at_publish_wins_over_the_draft(
    client: TestClient, responder: dict[str, str], runtime: Runtime, fixed: FixedClock
) -> None:
    key = open_incident(runtime, severity="SEV3").key
    notice = client.post(f"/api/v1/incidents/{key}/notices", headers=responder,
                         json={"lang": "pt-BR", "content": good("pt-BR", fixed),
                               "affected_share": 0.5}).json()["id"]
    published = client.post(f"/api/v1/notices/{notice}/publish", headers=responder,
                            json={"affected_share": 0.06})
    assert (published.json()["channels"], published.json()["affected_share"]) == (
        ["status_page", "banner"], 0.06)
    banner = client.get("/api/v1/banner?lang=pt-BR").json()
    assert [item["key"] for item in banner["items"]] == [key]


@pytest.mark.parametrize("share", [1.5, -0.1, "a lot"])
def test_a_share_outside_0_1_is_refused_and_nothing_is_stored(
    client: TestClient, responder: dict[str, str], runtime: Runtime, fixed: FixedClock,
    share: object,
) -> None:
    key = open_incident(runtime, severity="SEV3").key
    refused = client.post(f"/api/v1/incidents/{key}/notices", headers=responder,
                          json={"lang": "en", "content": good("en", fixed),
                                "affected_share": share})
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == ["$.affected_share"]
    assert client.get(f"/api/v1/incidents/{key}/notices", headers=responder).json() == []

    notice = client.post(f"/api/v1/incidents/{key}/notices", headers=responder,
                         json={"lang": "en", "content": good("en", fixed)}).json()
    refused = client.post(f"/api/v1/notices/{notice['id']}/publish", headers=responder,
                          json={"affected_share": share})
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["errors"]] == ["$.affected_share"]
    after = client.get(f"/api/v1/notices/{notice['id']}", headers=responder).json()
    assert (after["versions"], after["draft"]) == ([], notice["draft"])
