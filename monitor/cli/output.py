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

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


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


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    t = Table(title=title, title_justify="left")
    for column in columns:
        t.add_column(column)
    for row in rows:
        t.add_row(*["" if v is None else str(v) for v in row])
    out.print(t)


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
