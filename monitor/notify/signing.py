"""Standard Webhooks signatures: ``webhook-signature: v1,<base64 HMAC-SHA256>`` over
``"<webhook-id>.<webhook-timestamp>.<body>"`` with the key of a ``whsec_<base64>`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def signing_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (Standard Webhooks)."""
    encoded = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(encoded, validate=True)
    except ValueError:
        raise ValueError("webhook secret must be 'whsec_' followed by base64 bytes") from None


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one message.

    >>> sign("whsec_" + base64.b64encode(b"k" * 24).decode(), "m1", 1700000000, b"{}")[:3]
    'v1,'
    """
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """Check a Standard Webhooks signature (what a receiver does; used by the tests)."""
    expected = sign(secret, headers["webhook-id"], int(headers["webhook-timestamp"]), body)
    given = headers["webhook-signature"].split()
    return any(hmac.compare_digest(expected, g) for g in given)
