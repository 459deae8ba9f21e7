"""A real SMTP server on 127.0.0.1 (aiosmtpd) and settings that send subscriber mail to it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from email import message_from_bytes, policy
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from monitor.config import Settings
from tests.conftest import free_port

PUBLIC_URL = "http://testserver"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content,
                                                                          policy=policy.default)))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        return [m for rcpt, m in self.messages if address in rcpt]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def body(mail: Message) -> str:
    payload = mail.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(mail.get_content_charset() or "utf-8")


def link(mail: Message, path: str) -> str:
    """The path and query of the first link to ``path`` in the mail (for the TestClient)."""
    match = re.search(re.escape(PUBLIC_URL + path) + r"\?token=[A-Za-z0-9_-]+", body(mail))
    assert match, f"no {path} link in:\n{body(mail)}"
    return match.group(0).removeprefix(PUBLIC_URL)


def mail_settings(make_settings: Callable[..., Settings], port: int, **comms: Any) -> Settings:
    return make_settings(
        server={"public_url": PUBLIC_URL},
        notify={"jitter": 0, "timeout": "2s", "receivers": [
            {"name": "subscribers-mail", "kind": "smtp", "url": f"smtp://127.0.0.1:{port}",
             "sender": "status@everlinks.example"}]},
        comms={"components": [{"name": "Links", "services": ["redirect"]},
                              {"name": "Accounts", "services": ["auth"]}],
               "subscribers": {"receiver": "subscribers-mail"}, **comms},
    )
