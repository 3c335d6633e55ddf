"""Photos: read as one upright RGB frame at time 0."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from posturecheck.video import probe, read_frames


def test_still_image(tmp_path: Path) -> None:
    path = tmp_path / "still.jpg"
    cv2.imwrite(str(path), np.zeros((40, 30, 3), np.uint8))
    info = probe(path)
    assert info.is_image and (info.width, info.height, info.frames) == (30, 40, 1)
    assert [f.time_s for f in read_frames(path, info)] == [0.0]
