"""Apps push Candor JSON batches; bad input gets a precise 4xx naming the sample, the
rejection is counted by reason, and nothing already stored is lost."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.app import create_app
from monitor.auth.models import Role
from monitor.wiring import Candor
from tests.conftest import START, bearer

NOW = int(START.timestamp() * 1000)
HOUR = 3_600_000


def sample(kind: str = "timeout", value: Any = 1.0, ts: Any = NOW, **extra: Any) -> dict:
    out: dict[str, Any] = {"metric": "candor_app_errors_total", "value": value,
                           "labels": {"kind": kind, "endpoint": "/links"}}
    if ts is not None:
        out["timestamp_ms"] = ts
    return {**out, **extra}


def stored(candor: Candor) -> dict[str, int]:
    return candor.signals.store.stats()


def rejected(candor: Candor, reason: str) -> float | None:
    return candor.runtime.registry.get_sample_value("candor_ingest_rejected_total", {"reason": reason})


def test_a_batch_is_stored_and_listed_with_label_matchers(client: TestClient,
                                                          responder: dict) -> None:
    response = client.post("/api/v1/signals", headers=responder, json={
        "labels": {"service": "links-api"},
        "samples": [sample("timeout"), sample("db", value=2, ts=None)]})
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 2, "series_created": 2}
    listing = client.get("/api/v1/signals/series", headers=responder, params={
        "match[]": 'candor_app_errors_total{service="links-api",kind=~"time.*"}'})
    assert listing.json() == {"status": "success", "data": [
        {"__name__": "candor_app_errors_total", "endpoint": "/links", "kind": "timeout",
         "service": "links-api"}]}


def test_series_listing_can_be_limited_to_a_time_range(client: TestClient, responder: dict,
                                                       candor: Candor) -> None:
    client.post("/api/v1/signals", headers=responder,
                json={"samples": [sample("a", ts=NOW - HOUR), sample("b", ts=NOW)]})
    listing = client.get("/api/v1/signals/series", headers=responder, params={
        "match[]": "candor_app_errors_total", "start": NOW - 1000})
    assert [s["kind"] for s in listing.json()["data"]] == ["b"]


def test_ingest_needs_a_responder_and_listing_a_viewer(client: TestClient, viewer: dict) -> None:
    assert client.post("/api/v1/signals", json={"samples": []}).status_code == 401
    assert client.post("/api/v1/signals", headers=viewer, json={"samples": []}).status_code == 403
    assert client.get("/api/v1/signals/series", headers=viewer,
                      params={"match[]": "up"}).status_code == 200


def test_a_configured_ingest_token_is_accepted(make_settings, make_candor,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CANDOR_INGEST_TOKEN", "ingest-123")
    candor = make_candor(make_settings(signals={"ingest_bearer_token": "env:CANDOR_INGEST_TOKEN"}))
    with TestClient(create_app(candor)) as client:
        ok = client.post("/api/v1/signals", json={"samples": [sample()]},
                         headers={"Authorization": "Bearer ingest-123"})
        wrong = client.post("/api/v1/signals", json={"samples": [sample()]},
                            headers={"Authorization": "Bearer nope"})
    assert ok.status_code == 200 and wrong.status_code == 401


def test_the_format_is_documented_in_openapi(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "SignalBatch" in spec["components"]["schemas"]
    assert "/v1/metrics" in spec["paths"] and "/api/v1/signals/series" in spec["paths"]


BAD = [
    # (body, status, reason, loc, words in the message)
    ({"samples": "nope"}, 422, "malformed", "$.samples", "valid list"),
    ({"samples": [sample(value="many")]}, 422, "malformed", "$.samples[0].value", "number"),
    ('{"samples": [{"metric": "candor_app_errors_total", "value": NaN}]}', 422, "malformed", "$.samples[0].value",
     "finite"),
    ('{"samples": [{"metric": "candor_app_errors_total", "value": Infinity}]}', 422, "malformed", "$.samples[0].value",
     "finite"),
    ({"samples": [sample(ts="yesterday")]}, 422, "malformed", "$.samples[0].timestamp_ms",
     "integer"),
    ({"samples": [sample(metric="http-requests")]}, 422, "malformed", "$.samples[0].metric",
     "not a valid metric name"),
    ({"samples": [sample(labels={"1st": "x"})]}, 422, "malformed", "$.samples[0].labels",
     "not a valid label name"),
    ({"samples": [sample(labels={"__secret": "x"})]}, 422, "malformed", "$.samples[0].labels",
     "reserved"),
    ({"samples": [sample(colour="red")]}, 422, "malformed", "$.samples[0].colour",
     "Extra inputs"),
    ({"samples": [sample(ts=NOW - 25 * HOUR)]}, 422, "timestamp_too_old",
     "$.samples[0].timestamp_ms", "older than the retention window"),
    ({"samples": [sample(ts=NOW + HOUR)]}, 422, "timestamp_too_new",
     "$.samples[0].timestamp_ms", "milliseconds"),
    ({"samples": [sample(ts=NOW // 1000)]}, 422, "timestamp_too_old",
     "$.samples[0].timestamp_ms", "retention"),
    ({"samples": [sample(), sample(value=2)]}, 422, "duplicate_sample", "$.samples[1]",
     "same series and timestamp as $.samples[0]"),
    ({"samples": [sample("x", value=5)]}, 422, "duplicate_sample", "$.samples[0]",
     "already stored"),
    ({"samples": [sample(value=-1)]}, 422, "invalid_value", "$.samples[0].value",
     "counter"),
    ({"samples": [sample(labels={"kind": "x" * 2000})]}, 422, "label_value_length",
     "$.samples[0].labels", "signals.max_label_value_length"),
    ({"samples": [sample(labels={f"l{i}": "v" for i in range(40)})]}, 422, "labels_per_series",
     "$.samples[0].labels", "signals.max_labels_per_series"),
]


@pytest.mark.parametrize(("body", "status", "reason", "loc", "words"), BAD,
                         ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)])
def test_bad_input_is_a_precise_4xx_counted_by_reason_and_stores_nothing(
        client: TestClient, responder: dict, candor: Candor, body: dict | str, status: int,
        reason: str, loc: str, words: str) -> None:
    first = client.post("/api/v1/signals", headers=responder,
                        json={"samples": [sample("x", value=1)]})
    assert first.status_code == 200
    if isinstance(body, str):  # JSON that Python's encoder will not write (NaN, Infinity)
        response = client.post("/api/v1/signals", content=body,
                               headers={**responder, "Content-Type": "application/json"})
    else:
        response = client.post("/api/v1/signals", headers=responder, json=body)
    assert response.status_code == status, response.text
    problem = response.json()
    assert response.headers["content-type"] == "application/problem+json"
    assert any(e["loc"] == loc and words in e["msg"] for e in problem["errors"]), problem
    assert rejected(candor, reason) == 1.0
    assert stored(candor) == {"series": 1, "samples": 1}


def test_too_many_samples_in_one_request_is_a_limit(make_settings, make_candor) -> None:
    candor = make_candor(make_settings(signals={"max_samples_per_request": 2}))
    headers = bearer(candor.runtime, Role.RESPONDER)
    with TestClient(create_app(candor)) as client:
        response = client.post("/api/v1/signals", headers=headers, json={
            "samples": [sample(str(i)) for i in range(3)]})
    assert response.status_code == 422
    assert response.json()["title"] == "Limit exceeded"
    assert "signals.max_samples_per_request" in response.json()["detail"]
    assert rejected(candor, "samples_per_request") == 1.0


def test_the_cardinality_cap_is_a_4xx_naming_the_limit(make_settings, make_candor) -> None:
    candor = make_candor(make_settings(signals={"max_series_per_metric": 2}))
    headers = bearer(candor.runtime, Role.RESPONDER)
    with TestClient(create_app(candor)) as client:
        client.post("/api/v1/signals", headers=headers, json={"samples": [sample("a")]})
        response = client.post("/api/v1/signals", headers=headers, json={
            "samples": [sample("b"), sample("c")]})
    assert response.status_code == 422
    assert response.json()["limit"] == "signals.max_series_per_metric"
    assert rejected(candor, "series_per_metric") == 1.0
    assert stored(candor)["series"] == 1


@pytest.mark.parametrize(("selector", "words"), [
    ("rate(up[5m])", "not a plain series selector"),
    ('{job=""}', "non-empty"),
    ("up{", "not a series selector"),
])
def test_a_bad_series_selector_is_a_422(client: TestClient, viewer: dict, selector: str,
                                        words: str) -> None:
    response = client.get("/api/v1/signals/series", headers=viewer,
                          params={"match[]": selector})
    assert response.status_code == 422 and words in response.json()["detail"]


def test_the_series_listing_needs_a_selector(client: TestClient, viewer: dict) -> None:
    response = client.get("/api/v1/signals/series", headers=viewer)
    assert response.status_code == 422 and "match[]" in response.text
