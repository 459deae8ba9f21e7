"""Alerts arrive from Alertmanager (webhook v4) or in Prometheus' shape and become incidents."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.alerting.identity import fingerprint
from monitor.clock import FixedClock
from monitor.incidents import service as incident_service

AM = "/api/v1/alertmanager"
PROM = "/api/v1/alerts"
GO_ZERO = "0001-01-01T00:00:00Z"


@pytest.fixture
def settings(make_settings, request):
    """Default settings, or the overrides a test passes with ``indirect=True``."""
    return make_settings(**getattr(request, "param", {}))


def iso(when: datetime) -> str:
    return when.isoformat().replace("+00:00", "Z")


def am_alert(clock: FixedClock, status: str = "firing", **labels: str) -> dict[str, Any]:
    labels = {"alertname": "HighErrorRate", "service": "redirect", **labels}
    return {
        "status": status, "labels": labels,
        "annotations": {"summary": "Redirects failing", "description": "5xx over 5%"},
        "startsAt": iso(clock.now() - timedelta(minutes=2)),
        "endsAt": iso(clock.now()) if status == "resolved" else GO_ZERO,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=x", "fingerprint": fingerprint(labels),
    }


def webhook(*alerts: dict[str, Any], **extra: Any) -> dict[str, Any]:
    status = "firing" if any(a["status"] == "firing" for a in alerts) else "resolved"
    return {"version": "4", "groupKey": "{}:{alertname=\"HighErrorRate\"}", "truncatedAlerts": 0,
            "status": status, "receiver": "candor", "groupLabels": {}, "commonLabels": {},
            "commonAnnotations": {}, "externalURL": "http://alertmanager:9093",
            "alerts": list(alerts), **extra}


def send(client: TestClient, headers, *alerts, path: str = AM, **extra) -> dict[str, Any]:
    body = webhook(*alerts, **extra) if path == AM else list(alerts)
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def incidents(client: TestClient, headers) -> list[dict[str, Any]]:
    return client.get("/api/v1/incidents", headers=headers).json()["data"]


def detail(client: TestClient, headers, key: str) -> dict[str, Any]:
    return client.get(f"/api/v1/incidents/{key}", headers=headers).json()


def test_fingerprint_is_alertmanagers_fnv1a_64() -> None:
    # Values from prometheus/common model/signature_test.go (LabelsToSignature).
    assert fingerprint({}) == f"{14695981039346656037:016x}"
    labels = {"name": "garland, briggs", "fear": "love is not enough"}
    assert fingerprint(labels) == f"{5799056148416392346:016x}"
    assert fingerprint({"b": "2", "a": "1"}) == fingerprint({"a": "1", "b": "2"})


def test_alertmanager_webhook_opens_one_incident_with_its_alerts(
    client: TestClient, responder, clock
) -> None:
    result = send(client, responder, am_alert(clock, instance="a", severity="critical"),
                  am_alert(clock, instance="b"), somethingNew={"x": 1}, anotherField=[1])

    assert result["outcomes"] == {"new": 1, "grouped": 1}
    [incident] = incidents(client, responder)
    assert result["incidents"] == [incident["key"]]
    assert (incident["title"], incident["severity"], incident["services"]) == (
        "Redirects failing", "SEV1", ["redirect"])
    assert incident["labels"] == {"alertname": "HighErrorRate", "service": "redirect"}
    alerts = detail(client, responder, incident["key"])["alerts"]
    assert [a["labels"]["instance"] for a in alerts] == ["a", "b"]
    assert alerts[0]["fingerprint"] == fingerprint(alerts[0]["labels"])
    assert alerts[0]["ends_at"] is None  # Go's zero time means "no end yet"
    assert incident["impact_started_at"].startswith(iso(clock.now() - timedelta(minutes=2))[:19])


def test_prometheus_shaped_alerts_are_accepted(client: TestClient, responder, clock) -> None:
    alert = {"labels": {"alertname": "DiskFull", "service": "db"},
             "annotations": {"summary": "Disk almost full"},
             "startsAt": iso(clock.now()), "endsAt": iso(clock.now() + timedelta(minutes=4)),
             "generatorURL": "http://prometheus/graph"}
    result = send(client, responder, alert, path=PROM)
    assert result["outcomes"] == {"new": 1}

    alert["endsAt"] = iso(clock.now())
    result = send(client, responder, alert, path=PROM)
    assert result["outcomes"] == {"resolved": 1}
    assert incidents(client, responder)[0]["state"] == "verifying"


def test_group_by_decides_which_alerts_share_an_incident(client: TestClient, responder, clock):
    send(client, responder, am_alert(clock, instance="a"), am_alert(clock, service="api"),
         am_alert(clock, alertname="SlowRedirects"))
    send(client, responder, am_alert(clock, instance="b"))
    found = {(i["labels"]["alertname"], i["labels"]["service"]) for i in incidents(client, responder)}
    assert found == {("HighErrorRate", "redirect"), ("HighErrorRate", "api"),
                     ("SlowRedirects", "redirect")}


@pytest.mark.parametrize("settings", [{"routing": {"group_by": ["service"]}}], indirect=True)
def test_group_by_comes_from_config(client: TestClient, responder, clock) -> None:
    send(client, responder, am_alert(clock), am_alert(clock, alertname="SlowRedirects"))
    assert len(incidents(client, responder)) == 1


def test_the_same_alert_again_is_deduplicated(client: TestClient, responder, clock) -> None:
    send(client, responder, am_alert(clock))
    clock.advance(minutes=1)
    result = send(client, responder, am_alert(clock))
    assert result["outcomes"] == {"deduplicated": 1}
    [incident] = incidents(client, responder)
    [alert] = detail(client, responder, incident["key"])["alerts"]
    assert alert["receive_count"] == 2
    events = client.get(f"/api/v1/incidents/{incident['key']}/events", headers=responder).json()
    assert [e["type"] for e in events] == ["incident.opened", "alert.attached"]


@pytest.mark.parametrize("settings", [
    {"incidents": {"on_alerts_resolved": "verify"}},
    {"incidents": {"on_alerts_resolved": "resolve"}},
    {"incidents": {"on_alerts_resolved": "none"}},
], indirect=True, ids=["verify", "resolve", "none"])
def test_when_every_alert_resolved_the_incident_moves_as_configured(
    client: TestClient, responder, clock, settings
) -> None:
    send(client, responder, am_alert(clock, instance="a"), am_alert(clock, instance="b"))
    clock.advance(minutes=5)
    send(client, responder, am_alert(clock, "resolved", instance="a"))
    assert incidents(client, responder)[0]["state"] == "detected"  # b still fires

    result = send(client, responder, am_alert(clock, "resolved", instance="b"))
    assert result["outcomes"] == {"resolved": 1}
    [incident] = incidents(client, responder)
    expected = {"verify": "verifying", "resolve": "resolved", "none": "detected"}
    assert incident["state"] == expected[settings.incidents.on_alerts_resolved]
    assert incident["alerts_resolved"] is True
    alerts = detail(client, responder, incident["key"])["alerts"]
    assert {a["status"] for a in alerts} == {"resolved"}
    assert alerts[0]["ends_at"] is not None


@pytest.mark.parametrize("settings", [{"incidents": {"on_alerts_resolved": "resolve"}}],
                         indirect=True)
def test_resolve_mode_also_resolves_an_incident_already_verifying(client, responder, clock):
    send(client, responder, am_alert(clock))
    key = incidents(client, responder)[0]["key"]
    client.post(f"/api/v1/incidents/{key}/transitions", json={"to": "verifying"}, headers=responder)
    send(client, responder, am_alert(clock, "resolved"))
    assert incidents(client, responder)[0]["state"] == "resolved"


@pytest.mark.parametrize("settings", [{"incidents": {"on_alerts_resolved": "resolve",
                                                     "reopen_window": "1h"}}], indirect=True)
def test_firing_again_within_the_reopen_window_reopens(client: TestClient, responder, clock):
    send(client, responder, am_alert(clock))
    send(client, responder, am_alert(clock, "resolved"))
    clock.advance(minutes=59)

    result = send(client, responder, am_alert(clock))

    assert result["outcomes"] == {"reopened": 1}
    [incident] = incidents(client, responder)
    assert incident["state"] == "reopened" and incident["resolved_at"] is None

    send(client, responder, am_alert(clock, "resolved"))
    clock.advance(minutes=61)
    result = send(client, responder, am_alert(clock))
    assert result["outcomes"] == {"new": 1}
    assert [i["state"] for i in incidents(client, responder)] == ["detected", "resolved"]


@pytest.mark.parametrize("settings", [{"incidents": {"on_alerts_resolved": "resolve",
                                                     "reopen_window": "1h"}}], indirect=True)
def test_one_open_incident_per_group_also_holds_for_a_reopening_by_hand(client, responder, clock):
    send(client, responder, am_alert(clock))
    send(client, responder, am_alert(clock, "resolved"))
    clock.advance(minutes=61)
    assert send(client, responder, am_alert(clock))["outcomes"] == {"new": 1}
    newer, older = incidents(client, responder)

    response = client.post(f"/api/v1/incidents/{older['key']}/transitions", json={"to": "reopened"},
                           headers=responder)

    assert response.status_code == 409 and response.json()["open_incident"] == newer["key"]
    assert f"{newer['key']} is the open incident of {older['key']}'s alert group" in response.json()["detail"]
    assert [i["state"] for i in incidents(client, responder)] == ["detected", "resolved"]


def test_firing_again_while_verifying_regresses(client: TestClient, responder, clock) -> None:
    send(client, responder, am_alert(clock))
    send(client, responder, am_alert(clock, "resolved"))
    assert incidents(client, responder)[0]["state"] == "verifying"
    clock.advance(minutes=2)

    result = send(client, responder, am_alert(clock))

    assert result["outcomes"] == {"grouped": 1}
    [incident] = incidents(client, responder)
    assert (incident["state"], incident["alerts_resolved"]) == ("fixing", False)  # via regressed
    events = client.get(f"/api/v1/incidents/{incident['key']}/events", headers=responder).json()
    verdict, *moves = events[-3:]
    assert (verdict["type"], verdict["payload"]["outcome"]) == ("verification.verdict", "regressed")
    assert verdict["payload"]["alert"]["alertname"] == "HighErrorRate"
    assert [m["payload"]["to"] for m in moves] == ["regressed", "fixing"]


def test_a_resolved_alert_nobody_saw_firing_is_recorded_and_opens_nothing(client, responder, clock):
    result = send(client, responder, am_alert(clock, "resolved"))
    assert result == {"received": 1, "outcomes": {"resolved": 1}, "incidents": []}
    assert incidents(client, responder) == []


SILENCES = [
    ([{"name": "service", "value": "redirect"}], True),
    ([{"name": "service", "value": "api"}], False),
    ([{"name": "service", "value": "api", "op": "!="}], True),
    ([{"name": "service", "value": "redirect", "op": "!="}], False),
    ([{"name": "service", "value": "red.*", "op": "=~"}], True),
    ([{"name": "service", "value": "red", "op": "=~"}], False),  # regexes are anchored
    ([{"name": "service", "value": "api|db", "op": "!~"}], True),
    ([{"name": "service", "value": "red.*", "op": "!~"}], False),
    ([{"name": "service", "value": "redirect"}, {"name": "alertname", "value": "Other"}], False),
]


@pytest.mark.parametrize(("matchers", "silenced"), SILENCES)
def test_silenced_alerts_are_recorded_but_open_nothing(client, responder, clock, matchers,
                                                       silenced) -> None:
    created = client.post("/api/v1/silences", headers=responder, json={
        "matchers": matchers, "duration": "2h", "comment": "deploying the redirect fix"})
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "active"

    result = send(client, responder, am_alert(clock))

    assert result["outcomes"] == ({"silenced": 1} if silenced else {"new": 1})
    assert len(incidents(client, responder)) == (0 if silenced else 1)


def test_silences_apply_only_between_start_and_end(client, responder, clock) -> None:
    start = clock.now() + timedelta(hours=1)
    silence = client.post("/api/v1/silences", headers=responder, json={
        "matchers": [{"name": "service", "value": "redirect"}], "comment": "maintenance",
        "starts_at": iso(start), "ends_at": iso(start + timedelta(hours=1))}).json()
    assert silence["state"] == "pending"
    assert send(client, responder, am_alert(clock, instance="a"))["outcomes"] == {"new": 1}

    clock.advance(minutes=61)
    assert send(client, responder, am_alert(clock, instance="b"))["outcomes"] == {"silenced": 1}

    clock.advance(hours=1)
    assert send(client, responder, am_alert(clock, instance="c"))["outcomes"] == {"grouped": 1}
    listed = client.get("/api/v1/silences", headers=responder).json()
    assert [s["state"] for s in listed] == ["expired"]


def test_expiring_a_silence_ends_it_now(client, responder, clock) -> None:
    silence = client.post("/api/v1/silences", headers=responder, json={
        "matchers": [{"name": "service", "value": "redirect"}], "comment": "noise",
        "duration": "1h"}).json()
    expired = client.delete(f"/api/v1/silences/{silence['id']}", headers=responder)
    assert expired.status_code == 200 and expired.json()["state"] == "expired"
    assert send(client, responder, am_alert(clock))["outcomes"] == {"new": 1}
    again = client.delete(f"/api/v1/silences/{silence['id']}", headers=responder)
    assert again.status_code == 409


def test_an_alert_silenced_after_it_opened_an_incident_still_resolves_it(client, responder, clock):
    send(client, responder, am_alert(clock))
    client.post("/api/v1/silences", headers=responder, json={
        "matchers": [{"name": "service", "value": "redirect"}], "comment": "we know",
        "duration": "1h"})
    clock.advance(minutes=5)
    send(client, responder, am_alert(clock))  # Alertmanager repeats it while silenced here
    send(client, responder, am_alert(clock, "resolved"))
    assert incidents(client, responder)[0]["state"] == "verifying"


@pytest.mark.parametrize("settings", [
    {"intake": {"alertmanager": {"bearer_token": "env:CANDOR_TEST_AM_TOKEN"}}}], indirect=True)
def test_receiver_accepts_its_configured_bearer_token(client, viewer, clock, monkeypatch) -> None:
    monkeypatch.setenv("CANDOR_TEST_AM_TOKEN", "s3cret-from-env")
    good = {"Authorization": "Bearer s3cret-from-env"}

    assert client.post(AM, json=webhook(am_alert(clock)), headers=good).status_code == 200
    wrong = client.post(AM, json=webhook(am_alert(clock)),
                        headers={"Authorization": "Bearer not-it"})
    assert wrong.status_code == 401
    assert wrong.headers["www-authenticate"] == "Bearer"
    assert client.post(AM, json=webhook(am_alert(clock))).status_code == 401
    assert client.post(AM, json=webhook(am_alert(clock)), headers=viewer).status_code == 403
    # The other receiver has no token configured: it wants a responder token.
    assert client.post(PROM, json=[], headers=good).status_code == 401


@pytest.mark.parametrize(("body", "status", "where"), [
    ({"version": "3", "status": "firing", "alerts": []}, 422, "$.version"),
    ({"version": "4", "status": "firing"}, 422, "$.alerts"),
    ({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {}}]},
     422, "$.alerts[0].labels"),
    ({"version": "4", "status": "firing", "alerts": [{"status": "maybe", "labels": {"a": "b"}}]},
     422, "$.alerts[0].status"),
    ({"version": "4", "status": "firing", "alerts": [{"status": "firing", "labels": {"a": 1}}]},
     422, "$.alerts[0].labels.a"),
])
def test_bad_webhooks_are_rejected_with_the_field_path(client, responder, body, status, where):
    response = client.post(AM, json=body, headers=responder)
    assert response.status_code == status
    assert where in [e["loc"] for e in response.json()["errors"]]
    assert incidents(client, responder) == []


def test_label_sets_over_the_limits_are_422_and_store_nothing(client, responder, clock) -> None:
    many = am_alert(clock, **{f"l{n}": "x" for n in range(70)})
    long_value = am_alert(clock, path="x" * 3000)
    for alert in (many, long_value):
        response = client.post(AM, json=webhook(alert), headers=responder)
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"].startswith("$[0].labels")
    assert incidents(client, responder) == []


def test_alerts_received_are_counted_by_source_and_outcome(client, responder, runtime, clock):
    send(client, responder, am_alert(clock), am_alert(clock, instance="b"))
    send(client, responder, am_alert(clock))

    def count(outcome: str) -> float | None:
        return runtime.registry.get_sample_value(
            "candor_alerts_received_total", {"source": "alertmanager", "outcome": outcome})

    assert (count("new"), count("grouped"), count("deduplicated")) == (1, 1, 1)


def test_times_without_a_zone_are_taken_as_utc(client, responder, clock) -> None:
    alert = {"labels": {"alertname": "DiskFull"}, "startsAt": "2026-03-02T08:00:00",
             "endsAt": "2026-03-02T08:30:00"}
    assert send(client, responder, alert, path=PROM)["outcomes"] == {"resolved": 1}


@pytest.mark.parametrize(("body", "where", "text"), [
    ({"matchers": [{"name": "service", "value": "(", "op": "=~"}], "duration": "1h",
      "comment": "c"}, "$.matchers[0]", "not a valid regular expression"),
    ({"matchers": [{"name": "service", "value": "x"}], "duration": "99999999999y",
      "comment": "c"}, "$.duration", "past the year 9999"),
    ({"matchers": [{"name": "service", "value": "x"}], "duration": "2 hours",
      "comment": "c"}, "$.duration", "is not a duration"),
    ({"matchers": [{"name": "service", "value": "x"}], "comment": "c"}, "$.ends_at", "missing"),
    ({"matchers": [], "duration": "1h", "comment": "c"}, "$.matchers", "at least 1"),
    ({"matchers": [{"name": "1bad", "value": "x"}], "duration": "1h", "comment": "c"},
     "$.matchers[0].name", "pattern"),
])
def test_bad_silences_are_422_naming_the_field(client, responder, body, where, text) -> None:
    response = client.post("/api/v1/silences", json=body, headers=responder)
    assert response.status_code == 422, response.text
    [error] = [e for e in response.json()["errors"] if e["loc"] == where]
    assert text in error["msg"] or text in response.json()["detail"]
    assert client.get("/api/v1/silences", headers=responder).json() == []


def test_an_alert_twice_in_one_webhook_is_routed_on_what_the_first_stored(client, responder, clock):
    # New rows are written together at the end of a webhook; an alert seen again in the same
    # one is routed on the row its first copy stored, as if they had come one by one.
    a, b = am_alert(clock, instance="a"), am_alert(clock, instance="b")
    result = send(client, responder, a, a, b)
    assert result["outcomes"] == {"new": 1, "deduplicated": 1, "grouped": 1}
    [incident] = incidents(client, responder)
    alerts = detail(client, responder, incident["key"])["alerts"]
    assert sorted(x["receive_count"] for x in alerts) == [1, 2]
    events = client.get(f"/api/v1/incidents/{incident['key']}/events", headers=responder).json()
    assert [e["type"] for e in events] == ["incident.opened", "alert.attached", "alert.attached"]

    result = send(client, responder, am_alert(clock, instance="c"), am_alert(clock, "resolved", instance="c"))
    assert result["outcomes"] == {"grouped": 1, "resolved": 1}
    statuses = {x["labels"]["instance"]: x["status"]
                for x in detail(client, responder, incident["key"])["alerts"]}
    assert statuses == {"a": "firing", "b": "firing", "c": "resolved"}


def test_fifty_alerts_in_one_webhook_are_fifty_rows_and_events_in_order(
        client, responder, runtime, clock) -> None:
    send(client, responder, *[am_alert(clock, instance=f"host-{n}") for n in range(50)])
    [incident] = incidents(client, responder)
    assert len(detail(client, responder, incident["key"])["alerts"]) == 50
    with runtime.unit() as s:
        row = incident_service.get_by_key_or_raise(s, incident["key"])
        events = incident_service.events(s, row)
        assert [e.seq for e in events] == list(range(1, 52))
        assert [e.type for e in events].count("alert.attached") == 50
        assert incident_service.replayed(s, row) == incident_service.view_of(row)
