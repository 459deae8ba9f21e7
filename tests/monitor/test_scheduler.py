"""The background jobs' process keeps its long-lived heap out of full garbage collections."""

from __future__ import annotations

import subprocess
import sys


def test_settle_heap_collects_then_freezes_what_is_alive() -> None:
    # In a child process: freezing the test runner's own heap would outlive this test.
    script = ("import gc\nfrom monitor.scheduler import settle_heap\n"
              "class Cycle:\n    pass\n"
              "a = Cycle(); a.me = a; del a\n"        # garbage only a collection frees
              "settle_heap()\n"
              "print(gc.get_freeze_count() > 1000, gc.collect() == 0)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)

    assert done.stdout.split() == ["True", "True"]
