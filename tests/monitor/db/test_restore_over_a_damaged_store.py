"""Story: the store is damaged (a disk fault tore its pages); the operator restores last
night's backup over it. Without --force Candor names the damage and the flag; with it, the
backup replaces the store (the reason a restore exists)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import db
from monitor.db import backup
from monitor.errors import Conflict


def test_a_damaged_store_is_replaced_with_force_and_named_without(tmp_path: Path) -> None:
    made = tmp_path / "made.db"
    engine = db.make_engine(f"sqlite:///{made}")
    db.upgrade(engine)
    engine.dispose()
    known = db.revisions()
    nightly = tmp_path / "nightly.db"
    backup.backup(made, nightly, known)
    store = tmp_path / "candor.db"
    store.write_bytes(backup.HEADER + b"\xde\xad" * 4096)  # the header, then garbage

    with pytest.raises(Conflict, match=r"the store to replace: .*pass --force"):
        backup.restore(nightly, store, known)
    assert store.read_bytes().startswith(backup.HEADER + b"\xde\xad")  # nothing changed

    restored = backup.restore(nightly, store, known, force=True)
    assert restored.revision == known[-1] and backup.inspect(store, known).revision == known[-1]
