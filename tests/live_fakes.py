"""Stand-ins for the live tests: a fake detector that hands out a builder sequence's frames
(so no test but the ``model`` ones needs MediaPipe), a well-placed camera, blank frames."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from posturecheck.live import LiveSession
from posturecheck.pose import Detection
from posturecheck.sequence import PoseFrame, PoseSequence

from builders import Camera

FPS = 30.0
W, H = 640, 480
#: A standing lifter fills ~80% of a 640x480 frame at this camera.
GOOD = Camera(scale=0.8, origin_px=(320.0, 440.0))


def first(seq: PoseSequence) -> PoseFrame:
    frame = seq.frame(0)
    assert frame is not None
    return frame


class FakeDetector:
    """Hands out a builder sequence's frames in order (None rows: nobody found)."""

    def __init__(self, seq: PoseSequence, delay_s: float = 0.0) -> None:
        self.seq, self.delay_s = seq, delay_s
        self.calls: list[float] = []
        self.closed = False

    def detect(self, rgb: npt.NDArray[np.uint8], time_s: float) -> list[Detection]:
        if self.delay_s:
            time.sleep(self.delay_s)
        row = min(len(self.calls), len(self.seq) - 1)
        self.calls.append(time_s)
        frame = self.seq.frame(row)
        return [] if frame is None else [Detection(frame)]

    def close(self) -> None:
        self.closed = True


def blank() -> npt.NDArray[np.uint8]:
    return np.zeros((H, W, 3), dtype=np.uint8)


def run(seq: PoseSequence, **kwargs: object) -> LiveSession:
    session = LiveSession(FakeDetector(seq), **kwargs)  # type: ignore[arg-type]
    image = blank()
    for t in seq.time_s:
        session.process(image, float(t))
    return session


def read_back(path: Path) -> tuple[str, list[float], tuple[int, int]]:
    """A video file's codec, frame times and size."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        times = [float(f.time) for f in container.decode(stream)]
        return stream.codec_context.name, times, (stream.width, stream.height)
