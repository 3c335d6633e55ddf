"""Video and image input: upright RGB frames with their true timestamps, streamed.

The public face of reading footage: :func:`probe` reads what a file's header says,
:func:`read_frames` yields its frames, :func:`work_size` picks the size to analyse them at.
Frames come out upright (rotation metadata applied), C-contiguous (MediaPipe silently finds
nobody in a strided array), in RGB, one at a time, so memory does not grow with the length
of the video.

Whatever the file holds, reading it ends in bounded time and memory with either frames or an
:class:`InputError` that says what is wrong: frame sizes, lengths and frame counts have limits
(:mod:`posturecheck.limits`) checked before anything big is allocated (a picture's size is
read from its header before it is decoded, :mod:`posturecheck.photo`); FFmpeg runs on a
watchdog thread (:mod:`posturecheck.ffmpeg`, :mod:`posturecheck.decode`), so a file that
makes it stall ends with a message instead of hanging the analysis. Only these modules and
:mod:`posturecheck.encode` touch containers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import av

from posturecheck import ffmpeg
from posturecheck.decode import Wanted, decode_video
from posturecheck.errors import InputError
from posturecheck.frames import Frame, VideoInfo
from posturecheck.limits import (
    FPS_RANGE,
    IMAGE_SUFFIXES,
    MAX_DURATION_S,
    check_path,
    check_size,
    not_a_video,
    too_long,
)
from posturecheck.photo import read_image, resized

log = logging.getLogger(__name__)


def probe(path: Path) -> VideoInfo:
    """Read a file's header; raise :class:`InputError` with a human message if unusable."""
    path = Path(path)
    check_path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = read_image(path)
        h, w = image.shape[:2]
        return VideoInfo(path, w, h, 0.0, 1, 0, 0.0, "image", is_image=True)
    return ffmpeg.watched(path, "reading its header", lambda: _probe_video(path))


def _probe_video(path: Path) -> VideoInfo:
    try:
        with ffmpeg.open_video(path) as container:
            if not container.streams.video:
                kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "nothing"
                raise InputError(
                    f"{path}: holds no video track (found: {kinds}). "
                    "Record or export the lift as a video."
                )
            stream = container.streams.video[0]
            codec = stream.codec_context
            if codec is None:  # FFmpeg has no decoder for the track's codec id
                raise not_a_video(path, ffmpeg.NO_DECODER)
            w, h = int(codec.width), int(codec.height)
            if w and h:  # check before decoding a frame of that size
                check_size(path, w, h)
            rotation, w, h = _first_frame(path, container, stream)
            if rotation % 180 == 90:
                w, h = h, w
            fps = float(stream.average_rate) if stream.average_rate else 0.0
            duration = (
                float(stream.duration * stream.time_base)
                if stream.duration and stream.time_base
                else (container.duration / 1e6 if container.duration else 0.0)
            )
            if not FPS_RANGE[0] <= fps <= FPS_RANGE[1]:  # also NaN
                log.info("%s: ignoring an average frame rate of %s", path, fps)
                fps = 0.0
            if not math.isfinite(duration) or duration < 0:
                duration = 0.0
            if duration > MAX_DURATION_S:
                raise too_long(path, duration, "its header says it lasts")
            return VideoInfo(
                path=path,
                width=w,
                height=h,
                fps=fps,
                frames=shown_frames(max(0, int(stream.frames or 0)), fps, duration),
                rotation=rotation,
                duration_s=duration,
                codec=codec.name,
            )
    except InputError:
        raise
    except ffmpeg.DECODE_ERRORS as exc:
        raise not_a_video(path, ffmpeg.ffmpeg_reason(exc)) from exc


#: Coded frames beyond those the duration allows, as a share, before the header's count is
#: taken to include frames an edit list hides.
HIDDEN_FRAMES_SHARE = 0.05


def shown_frames(coded: int, fps: float, duration_s: float) -> int:
    """The frames a player shows. The header counts every coded frame, but an MP4 edit list
    (a clip trimmed on the phone) can hide some, and the decoder drops those; the duration
    is the shown part's. Where the count runs clearly past duration x rate, or the header
    gives none (some MP4 and most WebM files), duration x rate is the estimate (planning
    lanes and progress read it; the last lane reads to the end whatever it says)."""
    if fps <= 0 or duration_s <= 0:
        return max(0, coded)
    shown = round(duration_s * fps)
    return shown if coded <= 0 or coded > shown * (1 + HIDDEN_FRAMES_SHARE) + 2 else coded


def _first_frame(
    path: Path, container: av.container.InputContainer, stream: Any
) -> tuple[int, int, int]:
    """Decode the first frame: its rotation (PyAV exposes it per frame) and stored size."""
    reason = ""
    try:
        for frame in container.decode(stream):
            check_size(path, frame.width, frame.height)
            return ffmpeg.rotation(frame), int(frame.width), int(frame.height)
    except ffmpeg.DECODE_ERRORS as exc:
        reason = f" ({ffmpeg.ffmpeg_reason(exc)})"
    raise InputError(
        f"{path}: the video track holds no frames that can be decoded{reason}. "
        "Record or export the lift again."
    )


def read_frames(
    path: Path,
    info: VideoInfo | None = None,
    *,
    select: Callable[[int], bool] | None = None,
    stop: int | None = None,
    size: tuple[int, int] | None = None,
    threads: bool = True,
    first: int = 0,
) -> Generator[Frame, None, None]:
    """Yield upright RGB frames with times from 0 s, strictly increasing.

    ``select``: yield only the frames whose index it accepts; the others are decoded (a
    frame's index and time depend on every frame before it) but not converted to RGB, which
    is most of a frame's cost. ``stop``: end before this frame index (the truncation check
    then does not apply). ``size``: (width, height) of the upright frames wanted, scaled in
    the same pass as the conversion to RGB (default: the video's own size). ``threads``:
    let FFmpeg decode on several threads (``False`` when the caller already keeps every core
    busy, e.g. one decoder per lane: a single thread spends about 20% less CPU a frame).
    ``first``: no frame before this index is wanted; when the file's timestamps allow, the
    decoder seeks to the key frame before it instead of reading through (raises
    :class:`~posturecheck.decode.FrameOrderError` if the frames then break their order).

    Raises :class:`InputError` when decoding fails part-way, stalls, runs past the limits
    (:data:`~posturecheck.limits.MAX_DURATION_S`, :data:`~posturecheck.limits.MAX_FRAMES`,
    :data:`~posturecheck.limits.MAX_SIDE_PX`), or the file ends well before its header says
    it should (a truncated copy).
    """
    path = Path(path)
    info = info or probe(path)
    if info.is_image:
        if (select is None or select(0)) and (stop is None or stop > 0):
            rgb = read_image(path)
            if size is not None and size != (info.width, info.height):
                rgb = resized(rgb, size)
            yield Frame(0, 0.0, rgb)
        return
    yield from decode_video(path, info, Wanted(select, stop, size, threads, first))


def work_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """The size to analyse and draw a ``width`` x ``height`` picture at: scaled down, aspect
    kept, so its longer side is at most ``max_side`` (``None``: as it is); even sides, as
    H.264 needs."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
