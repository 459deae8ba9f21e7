"""Senders beyond the configured webhooks and mail: apprise URLs, and per-message webhooks.

**apprise** (``kind = "apprise"``): the URL (Slack, Teams, Discord, Telegram,
``mailto://`` …) lives in the environment variable the receiver names, because
apprise URLs carry their credentials. The message is plain text: the payload's
``title`` and ``body`` (public words only, see ``payloads.chat``)::

    [[notify.receivers]]
    name = "chat"
    kind = "apprise"
    url = "env:CANDOR_CHAT_URL"      # e.g. CANDOR_CHAT_URL='slack://T000/B000/XXXX'

**Per-message webhooks** (receiver name ``DIRECT``): webhook subscribers and
user reporters who came through a webhook are not receivers in the config;
their outbox row carries its own ``url``, optional ``secret`` (Standard
Webhooks ``whsec_…``, sealed at rest as ``fernet:…``) and ``body``. Signed like configured webhooks; redirects
are failures.
"""

from __future__ import annotations

import json
import warnings
from datetime import datetime
from typing import Any

import httpx

from monitor.config.notify import ReceiverConfig
from monitor.config.types import SecretRef
from monitor.db.sealed import SecretBox, is_sealed
from monitor.notify.signing import sign

DIRECT = "direct-webhook"
"""The receiver name of outbox rows that carry their own destination."""

FANOUT = "subscriber-fanout"
"""The receiver name of outbox rows that are work, not messages: one per notice version
sent to subscribers, which the ``subscriber-fanout`` job (``monitor.comms.subscribers.
service.fan_out_due``) turns into one message per subscriber. Delivery passes never claim
them unless asked for this receiver by name."""


def send_apprise(receiver: ReceiverConfig, payload: dict[str, Any], *, timeout: float) -> tuple[bool, str]:
    import apprise  # imported here: only deployments with apprise receivers pay for it

    ref = SecretRef(receiver.url)
    url = ref.reveal()
    if not url:
        return False, f"environment variable {ref.var} (the apprise URL) is not set"
    scheme = url.split("://", 1)[0]
    try:
        with warnings.catch_warnings():  # some apprise plugins import deprecated modules
            warnings.simplefilter("ignore", DeprecationWarning)
            notifier = apprise.Apprise()
            if not notifier.add(url):
                return False, f"apprise does not understand the URL in {ref.var} (scheme {scheme!r})"
            for server in notifier:
                server.socket_connect_timeout = timeout
                server.socket_read_timeout = timeout
            ok = notifier.notify(title=payload.get("title", ""), body=payload.get("body", "") or "-",
                                 body_format=apprise.NotifyFormat.TEXT)
    except Exception as exc:  # a plugin bug must not stop the delivery pass
        return False, f"apprise failed for {scheme}:// (from {ref.var}): {type(exc).__name__}: {exc}"
    if ok:
        return True, ""
    return False, f"apprise could not deliver to {scheme}:// (from {ref.var})"


def send_direct(payload: dict[str, Any], key: str, *, now: datetime, timeout: float,
                client: httpx.Client, secrets: SecretBox | None = None) -> tuple[bool, str]:
    """POST ``payload["body"]`` to ``payload["url"]``, signed with ``payload["secret"]``,
    which is sealed at rest (``monitor.db.sealed``) and opened here with ``secrets``."""
    body = json.dumps(payload["body"], separators=(",", ":"), sort_keys=True,
                      ensure_ascii=False).encode()
    timestamp = int(now.timestamp())
    headers = {"content-type": "application/json", "user-agent": "candor-notify/1",
               "webhook-id": key, "webhook-timestamp": str(timestamp)}
    secret = payload.get("secret")
    if secret and is_sealed(secret):
        if secrets is None:
            return False, ("the signing secret is sealed and [storage] secret_key is not set; "
                           "set it to the key it was sealed with")
        try:
            secret = secrets.open(secret)
        except ValueError as exc:
            return False, f"cannot open the signing secret: {exc}"
    if secret:
        headers["webhook-signature"] = sign(secret, key, timestamp, body)
    response = client.post(payload["url"], content=body, headers=headers, timeout=timeout)
    if 200 <= response.status_code < 300:
        return True, ""
    return False, f"HTTP {response.status_code}: {response.text[:200]}"
