"""Recording the live stream (posturecheck.live.recording) through the session."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from posturecheck.live import LiveSession

from builders import frame_times, side_view
from live_fakes import FPS, GOOD, FakeDetector, H, W, blank, read_back


def test_recording_writes_the_raw_frames_at_their_times(tmp_path: Path) -> None:
    n = 60
    times = frame_times(n, FPS, jitter_s=0.01, seed=3) + 5.0  # variable timing
    session = LiveSession(FakeDetector(side_view(camera=GOOD, n_frames=n)))
    path = tmp_path / "live.mp4"
    rng = np.random.default_rng(0)
    images = [rng.integers(0, 255, (H, W, 3), dtype=np.uint8) for _ in range(4)]
    for i, t in enumerate(times):
        if i == 10:
            session.start_recording(path)
            assert session.recording and session.stats().reps == 0
        if i == 50:
            recording = session.stop_recording()
        session.process(images[i % 4], float(t))
    assert recording is not None and not session.recording
    assert recording.frames == 40 and recording.path == path
    assert recording.duration_s == pytest.approx(times[49] - times[10], abs=1e-9)
    codec, got, size = read_back(path)
    assert codec == "h264" and size == (W, H)
    assert len(got) == 40
    assert np.allclose(got, times[10:50] - times[10], atol=0.0015)  # millisecond time base
    with av.open(str(path)) as container:  # raw frames: the first decodes close to its input
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    assert np.abs(decoded.astype(int) - images[10 % 4].astype(int)).mean() < 60
    assert session.stop_recording() is None


def test_recording_scales_frames_of_another_size(tmp_path: Path) -> None:
    session = LiveSession(FakeDetector(side_view(camera=GOOD, n_frames=3)))
    session.start_recording(tmp_path / "r.mp4", (320, 240))
    with pytest.raises(RuntimeError, match="already recording"):
        session.start_recording(tmp_path / "s.mp4")
    for t in (0.0, 0.04, 0.08):
        session.process(blank(), t)
    recording = session.stop_recording()
    assert recording is not None and recording.frames == 3
    assert read_back(recording.path)[2] == (320, 240)


def test_close_stops_recording_and_the_model(tmp_path: Path) -> None:
    detector = FakeDetector(side_view(camera=GOOD, n_frames=2))
    session = LiveSession(detector)
    session.start_recording(tmp_path / "r.mp4")
    session.process(blank(), 0.0)
    session.close()
    assert detector.closed and not session.recording
    assert (tmp_path / "r.mp4").stat().st_size > 0


def test_a_recording_with_no_frame_writes_no_file(tmp_path: Path) -> None:
    session = LiveSession(FakeDetector(side_view(camera=GOOD, n_frames=2)))
    session.start_recording(tmp_path / "r.mp4")
    recording = session.stop_recording()
    assert recording is not None and recording.frames == 0
    assert not (tmp_path / "r.mp4").exists()
