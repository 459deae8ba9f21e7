"""The exporters library's public surface is pinned: changing it is a deliberate act."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import exporters


def test_the_exported_names_are_pinned() -> None:
    assert sorted(exporters.__all__) == [
        "Exporter", "IngestResult", "Pusher", "REQUEST_BUCKETS", "SEVERITIES", "Sample",
        "SignalBatch", "multiprocess_registry",
    ]
    for name in exporters.__all__:
        assert getattr(exporters, name).__doc__ or name.isupper()


def test_the_package_is_typed() -> None:
    assert (Path(exporters.__file__).parent / "py.typed").exists()


def test_importing_exporters_pulls_in_neither_monitor_nor_postmortem() -> None:
    code = ("import sys, exporters, exporters.ingest; "
            "bad = [m for m in sys.modules if m.split('.')[0] in ('monitor', 'postmortem')]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
