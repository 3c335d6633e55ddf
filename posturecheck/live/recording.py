"""Recording the live stream: every processed input frame (raw, not the overlay) goes to an
H.264 file at its own time, encoded on a background thread; the finished file
(:class:`Recording`) is then analysed like an upload."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posturecheck.concurrency import BackgroundConsumer
from posturecheck.encode import H264Writer
from posturecheck.frames import RGBImage


@dataclass(frozen=True)
class Recording:
    """A finished recording: an H.264 MP4 of the raw frames at their own times."""

    path: Path
    frames: int
    duration_s: float
    width: int
    height: int


class Recorder:
    """Encodes raw frames on a background thread. The file takes ``size`` (default: the
    first frame's); its clock starts at the first frame."""

    def __init__(self, path: Path, size: tuple[int, int] | None) -> None:
        self.path, self.size = path, size
        self.frames, self.start_s, self.last_s = 0, 0.0, 0.0
        self._writer: H264Writer | None = None
        self._worker: BackgroundConsumer[tuple[RGBImage, float]] | None = None

    def submit(self, rgb: RGBImage, time_s: float) -> None:
        if self._writer is None:
            self.size = self.size or (rgb.shape[1], rgb.shape[0])
            writer = H264Writer(self.path, *self.size, 30.0, preset="veryfast", crf=20)
            self._writer, self.start_s = writer, time_s
            self._worker = BackgroundConsumer(
                lambda item: writer.write(*item), depth=8, name="live-record"
            )
        assert self.size is not None and self._worker is not None
        if (rgb.shape[1], rgb.shape[0]) != self.size:  # the browser changed resolution
            rgb = np.asarray(cv2.resize(rgb, self.size), dtype=np.uint8)
        self.last_s = time_s - self.start_s
        self.frames += 1
        self._worker.submit((rgb, self.last_s))

    def close(self) -> Recording:
        try:
            if self._worker is not None:
                self._worker.close()
        finally:
            if self._writer is not None:
                self._writer.close()
        width, height = self.size or (0, 0)
        return Recording(self.path, self.frames, self.last_s, width, height)
