"""Prometheus-style durations: ``500ms``, ``30s``, ``5m``, ``1h30m``, ``7d``, ``2w``, ``1y``.

>>> parse_duration("1h30m")
5400.0
"""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_ORDER = ["y", "w", "d", "h", "m", "s", "ms"]
_PART = re.compile(r"(\d+)(ms|y|w|d|h|m|s)")
_WHOLE = re.compile(r"^((\d+)(ms|y|w|d|h|m|s))+$")


def parse_duration(text: str) -> float:
    """Seconds in ``text``; raises ``ValueError`` naming the accepted form."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise ValueError(
            f"{text!r} is not a duration (expected a number and unit with no spaces, "
            "like '30s', '5m', '1h30m'; units: ms, s, m, h, d, w, y)"
        )
    units = [u for _, u in _PART.findall(text)]
    if [_ORDER.index(u) for u in units] != sorted(_ORDER.index(u) for u in set(units)):
        raise ValueError(f"{text!r}: units must go from largest to smallest, each once (like '1h30m')")
    return float(sum(int(n) * _UNITS[u] for n, u in _PART.findall(text)))


def format_duration(seconds: float) -> str:
    """Shortest Prometheus form of ``seconds``: ``format_duration(5400) == '1h30m'``."""
    ms = round(seconds * 1000)
    if ms == 0:
        return "0s"
    out = []
    for unit in _ORDER:
        size = round(_UNITS[unit] * 1000)
        if ms >= size:
            out.append(f"{ms // size}{unit}")
            ms %= size
    return "".join(out)
