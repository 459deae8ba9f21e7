"""Load ``config.toml`` into ``Settings``, or fail with every problem at once.

Each problem is one line, ``PATH:LINE: key.path: what is wrong (expected …)``,
with a did-you-mean for a misspelled key. Line numbers come from a small
scan of the file's table headers and keys (``tomllib`` keeps none).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from monitor.config import cross
from monitor.config.schema import Settings
from monitor.errors import ConfigError

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-\"'. ]+?)\s*=")


def _split_key(raw: str) -> list[str]:
    return [part.strip().strip("\"'") for part in raw.split(".")]


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each key path (tables, array-of-tables indices, keys) to its 1-based line."""
    lines: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    arrays: dict[tuple[str | int, ...], int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            path = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                index = arrays.get(path, -1) + 1
                arrays[path] = index
                table = (*path, index)
            else:
                table = path
            lines.setdefault(table, number)
            lines.setdefault(table[:-1] if header.group(1) == "[[" else table, number)
            continue
        key = _KEY.match(line)
        if key and not line.lstrip().startswith("#"):
            lines.setdefault((*table, *_split_key(key.group(1))), number)
    return lines


def _line_for(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The schema model that owns the key at ``loc`` (for did-you-mean)."""
    model: Any = Settings
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return None
        model = field.annotation
        for arg in getattr(model, "__args__", ()):  # list[X], dict[K, X], X | None
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                model = arg
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


_SECRET_KEY = re.compile(r"token|secret|password|passwd|database_url|credential", re.IGNORECASE)


def _shown(error: ErrorDetails) -> str:
    """The offending value, unless the key may hold a secret (then it is never echoed)."""
    if any(isinstance(part, str) and _SECRET_KEY.search(part) for part in error["loc"]):
        return "(value hidden: this key holds a secret)"
    return repr(error["input"])


def _describe(error: ErrorDetails) -> str:
    loc = error["loc"]
    kind = error["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc)
        known = sorted(model.model_fields) if model else []
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1)
        hint = f"; did you mean '{guess[0]}'?" if guess else ""
        return f"unknown key{hint} (expected one of: {', '.join(known)})" if known else "unknown key"
    message = str(error["msg"]).removeprefix("Value error, ")
    if kind == "literal_error":
        return f"invalid value {_shown(error)} ({message[0].lower()}{message[1:]})"
    if kind == "string_pattern_mismatch":
        return f"invalid value {_shown(error)} (expected a string matching {error['ctx']['pattern']})"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        kind_name = type(error["input"]).__name__
        return f"wrong type: got {kind_name} {_shown(error)} ({message[0].lower()}{message[1:]})"
    return message


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def parse(text: str, path: str = "config.toml") -> Settings:
    """Validate config ``text``; ``path`` only names the file in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        where = f"{path}:{match.group(1)}" if match else path
        reason = re.sub(r"\s*\(at line.*\)", "", str(exc))
        raise ConfigError(
            f"{path} is not valid TOML", lines=[f"{where}: {reason} (expected valid TOML syntax)"]
        ) from None
    found: list[tuple[int, str]] = []
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        lines = key_lines(text)
        for error in exc.errors():
            loc = tuple(p for p in error["loc"] if not (isinstance(p, str) and "[" in p))
            found.append((_line_for(loc, lines), f"{_dotted(loc)}: {_describe(error)}"))
    else:  # each section is valid; now what sections require of each other
        lines = key_lines(text)
        for key, message in cross.problems(settings):
            line = lines.get(key) or lines.get(("cluster", "mode"), 1)
            found.append((line, f"{_dotted(key)}: {message}"))
        if not found:
            return settings
    problems = [f"{path}:{line}: {message}" for line, message in sorted(found)]
    raise ConfigError(f"{path} has {len(problems)} problem(s)", lines=problems) from None


def load(path: str | Path | None = None) -> Settings:
    """Read and validate a config file; ``None`` gives the built-in defaults."""
    if path is None:
        return Settings()
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: not found", lines=[f"{file}:0: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: unreadable", lines=[f"{file}:0: cannot read: {exc}"]) from None
    return parse(text, str(file))
