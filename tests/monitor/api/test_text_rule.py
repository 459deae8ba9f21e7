"""One rule for text (``monitor.api.text``), the same on SQLite and PostgreSQL: a NUL, another
control character or a lone surrogate is a 422 naming where it is, and nothing is stored;
alerts are the exception (Alertmanager never retries a 4xx): their text is cleaned, and
they are kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from monitor.api.text import problems, sanitised
from monitor.app import create_app
from monitor.auth.models import Role
from tests.conftest import bearer
from tests.monitor.api.test_bad_requests import counts

ISSUE_COMMENT = '{"action": "%s", "comment": "\\uda12\\udcb6\\\\\\u000f"}'  # from issue 12


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, make_settings, make_candor, monkeypatch) -> Iterator[Any]:
    overrides: dict[str, Any] = {}
    if request.param == "postgres":
        monkeypatch.setenv("CANDOR_TEST_DATABASE_URL", request.getfixturevalue("pg_url"))
        overrides = {"storage": {"database_url": "env:CANDOR_TEST_DATABASE_URL"}}
    candor = make_candor(make_settings(**overrides))
    admin = bearer(candor.runtime, Role.ADMIN)
    with TestClient(create_app(candor), raise_server_exceptions=False) as client:
        client.headers.update(admin)
        key = client.post("/api/v1/incidents", json={"title": "Redirects fail"}).json()["key"]
        assert client.post(f"/api/v1/incidents/{key}/postmortem", json={}).status_code == 201
        yield client, candor.runtime, key


def raw(client: TestClient, url: str, body: str):
    return client.post(url, content=body.encode(), headers={"content-type": "application/json"})


def test_the_issues_review_comment_is_a_422_naming_the_field(api) -> None:
    client, runtime, key = api
    before = counts(runtime)
    for action in ("submit", "approve", "publish"):
        response = raw(client, f"/api/v1/incidents/{key}/postmortem/review", ISSUE_COMMENT % action)
        assert response.status_code == 422, response.text
        body = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert body["errors"] == [{"loc": "$.comment", "msg": body["errors"][0]["msg"]}]
        assert "control character (U+000F)" in body["detail"]
    assert counts(runtime) == before


def test_a_review_the_state_does_not_allow_is_a_409_not_a_500(api) -> None:
    client, _, key = api
    response = client.post(f"/api/v1/incidents/{key}/postmortem/review", json={"action": "approve"})
    assert response.status_code == 409, response.text
    assert response.json()["status"] == 409 and response.json()["state"] == "draft"


@pytest.mark.parametrize(("body", "where", "what"), [
    ('{"text": "a\\u0000b"}', "$.text", "NUL"),
    ('{"text": "lone \\ud800"}', "$.text", "lone surrogate (U+D800)"),
    ('{"text": "ok \\ud83d\\ude00 then \\u001b[31m"}', "$.text", "U+001B"),
])
def test_text_outside_the_rule_is_refused_alike_on_both_stores(api, body, where, what) -> None:
    client, runtime, key = api
    before = counts(runtime)
    response = raw(client, f"/api/v1/incidents/{key}/notes", body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == where and what in response.json()["detail"]
    assert counts(runtime) == before
    nested = raw(client, "/api/v1/incidents",
                 '{"title": "t", "labels": {"team": "edge", "bad\\u0000key": "v"}}')
    assert nested.status_code == 422 and nested.json()["errors"][0]["loc"] == "$.labels"
    query = client.get("/api/v1/incidents", params={"service": "a\x00b"})
    assert query.status_code == 422 and query.json()["errors"][0]["loc"] == "query:service"
    assert client.get(f"/api/v1/incidents/{key}%00").status_code == 422
    assert counts(runtime) == before


def test_tabs_line_breaks_emoji_and_escaped_backslashes_are_text(api) -> None:
    client, _, key = api
    text = 'line\tone\r\nline two 😀 ᚠ\u202e漢字 and a literal \\u0000'
    response = client.post(f"/api/v1/incidents/{key}/notes", json={"text": text})
    assert response.status_code == 201, response.text
    events = client.get(f"/api/v1/incidents/{key}/events").json()
    assert events[-1]["payload"]["text"] == text


def test_alerts_with_odd_text_are_cleaned_and_kept_not_refused(api) -> None:
    client, _, _ = api
    webhook = ('{"version": "4", "status": "firing", "receiver": "candor", "groupKey": "g", '
               '"alerts": [{"status": "firing", "labels": {"alertname": "Nul\\u0000Name", '
               '"service": "edge\\ud800"}, "annotations": {"summary": "bell \\u0007"}, '
               '"startsAt": "2026-03-02T09:00:00Z"}]}')
    response = raw(client, "/api/v1/alertmanager", webhook)
    assert response.status_code == 200, response.text
    (key,) = response.json()["incidents"]
    alert = client.get(f"/api/v1/incidents/{key}").json()["alerts"][0]
    assert alert["labels"] == {"alertname": "Nul\ufffdName", "service": "edge\ufffd"}
    prometheus = raw(client, "/api/v1/alerts", '[{"labels": {"alertname": "A\\u0001"}}]')
    assert prometheus.status_code == 200, prometheus.text


def test_the_rule_walks_every_string_and_key() -> None:
    value = {"a": ["ok", {"b\x00": "x", "c": "\udc00"}], "d": "\t\n\r fine"}
    assert [p.loc for p in problems(value)] == ["$.a[1]", "$.a[1].c"]
    assert sanitised(value) == {"a": ["ok", {"b\ufffd": "x", "c": "\ufffd"}], "d": "\t\n\r fine"}


def test_a_body_nested_too_deeply_to_walk_is_a_4xx_not_a_500(client, runtime) -> None:
    # JSON that json.loads still parses but the rule cannot walk (the depth where that
    # happens depends on the stack, so every depth around the parser's limit is sent)
    headers = {**bearer(runtime, Role.ADMIN), "content-type": "application/json"}
    statuses: dict[str, set[int]] = {}
    for url in ("/api/v1/notices/lint", "/api/v1/alerts"):
        for depth in range(930, 1000):
            body = '{"a":' * depth + '"\\u0000"' + "}" * depth
            statuses.setdefault(url, set()).add(client.post(url, content=body, headers=headers).status_code)
    assert all(400 <= code < 500 for codes in statuses.values() for code in codes), statuses
