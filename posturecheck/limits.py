"""What posturecheck accepts as input, and the messages that say why a file is refused.

The file types read, the limits on frame size, length and frame count that keep reading any
file bounded in time and memory, and the checks and error texts that the photo reader
(:mod:`posturecheck.photo`), the prober (:mod:`posturecheck.video`) and the decoder
(:mod:`posturecheck.decode`) share.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from posturecheck.errors import InputError

VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".avi", ".mkv"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png"})
SUPPORTED_SUFFIXES = VIDEO_SUFFIXES | IMAGE_SUFFIXES

#: A video that decodes more than this many frames (or this share of them, if larger)
#: short of what its header announces is called truncated.
TRUNCATION_FRAMES = 2
TRUNCATION_SHARE = 0.02

#: Longest side of a frame or photo, in pixels (8K: 7680x4320 and 8192x4320 both fit).
MAX_SIDE_PX = 8192
#: Most pixels in a frame (8K UHD, 8192x4320): bounds the memory one decoded frame takes.
MAX_PIXELS = 8192 * 4320
#: Shortest side: below this nobody can be seen.
MIN_SIDE_PX = 16
#: Longest video, in seconds (by its header, and by the frames' own times while decoding).
MAX_DURATION_S = 2 * 3600.0
#: Most frames in one video (2 hours at 60 frames/s); bounds the memory of the pose track.
MAX_FRAMES = 432_000
#: Frame rates outside this range are corrupt metadata and count as unknown (0).
FPS_RANGE = (0.05, 1000.0)


def check_path(path: Path) -> None:
    """Refuse a path that is not a readable, non-empty file of a supported type."""
    if not path.exists():
        raise InputError(f"{path}: file not found. Check the path and try again.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder, not a video. Name a video file.")
    if not stat.S_ISREG(path.stat().st_mode):
        raise InputError(
            f"{path}: is not a regular file (a pipe, socket or device). Save the video to a "
            "file and name that."
        )
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Copy the video again.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        accepted = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(
            f"{path}: '{path.suffix or '(no extension)'}' files are not supported. "
            f"Use a video or photo ({accepted})."
        )
    if not os.access(path, os.R_OK):
        raise InputError(f"{path}: permission to read the file was denied. Check its permissions.")


def check_size(path: Path, width: int, height: int, subject: str = "its frames are") -> None:
    """Refuse frames too big to decode safely or too small to show anyone."""
    if max(width, height) > MAX_SIDE_PX or width * height > MAX_PIXELS:
        raise InputError(
            f"{path}: {subject} {width}x{height} pixels; posturecheck reads up to "
            f"{MAX_SIDE_PX} pixels on a side and {MAX_PIXELS / 1e6:.1f} megapixels (8K). Export "
            "it at a lower resolution (1080p is plenty)."
        )
    if min(width, height) < MIN_SIDE_PX:
        raise InputError(
            f"{path}: {subject} {width}x{height} pixels, too small to show a person "
            f"(at least {MIN_SIDE_PX} pixels on a side are needed). Use the original recording."
        )


def not_a_video(path: Path, detail: str) -> InputError:
    """The error for a file FFmpeg cannot read as a video at all (``detail``: why)."""
    return InputError(
        f"{path}: cannot be read as a video ({detail}). It may be corrupt, truncated, or not "
        f"a video at all; export or copy it again from the phone."
    )


def too_long(path: Path, seconds: float, source: str) -> InputError:
    """The error for a video past :data:`MAX_DURATION_S` (``source`` says how we know)."""
    return InputError(
        f"{path}: {source} {_duration_text(seconds)}; posturecheck analyses videos up to "
        f"{_duration_text(MAX_DURATION_S)}. Trim it to the lift and try again."
    )


def _duration_text(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"
