"""The live session (posturecheck.live.session): the overlay, timing, dropping frames,
restarted clocks, pausing and failures."""

from __future__ import annotations

import itertools
import queue
import threading
import time
from fractions import Fraction

import av
import numpy as np
import numpy.typing as npt
import pytest

from posturecheck.live import LiveSession, percentiles_ms
from posturecheck.pose import Detection

from builders import frame_times, side_view
from live_fakes import FPS, GOOD, FakeDetector, blank


def test_overlay_is_a_new_frame_and_timings_are_kept() -> None:
    seq = side_view(camera=GOOD, n_frames=10)
    session = LiveSession(FakeDetector(seq))
    image = blank()
    out = session.process(image, 0.0)
    assert out.shape == image.shape and out is not image
    assert not image.any() and out.any()  # the input is never drawn on
    for t in frame_times(10, FPS)[1:]:
        session.process(image, float(t))
    p50, p95 = session.stats().p50_ms, session.stats().p95_ms
    assert p50 is not None and p95 is not None and 0 < p50 <= p95
    assert len(session.frame_times_ms()) == 10
    assert percentiles_ms([]) == (None, None)
    assert percentiles_ms([1.0, 2.0, 3.0]) == (2.0, pytest.approx(2.9))


def test_a_restarted_stream_clock_is_handled() -> None:
    session = LiveSession(FakeDetector(side_view(camera=GOOD, n_frames=5)))
    for t in (10.0, 10.033, 0.0, 0.033):  # START, STOP, START: the new track restarts at 0
        session.process(blank(), t)
    calls = session._detector.calls  # type: ignore[attr-defined]
    assert all(b > a for a, b in itertools.pairwise(calls))


def _av_frame(t: float) -> av.VideoFrame:
    frame = av.VideoFrame.from_ndarray(blank(), format="rgb24")
    frame.time_base = Fraction(1, 90000)
    frame.pts = round(t * 90000)
    return frame


def test_only_the_newest_queued_frame_is_processed() -> None:
    detector = FakeDetector(side_view(camera=GOOD, n_frames=3))
    session = LiveSession(detector)
    frames = [_av_frame(t) for t in (0.0, 1 / 30, 2 / 30)]
    out = session.on_video_frames(frames)
    assert len(out) == 1 and out[0].pts == frames[-1].pts
    assert detector.calls == [pytest.approx(2 / 30)]
    assert session.stats().dropped == 2 and session.stats().frames == 1
    assert out[0].to_ndarray(format="rgb24").any()  # the overlay, not the input


def test_a_slow_model_drops_frames_instead_of_falling_behind() -> None:
    """A 30 fps camera and a 60 ms model, wired like streamlit-webrtc's async track: the
    worker takes everything queued and processes the newest, so the lag stays near one
    processing time and never grows."""
    detector = FakeDetector(side_view(camera=GOOD, n_frames=5), delay_s=0.06)
    session = LiveSession(detector)
    inbox: queue.Queue[av.VideoFrame | None] = queue.Queue()
    lags: list[float] = []
    started = time.monotonic()

    def camera() -> None:
        for i in range(45):  # 1.5 s
            inbox.put(_av_frame(i / FPS))
            time.sleep(max(0.0, started + (i + 1) / FPS - time.monotonic()))
        inbox.put(None)

    def worker() -> None:
        while (item := inbox.get()) is not None:
            batch = [item]
            while not inbox.empty():
                nxt = inbox.get_nowait()
                if nxt is None:
                    return
                batch.append(nxt)
            session.on_video_frames(batch)
            lags.append(time.monotonic() - started - float(batch[-1].time))

    threads = [threading.Thread(target=camera), threading.Thread(target=worker)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=10)
    stats = session.stats()
    assert stats.frames + stats.dropped <= 45
    assert stats.dropped >= 15 and 10 <= stats.frames <= 30
    # processing every frame would leave the last one ~1.2 s behind; dropping keeps the lag
    # near one processing time (plus scheduling noise on a busy machine) and flat
    assert max(lags) < 0.3
    assert np.mean(lags[-4:]) < np.mean(lags[:4]) + 0.05


def test_a_paused_session_passes_frames_through() -> None:
    detector = FakeDetector(side_view(camera=GOOD, n_frames=3))
    session = LiveSession(detector)
    session.paused = True
    frame = _av_frame(0.0)
    assert session.on_video_frames([frame]) == [frame] and detector.calls == []


def test_a_failing_frame_passes_through() -> None:
    class Broken(FakeDetector):
        def detect(self, rgb: npt.NDArray[np.uint8], time_s: float) -> list[Detection]:
            raise RuntimeError("boom")

    session = LiveSession(Broken(side_view(n_frames=1)))
    frame = _av_frame(0.0)
    assert session.on_video_frames([frame]) == [frame]
