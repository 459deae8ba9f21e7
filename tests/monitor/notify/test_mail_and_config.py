"""Story: subscribers get plain public words by e-mail; a bad receiver config says what to fix."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from monitor.config.notify import Notify
from monitor.notify.delivery import deliver_due
from tests.monitor.notify.conftest import open_incident
from tests.monitor.notify.test_delivery import enqueue_last_event, make
from tests.support.smtp import Inbox


def test_mail_goes_out_over_smtp_without_internal_titles(smtp: Inbox, make_settings, make_candor) -> None:
    candor = make(make_settings, make_candor, {
        "name": "subscribers", "kind": "smtp", "url": f"smtp://127.0.0.1:{smtp.port}",
        "sender": "status@everlinks.example", "to": ["ana@example.org", "bo@example.org"],
    })
    runtime = candor.runtime
    incident = open_incident(runtime)
    enqueue_last_event(runtime, incident)
    assert deliver_due(candor.courier).delivered == 1
    (received,) = smtp.received
    assert received.recipients == ["ana@example.org", "bo@example.org"]
    assert received.mail["Subject"] == f"[{incident.key}] incident.opened"
    assert "redirect-svc" not in received.mail.get_content()  # the internal title stays inside


@pytest.mark.parametrize(
    ("receiver", "message"),
    [
        ({"name": "c", "kind": "apprise", "url": "slack://T0/B0/secret"}, "needs url 'env:NAME'"),
        ({"name": "w", "kind": "webhook", "url": "env:HOOK"}, "only kind apprise takes 'env:NAME'"),
        ({"name": "m", "kind": "smtp", "url": "http://x"}, "needs url 'smtp://host:port'"),
        ({"name": "w", "kind": "webhook", "url": "smtp://x"}, "needs an http(s):// url"),
        ({"name": "w", "kind": "webhook", "url": "http://x", "secret": "whsec_abc"},
         "secrets must not be written inline"),
        ({"name": "w", "kind": "pager", "url": "http://x"}, "'webhook', 'alertmanager', 'smtp' or 'apprise'"),
        ({"name": "w", "kind": "webhook", "url": "http://x", "events": ["incident.exploded"]},
         "incident.opened"),
        ({"name": "Bad Name", "kind": "webhook", "url": "http://x"}, "should match pattern"),
    ],
)
def test_bad_receiver_config_names_the_fix(receiver: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Notify.model_validate({"receivers": [receiver]})
    assert message in str(caught.value)


def test_receiver_names_must_be_unique() -> None:
    one = {"name": "ops", "kind": "webhook", "url": "http://x"}
    with pytest.raises(ValidationError, match="repeated: ops"):
        Notify.model_validate({"receivers": [one, one]})
