"""Prometheus-style durations, the one parser: ``500ms``, ``30s``, ``5m``, ``1h30m``, ``7d``, ``2w``, ``1y``.

Config values (``monitor.config.types.Duration``), rule files and PromQL
(``monitor.promql.lexer.parse_duration_ms``) and the API's ``duration``
fields all read durations here, so they accept the same words.

>>> parse_duration("1h30m")
datetime.timedelta(seconds=5400)
>>> format_duration(parse_duration("90m"))
'1h30m'
"""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["format_duration", "parse_duration"]

_UNITS_MS = {"y": 31_536_000_000, "w": 604_800_000, "d": 86_400_000, "h": 3_600_000,
             "m": 60_000, "s": 1_000, "ms": 1}
_ORDER = list(_UNITS_MS)  # largest first
_PART = re.compile(r"([0-9]+)(ms|y|w|d|h|m|s)")
_WHOLE = re.compile(r"(?:[0-9]+(?:ms|y|w|d|h|m|s))+")


def parse_duration(text: str) -> timedelta:
    """The duration ``text`` names; ``ValueError`` says which form is accepted, and
    ``OverflowError`` means it is longer than a ``timedelta`` holds (about 2.7 million years)."""
    if not isinstance(text, str) or not _WHOLE.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a duration (expected a number and unit with no spaces, "
            "like '30s', '5m', '1h30m'; units: ms, s, m, h, d, w, y)"
        )
    parts = _PART.findall(text)
    ranks = [_ORDER.index(unit) for _, unit in parts]
    if ranks != sorted(set(ranks)):
        raise ValueError(f"{text!r}: units must go from largest to smallest, each once (like '1h30m')")
    return timedelta(milliseconds=sum(int(number) * _UNITS_MS[unit] for number, unit in parts))


def format_duration(duration: timedelta | float) -> str:
    """The shortest form of ``duration`` (a ``timedelta`` or seconds), largest unit first.

    >>> format_duration(5400), format_duration(timedelta(days=14)), format_duration(0.5)
    ('1h30m', '2w', '500ms')
    """
    if isinstance(duration, timedelta):
        ms = (duration.days * 86_400 + duration.seconds) * 1000 + round(duration.microseconds / 1000)
    else:
        ms = round(duration * 1000)
    if ms == 0:
        return "0s"
    out = []
    for unit, size in _UNITS_MS.items():
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)
