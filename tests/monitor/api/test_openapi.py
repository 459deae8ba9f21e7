"""The OpenAPI document declares every route's problem responses and what the handlers
enforce, with the limits of the running config."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from monitor.api.access import role_of
from monitor.api.openapi import TEXT_PATTERN
from monitor.app import create_app
from monitor.wiring import Candor


def test_every_route_declares_its_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            responses = op["responses"]
            media = "application/json" if path.startswith("/prometheus/") else \
                "application/problem+json"
            wanted = {"422", "4XX", "503"}
            if role_of(method, path) != "public":
                wanted |= {"401", "403"}
            if "requestBody" in op:
                wanted |= {"400", "413"}
            assert wanted <= set(responses), f"{method} {path}"
            assert all(media in responses[code]["content"] for code in wanted), f"{method} {path}"
    assert "HTTPValidationError" not in spec["components"]["schemas"]


def test_enforced_constraints_are_in_the_schema_with_the_configured_limits(
    make_settings, make_candor
) -> None:
    settings = make_settings(limits={"max_alerts_per_request": 7, "max_labels": 9},
                             signals={"max_samples_per_request": 11},
                             comms={"components": [{"name": "Links", "services": ["r"]}]})
    candor: Candor = make_candor(settings)
    spec = create_app(candor).openapi()
    schemas = spec["components"]["schemas"]
    assert schemas["AlertmanagerWebhook"]["properties"]["alerts"]["maxItems"] == 7
    assert schemas["WebhookAlert"]["properties"]["labels"]["maxProperties"] == 9
    assert schemas["SignalBatch"]["properties"]["samples"]["maxItems"] == 11
    assert schemas["Sample"]["properties"]["metric"]["pattern"].startswith("^[a-zA-Z_:]")
    assert schemas["Sample"]["properties"]["labels"]["propertyNames"]["not"] == {"pattern": "^__"}
    assert schemas["ReportCreate"]["properties"]["component"]["enum"] == ["", "Links"]
    assert schemas["VersionRequest"]["properties"]["kind"]["enum"] == ["update", "correction",
                                                                      "retraction"]
    assert "@" in schemas["ActionItemCreate"]["properties"]["owner"]["pattern"]
    assert schemas["NoteRequest"]["properties"]["text"]["pattern"] == TEXT_PATTERN
    assert re.search(TEXT_PATTERN, "tab\tand\nbreaks") and not re.search(TEXT_PATTERN, "a\x00")
    subscribe = spec["paths"]["/status/subscribe"]["post"]["requestBody"]["content"]
    assert "@" in subscribe["application/json"]["schema"]["properties"]["email"]["pattern"]
