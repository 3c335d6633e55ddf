"""Test media made on the fly: clips with chosen size, timing and rotation (nothing committed)."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

RGB = npt.NDArray[np.uint8]

_ROTATION_MATRICES = {
    # tkhd 3x3 display matrix (a, b, u, c, d, v, x, y, w) in 16.16 / 2.30 fixed point.
    0: (0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000),
    90: (0, -0x10000, 0, 0x10000, 0, 0, 0, 0, 0x40000000),
    180: (-0x10000, 0, 0, 0, -0x10000, 0, 0, 0, 0x40000000),
    270: (0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000),
}


def write_clip(
    path: Path,
    frames: Iterable[RGB],
    *,
    times_s: Sequence[float] | None = None,
    fps: float = 30.0,
    codec: str = "libx264",
    pix_fmt: str = "yuv420p",
    options: dict[str, str] | None = None,
) -> Path:
    """Encode RGB frames to ``path``; ``times_s`` gives each frame's time (variable rate);
    ``options`` go to the encoder (e.g. ``{"g": "20", "bf": "2"}``)."""
    out = av.open(str(path), "w")
    frames = list(frames)
    h, w = frames[0].shape[:2]
    stream = out.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
    stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
    stream.options = dict(options or {})
    # Constant rate: a 1/fps time base (what AVI needs); variable: milliseconds.
    tb = Fraction(1, 1000) if times_s is not None else 1 / Fraction(fps).limit_denominator(1001)
    stream.time_base = stream.codec_context.time_base = tb
    for i, rgb in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        t = Fraction(times_s[i]).limit_denominator(1000) if times_s is not None else i * tb
        frame.pts, frame.time_base = round(t / tb), tb
        for packet in stream.encode(frame):
            out.mux(packet)
    for packet in stream.encode(None):
        out.mux(packet)
    out.close()
    return path


def pattern_frames(n: int, width: int, height: int) -> list[RGB]:
    """Frames with an asymmetric marker (top-left red square) so orientation can be checked."""
    frames = []
    for i in range(n):
        img = np.full((height, width, 3), 40, np.uint8)
        img[: height // 4, : width // 4] = (220, 30, 30)
        cv2.putText(
            img, str(i), (width // 2, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 1, (255, 255, 255), 2
        )
        frames.append(img)
    return frames


def real_frames(path: Path, n: int, size: tuple[int, int] | None = None) -> tuple[list[RGB], float]:
    """The first ``n`` frames of a real clip (optionally resized to ``size`` = (w, h)), and fps."""
    frames: list[RGB] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate or 30)
        for frame in container.decode(stream):
            rgb = frame.to_ndarray(format="rgb24")
            if size is not None:
                rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
            frames.append(np.ascontiguousarray(rgb))
            if len(frames) == n:
                break
    return frames, fps


def set_mp4_rotation(path: Path, degrees: int) -> None:
    """Patch the video track's tkhd display matrix, as a phone does when held upright.

    ``degrees`` is what PyAV then reports as ``frame.rotation`` (counter-clockwise); a phone
    held upright in portrait writes 90 (ffmpeg's old ``rotate=90`` tag gives the same).
    """
    data = bytearray(path.read_bytes())
    pos = data.find(b"tkhd")
    if pos < 4:
        raise ValueError(f"{path}: no tkhd box")
    version = data[pos + 4]
    # After type: version/flags 4, times+id+reserved+duration (20 or 32), reserved 8,
    # layer/alt/volume/reserved 8, then the 36-byte matrix.
    matrix_at = pos + 4 + 4 + (32 if version == 1 else 20) + 8 + 8
    data[matrix_at : matrix_at + 36] = struct.pack(">9i", *_ROTATION_MATRICES[degrees % 360])
    path.write_bytes(bytes(data))
