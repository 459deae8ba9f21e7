"""The OpenAPI document at ``/openapi.json``: FastAPI's, with the errors every route can answer.

FastAPI documents a route's success and a 422 shaped like its own validation error; Candor
answers every error as ``application/problem+json`` (``monitor.api.problems``). So each
operation gets the problems it can answer, all with the one ``Problem`` schema:

- 400 (malformed body), 413 (body or its inflated size over ``server.max_body_bytes``) on
  routes that take a body;
- 401 and 403 on every route that is not public (``monitor.api.access``);
- 404 where a path names something (an id or key), 409 on routes that change something;
- 422 everywhere (a field, a parameter or a text outside the rule, ``monitor.api.text``),
  503 everywhere (the database or Prometheus unreachable), and ``4XX`` for anything else;

the Prometheus-compatible routes (``/prometheus/api/v1``) answer their errors in
Prometheus's own shape (``{"status": "error", "errorType", "error"}``) instead.

**What is enforced is declared**, so a client (or a fuzzer) that follows the document is
not refused: the text rule (a ``pattern`` on every free string), the configured limits
(``[limits]``: alerts per request, labels per alert, label name and value lengths,
annotation length; ``[signals]``: samples per request, labels per series, label lengths),
name patterns (metric and label names, reserved ``__`` labels), owners of action items,
e-mail addresses, durations, link tokens, the components the status page knows, and
the either/or and if/then rules between fields (a user report's service or component; a
contact for a reply channel; a silence's end or duration; no ``initial`` for a new
version). What depends on time (a silence's end in the future, a sample within the
retention window) or on stored state (a cursor Candor issued) stays in the prose.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from monitor.api import access
from monitor.config import Settings

__all__ = ["PROBLEM", "install"]

PROBLEM: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; `errors` lists field problems by JSON path.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {
            "type": "object", "required": ["loc", "msg"],
            "properties": {"loc": {"type": "string"}, "msg": {"type": "string"}}}},
    },
    "additionalProperties": True,
}
PROMETHEUS_ERROR: dict[str, Any] = {
    "title": "PrometheusError",
    "type": "object",
    "required": ["status", "errorType", "error"],
    "properties": {"status": {"type": "string", "enum": ["error"]},
                   "errorType": {"type": "string"}, "error": {"type": "string"}},
}
_WHY = {
    "400": "the body is not well-formed (not JSON, not UTF-8, cut short)",
    "401": "no bearer token, or not one Candor issued (or it was revoked)",
    "403": "the token's role is below the route's",
    "404": "nothing with that id or key (or the feature is off)",
    "409": "the request clashes with the current state (the allowed moves are listed)",
    "413": "the body, or its inflated size, is over server.max_body_bytes",
    "422": "a field, parameter or text is not acceptable; `errors` names each by path",
    "503": "a dependency (the database, Prometheus) cannot be reached; retry later",
    "4XX": "another client error, as a problem",
}


def _responses(method: str, path: str, op: dict[str, Any]) -> dict[str, str]:
    try:
        public = access.role_of(method, path) == "public"
    except KeyError:
        public = False
    codes = ["422", "503", "4XX"]
    if "requestBody" in op:
        codes += ["400", "413"]
    if not public:
        codes += ["401", "403"]
    if "{" in path or public:
        codes.append("404")
    if method != "GET":
        codes.append("409")
    return {code: _WHY[code] for code in sorted(codes)}


TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f]*$"
"""``monitor.api.text``'s rule as a JSON Schema pattern (lone surrogates are not JSON text)."""
LABEL_NAME = "^[a-zA-Z_][a-zA-Z0-9_]*$"
METRIC_NAME = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
OWNER = ("^(@[A-Za-z0-9_.-]{1,64}|[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"
         "|team:[a-z0-9_-]{1,64})$")
EMAIL = ("^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
         "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
DURATION = "^(?:[0-9]+(?:ms|y|w|d|h|m|s))+$"
LINK_TOKEN = "^[A-Za-z0-9_-]{20,200}$"


def _labels(count: int, name_length: int, value_length: int, *, names: str | None = None,
            reserved: bool = False) -> dict[str, Any]:
    """A label set's schema under the configured limits."""
    property_names: dict[str, Any] = {"maxLength": name_length}
    if names:
        property_names["pattern"] = names
    if reserved:
        property_names["not"] = {"pattern": "^__"}
    return {"type": "object", "maxProperties": count, "propertyNames": property_names,
            "additionalProperties": {"type": "string", "maxLength": value_length}}


def _component_names(components: list[str]) -> dict[str, Any]:
    """The status page's component names; none configured: no item can be valid."""
    if components:
        return {"type": "string", "enum": components}
    return {"not": {}}


def _declare_constraints(spec: dict[str, Any], settings: Settings) -> None:
    """Put what the handlers enforce into the schemas (see the module docstring)."""
    schemas = spec["components"]["schemas"]
    limits, signals = settings.limits, settings.signals
    components = sorted(c.name for c in settings.comms.components)

    def props(name: str) -> dict[str, Any]:
        return schemas.get(name, {}).get("properties", {})

    alert_labels = _labels(limits.max_labels, limits.max_label_name_length,
                           limits.max_label_value_length)
    for name in ("WebhookAlert", "PrometheusAlert"):
        if name in schemas:
            props(name)["labels"].update({**alert_labels, "minProperties": 1})
            props(name)["annotations"].update(
                {"additionalProperties": {"type": "string", "maxLength": limits.max_text_length},
                 "maxProperties": limits.max_labels})
    if "AlertmanagerWebhook" in schemas:
        props("AlertmanagerWebhook")["alerts"]["maxItems"] = limits.max_alerts_per_request
    if "IncidentCreate" in schemas:
        props("IncidentCreate")["labels"].update(alert_labels)
    sample_labels = _labels(signals.max_labels_per_series - 1, signals.max_label_name_length,
                            signals.max_label_value_length, names=LABEL_NAME, reserved=True)
    if "Sample" in schemas:
        props("Sample")["metric"]["pattern"] = METRIC_NAME
        props("Sample")["labels"].update(sample_labels)
    if "SignalBatch" in schemas:
        props("SignalBatch")["labels"].update(sample_labels)
        props("SignalBatch")["samples"]["maxItems"] = signals.max_samples_per_request
    for name in ("ActionItemCreate", "ActionItemUpdate"):
        owner = props(name).get("owner", {})
        for option in owner.get("anyOf", [owner]):
            if option.get("type") == "string":
                option["pattern"] = OWNER
    if "SilenceCreate" in schemas:
        for option in props("SilenceCreate")["duration"].get("anyOf", []):
            if option.get("type") == "string":
                option["pattern"] = DURATION
        schemas["SilenceCreate"]["anyOf"] = [
            {"required": ["ends_at"], "properties": {"ends_at": {"type": "string"}}},
            {"required": ["duration"], "properties": {"duration": {"type": "string"}}}]
    if "ReportCreate" in schemas:
        report = schemas["ReportCreate"]
        if components:
            props("ReportCreate")["component"]["enum"] = ["", *components]
        report["anyOf"] = [
            {"required": ["service"], "properties": {"service": {"minLength": 1}}},
            {"required": ["component"], "properties": {"component": {"minLength": 1}}}]
        report["allOf"] = [
            {"if": {"required": ["channel"], "properties": {"channel": {"enum": ["email",
                                                                                  "webhook"]}}},
             "then": {"required": ["contact"], "properties": {"contact": {"type": "string"}}}},
            {"if": {"properties": {"channel": {"const": "none"}}},
             "then": {"properties": {"contact": {"type": "null"}}}}]
    if "VersionRequest" in schemas:
        props("VersionRequest")["kind"] = {"type": "string", "default": "update",
                                           "enum": ["update", "correction", "retraction"]}
    if "WebhookSubscriberCreate" in schemas:
        props("WebhookSubscriberCreate")["components"]["items"] = _component_names(components)
    paths = spec.get("paths", {})
    subscribe = paths.get("/status/subscribe", {}).get("post", {})
    for media in subscribe.get("requestBody", {}).get("content", {}).values():
        body = media.get("schema", {}).get("properties", {})
        if "email" in body:
            body["email"]["pattern"] = EMAIL
        if "components" in body:
            body["components"]["items"] = _component_names(components)
    for path in ("/status/subscribe/confirm", "/status/unsubscribe"):
        for op in paths.get(path, {}).values():
            for param in op.get("parameters", []):
                if param["name"] == "token":
                    schema = param["schema"]
                    for option in schema.get("anyOf", [schema]):
                        if option.get("type") == "string":
                            option["pattern"] = LINK_TOKEN
    series = paths.get("/api/v1/signals/series", {}).get("get", {})
    for param in series.get("parameters", []):
        if param["name"] == "match[]":
            param["schema"].update({"minItems": 1})
            param["schema"]["items"] = {"type": "string", "minLength": 1}
    _text_rule_on_requests(spec)


def _refs(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def _text_rule_on_requests(spec: dict[str, Any]) -> None:
    """The text rule on what a request carries: parameters, bodies and every component they
    reach (answers may hold text stored before the rule, so their schemas are left alone)."""
    schemas = spec["components"]["schemas"]
    requests = [part for ops in spec.get("paths", {}).values() for op in ops.values()
                for part in (op.get("parameters", []), op.get("requestBody", {}))]
    _text_rule(requests)
    seen: set[str] = set()
    todo = _refs(requests)
    while todo:
        name = todo.pop()
        if name in seen or name not in schemas:
            continue
        seen.add(name)
        todo |= _refs(schemas[name])
        _text_rule(schemas[name])


def _text_rule(node: Any) -> None:
    """Add the text rule's pattern to every free string schema (no pattern, enum or format)."""
    if isinstance(node, dict):
        if (node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(node)):
            node["pattern"] = TEXT_PATTERN
        for key, value in node.items():
            if key not in ("propertyNames", "examples", "example", "default"):
                _text_rule(value)
    elif isinstance(node, list):
        for item in node:
            _text_rule(item)


def document(app: FastAPI, settings: Settings | None = None) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, description=app.description,
                       routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM
    schemas["PrometheusError"] = PROMETHEUS_ERROR
    for path, operations in spec.get("paths", {}).items():
        prometheus = path.startswith("/prometheus/")
        for method, op in operations.items():
            responses = op.setdefault("responses", {})
            for code, why in _responses(method.upper(), path, op).items():
                if prometheus:
                    content = {"application/json": {
                        "schema": {"$ref": "#/components/schemas/PrometheusError"}}}
                else:
                    content = {"application/problem+json": {
                        "schema": {"$ref": "#/components/schemas/Problem"}}}
                responses[code] = {"description": why, "content": content}
    for name in ("HTTPValidationError", "ValidationError"):  # FastAPI's, never answered
        schemas.pop(name, None)
    _declare_constraints(spec, settings or Settings())
    return spec


def install(app: FastAPI, settings: Settings) -> None:
    """Serve :func:`document` (built once, for these settings' limits) as the OpenAPI."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = document(app, settings)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
