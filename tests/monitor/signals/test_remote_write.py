"""Story: a remote-write receiver that is rate-limiting (Mimir, Cortex and Thanos answer 429)
asks Candor to send again later; the app that pushed must hear "retry" (503), not "your
samples are bad" (422), or it drops them."""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from monitor.errors import Unavailable, Unprocessable
from monitor.promql.labels import labels_from
from monitor.signals.remote_write import RemoteWriter

SAMPLE = [(labels_from({"__name__": "up", "job": "api"}), 1767225600000, 1.0)]


def test_a_receiver_that_is_rate_limiting_is_a_503_to_retry(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/write", method="POST").respond_with_data(
        "ingestion rate limit exceeded", status=429)
    writer = RemoteWriter(httpserver.url_for("/api/v1/write"), timeout=5)
    with pytest.raises(Unavailable, match="HTTP 429: ingestion rate limit exceeded"):
        writer.append(SAMPLE, now_ms=0)
    writer.close()


def test_a_receiver_that_refuses_the_samples_is_a_422(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v1/write", method="POST").respond_with_data(
        "out of order sample", status=400)
    writer = RemoteWriter(httpserver.url_for("/api/v1/write"), timeout=5)
    with pytest.raises(Unprocessable, match="HTTP 400: out of order sample"):
        writer.append(SAMPLE, now_ms=0)
    writer.close()
