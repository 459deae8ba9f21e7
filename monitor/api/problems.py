"""Every error leaves the API as ``application/problem+json`` (RFC 9457), from here only.

Field problems carry a JSON path (``$.alerts[0].labels``). Malformed JSON is a
400 naming line and column; a body over ``server.max_body_bytes`` is a 413
(see ``BodyLimit``). Nothing a client sends may produce a 500.

The database's own refusals are sorted by ``monitor.db.conflict_kind``: the database
down or gone (or SQLite locked past its timeout) is a 503 with ``Retry-After``, a write
that lost a race with a concurrent one (deadlock, serialization, a unique index filled
first) is a 409 saying to retry. A bug is one 500, answered by ``Unexpected`` and never
re-raised: Starlette's last-resort handler re-raises after answering, and uvicorn then
drops the connection, which a client reusing it sees as a reset.
"""

from __future__ import annotations

import json
import logging
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DataError, DBAPIError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.db import conflict_kind
from monitor.errors import CandorError, FieldProblem

log = logging.getLogger("candor.api")
MEDIA_TYPE = "application/problem+json"


def json_path(loc: tuple[Any, ...] | list[Any]) -> str:
    path = "$"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def problem(status: int, title: str, detail: str, *, type: str = "about:blank",
            instance: str = "", **extra: Any) -> JSONResponse:
    body = {"type": type, "title": title, "status": status, "detail": detail, **extra}
    if instance:
        body["instance"] = instance
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


_RESERVED = frozenset({"type", "title", "status", "detail", "instance", "errors"})
"""Members every problem has; an error's ``extra`` never replaces them."""


def _candor(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CandorError)
    clashing = _RESERVED & set(exc.extra)
    if clashing:
        log.warning("%s carries extra members %s that a problem reserves; they are left out",
                    type(exc).__name__, sorted(clashing))
    extra: dict[str, Any] = {k: v for k, v in exc.extra.items() if k not in _RESERVED}
    if exc.problems:
        extra["errors"] = [p.as_dict() for p in exc.problems]
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    response = problem(exc.status, exc.title, exc.detail, type=exc.type,
                       instance=request.url.path, **extra)
    if headers:
        response.headers.update(headers)
    return response


def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    for error in errors:
        if error.get("type") == "json_invalid":
            ctx = error.get("ctx", {})
            return problem(400, "Malformed JSON",
                           f"the body is not valid JSON: {ctx.get('error', 'decode error')} "
                           f"at character {error['loc'][-1]}", instance=request.url.path,
                           type="https://candor.dev/problems/malformed")
    problems = []
    for error in errors:
        loc = list(error["loc"])
        where = loc[0] if loc else "body"
        path = json_path(loc[1:]) if where == "body" else f"{where}:{'.'.join(map(str, loc[1:]))}"
        message = str(error["msg"]).removeprefix("Value error, ")
        if error.get("type") == "missing":
            message = "required field is missing"
        problems.append(FieldProblem(path, message))
    detail = "; ".join(f"{p.loc}: {p.msg}" for p in problems[:5])
    return problem(422, "Invalid content", detail, instance=request.url.path,
                   type="https://candor.dev/problems/invalid",
                   errors=[p.as_dict() for p in problems])


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    if exc.status_code == 404:
        detail = f"no route {request.url.path}; the API is described at /docs"
    headers = dict(getattr(exc, "headers", None) or {})
    if exc.status_code == 405:
        allowed = _allowed(request)
        headers["Allow"] = ", ".join(allowed)
        detail = (f"{request.method} is not allowed on {request.url.path}; it answers "
                  f"{', '.join(allowed)} (see /docs)")
    title = HTTPStatus(exc.status_code).phrase
    response = problem(exc.status_code, title, detail, instance=request.url.path)
    response.headers.update(headers)
    return response


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed(request: Request) -> list[str]:
    """The methods this path answers: those of the most specific documented template that
    matches it (``/api/v1/notices/lint`` over ``/api/v1/notices/{notice_id}``), else of
    every route that matches (Starlette's own 405 names only the first route's, and FastAPI
    makes one route per method)."""
    path = request.url.path
    templates = [(t.count("{"), t, ops) for t, ops in request.app.openapi()["paths"].items()
                 if re.fullmatch(re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(t)), path)]
    if templates:
        fewest = min(n for n, _, _ in templates)
        found = {m.upper() for n, _, ops in templates if n == fewest for m in ops}
        return [m for m in _METHODS if m in found]
    routes = request.app.router.routes
    return [method for method in _METHODS
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in routes)]


def _unstorable(request: Request, exc: Exception) -> JSONResponse:
    """The database refused a value (a NUL character, a number out of range): the client's doing."""
    log.info("database refused a value on %s %s: %s", request.method, request.url.path, exc)
    return problem(422, "Invalid content", "a value in the request cannot be stored (for example "
                   "a NUL character in a text, or a number out of range); remove it and retry",
                   instance=request.url.path, type="https://candor.dev/problems/invalid")


def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
    """A number or date from the request is beyond what Python/SQLite can hold (e.g. an id of
    30 digits): the client's doing, so a 422 rather than a crash."""
    log.info("value out of range on %s %s: %s", request.method, request.url.path, exc)
    return problem(422, "Invalid content", "a number or date in the request is out of range "
                   "(ids are at most 19 digits; dates at most 9999-12-31)",
                   instance=request.url.path, type="https://candor.dev/problems/invalid")


RETRY_AFTER = "5"


def _database(request: Request, exc: Exception) -> JSONResponse:
    """The database refused or could not answer: 503 when it is down, 409 when a concurrent
    write won a race that a retry will not lose; anything else is a bug (500)."""
    kind = conflict_kind(exc)
    if kind == "unavailable":
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                    type(getattr(exc, "orig", exc)).__name__)
        response = problem(503, "Service unavailable", "the database is not reachable right now; "
                           "nothing was stored; retry in a few seconds", instance=request.url.path,
                           type="https://candor.dev/problems/unavailable")
        response.headers["Retry-After"] = RETRY_AFTER
        return response
    if kind is not None:
        log.info("concurrent write (%s) on %s %s", kind, request.method, request.url.path)
        return problem(409, "Conflict", "a concurrent request changed the same data first; nothing "
                       "was stored; send the request again", instance=request.url.path,
                       type="https://candor.dev/problems/conflict")
    return _unexpected(request, exc)


def _unexpected(request: Request, exc: BaseException) -> JSONResponse:
    log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "Internal error", "Candor hit a bug; it is logged. Please report it.",
                   instance=request.url.path)


def install(app: FastAPI) -> None:
    app.add_exception_handler(CandorError, _candor)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(DataError, _unstorable)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(OverflowError, _out_of_range)
    app.add_exception_handler(Exception, _unexpected)  # outside Unexpected (a middleware's own bug)


class Unexpected:
    """The innermost middleware: an error no handler took becomes one problem+json 500,
    logged, and is not raised further (see the module docstring). When the response had
    already started there is nothing left to answer; the error is logged all the same."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            request = Request(scope)
            if started:
                log.error("error after the response started on %s %s", request.method,
                          request.url.path, exc_info=exc)
                return
            await _unexpected(request, exc)(scope, receive, send)


class BodyLimit:
    """Reject bodies over ``limit`` bytes with 413, whether or not Content-Length is sent."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._reject(scope, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise _TooLarge
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited, tracking_send)
        except _TooLarge:  # raised outside FastAPI's handlers (e.g. a plain Starlette route)
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body = json.dumps({
            "type": "https://candor.dev/problems/too-large", "title": "Request body too large",
            "status": 413, "instance": scope.get("path", ""),
            "detail": f"the body is over {self.limit} bytes (server.max_body_bytes); "
            "send less per request",
        }).encode()
        await send({"type": "http.response.start", "status": 413,
                    "headers": [(b"content-type", MEDIA_TYPE.encode()),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


class _TooLarge(HTTPException):
    """Raised while reading a body that is over the limit; FastAPI answers it as a 413."""

    def __init__(self) -> None:
        super().__init__(413, "the body is over the size limit (server.max_body_bytes); send less")
