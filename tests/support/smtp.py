"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

    with smtp_server() as inbox:
        settings = ...{"url": f"smtp://127.0.0.1:{inbox.port}"}...
        ...
        (mail,) = inbox.to("ana@example.org")

The ``smtp`` fixture in ``tests/conftest.py`` is this server for one test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.processes import free_port


@dataclass(frozen=True)
class Received:
    recipients: list[str]
    """The envelope's recipients (``RCPT TO``), which may differ from the ``To`` header."""
    mail: EmailMessage


@dataclass
class Inbox:
    port: int = 0
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        mail = message_from_bytes(envelope.content, policy=policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), mail))
        return "250 OK"

    @property
    def mails(self) -> list[EmailMessage]:
        return [r.mail for r in self.received]

    def to(self, address: str) -> list[EmailMessage]:
        """The mails whose envelope names ``address``, oldest first."""
        return [r.mail for r in self.received if address in r.recipients]


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """An SMTP server on a free 127.0.0.1 port until the block ends; yields its inbox."""
    inbox = Inbox(port=free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
