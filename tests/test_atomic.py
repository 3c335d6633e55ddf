"""Atomic writes: the whole new file or the old one, and no temporary file left."""

from __future__ import annotations

from pathlib import Path

import pytest

from posturecheck.atomic import atomic_open


def test_success_replaces_and_failure_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write("first")
    assert path.read_text() == "first"
    with pytest.raises(RuntimeError), atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write("half of the sec")
        raise RuntimeError("crash mid-write")
    assert path.read_text() == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]
