"""Puts the repository root on ``sys.path``: a benchmark run as ``python benchmarks/bench_x.py``
(as ``python -m benchmarks`` does) can then import the shared support for real processes,
``tests.support.processes``, which is not an installed package.

Import it before ``tests``: ``import _repo  # noqa: F401``.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[1])
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
