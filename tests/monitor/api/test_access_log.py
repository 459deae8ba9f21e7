"""The access log of a real ``candor serve`` never holds a status-page link's token."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from monitor.api.logs import RedactTokens, redact
from tests.support.processes import candor_process

pytestmark = pytest.mark.slow
TOKEN = "Zm9vYmFyYmF6cXV1eDEyMzQ1Njc4OTA"


def test_confirm_and_unsubscribe_tokens_stay_out_of_the_access_log(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[server]\nscheduler_logs = true\n'  # the access log on
                      f'[storage]\ndata_dir = "{tmp_path / "data"}"\n[engine]\nrule_files = []\n')
    log = tmp_path / "serve.log"
    with candor_process(config, log=log) as candor:
        base = candor.url
        for method, path in (("GET", "/status/subscribe/confirm"), ("GET", "/status/unsubscribe"),
                             ("POST", "/status/unsubscribe"), ("POST", "/status/subscribe/confirm")):
            answer = httpx.request(method, f"{base}{path}?lang=en&token={TOKEN}")
            assert answer.status_code in (200, 404), answer.text
    written = log.read_text()
    assert "/status/unsubscribe?lang=en&token=[redacted]" in written
    assert "/status/subscribe/confirm?lang=en&token=[redacted]" in written
    assert TOKEN not in written


def test_only_secret_looking_parameters_are_redacted() -> None:
    assert redact("/status?lang=en") == "/status?lang=en"
    assert redact("/x?token=abc&lang=en&api_key=k#f") == "/x?token=[redacted]&lang=en&api_key=[redacted]#f"
    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
                               ("127.0.0.1:5", "GET", "/a?token=abc", "1.1", 200), None)
    assert RedactTokens().filter(record) and record.getMessage().endswith('"GET /a?token=[redacted] HTTP/1.1" 200')
