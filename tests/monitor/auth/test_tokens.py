"""Tokens: roles gate the API; admins create, list and revoke; only hashes are stored."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from monitor.api.runtime import Runtime
from monitor.auth import service as auth_service
from monitor.auth.models import Role


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"]
    return body


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer cnd_not-a-real-token"}, {"Authorization": "Basic dXNlcjpwdw=="},
    {"Authorization": "Bearer "}, {"Authorization": "Bearer"},
], ids=["none", "unknown", "basic", "empty", "scheme-only"])
def test_no_or_invalid_token_is_401_with_www_authenticate(client: TestClient, headers) -> None:
    response = client.get("/api/v1/incidents", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "body", "role"), [
    ("post", "/api/v1/incidents", {"title": "x"}, "viewer"),
    ("post", "/api/v1/silences", {"matchers": [{"name": "a", "value": "b"}], "duration": "1h",
                                  "comment": "c"}, "viewer"),
    ("get", "/api/v1/tokens", None, "viewer"),
    ("get", "/api/v1/tokens", None, "responder"),
    ("post", "/api/v1/tokens", {"name": "x", "role": "admin"}, "responder"),
])
def test_a_role_too_low_is_403_naming_the_needed_role(client, request, method, path, body, role):
    headers = request.getfixturevalue(role)
    response = client.request(method, path, json=body, headers=headers)
    problem = assert_problem(response, 403)
    assert role in problem["detail"]


def test_reads_work_for_viewers(client: TestClient, viewer) -> None:
    assert client.get("/api/v1/incidents", headers=viewer).status_code == 200
    assert client.get("/api/v1/silences", headers=viewer).status_code == 200


def test_admin_creates_lists_and_revokes_a_token(client: TestClient, admin, runtime: Runtime):
    created = client.post("/api/v1/tokens", json={"name": "ci-bot", "role": "responder"},
                          headers=admin)
    assert created.status_code == 201
    token = created.json()["token"]
    assert token.startswith("cnd_") and created.json()["prefix"] == token[:10]
    as_bot = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/incidents", json={"title": "x"}, headers=as_bot).status_code == 201

    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert [t["name"] for t in listed] == ["test-admin", "ci-bot"]
    assert all("token" not in t for t in listed)

    revoked = client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert_problem(client.get("/api/v1/incidents", headers=as_bot), 401)
    assert_problem(client.delete(f"/api/v1/tokens/{created.json()['id']}", headers=admin), 409)
    assert_problem(client.delete("/api/v1/tokens/9999", headers=admin), 404)


def test_tokens_are_stored_hashed_never_in_plaintext(client: TestClient, admin, runtime) -> None:
    token = client.post("/api/v1/tokens", json={"name": "ops", "role": "viewer"},
                        headers=admin).json()["token"]
    with runtime.engine.connect() as c:
        rows = [" ".join(map(str, row)) for row in c.execute(sa.text("SELECT * FROM api_token"))]
    assert rows and not any(token in row or token[10:] in row for row in rows)
    assert all(len(r) for r in rows)


@pytest.mark.parametrize("body", [
    {"name": "x", "role": "root"}, {"name": "", "role": "viewer"},
    {"name": "has space", "role": "viewer"}, {"role": "viewer"}, {"name": "x"},
    {"name": "x", "role": "viewer", "extra": 1},
])
def test_bad_token_requests_are_422_and_create_nothing(client, admin, body) -> None:
    assert_problem(client.post("/api/v1/tokens", json=body, headers=admin), 422)
    assert len(client.get("/api/v1/tokens", headers=admin).json()) == 1


def test_anonymous_viewer_mode_opens_reads_only(make_settings, make_candor) -> None:
    from monitor.app import create_app

    candor = make_candor(make_settings(auth={"anonymous_role": "viewer"}))
    with TestClient(create_app(candor)) as client:
        assert client.get("/api/v1/incidents").status_code == 200
        assert_problem(client.post("/api/v1/incidents", json={"title": "x"}), 403)


def test_a_token_revoked_elsewhere_is_refused_once_the_cache_ttl_passed(
        client: TestClient, runtime: Runtime) -> None:
    now = [100.0]
    cache = runtime.principals
    cache.monotonic = lambda: now[0]
    with runtime.unit() as s:
        row, token = auth_service.create_token(s, name="ci", role=Role.VIEWER,
                                               clock=runtime.clock)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    with runtime.unit() as s:  # as `candor token revoke` or another replica would
        assert row.id is not None
        auth_service.revoke_token(s, row.id, clock=runtime.clock)
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200  # cached
    now[0] += cache.ttl
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
