"""A corpus of bad requests against EVERY route of the app (read from its OpenAPI document,
so new routes are covered without touching this file).

Each answer must be a precise 4xx ``application/problem+json`` with a detail, never a
5xx, and a rejected request must leave every table exactly as it was.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy import create_engine

from monitor.api.runtime import Runtime
from monitor.app import create_app
from monitor.auth.models import Role
from monitor.clock import FixedClock
from monitor.config import Settings
from monitor.config.notify import RECEIVER_NAME
from monitor.wiring import assemble, build_runtime
from tests.conftest import START, bearer, migrated_copy

# Routes anyone may read. A new public route must be added here on purpose.
PUBLIC = {"/healthz", "/readyz", "/metrics", "/status", "/status.json", "/status/feed.atom",
          "/status/incidents/{key}", "/api/v1/banner",
          "/status/subscribe", "/status/subscribe/confirm", "/status/unsubscribe"}
METACHARACTERS = ["'; DROP TABLE incident;--", "{{7*7}}", "$(rm -rf /)", "<script>alert(1)</script>",
                  "${jndi:ldap://x/a}", "%s%n%x", "../../etc/passwd", "ᚠ\u202e漢字🔥"]
MIB = 1_048_576
# Query parameters that take any text. ``service`` filters by a service name, and a service
# is whatever an alert's label or a responder typed (any UTF-8, no grammar to check against);
# an unknown one matches nothing (an empty page, as a search answers), and it is compared in
# Python against each incident's list, never spliced into SQL. Every other parameter must
# reject a value of the wrong shape (``receiver`` has the receiver-name grammar).
FREE_TEXT = {("/api/v1/incidents", "service")}
# Names with a grammar: a value that fits it may name nothing yet (an empty list), one that
# does not is a 422 naming the parameter.
NAMES = {("/api/v1/outbox", "receiver"): RECEIVER_NAME}


def _openapi() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.model_validate({"storage": {"data_dir": data_dir}})
        candor = assemble(Runtime(settings=settings, engine=create_engine("sqlite://")))
        try:
            return create_app(candor).openapi()
        finally:
            candor.close()


OPENAPI = _openapi()
OPERATIONS = [(method.upper(), path, op) for path, methods in OPENAPI["paths"].items()
              for method, op in methods.items()]


def cases(keep=lambda path, op: True):
    """The operations ``keep`` selects, as pytest params named ``METHOD /path``."""
    return [pytest.param(m, p, o, id=f"{m} {p}") for m, p, o in OPERATIONS if keep(p, o)]


WITH_BODY = cases(lambda path, op: "requestBody" in op)


# ---- sample bodies: known routes by hand, others synthesized from the schema ----------

def samples(ctx: dict[str, str], now: str) -> dict[tuple[str, str], Any]:
    alert = {"labels": {"alertname": "HighErrorRate", "service": "redirect"},
             "annotations": {"summary": "Redirects fail"}, "startsAt": now,
             "generatorURL": "http://prometheus/graph"}
    return {
        ("POST", "/api/v1/incidents"): {"title": "Redirects fail", "summary": "502s",
                                        "severity": "SEV2", "services": ["redirect"],
                                        "labels": {"team": "edge"}},
        ("POST", "/api/v1/incidents/{key}/transitions"): {"to": "acknowledged", "reason": "on it"},
        ("POST", "/api/v1/incidents/{key}/notes"): {"text": "looking"},
        ("POST", "/api/v1/incidents/{key}/severity"): {"severity": "SEV1", "reason": "worse"},
        ("POST", "/api/v1/incidents/{key}/commander"): {"commander": "carol"},
        ("POST", "/api/v1/incidents/{key}/links"): {"key": ctx["other"], "relation": "related"},
        ("POST", "/api/v1/incidents/{key}/fixes"): {"description": "rollback", "release": "1.2"},
        ("POST", "/api/v1/alertmanager"): {
            "version": "4", "status": "firing", "receiver": "candor", "groupKey": "g",
            "alerts": [{**alert, "status": "firing"}]},
        ("POST", "/api/v1/alerts"): [alert],
        ("POST", "/api/v1/silences"): {"matchers": [{"name": "service", "value": "redirect"}],
                                       "duration": "1h", "comment": "deploying"},
        ("POST", "/api/v1/tokens"): {"name": "bot", "role": "viewer"},
    }


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = OPENAPI["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def synthesize(schema: dict[str, Any], depth: int = 0) -> Any:
    """A small instance of ``schema`` (good enough to reach the handler for most routes)."""
    schema = resolve(schema)
    if depth > 6:
        return None
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s).get("type") != "null"] or schema[key]
            return synthesize(options[0], depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {name: synthesize(props[name], depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        return [synthesize(schema.get("items", {}), depth + 1)]
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if schema.get("format") == "date-time":
        return "2026-03-02T09:00:00Z"
    return "x" * max(1, schema.get("minLength", 1))


def body_for(method: str, path: str, op: dict[str, Any], ctx: dict[str, str], now: str) -> Any:
    known = samples(ctx, now).get((method, path))
    if known is not None:
        return known
    content = op["requestBody"].get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    return synthesize(schema)


# ---- helpers --------------------------------------------------------------------------

@dataclass
class Api:
    client: TestClient
    runtime: Runtime
    admin: dict[str, str]
    world: dict[str, str]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The ``[storage]`` section of the corpus's app: SQLite, then a migrated PostgreSQL
    database (one per module: the corpus is large)."""
    data_dir = str(tmp_path_factory.mktemp("corpus"))
    if request.param == "sqlite":
        yield {"data_dir": data_dir}
        return
    with migrated_copy(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_template")) as url, \
            pytest.MonkeyPatch.context() as env:
        env.setenv("CANDOR_CORPUS_DATABASE_URL", url)
        yield {"data_dir": data_dir, "database_url": "env:CANDOR_CORPUS_DATABASE_URL"}


@pytest.fixture(scope="module")
def api(store: dict[str, str]) -> Iterator[Api]:
    """One app for the whole corpus (built once per database: the corpus is large), with
    something for every path parameter to point at: incidents, a silence, a token."""
    candor = assemble(build_runtime(Settings.model_validate({"storage": store}), clock=FixedClock(START)))
    runtime = candor.runtime
    admin = bearer(runtime, Role.ADMIN)
    with TestClient(create_app(candor), raise_server_exceptions=False) as client:
        made = [client.post("/api/v1/incidents", json={"title": t}, headers=admin).json()["key"]
                for t in ("one", "two")]
        silence = client.post("/api/v1/silences", headers=admin, json={
            "matchers": [{"name": "service", "value": "nothing"}], "duration": "1h",
            "comment": "c"}).json()["id"]
        token = client.get("/api/v1/tokens", headers=admin).json()[0]["id"]
        drafted = client.post(f"/api/v1/incidents/{made[0]}/postmortem", headers=admin, json={})
        assert drafted.status_code == 201, drafted.text
        world = {"key": made[0], "other": made[1], "silence_id": silence, "token_id": str(token),
                 "now": START.isoformat()}
        yield Api(client, runtime, admin, world)
    candor.close()


def fill(path: str, op: dict[str, Any], world: dict[str, Any], *, unknown: bool = False) -> str:
    for param in op.get("parameters", []):
        if param["in"] != "path":
            continue
        name = param["name"]
        if unknown:
            integer = resolve(param.get("schema", {})).get("type") == "integer"
            value = "999999" if integer else ("INC-999999" if name == "key" else "no-such-id")
        else:  # an integer id the route's path only matches as digits (…/{notice_id:int})
            integer = resolve(param.get("schema", {})).get("type") == "integer"
            value = world.get(name, "999999" if integer and "requestBody" not in op
                              else "no-such-id")
        path = path.replace("{" + name + "}", value)
    return path


def counts(runtime: Runtime) -> dict[str, int]:
    with runtime.engine.connect() as c:
        tables = sa.inspect(c).get_table_names()
        query = " UNION ALL ".join(f"SELECT '{t}', count(*) FROM \"{t}\"" for t in tables)
        return dict(c.execute(sa.text(query)).all())


def assert_problem(response, *allowed: int) -> dict[str, Any]:
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:500]}"
    assert response.status_code in allowed, f"{where}: {response.status_code} {response.text[:300]}"
    if response.request.url.path.startswith("/prometheus/api/"):  # Prometheus's own error format
        body = response.json()
        assert body["status"] == "error" and body["errorType"] and body["error"], body
        return body
    assert response.headers["content-type"].startswith("application/problem+json"), where
    body = response.json()
    assert body["status"] == response.status_code and body["detail"] and body["title"], body
    return body


def send_raw(client, method, url, headers, content: bytes, content_type="application/json"):
    return client.request(method, url, content=content,
                          headers={**headers, "Content-Type": content_type})


def labels_everywhere(value: Any, labels: dict[str, str]) -> tuple[Any, bool]:
    """``value`` with every ``labels`` field replaced by ``labels``; and whether any was."""
    if isinstance(value, dict):
        out, hit = {}, False
        for k, v in value.items():
            if k == "labels" and isinstance(v, dict):
                out[k], hit = labels, True
            else:
                out[k], sub = labels_everywhere(v, labels)
                hit = hit or sub
        return out, hit
    if isinstance(value, list):
        pairs = [labels_everywhere(v, labels) for v in value]
        return [p[0] for p in pairs], any(p[1] for p in pairs)
    return value, False


def string_paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in string_paths(v, (*prefix, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in string_paths(v, (*prefix, i))]
    return [prefix] if isinstance(value, str) else []


def replaced(value: Any, path: tuple, new: Any) -> Any:
    if not path:
        return new
    copy = json.loads(json.dumps(value))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = new
    return copy


# ---- the corpus -------------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "op"), cases(lambda path, op: path not in PUBLIC))
def test_every_api_route_needs_a_token(api: Api, method, path, op) -> None:
    response = api.client.request(method, fill(path, op, api.world), json={})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(("method", "path", "op"), WITH_BODY)
def test_malformed_bodies_are_4xx_and_change_nothing(api: Api, method, path, op) -> None:
    client, admin, runtime, world = api.client, api.admin, api.runtime, api.world
    url = fill(path, op, world)
    body = body_for(method, path, op, world, world["now"])
    huge_labels, has_labels = labels_everywhere(body, {f"l{n}": "v" for n in range(5000)})
    cases: list[tuple[str, bytes, str, tuple[int, ...]]] = [
        ("malformed JSON", b'{"title": "x",', "application/json", (400, 422)),
        ("not UTF-8", b'{"title": "\xff\xfe"}', "application/json", (400, 422)),
        ("JSON null", b"null", "application/json", (400, 415, 422)),
        ("JSON number", b"42", "application/json", (400, 415, 422)),
        ("JSON string", b'"hello"', "application/json", (400, 415, 422)),
        ("wrong container", json.dumps([body] if isinstance(body, dict) else {"a": body}).encode(),
         "application/json", (400, 415, 422)),
        ("empty body", b"", "application/json", (400, 415, 422)),
        ("deep nesting", b"[" * 5000 + b"]" * 5000, "application/json", (400, 415, 422)),
        ("over 1 MiB", b'{"title": "' + b"x" * (MIB + 10) + b'"}', "application/json", (413,)),
        ("wrong content type", b"title=x&severity=SEV1", "application/x-www-form-urlencoded",
         (400, 415, 422)),
    ]
    if isinstance(body, dict) and path != "/v1/metrics":  # {} is an empty but valid OTLP export
        cases.append(("missing fields", b"{}", "application/json", (400, 422)))
        cases.append(("unknown id types", json.dumps({k: {"$ne": 1} for k in body}).encode(),
                      "application/json", (400, 422)))
    if has_labels:
        cases.append(("huge label set", json.dumps(huge_labels).encode(), "application/json",
                      (422,)))
    for name, content, content_type, allowed in cases:
        before = counts(runtime)
        response = send_raw(client, method, url, admin, content, content_type)
        assert_problem(response, *allowed)
        assert counts(runtime) == before, f"{name}: {method} {url} changed stored data"


@pytest.mark.parametrize(("method", "path", "op"), WITH_BODY)
def test_wrong_types_in_each_field_are_422_and_change_nothing(api: Api, method, path, op) -> None:
    client, admin, runtime, world = api.client, api.admin, api.runtime, api.world
    body = body_for(method, path, op, world, world["now"])
    url = fill(path, op, world)
    leaves = string_paths(body)
    for leaf in leaves:
        for wrong in ({"nested": "object"}, ["list"], 12345678901234567890, True):
            before = counts(runtime)
            response = client.request(method, url, json=replaced(body, leaf, wrong), headers=admin)
            assert_problem(response, 400, 409, 413, 422)
            assert counts(runtime) == before, f"{leaf}: {method} {url} changed stored data"


@pytest.mark.parametrize(("method", "path", "op"), WITH_BODY)
def test_metacharacters_in_every_text_field_are_stored_verbatim_or_rejected(api: Api, method, path, op) -> None:
    client, admin, runtime, world = api.client, api.admin, api.runtime, api.world
    body = body_for(method, path, op, world, world["now"])
    url = fill(path, op, world)
    for leaf in string_paths(body):
        for text in METACHARACTERS:
            before = counts(runtime)
            response = client.request(method, url, json=replaced(body, leaf, text), headers=admin)
            if response.status_code >= 300:
                assert_problem(response, 400, 404, 409, 413, 422)
                assert counts(runtime) == before, f"{leaf}={text!r}: {method} {url} changed data"
            else:
                assert '"49"' not in response.text, "a template was evaluated"
            assert set(before) <= set(counts(runtime)), "a table disappeared"


@pytest.mark.parametrize(("method", "path", "op"),
                         # Prometheus answers an unknown label name with an empty list, not a 404.
                         cases(lambda path, op: "{" in path and path != "/prometheus/api/v1/label/{name}/values"))
def test_unknown_ids_are_404_and_change_nothing(api: Api, method, path, op) -> None:
    client, admin, runtime, world = api.client, api.admin, api.runtime, api.world
    body = body_for(method, path, op, world, world["now"]) if "requestBody" in op else None
    known = body is None or (method, path) in samples(world, world["now"])
    before = counts(runtime)
    response = client.request(method, fill(path, op, world, unknown=True), json=body,
                              headers=admin)
    assert_problem(response, *((404,) if known else (404, 422)))  # 422: synthesized body
    assert counts(runtime) == before
    for odd in ("99999999999999999999999", "-1", "%00", "'%3B DROP TABLE incident%3B--",
                "%7B%7B7*7%7D%7D", "a" * 5000):
        url = path
        for param in op.get("parameters", []):
            if param["in"] == "path":
                url = url.replace("{" + param["name"] + "}", odd)
        assert_problem(client.request(method, url, json=body, headers=admin), 404, 422)
        assert counts(runtime) == before


@pytest.mark.parametrize(("method", "path", "op"),
                         cases(lambda path, op: any(p["in"] == "query"
                                                    for p in op.get("parameters", []))))
def test_bad_query_parameters_are_4xx(api: Api, method, path, op) -> None:
    client, admin, world = api.client, api.admin, api.world
    url = fill(path, op, world)
    names = [p["name"] for p in op["parameters"] if p["in"] == "query"]
    if "cursor" in names:
        for cursor in ("not-a-cursor", "aWQ6eA==", "x" * 300, "%00"):
            assert_problem(client.get(url, params={"cursor": cursor}, headers=admin), 422)
    for name in names:
        for value in [*METACHARACTERS, "", "9" * 40, "-1", "2026-13-45", "\x00"]:
            response = client.request(method, url, params={name: value}, headers=admin)
            fits = (path, name) in FREE_TEXT or re.match(NAMES.get((path, name), "(?!)"), value)
            if fits and response.status_code == 200:
                continue
            problem = assert_problem(response, 400, 404, 422)
            if response.status_code == 422:  # a 404 names what was not found instead
                assert name in problem["detail"] or "required field is missing" in problem["detail"], problem


def test_timestamps_and_cursors_that_mean_nothing_name_the_parameter(api: Api) -> None:
    for params, where in (({"since": "-1"}, "query:since"), ({"until": "-1"}, "query:until"),
                          ({"since": "1772442000"}, "query:since"),
                          ({"until": "2026-03-02"}, "query:until"),
                          ({"since": "2026-03-02T09:00:00"}, "query:since"),  # no zone
                          ({"cursor": ""}, "query:cursor")):
        problem = assert_problem(api.client.get("/api/v1/incidents", params=params, headers=api.admin), 422)
        assert problem["errors"][0]["loc"] == where, problem
    def keys(**params: str) -> list[str]:
        response = api.client.get("/api/v1/incidents", params=params, headers=api.admin)
        assert response.status_code == 200, response.text
        return [incident["key"] for incident in response.json()["data"]]

    # Every incident of the corpus was created at START (09:00Z); ``until`` is exclusive.
    assert api.world["key"] in keys(since="2026-03-02T09:00:00Z", until="2026-03-02T09:00:01+00:00",
                                    limit="500")
    assert keys(until="2026-03-02T09:00:00Z") == [] == keys(since="2026-03-02T10:00:00+01:00", limit="1")[1:]


def test_an_unknown_route_and_a_wrong_method_are_problems(api: Api) -> None:
    assert_problem(api.client.get("/api/v1/nothing-here", headers=api.admin), 404)
    assert_problem(api.client.put("/api/v1/incidents", headers=api.admin), 405)


@pytest.mark.parametrize("path", sorted(OPENAPI["paths"]))
def test_a_405_allows_every_method_the_path_answers(api: Api, path: str) -> None:
    documented = {m.upper() for m in OPENAPI["paths"][path]}
    wrong = next(m for m in ("PUT", "PATCH", "DELETE", "POST", "GET") if m not in documented)
    url = fill(path, {"parameters": [p for op in OPENAPI["paths"][path].values()
                                     for p in op.get("parameters", [])]}, api.world)
    response = api.client.request(wrong, url, headers=api.admin)
    assert response.status_code == 405  # before routing: problem+json under /prometheus too
    assert response.headers["content-type"] == "application/problem+json"
    allowed = set(response.headers["allow"].split(", "))
    assert documented <= allowed, path
    for other in allowed - documented:  # another route's template matches this URL too
        assert api.client.request(other, url, headers=api.admin).status_code != 405


def test_the_corpus_covers_the_core_routes() -> None:
    paths = {p for _, p, _ in OPERATIONS}
    assert {"/api/v1/incidents", "/api/v1/alertmanager", "/api/v1/alerts", "/api/v1/silences",
            "/api/v1/tokens", "/api/v1/incidents/{key}/transitions"} <= paths
