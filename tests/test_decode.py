"""Decoding one frame by its time: the review page's frame stepper (read_frame_at)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posturecheck.decode import read_frame_at
from posturecheck.encode import H264Writer
from posturecheck.errors import InputError
from posturecheck.video import read_frames

FPS = 25.0
N = 30


def _annotated(path: Path) -> Path:
    """An annotated MP4 as the pipeline writes it: frames whose mean brightness encodes their
    index (so a decoded frame is identifiable), at their source times."""
    with H264Writer(path, 64, 48, FPS) as writer:
        for i in range(N):
            writer.write(np.full((48, 64, 3), 8 * i, np.uint8), i / FPS)
    return path


def test_read_frame_at_returns_that_frame(tmp_path: Path) -> None:
    video = _annotated(tmp_path / "annotated.mp4")
    decoded = [f.rgb for f in read_frames(video)]
    for index in (0, 1, 13, N - 1):
        frame = read_frame_at(video, index / FPS)
        assert np.array_equal(frame, decoded[index])
    assert np.array_equal(read_frame_at(video, 99.0), decoded[-1])


def test_read_frame_at_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "annotated.mp4"
    bad.write_bytes(b"nope" * 100)
    with pytest.raises(InputError, match="cannot decode"):
        read_frame_at(bad, 0.0)
