"""The authorization matrix: every route of the OpenAPI document × every kind of caller
(anonymous, viewer, responder, admin, and the machine token configured for the intakes),
against the role ``monitor/api/access.py`` documents for it, the table the README's route
table is made from.

A caller the role admits gets neither 401 nor 403 (nor a 5xx); one it does not admit gets
401 (no token, or a token that is not an API token) with ``WWW-Authenticate: Bearer``, or
403 (an API token of a lower role).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from monitor.api.access import ROWS, readme_table, role_of
from monitor.app import create_app
from monitor.auth.models import Role
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.wiring import assemble, build_runtime
from tests.conftest import START, bearer
from tests.monitor.api.test_bad_requests import OPENAPI, OPERATIONS, body_for, fill

README = Path(__file__).resolve().parents[3] / "README.md"
CALLERS = ("anonymous", "viewer", "responder", "admin", "receiver")
MACHINE_TOKEN = "machine-token-for-the-intakes-0123456789"
ADMITS: dict[str, set[str]] = {
    "public": set(CALLERS),
    "viewer": {"viewer", "responder", "admin"},
    "responder": {"responder", "admin"},
    "admin": {"admin"},
    "receiver": {"receiver", "responder", "admin"},
    "ingest": {"receiver", "responder", "admin"},
}


def expected(role: str, caller: str) -> str:
    if caller in ADMITS[role]:
        return "admitted"
    return "401" if caller in ("anonymous", "receiver") else "403"


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    os.environ["CANDOR_MATRIX_MACHINE_TOKEN"] = MACHINE_TOKEN
    os.environ["CANDOR_MATRIX_SECRET_KEY"] = Fernet.generate_key().decode()
    machine = "env:CANDOR_MATRIX_MACHINE_TOKEN"
    settings = Settings.model_validate({
        "storage": {"data_dir": str(tmp_path_factory.mktemp("matrix")),
                    "secret_key": "env:CANDOR_MATRIX_SECRET_KEY"},
        "intake": {"alertmanager": {"bearer_token": machine},
                   "prometheus": {"bearer_token": machine}},
        "signals": {"ingest_bearer_token": machine},
    })
    candor = assemble(build_runtime(settings, clock=FixedClock(START)))
    runtime = candor.runtime
    headers = {"anonymous": {}, "receiver": {"Authorization": f"Bearer {MACHINE_TOKEN}"},
               **{r.value: bearer(runtime, r) for r in Role}}
    admin = headers["admin"]
    with TestClient(create_app(candor), raise_server_exceptions=False) as client:
        made = [client.post("/api/v1/incidents", json={"title": t}, headers=admin).json()["key"]
                for t in ("one", "two")]
        assert client.post(f"/api/v1/incidents/{made[0]}/postmortem", headers=admin,
                           json={}).status_code == 201
        victim = client.post("/api/v1/tokens", json={"name": "victim", "role": "viewer"},
                             headers=admin).json()["id"]
        world = {"key": made[0], "other": made[1], "token_id": str(victim),
                 "now": START.isoformat()}
        yield {"client": client, "headers": headers, "world": world}
    candor.close()
    for name in ("CANDOR_MATRIX_MACHINE_TOKEN", "CANDOR_MATRIX_SECRET_KEY"):
        os.environ.pop(name, None)


@pytest.mark.parametrize(("method", "path", "op"),
                         [pytest.param(m, p, o, id=f"{m} {p}") for m, p, o in OPERATIONS])
def test_every_route_answers_each_caller_as_its_documented_role(matrix, method, path, op) -> None:
    role = role_of(method, path)
    url = fill(path, op, matrix["world"])
    body = body_for(method, path, op, matrix["world"], matrix["world"]["now"]) \
        if "requestBody" in op else None
    found = {}
    for caller in CALLERS:
        response = matrix["client"].request(method, url, json=body,
                                            headers=matrix["headers"][caller])
        assert response.status_code < 500, f"{caller}: {response.status_code} {response.text[:300]}"
        if response.status_code in (401, 403):
            found[caller] = str(response.status_code)
            if response.status_code == 401:
                assert response.headers.get("www-authenticate") == "Bearer", caller
        else:
            found[caller] = "admitted"
    assert found == {caller: expected(role, caller) for caller in CALLERS}, \
        f"{method} {path} is documented as {role}"


def test_the_table_names_every_route_once_and_nothing_else() -> None:
    documented = [route for row in ROWS for route in row.routes]
    assert len(documented) == len(set(documented)), "a route is in two rows"
    assert set(documented) == {(m, p) for m, p, _ in OPERATIONS}


def test_the_readme_route_table_is_the_one_made_from_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text, ("README.md's route table differs from monitor/api/access.py; "
                                    "regenerate it: python -m monitor.api.access")


def test_the_matrix_covers_every_operation_and_caller() -> None:
    assert len(OPERATIONS) * len(CALLERS) >= 5 * 70
    assert {role_of(m, p) for m, p, _ in OPERATIONS} == set(ADMITS)
    assert all(path in OPENAPI["paths"] for row in ROWS for _, path in row.routes)
