"""Dependencies that keep handlers short: the runtime, the caller, their role, provided parts.

``Viewer``, ``Responder`` and ``Admin`` are declared on a route and both
authenticate and authorize; handlers never check permissions themselves.

A handler that needs a part of the running service (the signal hub, the rule manager)
declares a ``Provided`` dependency in its own module; the composition root
(``monitor.app.create_app``) provides the value, so no room imports the wiring::

    signal_hub = Provided[SignalHub]("signal_hub")       # monitor/signals/api.py
    HubDep = Annotated[SignalHub, Depends(signal_hub)]
    signal_hub.provide(app, candor.signals)              # monitor/app.py
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, FastAPI, Request
from pydantic import AwareDatetime, BeforeValidator
from starlette.concurrency import run_in_threadpool

from monitor.api.runtime import Runtime
from monitor.auth import service as auth
from monitor.auth.models import Role
from monitor.auth.service import Principal
from monitor.config.schema import Receiver
from monitor.errors import Unauthorized

T = TypeVar("T")

_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _rfc3339(value: object) -> object:
    # pydantic alone reads a number ("-1", "1772442000") as Unix seconds: a typo in a
    # date would silently become 1969 instead of an error.
    if isinstance(value, str) and not _RFC3339.match(value):
        raise ValueError(f"expected an RFC 3339 timestamp with a zone, e.g. "
                         f"2026-03-02T09:00:00Z; got {value[:40]!r}")
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
"""A query parameter that is a point in time: RFC 3339 with a zone only (``?since=-1`` or
``?since=2026-13-45`` is a 422 naming the parameter)."""


class Provided(Generic[T]):
    """A part of the running service that the composition root hands to handlers."""

    def __init__(self, name: str) -> None:
        self.name = name

    def provide(self, app: FastAPI, value: T) -> None:
        setattr(app.state, self.name, value)

    async def __call__(self, request: Request) -> T:
        """As a dependency: async, so FastAPI resolves it on the event loop instead of
        sending it to the thread pool (one hop fewer on every request)."""
        return self.get(request)

    def get(self, request: Request) -> T:
        """The provided value, from plain code holding the request."""
        try:
            value: T = getattr(request.app.state, self.name)
        except AttributeError:
            raise LookupError(f"{self.name} was not provided; build the app with "
                              "monitor.app.create_app") from None
        return value


get_runtime = Provided[Runtime]("runtime")
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        return None
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("the Authorization header must be 'Bearer <token>'")
    return token.strip()


def caller(request: Request, runtime: RuntimeDep) -> Principal:
    token = _bearer(request)
    if token is None:
        if runtime.settings.auth.anonymous_role == "viewer":
            return Principal("anonymous", Role.VIEWER)
        raise Unauthorized("this route needs a bearer token; create one with `candor token create`")
    principal = runtime.principals.get(token)
    if principal is None:
        with runtime.unit() as session:
            principal = auth.authenticate(session, token)
        runtime.principals.put(token, principal)
    return principal


async def _caller(request: Request, runtime: RuntimeDep) -> Principal:
    """``caller`` as a dependency: a token that authenticated in the last second (or none,
    for an anonymous viewer) is answered on the event loop; a lookup goes to the threads."""
    token = _bearer(request)
    if token is not None:
        principal = runtime.principals.get(token)
        if principal is not None:
            return principal
    return await run_in_threadpool(caller, request, runtime)


def require(role: Role) -> Callable[..., Awaitable[Principal]]:
    async def check(principal: Annotated[Principal, Depends(_caller)]) -> Principal:
        auth.authorize(principal, role)
        return principal

    return check


Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Responder = Annotated[Principal, Depends(require(Role.RESPONDER))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]


def receiver(section: str) -> Callable[..., Principal]:
    """Webhook intake: the receiver's own bearer token if configured, else a responder token."""

    def check(request: Request, runtime: RuntimeDep) -> Principal:
        config: Receiver = getattr(runtime.settings.intake, section)
        expected = config.bearer_token.reveal() if config.bearer_token else None
        token = _bearer(request)
        if expected and token and auth.token_matches(token, expected):
            return Principal(f"receiver:{section}", Role.RESPONDER)
        principal = caller(request, runtime)
        auth.authorize(principal, Role.RESPONDER)
        return principal

    return check
