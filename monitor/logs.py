"""Candor's logs: one line per thing that happened, structured, with the request it came from.

``candor serve`` logs what an operator wants to read afterwards — an incident opened,
moved or resolved, a notice published, a delivery that failed — as ``logfmt`` (default)
or JSON lines. Every line made while answering an HTTP request carries that request's id
(``X-Request-ID`` from the caller, else a new one, echoed in the response); lines from
background jobs carry the job's name. The scheduler's own chatter ("Running job …", two
lines per job per tick: thousands an hour) is off unless asked for.

    configure(fmt="logfmt", level="info")
    log.info("incident opened", extra=fields(incident="INC-1", severity="SEV1"))
    # ts=2026-03-02T09:00:00.120Z level=info logger=candor.incidents msg="incident opened"
    #   incident=INC-1 severity=SEV1 request_id=5f0c2e9a1b7d4c3e

Pure formatting; nothing here imports the rest of Candor.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, Literal

Format = Literal["logfmt", "json"]
FIELDS = "candor_fields"
"""``LogRecord`` attribute holding a line's structured fields (``extra=fields(...)``)."""

_request: ContextVar[str] = ContextVar("candor_request_id", default="")
_job: ContextVar[str] = ContextVar("candor_job", default="")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
CHATTY = ("apscheduler", "uvicorn.access")
"""Loggers quiet (warnings only) unless ``chatter=True``."""


def fields(**values: Any) -> dict[str, Any]:
    """``extra=`` for a log call: the structured fields of one line."""
    return {FIELDS: values}


def request_id(given: str | None = None) -> str:
    """The caller's ``X-Request-ID`` when it is a sane token, else a new one."""
    return given if given and _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]


@contextmanager
def context(*, request: str = "", job: str = "") -> Iterator[None]:
    """Every line logged inside carries ``request_id`` (or ``job``)."""
    tokens = (_request.set(request), _job.set(job))
    try:
        yield
    finally:
        _request.reset(tokens[0])
        _job.reset(tokens[1])


def current_request() -> str:
    return _request.get()


def _values(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage(),
    }
    out.update(getattr(record, FIELDS, {}) or {})
    if _request.get():
        out["request_id"] = _request.get()
    if _job.get():
        out["job"] = _job.get()
    if record.exc_info:
        out["error"] = logging.Formatter().formatException(record.exc_info)
    return out


def _logfmt_value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text == "" or re.search(r'[\s="\\]', text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    """``key=value`` pairs, values quoted when they hold spaces (the logfmt convention)."""

    def format(self, record: logging.LogRecord) -> str:
        return " ".join(f"{k}={_logfmt_value(v)}" for k, v in _values(record).items())


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(_values(record), ensure_ascii=False, default=str)


def formatter(fmt: Format) -> logging.Formatter:
    if fmt == "json":
        return JsonFormatter()
    if fmt == "logfmt":
        return LogfmtFormatter()
    raise ValueError(f"log format {fmt!r} is not one of logfmt, json")


def configure(fmt: Format = "logfmt", level: str = "info", *, chatter: bool = False,
              stream: Any = None) -> logging.Handler:
    """Send every log line to ``stream`` (stderr) in ``fmt``, from ``level`` up; the chatty
    loggers (the scheduler, uvicorn's access log) only from warnings unless ``chatter``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(fmt))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET if chatter else logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):  # uvicorn's own handlers would print twice
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    return handler
