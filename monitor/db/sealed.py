"""Secrets Candor must keep and use later (webhook subscribers' signing secrets), sealed at rest.

A stolen database file or dump must not hand out the keys that sign Candor's webhooks.
Such values are stored as ``fernet:<token>``: Fernet from the ``cryptography`` package
(AES-128-CBC with an HMAC-SHA256 over it: tampering is detected, not decrypted into
garbage), keyed by ``[storage] secret_key``, an ``env:NAME`` reference::

    [storage]
    secret_key = "env:CANDOR_SECRET_KEY"
    # CANDOR_SECRET_KEY=$(python -c 'from cryptography.fernet import Fernet;
    #                                print(Fernet.generate_key().decode())')

The variable may hold several keys separated by commas: the first seals, every one opens,
so a key is rotated by putting the new one first (values sealed with an older key keep
opening until it is removed). The key never enters the database.

    box = SecretBox.from_settings(settings)    # None when no key is configured
    sealed = box.seal("whsec_…")               # "fernet:gAAAA…"
    box.open(sealed)                           # "whsec_…"
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from monitor.config import Settings
from monitor.errors import ConfigError

__all__ = ["PREFIX", "SecretBox", "is_sealed"]

PREFIX = "fernet:"
KEY_HELP = ("a Fernet key is 32 random bytes in url-safe base64 (44 characters); make one with "
            "python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'")


def is_sealed(value: str | None) -> bool:
    return bool(value) and str(value).startswith(PREFIX)


class SecretBox:
    """Seals and opens secrets with the configured key(s)."""

    def __init__(self, keys: list[str]) -> None:
        try:
            self._fernet = MultiFernet([Fernet(key.strip().encode()) for key in keys])
        except ValueError:
            raise ValueError(f"not a Fernet key: {KEY_HELP}") from None

    @classmethod
    def from_settings(cls, settings: Settings) -> SecretBox | None:
        """The box for ``[storage] secret_key``; ``None`` when it is not configured;
        ``ConfigError`` naming the fix when it is configured but missing or malformed."""
        ref = settings.storage.secret_key
        if ref is None:
            return None
        value = ref.reveal()
        if not value:
            raise ConfigError("secret key missing", lines=[
                f"storage.secret_key: environment variable {ref.var} is not set ({KEY_HELP})"])
        try:
            return cls([k for k in value.split(",") if k.strip()])
        except ValueError:
            raise ConfigError("secret key malformed", lines=[
                f"storage.secret_key: environment variable {ref.var} does not hold a Fernet "
                f"key ({KEY_HELP})"]) from None

    def seal(self, plain: str) -> str:
        return PREFIX + self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        """The secret inside ``sealed``; ``ValueError`` if no configured key opens it."""
        if not is_sealed(sealed):
            raise ValueError("not a sealed value (expected 'fernet:…')")
        try:
            return self._fernet.decrypt(sealed.removeprefix(PREFIX).encode()).decode()
        except InvalidToken:
            raise ValueError("no key in [storage] secret_key opens this secret: was it sealed "
                             "with a key that has since been removed?") from None
