"""H.264 MP4 output that plays in every browser: libx264, yuv420p, even size, faststart.

Frames are written upright with no rotation metadata, each at its source timestamp, so the
annotated video keeps the source's (possibly variable) frame timing.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import cv2
import numpy as np

from posturecheck.video import RGBImage

log = logging.getLogger(__name__)

#: Millisecond time base: exact enough for any phone's variable frame timing.
TIME_BASE = Fraction(1, 1000)


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even dimensions: odd ones gain one replicated pixel row/column."""
    return width + (width % 2), height + (height % 2)


class H264Writer:
    """Write RGB frames to an H.264 MP4. Use as a context manager; ``write`` frame by frame.

    Args:
        path: output file (``.mp4``).
        width, height: size of the frames that will be written.
        fps: nominal rate, stored as the stream's average rate.
        preset: libx264 speed/size trade-off (``veryfast`` ≈ 9 ms a 720p frame here).
        crf: quality; 23 is libx264's default, lower is better and larger.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        *,
        preset: str = "veryfast",
        crf: int = 23,
    ) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self._out_w, self._out_h = even_size(width, height)
        rate = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(30)
        self._container = av.open(
            str(self.path), mode="w", format="mp4", options={"movflags": "+faststart"}
        )
        stream = self._container.add_stream("libx264", rate=rate)
        stream.width, stream.height = self._out_w, self._out_h
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        stream.options = {"preset": preset, "crf": str(crf)}
        self._stream = stream
        self._last_pts = -1
        self.frames_written = 0

    def write(self, rgb: RGBImage, time_s: float) -> None:
        """Encode one frame shown at ``time_s`` seconds (times must rise)."""
        if rgb.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {rgb.shape[1]}x{rgb.shape[0]}, writer expects {self.width}x{self.height}"
            )
        if (self._out_w, self._out_h) != (self.width, self.height):
            rgb = np.pad(
                rgb,
                ((0, self._out_h - self.height), (0, self._out_w - self.width), (0, 0)),
                mode="edge",
            )
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        pts = max(round(time_s / TIME_BASE), self._last_pts + 1)
        frame.pts, frame.time_base = pts, TIME_BASE
        self._last_pts = pts
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        """Flush the encoder and finish the file (writes the index at the front)."""
        if self._container is None:
            return
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None  # type: ignore[assignment]

    def __enter__(self) -> H264Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def write_image(path: Path, rgb: RGBImage) -> None:
    """Write an RGB image (PNG or JPEG by suffix)."""
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
