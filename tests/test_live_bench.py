"""The benchmark hook (posturecheck.live.bench): webcam-sized frames, and the real model fed
a real clip frame by frame."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from posturecheck.live import LiveSession, benchmark_live, letterbox, percentiles_ms

from live_fakes import read_back


def test_letterbox_keeps_the_aspect() -> None:
    tall = np.full((720, 492, 3), 200, dtype=np.uint8)
    out = letterbox(tall, 640, 480)
    assert out.shape == (480, 640, 3)
    cols = np.flatnonzero(out[240, :, 0])
    assert out[0, 0, 0] == 0 and cols.size == pytest.approx(328, abs=1)


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.slow
def test_real_clip_frame_by_frame(realdata: Path, model_path: Path, tmp_path: Path) -> None:
    """A two-rep side-view deadlift, fed as 640x480 webcam frames: two reps, placement
    right, and the per-frame time (printed; the target p95 <= 33 ms is the benchmark's)."""
    clip = realdata / "videos" / "deadlift_side_formfit_1.mp4"
    from posturecheck.live import webcam_frames

    session = LiveSession.open(model_path)
    try:
        times = []
        for rgb, t in webcam_frames(clip):
            started = time.perf_counter()
            session.process(rgb, t)
            times.append((time.perf_counter() - started) * 1000)
        stats = session.stats()
    finally:
        session.close()
    p50, p95 = percentiles_ms(times)
    print(f"live 640x480 {clip.name}: {len(times)} frames, p50 {p50:.1f} ms, p95 {p95:.1f} ms")
    assert stats.reps == 2
    assert stats.placement_ok
    assert len(times) == 279


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.slow
def test_benchmark_hook_records_too(realdata: Path, model_path: Path, tmp_path: Path) -> None:
    clip = realdata / "videos" / "deadlift_side_jeffchen_good.mp4"
    out = tmp_path / "bench.mp4"
    times = benchmark_live(clip, model_path, max_frames=40, record_to=out)
    assert len(times) == 40 and all(t > 0 for t in times)
    codec, decoded, size = read_back(out)
    assert codec == "h264" and len(decoded) == 40 and size == (640, 480)
