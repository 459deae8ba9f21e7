"""The same requests to a real Prometheus (Debian's 2.x binary, scraping itself) and to
Candor: the responses have the same structure (keys and JSON types), and the errors the
same status code, errorType and message.

Only structure is compared for successes: the data differ (Prometheus has its own
``up``, Candor has the test's), and timestamps are "now" on one side and the test
clock on the other. Nothing is pushed to Prometheus; every query uses ``vector(1)``,
``time()``, literals, or ``up`` from its self-scrape.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from monitor.promapi.format import rfc3339
from monitor.wiring import Candor
from tests.monitor.promapi.conftest import T0


def shape(value: Any) -> Any:
    """The JSON's structure: dicts keep keys, lists their first element, leaves their type."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def both(prometheus: str, client: TestClient, headers: dict[str, str], path: str,
         params: dict[str, Any], method: str = "GET") -> tuple[httpx.Response, Any]:
    if method == "POST":
        theirs = httpx.post(f"{prometheus}/api/v1{path}", data=params, timeout=10)
        ours = client.post(f"/prometheus/api/v1{path}", data=params, headers=headers)
    else:
        theirs = httpx.get(f"{prometheus}/api/v1{path}", params=params, timeout=10)
        ours = client.get(f"/prometheus/api/v1{path}", params=params, headers=headers)
    return theirs, ours


SUCCESSES = [
    ("/query", {"query": "vector(1)"}),
    ("/query", {"query": "time()"}),
    ("/query", {"query": '"text"'}),
    ("/query", {"query": "up"}),
    ("/query", {"query": "up[1m]"}),
    ("/query", {"query": "sum by (job) (up) * 2", "time": "{rfc3339}"}),
    ("/query_range", {"query": "vector(1)", "start": 1, "end": 3, "step": 1}),
    ("/query_range", {"query": "up", "start": "{start}", "end": "{end}", "step": "1s"}),
    ("/series", {"match[]": "up"}),
    ("/labels", {}),
    ("/labels", {"match[]": "up"}),
    ("/label/job/values", {}),
    ("/status/buildinfo", {}),
    ("/rules", {}),
    ("/alerts", {}),
]


@pytest.mark.parametrize(("path", "params"), SUCCESSES, ids=lambda v: str(v))
def test_successful_responses_have_prometheus_structure(
        prometheus: str, client: TestClient, stored: Candor, viewer: dict[str, str],
        path: str, params: dict[str, Any]) -> None:
    now = time.time()
    theirs_params = {k: str(v).format(start=now - 5, end=now, rfc3339=rfc3339(now))
                     for k, v in params.items()}
    ours_params = {k: str(v).format(start=T0 - 60, end=T0, rfc3339=rfc3339(T0))
                   for k, v in params.items()}
    theirs = httpx.get(f"{prometheus}/api/v1{path}", params=theirs_params, timeout=10)
    ours = client.get(f"/prometheus/api/v1{path}", params=ours_params, headers=viewer)

    assert theirs.status_code == ours.status_code == 200, (theirs.text, ours.text)
    if path in ("/rules", "/alerts"):  # neither side has rules: compare the whole body
        assert ours.json() == theirs.json()
    else:
        assert shape(ours.json()) == shape(theirs.json()), (theirs.text, ours.text)


def test_a_form_encoded_post_answers_like_prometheus(
        prometheus: str, client: TestClient, stored: Candor, viewer: dict[str, str]) -> None:
    theirs, ours = both(prometheus, client, viewer, "/query", {"query": "vector(2)", "time": 5},
                        method="POST")

    assert ours.json() == theirs.json() == {
        "status": "success", "data": {"resultType": "vector",
                                      "result": [{"metric": {}, "value": [5, "2"]}]}}


ERRORS = [
    ("/query", {"query": "sum(up"}),
    ("/query", {"query": "1 +"}),
    ("/query", {}),
    ("/query", {"query": "up", "time": "abc"}),
    ("/query", {"query": "up", "timeout": "abc"}),
    ("/query", {"query": '{__name__=~".+"} + on() vector(1)'}),
    ("/query_range", {"query": "vector(1)", "start": 1, "end": 100_000, "step": 1}),
    ("/query_range", {"query": "vector(1)", "start": 10, "end": 1, "step": 1}),
    ("/query_range", {"query": "vector(1)", "start": 1, "end": 10, "step": 0}),
    ("/query_range", {"query": "vector(1)", "start": 1, "end": 10}),
    ("/query_range", {"query": "up[1m]", "start": 1, "end": 10, "step": 1}),
    ("/series", {}),
    ("/series", {"match[]": "up{"}),
    ("/series", {"match[]": "up", "start": "abc"}),
    ("/label/1bad/values", {}),
]


@pytest.mark.parametrize(("path", "params"), ERRORS, ids=lambda v: str(v))
def test_errors_match_prometheus(prometheus: str, client: TestClient, stored: Candor,
                                 viewer: dict[str, str], path: str,
                                 params: dict[str, Any]) -> None:
    theirs, ours = both(prometheus, client, viewer, path, params)

    assert ours.status_code == theirs.status_code, (theirs.text, ours.text)
    assert ours.json() == theirs.json()
