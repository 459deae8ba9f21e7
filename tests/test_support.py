"""The shared support for real processes says what went wrong, and its SMTP server keeps mail."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.support.processes import StartError, run_binary, wait_for
from tests.support.smtp import smtp_server


def test_wait_for_returns_the_first_truthy_answer_and_names_what_it_waited_for() -> None:
    answers = iter([None, 0, "ready"])
    assert wait_for("an answer", lambda: next(answers), timeout=10, poll=0) == "ready"
    with pytest.raises(TimeoutError, match="waiting for the impossible"):
        wait_for("the impossible", lambda: False, timeout=0)


def test_a_missing_binary_names_its_debian_package(tmp_path: Path) -> None:
    with pytest.raises(StartError, match="install the Debian package prometheus-alertmanager"):
        with run_binary(str(tmp_path / "prometheus-alertmanager"), [], log=tmp_path / "log",
                        url="http://127.0.0.1:1"):
            pass


def test_a_binary_that_exits_early_shows_its_log(tmp_path: Path) -> None:
    script = tmp_path / "fails"
    script.write_text("#!/bin/sh\necho 'bad flag --x' >&2\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(StartError, match=r"fails exited with 3: bad flag --x"):
        with run_binary(str(script), [], log=tmp_path / "log", url="http://127.0.0.1:1"):
            pass


def test_the_smtp_server_keeps_each_mail_with_its_envelope() -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "a@example.org", "b@example.org", "Hi"
    mail.set_content("Olá")
    with smtp_server() as inbox:
        with smtplib.SMTP("127.0.0.1", inbox.port, timeout=10) as client:
            client.send_message(mail, to_addrs=["b@example.org", "c@example.org"])
    (received,) = inbox.received
    assert received.recipients == ["b@example.org", "c@example.org"]
    assert inbox.to("c@example.org")[0]["Subject"] == "Hi"
    assert inbox.mails[0].get_content().strip() == "Olá"
