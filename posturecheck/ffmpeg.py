"""FFmpeg (through PyAV) on a leash: opening a file, a watchdog, and what its errors mean.

A malformed file can make FFmpeg stall, raise Python errors for odd metadata, or report a
corrupt display rotation; this module turns each of those into something bounded and
explainable. :data:`STALL_LIMIT_S` bounds every call: the prober (:mod:`posturecheck.video`)
and the decoder (:mod:`posturecheck.decode`) read it from here when they run, so changing it
here changes it for both.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import av
import av.error

from posturecheck.errors import InputError

log = logging.getLogger(__name__)

#: FFmpeg gets this long to open a file, read its header or produce the next frame.
STALL_LIMIT_S = 20.0

T = TypeVar("T")

#: Why a video cannot be read when FFmpeg has no decoder for its codec.
NO_DECODER = "it uses a video codec that cannot be decoded here"

#: What FFmpeg's error classes mean for a lifter (the rest keep FFmpeg's own words).
_REASONS: dict[type[Exception], str] = {
    av.error.InvalidDataError: "FFmpeg found invalid data",
    av.error.DecoderNotFoundError: NO_DECODER,
    av.error.DemuxerNotFoundError: "its container format is not supported",
    av.error.PatchWelcomeError: "it uses a feature of its format that FFmpeg cannot read",
    av.error.EOFError: "the file ends before its video does",
    av.error.MemoryError: "its header asks for more memory than is available",
    av.error.ExitError: "FFmpeg stopped reading it after no progress",
    av.error.PermissionError: "FFmpeg refused part of its contents",
    av.error.OSError: "FFmpeg could not read part of its contents",
}

#: What PyAV raises on malformed input: FFmpeg's errors, and Python's for odd metadata.
DECODE_ERRORS = (av.error.FFmpegError, MemoryError, ValueError, OverflowError, UnicodeError)


def ffmpeg_reason(exc: BaseException) -> str:
    """Why reading failed, in a lifter's words where FFmpeg's error class says it."""
    for kind, reason in _REASONS.items():
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, MemoryError):
        return "it needs more memory than is available"
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if text else type(exc).__name__


def open_video(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading, tolerating broken metadata."""
    # The timeouts let FFmpeg itself abandon a read that makes no progress.
    return av.open(str(path), metadata_errors="ignore", timeout=(STALL_LIMIT_S, STALL_LIMIT_S))


def watched(path: Path, what: str, work: Callable[[], T]) -> T:
    """Run ``work`` on a daemon thread; give up with an :class:`InputError` after
    :data:`STALL_LIMIT_S` (the thread is left to finish or die with the process)."""
    result: list[T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(work())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, name=f"probe {path.name}", daemon=True)
    thread.start()
    thread.join(STALL_LIMIT_S)
    if thread.is_alive():
        raise stalled(path, what)
    if failure:
        raise failure[0]
    return result[0]


def stalled(path: Path, what: str) -> InputError:
    """The error for FFmpeg making no progress for :data:`STALL_LIMIT_S` while ``what``."""
    return InputError(
        f"{path}: FFmpeg made no progress for {STALL_LIMIT_S:g} s while {what} and was "
        "stopped; the file is probably corrupt. Export or copy it again from the phone."
    )


def rotation(frame: Any) -> int:
    """The frame's display rotation, snapped to 0, 90, 180 or 270 degrees.

    A corrupt display matrix makes PyAV report NaN cast to an integer (-2**31) or an odd
    angle: anything not finite and within one turn counts as no rotation.
    """
    value = getattr(frame, "rotation", 0) or 0
    try:
        degrees = float(value)
    except (TypeError, ValueError):
        return 0
    if not math.isfinite(degrees) or abs(degrees) > 360:
        log.info("ignoring a display rotation of %s degrees (corrupt matrix)", value)
        return 0
    return (round(degrees / 90) % 4) * 90
