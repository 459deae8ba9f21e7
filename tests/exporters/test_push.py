"""Push to Candor runs in the background: batches arrive, failures are retried, and when
Candor is down or refuses, samples are dropped and counted while the app carries on."""

from __future__ import annotations

import threading
import time

from pytest_httpserver import HTTPServer
from werkzeug import Response

from exporters import Exporter, SignalBatch


def _batches(httpserver: HTTPServer) -> list[SignalBatch]:
    return [SignalBatch.model_validate_json(req.get_data()) for req, _ in httpserver.log]


def test_a_flush_sends_the_registry_as_a_valid_signal_batch(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/signals", method="POST").respond_with_json(
        {"accepted": 1, "series_created": 1})
    exporter = Exporter("links-api", release="1.0.0")
    exporter.error("timeout", endpoint="/links")
    pusher = exporter.push_to(httpserver.url_for("/"), token="s3cret", interval=60)
    assert pusher.flush(timeout=10)
    exporter.close()
    request = httpserver.log[0][0]
    assert request.headers["Authorization"] == "Bearer s3cret"
    samples = {s.metric: s for s in _batches(httpserver)[0].samples}
    assert samples["candor_app_errors_total"].value == 1.0
    assert samples["candor_app_errors_total"].labels["kind"] == "timeout"
    assert "candor_app_errors_created" not in samples
    assert samples["candor_app_release_info"].labels["release"] == "1.0.0"


def test_a_failed_push_is_retried_with_backoff(httpserver: HTTPServer) -> None:
    answers = iter([503, 429])
    httpserver.expect_request("/api/v1/signals").respond_with_handler(
        lambda _: Response("{}", status=next(answers, 200)))
    exporter = Exporter("api", release="1.0.0")
    pusher = exporter.push_to(httpserver.url_for("/"), interval=60, backoff=0.01)
    assert pusher.flush(timeout=10)
    assert [response.status_code for _, response in httpserver.log] == [503, 429, 200]
    exporter.close()
    value = exporter.registry.get_sample_value
    assert value("candor_exporter_pushes_total", {"outcome": "retry"}) == 2.0
    assert (value("candor_exporter_pushes_total", {"outcome": "ok"}) or 0) >= 1.0


def test_a_rejected_push_is_dropped_and_counted(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/signals").respond_with_json({"detail": "no"}, status=422)
    exporter = Exporter("api")
    exporter.error("timeout")
    pusher = exporter.push_to(httpserver.url_for("/"), interval=60)
    assert pusher.flush(timeout=10)
    assert len(httpserver.log) == 1
    exporter.close()
    dropped = exporter.registry.get_sample_value(
        "candor_exporter_push_dropped_samples_total", {"reason": "rejected"})
    assert dropped and dropped > 0


def test_when_candor_is_down_the_app_thread_never_waits_and_drops_are_counted() -> None:
    exporter = Exporter("api")
    pusher = exporter.push_to("http://127.0.0.1:9", interval=0.01, max_queue=2, backoff=5,
                              max_retries=100)
    for _ in range(10_000):
        exporter.error("timeout", endpoint="/links")
    deadline = time.monotonic() + 10
    dropped = None
    while time.monotonic() < deadline and not dropped:
        dropped = exporter.registry.get_sample_value(
            "candor_exporter_push_dropped_samples_total", {"reason": "queue_full"})
        time.sleep(0.02)
    pusher.close(timeout=0)
    assert dropped and dropped > 0
    assert exporter.registry.get_sample_value("candor_app_errors_total", {
        "service": "api", "kind": "timeout", "endpoint": "/links", "user_visible": "false",
        "severity": "error"}) == 10_000


def test_recording_goes_on_while_a_push_hangs_on_the_network() -> None:
    """The app thread never waits on the network, shown without a clock: the push is stuck
    inside ``send`` (a network that never answers) for the whole time the app records."""
    entered, release = threading.Event(), threading.Event()

    def hung_send(body: bytes) -> int:
        entered.set()
        release.wait()
        return 204

    exporter = Exporter("api")
    pusher = exporter.push_to("http://unused", interval=0.01, send=hung_send)
    try:
        exporter.error("timeout", endpoint="/links")
        assert entered.wait(timeout=30), "the pusher never tried to send"
        for _ in range(10_000):
            exporter.error("timeout", endpoint="/links")
        assert not release.is_set() and pusher._thread is not None and pusher._thread.is_alive()
        assert exporter.registry.get_sample_value("candor_app_errors_total", {
            "service": "api", "kind": "timeout", "endpoint": "/links", "user_visible": "false",
            "severity": "error"}) == 10_001
    finally:
        release.set()
        pusher.close(timeout=5)


def test_exhausted_retries_drop_the_batch(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/signals").respond_with_data("down", status=503)
    exporter = Exporter("api", release="1.0.0")
    pusher = exporter.push_to(httpserver.url_for("/"), interval=60, backoff=0.001,
                              max_retries=2)
    assert pusher.flush(timeout=10)
    assert len(httpserver.log) == 3
    exporter.close()
    assert (exporter.registry.get_sample_value(
        "candor_exporter_push_dropped_samples_total", {"reason": "retries_exhausted"}) or 0) > 0


def test_an_error_is_pushed_after_a_short_debounce_not_the_interval() -> None:
    sent: list[bytes] = []

    def send(body: bytes) -> int:
        sent.append(body)
        return 200

    exporter = Exporter("api")
    exporter.push_to("http://127.0.0.1:9", interval=3600, prompt=0.0, send=send)
    exporter.request("/l/{slug}", status=200, seconds=0.01)
    time.sleep(0.2)
    assert sent == []  # a healthy request waits for the interval
    exporter.request("/l/{slug}", status=503, seconds=0.01)
    deadline = time.monotonic() + 10
    while not sent and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sent, "the 5xx was not pushed before the (hour-long) interval"
    assert b'"status_code": "503"' in sent[0] or b'"503"' in sent[0]
    exporter.close(timeout=0)


def test_nudged_pushes_are_bounded_to_ten_per_interval() -> None:
    sent: list[float] = []

    def send(body: bytes) -> int:
        sent.append(time.monotonic())
        return 200

    exporter = Exporter("api")
    exporter.push_to("http://127.0.0.1:9", interval=2.0, prompt=0.0, send=send)
    stop = time.monotonic() + 1.0
    while time.monotonic() < stop:  # errors as fast as the app can record them
        exporter.error("timeout")
    exporter.close(timeout=0)
    assert 1 <= len(sent) <= 11
    gaps = [b - a for a, b in zip(sent, sent[1:], strict=False)]
    assert all(gap >= 0.2 * 0.9 for gap in gaps)
