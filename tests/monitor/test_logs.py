"""Story: an operator reads `candor serve`'s log after a bad night. Each thing that happened is
one structured line (logfmt or JSON): the incident opened, moved, resolved, the notice
published, the delivery that failed; lines from a request carry its id (also in the
response), and the scheduler's own chatter is off."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from monitor import logs
from monitor.incidents import service
from monitor.incidents.lifecycle import State
from monitor.notify.delivery import deliver_due
from monitor.wiring import Candor


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logs.configure("json", "info", stream=stream)
    yield stream
    logging.getLogger().removeHandler(handler)


def _read(stream: io.StringIO) -> list[dict]:
    """Candor's lines (the test client's own httpx lines left out)."""
    return [line for line in map(json.loads, stream.getvalue().splitlines())
            if line["logger"].startswith("candor")]


def test_incident_lines_are_written_once_committed(candor: Candor, lines: io.StringIO) -> None:
    runtime = candor.runtime
    with runtime.unit() as s:
        incident = service.open_incident(s, clock=runtime.clock, key_prefix="INC", actor="am",
                                         title="Links fail", severity="SEV1", services=["redirect"])
        assert _read(lines) == []  # not before the commit
    with runtime.unit() as s:
        incident = service.get_by_key_or_raise(s, "INC-1")
        for state in (State.ACKNOWLEDGED, State.VERIFYING, State.RESOLVED):
            service.transition(s, incident, state, actor="alice", clock=runtime.clock)
    with pytest.raises(RuntimeError), runtime.unit() as s:  # rolled back: never logged
        service.add_note(s, service.get_by_key_or_raise(s, "INC-1"), "x", actor="a",
                         clock=runtime.clock)
        service.transition(s, service.get_by_key_or_raise(s, "INC-1"), State.REOPENED,
                           actor="bob", clock=runtime.clock)
        raise RuntimeError("boom")
    said = [(line["msg"], line.get("to")) for line in _read(lines)]
    assert said == [("incident opened", None), ("incident moved", "acknowledged"),
                    ("incident moved", "verifying"), ("incident resolved", "resolved")]
    opened = _read(lines)[0]
    assert opened["incident"] == "INC-1" and opened["severity"] == "SEV1" and opened["level"] == "info"


def test_a_request_id_is_echoed_and_on_every_line_of_the_request(
    client: TestClient, responder: dict[str, str], lines: io.StringIO
) -> None:
    made = client.post("/api/v1/incidents", headers={**responder, "X-Request-ID": "req-42"},
                       json={"title": "Links fail", "severity": "SEV2", "services": ["redirect"]})
    assert made.status_code == 201, made.text
    assert made.headers["x-request-id"] == "req-42"
    assert [(line["msg"], line["request_id"]) for line in _read(lines)] == [
        ("incident opened", "req-42")]
    fresh = client.get("/healthz").headers["x-request-id"]
    assert len(fresh) == 16 and fresh != "req-42"
    assert client.get("/healthz", headers={"X-Request-ID": "a b\n"}).headers["x-request-id"] != "a b\n"


def test_a_failed_delivery_is_a_warning_line(make_settings, make_candor, lines: io.StringIO) -> None:
    candor = make_candor(make_settings(notify={"receivers": [
        {"name": "ops", "kind": "webhook", "url": "http://127.0.0.1:9/hook"}], "jitter": 0}))
    runtime = candor.runtime
    with runtime.unit() as s:
        service.open_incident(s, clock=runtime.clock, key_prefix="INC", actor="am", title="x",
                              severity="SEV1", services=["api"])
    deliver_due(candor.courier)
    failed = [line for line in _read(lines) if line["msg"] == "delivery failed"]
    assert failed and failed[0]["level"] == "warning" and failed[0]["receiver"] == "ops"
    assert failed[0]["attempt"] == 1 and "retry_in_s" in failed[0] and failed[0]["error"]


def test_logfmt_quotes_what_needs_it_and_the_scheduler_is_quiet() -> None:
    stream = io.StringIO()
    handler = logs.configure("logfmt", "info", stream=stream)
    try:
        with logs.context(job="notify"):
            logging.getLogger("candor.x").info("notice published", extra=logs.fields(
                incident="INC-1", title='Links "fail" now'))
        logging.getLogger("apscheduler.executors.default").info("Running job x")
        assert not logging.getLogger("apscheduler").isEnabledFor(logging.INFO)
    finally:
        logging.getLogger().removeHandler(handler)
    (line,) = stream.getvalue().splitlines()
    assert ' level=info logger=candor.x msg="notice published" incident=INC-1 ' in line
    assert 'title="Links \\"fail\\" now" job=notify' in line and line.startswith("ts=")
    with pytest.raises(ValueError, match="not one of logfmt, json"):
        logs.formatter("xml")  # type: ignore[arg-type]
