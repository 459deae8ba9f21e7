"""One rule for the text in every request, applied here for every route.

**Text is Unicode that every store and every output can carry**: no NUL, no other C0
control character except tab, line feed and carriage return, no lone surrogate. PostgreSQL
refuses NUL in text, SQLite keeps it; neither can encode a lone surrogate; XML (the Atom
feed) and mail headers cannot carry the other control characters. Checking at the door
makes SQLite and PostgreSQL answer alike, and names the field:

- JSON bodies (every string and every object key, at any depth), query parameters and the
  path: a character outside the rule is a **422** naming where it is
  (``$.comment``, ``query:service``, ``path``); nothing is stored.
- **Alert intake is the exception** (``sanitise`` paths: the Alertmanager webhook and
  ``/api/v1/alerts``): Alertmanager never retries a notification answered with a 4xx, so
  refusing one odd label value would lose every alert of the batch for good. There each
  such character becomes U+FFFD (the replacement character) and the alerts are accepted;
  the paths that were changed are logged.

JSON can carry these characters only as ``\\u`` escapes (raw control characters and
invalid UTF-8 already make it malformed JSON, a 400), so a body is parsed here only when
it holds such an escape: the common request costs one regular-expression scan.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Collection
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.errors import FieldProblem

__all__ = ["FORBIDDEN", "TextRule", "problems", "sanitised"]

log = logging.getLogger("candor.api")

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
"""A character outside the rule: C0 controls but tab, LF and CR; surrogates."""
_ESCAPE = re.compile(rb"\\u(?:00[01][0-9a-fA-F]|[dD][89abAB][0-9a-fA-F]{2})")
_NAMES = {"\x00": "a NUL character", "\t": "tab"}
_REPLACEMENT = "\ufffd"
_TOO_DEEP = ("nests too deeply to check its text; a request body needs far fewer levels of "
             "arrays and objects")
_SKIP = ("/prometheus/",)  # Prometheus's API: its own error format; it stores no text


def describe(text: str) -> str:
    """What is wrong with ``text``, for a message (the first offending character)."""
    found = FORBIDDEN.search(text)
    assert found is not None
    char = found.group()
    if "\ud800" <= char <= "\udfff":
        kind = f"a lone surrogate (U+{ord(char):04X})"
    else:
        kind = _NAMES.get(char, f"a control character (U+{ord(char):04X})")
    return (f"holds {kind} at character {found.start()}; text may hold any Unicode character "
            "but NUL, control characters other than tab and line breaks, and lone surrogates")


def _path(prefix: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else \
        f"{prefix}[{json.dumps(key, ensure_ascii=True)}]"


def problems(value: Any, where: str = "$") -> list[FieldProblem]:
    """Every string (and object key) in a parsed JSON ``value`` that breaks the rule."""
    found: list[FieldProblem] = []
    if isinstance(value, str):
        if FORBIDDEN.search(value):
            found.append(FieldProblem(where, describe(value)))
    elif isinstance(value, dict):
        for key, item in value.items():
            if FORBIDDEN.search(key):
                found.append(FieldProblem(where, f"a key {describe(key)}"))
            found += problems(item, _path(where, FORBIDDEN.sub(_REPLACEMENT, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += problems(item, _path(where, index))
    return found


def sanitised(value: Any) -> Any:
    """``value`` with every character outside the rule replaced by U+FFFD."""
    if isinstance(value, str):
        return FORBIDDEN.sub(_REPLACEMENT, value)
    if isinstance(value, dict):
        return {FORBIDDEN.sub(_REPLACEMENT, k): sanitised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [sanitised(v) for v in value]
    return value


def _is_json(scope: Scope) -> bool:
    headers = dict(scope.get("headers", []))
    if headers.get(b"content-encoding", b"identity").strip().lower() not in (b"", b"identity"):
        return False
    media = headers.get(b"content-type", b"application/json").split(b";")[0].strip().lower()
    return media == b"application/json" or media.endswith(b"+json")


class TextRule:
    """ASGI middleware applying the rule (see the module docstring)."""

    def __init__(self, app: ASGIApp, sanitise: Collection[str] = ()) -> None:
        self.app = app
        self.sanitise = frozenset(sanitise)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(_SKIP):
            await self.app(scope, receive, send)
            return
        found = self._url_problems(scope)
        if found:
            await _refuse(scope, send, found)
            return
        if scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS") or not _is_json(scope):
            await self.app(scope, receive, send)
            return
        body, more = await _read(receive)
        if _ESCAPE.search(body):
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                parsed = None  # malformed: the route answers 400 with where it breaks
            try:
                found = problems(parsed) if parsed is not None else []
                if found and scope["path"] in self.sanitise:
                    log.warning("replaced characters outside the text rule in %s: %s",
                                scope["path"], ", ".join(p.loc for p in found[:20]))
                    body = json.dumps(sanitised(parsed), ensure_ascii=False).encode()
                    scope = _with_length(scope, len(body))
                    found = []
            except RecursionError:  # parsed, but too deep to walk here: not a 500
                found = [FieldProblem("$", _TOO_DEEP)]
            if found:
                await _refuse(scope, send, found)
                return
        await self.app(scope, _replay(body, more, receive), send)

    @staticmethod
    def _url_problems(scope: Scope) -> list[FieldProblem]:
        found = []
        if FORBIDDEN.search(scope["path"]):
            found.append(FieldProblem("path", describe(scope["path"])))
        query = scope.get("query_string", b"").decode("latin-1")
        if "%" in query:
            for name, value in parse_qsl(query, keep_blank_values=True):
                for text in (name, value):
                    if FORBIDDEN.search(text):
                        found.append(FieldProblem(f"query:{FORBIDDEN.sub(_REPLACEMENT, name)}",
                                                  describe(text)))
        return found


async def _read(receive: Receive) -> tuple[bytes, bool]:
    """The whole body (``BodyLimit``, outside, bounds it); and whether the client is still
    connected (False after an ``http.disconnect``)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, connected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            if connected:
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}
        return await receive()

    return replay


def _with_length(scope: Scope, length: int) -> Scope:
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"content-length"]
    return {**scope, "headers": [*headers, (b"content-length", str(length).encode())]}


async def _refuse(scope: Scope, send: Send, found: list[FieldProblem]) -> None:
    detail = "; ".join(f"{p.loc}: {p.msg}" for p in found[:5])
    body = json.dumps({
        "type": "https://candor.dev/problems/invalid", "title": "Invalid content", "status": 422,
        "detail": detail, "instance": FORBIDDEN.sub(_REPLACEMENT, scope.get("path", "")),
        "errors": [p.as_dict() for p in found[:50]],
    }, ensure_ascii=True).encode()
    await send({"type": "http.response.start", "status": 422,
                "headers": [(b"content-type", b"application/problem+json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
