"""The benchmark hook: a recorded clip fed as webcam frames (:func:`webcam_frames`) through
a fresh :class:`~posturecheck.live.session.LiveSession`, timing each frame
(:func:`benchmark_live`; ``benchmarks/throughput.py`` and the browser test use it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from posturecheck.frames import RGBImage
from posturecheck.live.session import LiveSession
from posturecheck.video import probe, read_frames


def letterbox(rgb: RGBImage, width: int, height: int) -> RGBImage:
    """Scale ``rgb`` to fit ``width`` x ``height`` and pad with black (a webcam-sized frame)."""
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    y0, x0 = (height - nh) // 2, (width - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def webcam_frames(
    clip: Path, width: int = 640, height: int = 480, max_frames: int | None = None
) -> Iterator[tuple[RGBImage, float]]:
    """A recorded clip as a webcam would deliver it: letterboxed frames and their times."""
    for i, frame in enumerate(read_frames(clip, probe(clip))):
        if max_frames is not None and i >= max_frames:
            return
        yield letterbox(frame.rgb, width, height), frame.time_s


def benchmark_live(
    clip: Path,
    model_path: Path | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    max_frames: int | None = None,
    record_to: Path | None = None,
) -> list[float]:
    """Feed ``clip`` frame by frame at ``size`` through a fresh :class:`LiveSession`; return
    each frame's processing time in ms (decoding and scaling not included). With
    ``record_to``, the frames are also recorded there."""
    from posturecheck.models import ensure_model

    session = LiveSession.open(model_path or ensure_model("full"))
    try:
        if record_to is not None:
            session.start_recording(record_to, size)
        times = []
        for rgb, t in webcam_frames(clip, *size, max_frames=max_frames):
            started = time.perf_counter()
            session.process(rgb, t)
            times.append((time.perf_counter() - started) * 1000.0)
        return times
    finally:
        session.close()
