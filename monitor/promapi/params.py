"""Prometheus API parameters: times, durations, and the error every route answers with.

    parse_time("2026-03-02T09:00:00Z", "time")  # -> 1772442000.0
    parse_time("1772442000.5", "time")          # -> 1772442000.5
    parse_duration("1m", "step")                # -> 60.0; "15" and "0.5" are seconds too

Messages match Prometheus's (``invalid parameter "time": ...``) so clients and people
who know them recognise them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime

from monitor.promql.lexer import parse_duration_ms

__all__ = ["MAX_POINTS", "ApiError", "bad_param", "check_range", "parse_duration",
           "parse_time"]

MAX_POINTS = 11_000
"""Most points one series of a range query may have (Prometheus's limit)."""

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_MAX_INT64_S = 2**63 / 1e9


@dataclass
class ApiError(Exception):
    """An error answered as ``{"status": "error", "errorType": kind, "error": message}``."""

    kind: str
    message: str
    status: int = 400

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def body(self) -> dict[str, str]:
        return {"status": "error", "errorType": self.kind, "error": self.message}


def bad_param(name: str, message: str) -> ApiError:
    return ApiError("bad_data", f"invalid parameter {_quote(name)}: {message}")


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_time(text: str | None, name: str) -> float:
    """Unix seconds (millisecond precision) from Unix seconds or an RFC 3339 timestamp."""
    value = text or ""
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
        if _RFC3339.match(value):
            try:
                when = datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
                seconds = when.timestamp()
            except ValueError:
                pass
    if not math.isfinite(seconds) or abs(seconds) > _MAX_INT64_S:
        raise bad_param(name, f"Invalid time value for '{name}': cannot parse "
                              f"{_quote(value)} to a valid timestamp")
    return round(seconds, 3)


def parse_duration(text: str | None, name: str) -> float:
    """Seconds from a float (``"15"``, ``"0.5"``) or a Prometheus duration (``"1m30s"``)."""
    value = text or ""
    try:
        seconds = float(value)
    except ValueError:
        ms = parse_duration_ms(value)
        if ms is None:
            raise bad_param(name, f"cannot parse {_quote(value)} to a valid duration") from None
        return ms / 1000
    if not math.isfinite(seconds) or abs(seconds) > _MAX_INT64_S:
        raise bad_param(name, f"cannot parse {_quote(value)} to a valid duration. "
                              "It overflows int64")
    return seconds


def check_range(start: float, end: float, step: float) -> None:
    """Prometheus's checks on a range query's window and resolution."""
    if end < start:
        raise bad_param("end", "end timestamp must not be before start time")
    if step <= 0:
        raise bad_param("step", "zero or negative query resolution step widths are not "
                                "accepted. Try a positive integer")
    if round((end - start) * 1e9) // max(1, round(step * 1e9)) > MAX_POINTS:
        raise ApiError("bad_data", f"exceeded maximum resolution of {MAX_POINTS:,} points per "
                                   "timeseries. Try decreasing the query resolution (?step=XX)")
