"""Decoding video frames: the stream behind :func:`posturecheck.video.read_frames`, and one
frame by its time (:func:`read_frame_at`, the review page's frame stepper).

Streaming decodes on its own thread into a short queue, so memory does not grow with the
length of the video and a stall in FFmpeg ends with an :class:`InputError` after
:data:`posturecheck.ffmpeg.STALL_LIMIT_S`. Every decoded frame is checked against
:mod:`posturecheck.limits`, timed from 0 s with strictly rising times, and converted to an
upright RGB image only when it is wanted.
"""

from __future__ import annotations

import itertools
import math
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import av.error
import numpy as np
import numpy.typing as npt

from posturecheck import ffmpeg
from posturecheck.errors import InputError
from posturecheck.frames import Frame, RGBImage, VideoInfo
from posturecheck.limits import (
    MAX_DURATION_S,
    MAX_FRAMES,
    TRUNCATION_FRAMES,
    TRUNCATION_SHARE,
    check_size,
    not_a_video,
    too_long,
)

#: Decoding time allowed in all: this much, plus :data:`DECODE_S_PER_FRAME` for each frame
#: (an 8K HEVC frame takes about 0.1 s on a laptop core).
DECODE_BUDGET_S = 60.0
DECODE_S_PER_FRAME = 0.5
#: How long closing a half-read video waits for its decoding thread to stop.
_JOIN_S = 2.0

#: Seek only to skip at least this many frames; fewer are read through.
SEEK_MIN_FRAMES = 30

#: Frames whose times differ by less than this are the same frame (the writer rounds to 1 ms).
TIME_TOLERANCE_S = 0.0015


def decode_video(path: Path, info: VideoInfo, wanted: Wanted) -> Generator[Frame, None, None]:
    """Yield the video's frames as :func:`posturecheck.video.read_frames` documents them
    (``info`` from :func:`posturecheck.video.probe`; ``wanted`` its arguments), decoding on
    a watched thread."""
    decoder = _Decoder(path, info, wanted)
    decoder.start()
    stalled = False
    try:
        while True:
            try:
                item = decoder.frames.get(timeout=ffmpeg.STALL_LIMIT_S)
            except queue.Empty:
                stalled = True
                raise ffmpeg.stalled(path, "decoding it") from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Frame)
            yield item
    finally:
        decoder.stop.set()
        if not stalled:
            decoder.join(_JOIN_S)


_END = object()


@dataclass(frozen=True)
class Wanted:
    """Which frames :func:`decode_video` yields (``select``, ``stop``, none before
    ``first``), at what ``size``, and whether FFmpeg may use several ``threads``."""

    select: Callable[[int], bool] | None = None
    stop: int | None = None
    size: tuple[int, int] | None = None
    threads: bool = True
    first: int = 0


#: Frames the decoder thread may run ahead of the reader.
AHEAD_FRAMES = 4


class _Decoder(threading.Thread):
    """Decodes on its own thread, up to :data:`AHEAD_FRAMES` ahead of the reader (decoding
    overlaps the reader's work, and the reader can time FFmpeg out)."""

    def __init__(self, path: Path, info: VideoInfo, wanted: Wanted) -> None:
        super().__init__(name=f"decode {path.name}", daemon=True)
        self.path, self.info, self.wanted = path, info, wanted
        self.frames: queue.Queue[object] = queue.Queue(maxsize=AHEAD_FRAMES)
        self.stop = threading.Event()

    def run(self) -> None:
        try:
            for frame in _decode(self.path, self.info, self.wanted):
                if not self._put(frame):
                    return
            self._put(_END)
        except BaseException as exc:  # handed to the reader, who raises it
            self._put(exc)

    def _put(self, item: object) -> bool:
        while not self.stop.is_set():
            try:
                self.frames.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False


def _decode(path: Path, info: VideoInfo, wanted: Wanted) -> Iterator[Frame]:
    """The decoding itself (on the :class:`_Decoder` thread), with every limit checked."""
    select, stop, size = wanted.select, wanted.stop, wanted.size
    fallback_dt = 1.0 / info.fps if info.fps > 0 else 1.0 / 30.0
    first_time: float | None = None
    last_time = -np.inf
    index = 0
    busy_s = 0.0
    try:
        with ffmpeg.open_video(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO" if wanted.threads else "SLICE"
            if not wanted.threads:
                stream.codec_context.thread_count = 1
            frames: Iterator[av.VideoFrame] = container.decode(stream)
            if wanted.first > 0 and (start := _seek_start(path, wanted.first)):
                frames, index, first_time = _from_key_frame(container, stream, start)
            while stop is None or index < stop:
                started = time.monotonic()
                frame = next(frames, None)
                if frame is None:
                    break
                check_size(path, frame.width, frame.height)
                raw_time = frame.time
                if raw_time is None or not math.isfinite(raw_time):
                    t = last_time + fallback_dt if index else 0.0
                else:
                    if first_time is None:
                        first_time = float(raw_time)
                    t = float(raw_time) - first_time
                if t <= last_time:  # repeated or reordered stamp: keep times strictly rising
                    t = last_time + 1e-3
                if t > MAX_DURATION_S:
                    raise too_long(path, t, f"frame {index} is shown at")
                if index >= MAX_FRAMES:
                    raise InputError(
                        f"{path}: holds more than {MAX_FRAMES:,} frames (2 hours at 60 "
                        "frames/s), more than posturecheck analyses. Trim it to the lift."
                    )
                last_time = t
                keep = select is None or select(index)
                if keep:
                    rgb = _convert(frame, size or (info.width, info.height))
                busy_s += time.monotonic() - started
                if busy_s > DECODE_BUDGET_S + DECODE_S_PER_FRAME * (index + 1):
                    raise InputError(
                        f"{path}: decoding is far too slow ({busy_s:.0f} s for {index + 1} "
                        "frames) and was stopped; the file is probably corrupt. Export or "
                        "copy it again from the phone."
                    )
                if keep:
                    yield Frame(index, t, rgb)
                index += 1
    except InputError:
        raise
    except ffmpeg.DECODE_ERRORS as exc:
        if index == 0:
            raise not_a_video(path, ffmpeg.ffmpeg_reason(exc)) from exc
        raise InputError(
            f"{path}: the video breaks off after frame {index} ({ffmpeg.ffmpeg_reason(exc)}); "
            "the file is probably truncated or corrupt. Copy it from the phone again."
        ) from exc
    if index == 0:
        raise InputError(f"{path}: the video holds no frames. Record or export the lift again.")
    if stop is not None and index >= stop:
        return
    slack = max(TRUNCATION_FRAMES, TRUNCATION_SHARE * info.frames)
    short_of_count = info.frames > 0 and info.frames - index > slack
    short_of_duration = info.duration_s > 0 and info.duration_s - last_time > slack * fallback_dt
    if short_of_count and (short_of_duration or not info.duration_s):
        raise InputError(
            f"{path}: only {index} of the {info.frames} frames its header announces could be "
            "decoded; the file is probably truncated. Copy it from the phone again."
        )


class FrameOrderError(RuntimeError):
    """After a seek, the decoder's frames did not follow the file's own timestamps, so
    their indices cannot be trusted; read the video from its start instead."""


@dataclass(frozen=True)
class _SeekStart:
    """Where to start decoding to reach a frame without reading through those before it."""

    key_pts: int  # the key frame at or before the wanted frame
    order: list[int]  # every frame's timestamp in showing order: a frame's index is its place
    time_base: float


def _seek_start(path: Path, first: int) -> _SeekStart | None:
    """How to start at frame ``first`` by seeking, or ``None`` where reading through is as
    good or the file's timestamps cannot say which frame is which (missing or repeated, or
    a first frame that is no key frame). Reads the packets' headers only, not the pictures.
    """
    with ffmpeg.open_video(path) as container:
        stream = container.streams.video[0]
        time_base = stream.time_base
        stamped: list[tuple[int, bool]] = []
        for packet in container.demux(stream):
            if not packet.size:
                continue
            if packet.pts is None:
                return None
            if packet.is_discard:  # outside the file's edit list: decoded but never shown
                continue
            stamped.append((packet.pts, packet.is_keyframe))
    if time_base is None or not stamped:
        return None
    order = sorted(pts for pts, _ in stamped)
    keys = {pts for pts, key in stamped if key}
    if first >= len(order) or len(set(order)) != len(order) or order[0] not in keys:
        return None
    key = max(k for k in keys if k <= order[first])
    if order.index(key) < SEEK_MIN_FRAMES:
        return None
    return _SeekStart(key, order, float(time_base))


def _from_key_frame(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, start: _SeekStart
) -> tuple[Iterator[av.VideoFrame], int, float]:
    """Frames from ``start``'s key frame on (or from an earlier one, where the demuxer's
    seek lands there), the index of the first, and the video's first time (what reading
    from the start would have counted and timed)."""
    try:
        container.seek(start.key_pts, stream=stream, backward=True, any_frame=False)
        decoded = container.decode(stream)
        landed = next(decoded, None)
    except ffmpeg.DECODE_ERRORS as exc:
        raise FrameOrderError(f"seeking to frame {start.key_pts} failed ({exc})") from exc
    rank = {pts: i for i, pts in enumerate(start.order)}
    key_index = rank[start.key_pts]
    if landed is None or landed.pts is None or rank.get(int(landed.pts), key_index + 1) > key_index:
        where = None if landed is None else landed.pts
        raise FrameOrderError(f"a seek to timestamp {start.key_pts} landed on {where}")
    first_index = rank[int(landed.pts)]

    def checked() -> Iterator[av.VideoFrame]:
        expected = first_index
        for frame in itertools.chain([landed], decoded):
            if frame.pts is None or rank.get(int(frame.pts)) != expected:
                raise FrameOrderError(
                    f"frame {expected} after a seek has timestamp {frame.pts}, "
                    f"expected {start.order[expected] if expected < len(start.order) else None}"
                )
            expected += 1
            yield frame

    return checked(), first_index, start.order[0] * start.time_base


def _convert(frame: av.VideoFrame, size: tuple[int, int]) -> RGBImage:
    """One decoded frame as an upright RGB image of ``size``: the scaling, if any, happens
    in the same pass as the conversion (a frame whose size changed mid-stream is scaled back
    to the video's size this way too)."""
    rotation = ffmpeg.rotation(frame)
    width, height = size
    stored = (height, width) if rotation % 180 == 90 else (width, height)
    if (frame.width, frame.height) == stored:
        return _upright(frame.to_ndarray(format="rgb24"), rotation)
    scaled = frame.to_ndarray(
        format="rgb24", width=stored[0], height=stored[1], interpolation="AREA"
    )
    return _upright(scaled, rotation)


def _upright(rgb: npt.NDArray[Any], rotation: int) -> RGBImage:
    k = round(rotation / 90) % 4
    if k:
        rgb = np.rot90(rgb, k=k)
    return np.ascontiguousarray(rgb)


def read_frame_at(path: Path, time_s: float) -> RGBImage:
    """The RGB frame of ``path`` shown at ``time_s`` (seconds from the first frame).

    Meant for the annotated MP4, which is written with one frame per source frame at the
    source time in a millisecond time base (:mod:`posturecheck.encode`), so the frame shown
    at ``time_s`` in the pose sequence is the first decoded frame whose time is within
    :data:`TIME_TOLERANCE_S` of it. Seeks to the key frame at or before ``time_s`` and
    decodes forward; returns the first frame at or after ``time_s`` (or the last frame if
    the time is past the end).

    Raises:
        InputError: the file cannot be opened or decoded.
    """
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            base = stream.start_time or 0
            if stream.time_base is None:
                raise InputError(f"{path.name}: the video has no time base; analyse it again.")
            target = base + int(max(time_s, 0.0) / float(stream.time_base))
            container.seek(target, stream=stream, backward=True, any_frame=False)
            last = None
            for frame in container.decode(stream):
                if frame.pts is None:
                    continue
                t = float((frame.pts - base) * stream.time_base)
                last = frame
                if t >= time_s - TIME_TOLERANCE_S:
                    break
            if last is None:
                raise InputError(f"{path.name}: no frame at {time_s:.3f} s.")
            return np.ascontiguousarray(last.to_ndarray(format="rgb24"))
    except av.error.FFmpegError as exc:
        raise InputError(f"{path.name}: cannot decode the annotated video ({exc}).") from exc
