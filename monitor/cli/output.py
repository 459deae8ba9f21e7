"""How the CLI speaks: rich tables for people, ``--json`` for scripts, errors on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, NoReturn

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from monitor.errors import CandorError, ConfigError

# markup=False: what people typed ("[content]", "[INC-1]") prints as it is, never as styling.
out = Console(highlight=False, soft_wrap=True, markup=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, markup=False)


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def emit(value: Any, as_json: bool, human: Callable[[], None]) -> None:
    if as_json:
        sys.stdout.write(json.dumps(_plain(value), indent=2, ensure_ascii=False, default=str) + "\n")
    else:
        human()


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
          whole: Sequence[str] = (), empty: str = "") -> None:
    """A table for people. Columns named in ``whole`` (ids, times) are never cut or wrapped:
    the other columns wrap instead. With no rows, ``empty`` is printed (say so, never nothing)."""
    if not rows and empty:
        out.print(empty)
        return
    t = Table(title=title, title_justify="left")
    for column in columns:
        if column in whole:
            t.add_column(column, no_wrap=True, overflow="ignore", min_width=max(
                [len(column), *(len(str(row[columns.index(column)] or "")) for row in rows)]))
        else:
            t.add_column(column, overflow="fold")
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    out.print(t)


def when(value: datetime | None) -> str:
    """A full UTC timestamp, to the second: ``2026-03-02 09:00:00 UTC``."""
    return f"{value:%Y-%m-%d %H:%M:%S} UTC" if value is not None else ""


def fields(payload: dict[str, Any]) -> str:
    """A stored payload as ``key: value`` pairs people read (not a Python dict)."""
    parts = []
    for key, value in payload.items():
        if value in (None, "", [], {}):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items())
        elif isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key}: {value}")
    return "; ".join(parts)


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(message, markup=False)
    raise typer.Exit(code)


@contextmanager
def reported() -> Iterator[None]:
    """Turn Candor errors into a clear message and exit 2 (no traceback)."""
    try:
        yield
    except ConfigError as exc:
        fail(str(exc))
    except CandorError as exc:
        fail(f"error: {exc}", 2 if exc.status < 500 else 1)
