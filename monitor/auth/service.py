"""Create, check and revoke API tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session, col, select

from monitor.auth.models import ApiToken, Role
from monitor.clock import Clock
from monitor.errors import Conflict, Forbidden, NotFound, Unauthorized

TOKEN_PREFIX = "cnd_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name and role (or a webhook receiver)."""

    name: str
    role: Role


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PrincipalCache:
    """Tokens that authenticated in the last ``ttl`` seconds (monotonic), by their hash, so
    a burst of reads does not look the same token up once per request.

    A token revoked through this process (``clear()`` after the revocation committed) stops
    working at once; one revoked elsewhere (the CLI, another replica) within ``ttl``. Only
    successes are kept: an unknown or revoked token is looked up every time. At most
    ``size`` tokens are kept."""

    def __init__(self, ttl: float = 1.0, size: int = 1024,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.monotonic = ttl, size, monotonic
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Principal, float]] = {}

    def get(self, token: str) -> Principal | None:
        entry = self._entries.get(_hash(token))
        if entry is None or self.monotonic() - entry[1] >= self.ttl:
            return None
        return entry[0]

    def put(self, token: str, principal: Principal) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()
            self._entries[_hash(token)] = (principal, self.monotonic())

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def create_token(session: Session, *, name: str, role: Role, clock: Clock) -> tuple[ApiToken, str]:
    """Store a new token's hash; returns the row and the token itself (shown once)."""
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(name=name, role=role, prefix=token[:10], token_hash=_hash(token), created_at=clock.now())
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str) -> Principal:
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, _hash(token)):
        raise Unauthorized("the bearer token is unknown or revoked; create one with `candor token create`")
    return Principal(row.name, Role(row.role))


def authorize(principal: Principal, needed: Role) -> None:
    if not principal.role.covers(needed):
        raise Forbidden(f"this needs the {needed} role; the token {principal.name!r} has {principal.role}")


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.exec(select(ApiToken).order_by(col(ApiToken.id))))


def revoke_token(session: Session, token_id: int, *, clock: Clock) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound(f"no token with id {token_id}; list them with `candor token list`")
    if row.revoked_at is not None:
        raise Conflict(f"token {token_id} ({row.name}) is already revoked")
    row.revoked_at = clock.now()
    session.add(row)
    return row


def token_matches(presented: str, expected: str) -> bool:
    return hmac.compare_digest(presented.encode(), expected.encode())
