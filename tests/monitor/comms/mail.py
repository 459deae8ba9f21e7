"""Settings that send subscriber mail to the test's SMTP server (the ``smtp`` fixture), and
reading what arrived."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.message import Message
from typing import Any

from monitor.config import Settings

PUBLIC_URL = "http://testserver"


def body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


def link(mail: Message, path: str) -> str:
    """The path and query of the first link to ``path`` in the mail (for the TestClient)."""
    match = re.search(re.escape(PUBLIC_URL + path) + r"\?token=[A-Za-z0-9_-]+", body(mail))
    assert match, f"no {path} link in:\n{body(mail)}"
    return match.group(0).removeprefix(PUBLIC_URL)


SECRET_KEY_VAR = "CANDOR_TEST_SECRET_KEY"
"""Holds a Fernet key for ``[storage] secret_key`` (set by ``tests/monitor/comms/conftest.py``)."""


def mail_settings(make_settings: Callable[..., Settings], port: int, **comms: Any) -> Settings:
    return make_settings(
        server={"public_url": PUBLIC_URL},
        storage={"secret_key": f"env:{SECRET_KEY_VAR}"},
        notify={"jitter": 0, "timeout": "2s", "receivers": [
            {"name": "subscribers-mail", "kind": "smtp", "url": f"smtp://127.0.0.1:{port}",
             "sender": "status@everlinks.example"}]},
        comms={"components": [{"name": "Links", "services": ["redirect"]},
                              {"name": "Accounts", "services": ["auth"]}],
               "subscribers": {"receiver": "subscribers-mail"}, **comms},
    )
