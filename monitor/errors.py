"""Candor's one error hierarchy.

Every error a user can cause carries an HTTP status, a short title, a detail
that says what was expected and how to fix it, and optionally a list of
field problems (``loc`` is a JSON path such as ``$.alerts[2].labels``). The
API turns them into ``application/problem+json`` in one place
(``monitor.api.problems``); the CLI prints them and exits 2.

    CandorError (500)
    ├── ConfigError (exit 2)         config.toml is invalid; .problems lists each
    ├── BadRequest (400)             malformed body (not JSON, wrong encoding)
    ├── Unauthorized (401)           no token, or an unknown/revoked one
    ├── Forbidden (403)              the token's role is too low
    ├── NotFound (404)               unknown id or key
    ├── Conflict (409)               the request clashes with current state
    │   └── InvalidTransition        lifecycle move not allowed from this state
    ├── PayloadTooLarge (413)        body over server.max_body_bytes
    ├── Unprocessable (422)          well-formed but invalid content
    │   └── LimitExceeded            a configured limit (labels, series …) was hit
    └── Unavailable (503)            a dependency (database) is not reachable
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One problem with one field: ``loc`` is a JSON path, ``msg`` says what is wrong."""

    loc: str
    msg: str

    def as_dict(self) -> dict[str, str]:
        return {"loc": self.loc, "msg": self.msg}


@dataclass
class CandorError(Exception):
    detail: str
    problems: list[FieldProblem] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    status: int = 500
    title: str = "Internal error"
    type: str = "about:blank"

    def __post_init__(self) -> None:
        super().__init__(self.detail)

    def __str__(self) -> str:
        if not self.problems:
            return self.detail
        lines = [self.detail] + [f"  {p.loc}: {p.msg}" for p in self.problems]
        return "\n".join(lines)


PROBLEMS = "https://candor.dev/problems/"


@dataclass
class BadRequest(CandorError):
    status: int = 400
    title: str = "Malformed request"
    type: str = PROBLEMS + "malformed"


@dataclass
class Unauthorized(CandorError):
    status: int = 401
    title: str = "Authentication required"
    type: str = PROBLEMS + "unauthorized"


@dataclass
class Forbidden(CandorError):
    status: int = 403
    title: str = "Not allowed for this role"
    type: str = PROBLEMS + "forbidden"


@dataclass
class NotFound(CandorError):
    status: int = 404
    title: str = "Not found"
    type: str = PROBLEMS + "not-found"


@dataclass
class Conflict(CandorError):
    status: int = 409
    title: str = "Conflict with current state"
    type: str = PROBLEMS + "conflict"


@dataclass
class InvalidTransition(Conflict):
    title: str = "Transition not allowed"
    type: str = PROBLEMS + "invalid-transition"


@dataclass
class PayloadTooLarge(CandorError):
    status: int = 413
    title: str = "Request body too large"
    type: str = PROBLEMS + "too-large"


@dataclass
class Unprocessable(CandorError):
    status: int = 422
    title: str = "Invalid content"
    type: str = PROBLEMS + "invalid"


@dataclass
class LimitExceeded(Unprocessable):
    title: str = "Limit exceeded"
    type: str = PROBLEMS + "limit-exceeded"


@dataclass
class Unavailable(CandorError):
    status: int = 503
    title: str = "Service unavailable"
    type: str = PROBLEMS + "unavailable"


@dataclass
class ConfigError(CandorError):
    """The config file is invalid. ``problems`` holds ``PATH:LINE: key.path: message`` lines."""

    status: int = 500
    title: str = "Invalid configuration"
    lines: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.lines) if self.lines else self.detail
