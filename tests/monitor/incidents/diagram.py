"""The incident lifecycle written out by hand from the diagrams in README.md ("Incident
lifecycle") and ``monitor/incidents/lifecycle.py``'s docstring — deliberately not derived from
``lifecycle.TRANSITIONS``, so the tests check the code against the documentation.

Read from the diagrams:

- the main line: detected → acknowledged → identified → fixing → verifying → resolved →
  reopened → …; earlier open states may skip ahead (to identified, fixing or verifying);
- ``resolved`` only from ``verifying``;
- verifying → regressed; regressed → fixing or verifying;
- reopened → … : the work starts again (acknowledged, identified, fixing, verifying);
- any open state → retracted (a false alarm; final); resolved is closed, not open.

``x`` is an allowed move, ``.`` a rejected one; no state moves to itself.
"""

from __future__ import annotations

GRID = """
                 detected acknowledged identified fixing verifying regressed resolved reopened retracted
    detected        .          x           x        x       x         .         .        .         x
    acknowledged    .          .           x        x       x         .         .        .         x
    identified      .          .           .        x       x         .         .        .         x
    fixing          .          .           .        .       x         .         .        .         x
    verifying       .          .           .        .       .         x         x        .         x
    regressed       .          .           .        x       x         .         .        .         x
    resolved        .          .           .        .       .         .         .        x         .
    reopened        .          x           x        x       x         .         .        .         x
    retracted       .          .           .        .       .         .         .        .         .
"""


def _parse(grid: str) -> dict[str, frozenset[str]]:
    header, *rows = [line.split() for line in grid.strip().splitlines()]
    table = {}
    for row in rows:
        source, marks = row[0], row[1:]
        assert len(marks) == len(header), row
        table[source] = frozenset(t for t, mark in zip(header, marks, strict=True) if mark == "x")
    assert list(table) == header
    return table


MOVES: dict[str, frozenset[str]] = _parse(GRID)
"""``MOVES[source]``: the states a person may move an incident in ``source`` to."""
STATES: tuple[str, ...] = tuple(MOVES)
CLOSED = frozenset({"resolved", "retracted"})
OPEN = frozenset(STATES) - CLOSED
ALLOWED_MOVES = frozenset((s, t) for s, targets in MOVES.items() for t in targets)
