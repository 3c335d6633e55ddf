"""Video and image input: upright RGB frames with their true timestamps, streamed.

Only this module and :mod:`posturecheck.encode` touch containers. Frames come out upright
(rotation metadata applied), C-contiguous (MediaPipe silently finds nobody in a strided
array), in RGB, one at a time, so memory does not grow with the length of the video.

Whatever the file holds, reading it ends in bounded time and memory with either frames or an
:class:`InputError` that says what is wrong: frame sizes, lengths and frame counts have limits
checked before anything big is allocated (a picture's size is read from its header before it
is decoded); FFmpeg runs on a watchdog thread, so a file that makes it stall ends with a
message after :data:`STALL_LIMIT_S` instead of hanging the analysis.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import stat
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import av
import av.error
import cv2
import numpy as np
import numpy.typing as npt

from posturecheck.errors import InputError

log = logging.getLogger(__name__)

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
#: FFmpeg gets this long to open a file, read its header or produce the next frame.
STALL_LIMIT_S = 20.0
#: Decoding time allowed in all: this much, plus :data:`DECODE_S_PER_FRAME` for each frame
#: (an 8K HEVC frame takes about 0.1 s on a laptop core).
DECODE_BUDGET_S = 60.0
DECODE_S_PER_FRAME = 0.5
#: How long closing a half-read video waits for its decoding thread to stop.
_JOIN_S = 2.0

RGBImage = npt.NDArray[np.uint8]
T = TypeVar("T")

#: What FFmpeg's error classes mean for a lifter (the rest keep FFmpeg's own words).
_REASONS: dict[type[Exception], str] = {
    av.error.InvalidDataError: "FFmpeg found invalid data",
    av.error.DecoderNotFoundError: "it uses a video codec that cannot be decoded here",
    av.error.DemuxerNotFoundError: "its container format is not supported",
    av.error.PatchWelcomeError: "it uses a feature of its format that FFmpeg cannot read",
    av.error.EOFError: "the file ends before its video does",
    av.error.MemoryError: "its header asks for more memory than is available",
    av.error.ExitError: "FFmpeg stopped reading it after no progress",
    av.error.PermissionError: "FFmpeg refused part of its contents",
    av.error.OSError: "FFmpeg could not read part of its contents",
}


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about a video, before decoding it.

    ``width``/``height`` are of the upright picture (after rotation); ``rotation`` is the
    counter-clockwise rotation in degrees that the file asks players to apply; ``frames`` is
    the header's count (0 when the container does not say) and ``fps`` its average rate.
    """

    path: Path
    width: int
    height: int
    fps: float
    frames: int
    rotation: int
    duration_s: float
    codec: str
    is_image: bool = False


@dataclass(frozen=True)
class Frame:
    """One upright RGB frame; ``index`` counts decoded frames from 0, ``time_s`` from 0."""

    index: int
    time_s: float
    rgb: RGBImage


def _check_path(path: Path) -> None:
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


def _not_a_video(path: Path, detail: str) -> InputError:
    return InputError(
        f"{path}: cannot be read as a video ({detail}). It may be corrupt, truncated, or not "
        f"a video at all; export or copy it again from the phone."
    )


def _check_size(path: Path, width: int, height: int, subject: str = "its frames are") -> None:
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


def _too_long(path: Path, seconds: float, source: str) -> InputError:
    return InputError(
        f"{path}: {source} {_duration_text(seconds)}; posturecheck analyses videos up to "
        f"{_duration_text(MAX_DURATION_S)}. Trim it to the lift and try again."
    )


def _duration_text(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    return f"{hours} h {rest // 60:02d} min" if hours else f"{rest // 60} min {rest % 60:02d} s"


def _upright(rgb: npt.NDArray[Any], rotation: int) -> RGBImage:
    k = round(rotation / 90) % 4
    if k:
        rgb = np.rot90(rgb, k=k)
    return np.ascontiguousarray(rgb)


def _rotation(frame: Any) -> int:
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


def _ffmpeg_reason(exc: BaseException) -> str:
    for kind, reason in _REASONS.items():
        if isinstance(exc, kind):
            return reason
    if isinstance(exc, MemoryError):
        return "it needs more memory than is available"
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if text else type(exc).__name__


#: What PyAV raises on malformed input: FFmpeg's errors, and Python's for odd metadata.
_DECODE_ERRORS = (av.error.FFmpegError, MemoryError, ValueError, OverflowError, UnicodeError)


def _watched(path: Path, what: str, work: Callable[[], T]) -> T:
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
        raise _stalled(path, what)
    if failure:
        raise failure[0]
    return result[0]


def _stalled(path: Path, what: str) -> InputError:
    return InputError(
        f"{path}: FFmpeg made no progress for {STALL_LIMIT_S:g} s while {what} and was "
        "stopped; the file is probably corrupt. Export or copy it again from the phone."
    )


def _open(path: Path) -> av.container.InputContainer:
    # The timeouts let FFmpeg itself abandon a read that makes no progress.
    return av.open(str(path), metadata_errors="ignore", timeout=(STALL_LIMIT_S, STALL_LIMIT_S))


def probe(path: Path) -> VideoInfo:
    """Read a file's header; raise :class:`InputError` with a human message if unusable."""
    path = Path(path)
    _check_path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = _read_image(path)
        h, w = image.shape[:2]
        return VideoInfo(path, w, h, 0.0, 1, 0, 0.0, "image", is_image=True)
    return _watched(path, "reading its header", lambda: _probe_video(path))


def _probe_video(path: Path) -> VideoInfo:
    try:
        with _open(path) as container:
            if not container.streams.video:
                kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "nothing"
                raise InputError(
                    f"{path}: holds no video track (found: {kinds}). "
                    "Record or export the lift as a video."
                )
            stream = container.streams.video[0]
            codec = stream.codec_context
            if codec is None:  # FFmpeg has no decoder for the track's codec id
                raise _not_a_video(path, _REASONS[av.error.DecoderNotFoundError])
            w, h = int(codec.width), int(codec.height)
            if w and h:  # check before decoding a frame of that size
                _check_size(path, w, h)
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
                raise _too_long(path, duration, "its header says it lasts")
            return VideoInfo(
                path=path,
                width=w,
                height=h,
                fps=fps,
                frames=max(0, int(stream.frames or 0)),
                rotation=rotation,
                duration_s=duration,
                codec=codec.name,
            )
    except InputError:
        raise
    except _DECODE_ERRORS as exc:
        raise _not_a_video(path, _ffmpeg_reason(exc)) from exc


def _first_frame(
    path: Path, container: av.container.InputContainer, stream: Any
) -> tuple[int, int, int]:
    """Decode the first frame: its rotation (PyAV exposes it per frame) and stored size."""
    reason = ""
    try:
        for frame in container.decode(stream):
            _check_size(path, frame.width, frame.height)
            return _rotation(frame), int(frame.width), int(frame.height)
    except _DECODE_ERRORS as exc:
        reason = f" ({_ffmpeg_reason(exc)})"
    raise InputError(
        f"{path}: the video track holds no frames that can be decoded{reason}. "
        "Record or export the lift again."
    )


# -- photos -------------------------------------------------------------------------------


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """(format, width, height) from a PNG, JPEG or WebP header, without decoding pixels."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) >= 24 and data[12:16] == b"IHDR":
        w, h = struct.unpack(">II", data[16:24])
        return "PNG", w, h
    if data.startswith(b"\xff\xd8"):
        return _jpeg_size(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP" and len(data) >= 30:
        chunk = data[12:16]
        if chunk == b"VP8X":
            w = int.from_bytes(data[24:27], "little") + 1
            h = int.from_bytes(data[27:30], "little") + 1
            return "WebP", w, h
        if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
            w, h = struct.unpack("<HH", data[26:30])
            return "WebP", w & 0x3FFF, h & 0x3FFF
        if chunk == b"VP8L" and data[20] == 0x2F:
            bits = int.from_bytes(data[21:25], "little")
            return "WebP", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


#: JPEG start-of-frame markers (all but DHT C4, JPG C8 and DAC CC).
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg_size(data: bytes) -> tuple[str, int, int] | None:
    i = 2
    while i + 4 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # stand-alone markers
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if marker in _SOF and i + 9 <= len(data):
            h, w = struct.unpack(">HH", data[i + 5 : i + 9])
            return "JPEG", w, h
        if marker == 0xDA or length < 2:  # image data before any frame header: broken
            return None
        i += 2 + length
    return None


def _read_image(path: Path) -> RGBImage:
    data = path.read_bytes()
    size = _image_size(data)
    if size is None:
        raise InputError(
            f"{path}: cannot be read as an image. It may be corrupt or not a "
            f"{path.suffix.lstrip('.').upper()} file."
        )
    kind, w, h = size
    _check_size(path, w, h, subject=f"the {kind} picture is")
    try:
        bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # EXIF applied
    except cv2.error:
        bgr = None
    if bgr is None:
        raise InputError(
            f"{path}: cannot be read as an image. It may be corrupt or not a "
            f"{path.suffix.lstrip('.').upper()} file."
        )
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


# -- decoding -----------------------------------------------------------------------------


def read_frames(
    path: Path,
    info: VideoInfo | None = None,
    *,
    select: Callable[[int], bool] | None = None,
    stop: int | None = None,
    size: tuple[int, int] | None = None,
) -> Iterator[Frame]:
    """Yield upright RGB frames with times from 0 s, strictly increasing.

    ``select``: yield only the frames whose index it accepts; the others are decoded (a
    frame's index and time depend on every frame before it) but not converted to RGB, which
    is most of a frame's cost. ``stop``: end before this frame index (the truncation check
    then does not apply). ``size``: (width, height) of the upright frames wanted, scaled in
    the same pass as the conversion to RGB (default: the video's own size).

    Raises :class:`InputError` when decoding fails part-way, stalls, runs past the limits
    (:data:`MAX_DURATION_S`, :data:`MAX_FRAMES`, :data:`MAX_SIDE_PX`), or the file ends well
    before its header says it should (a truncated copy).
    """
    path = Path(path)
    info = info or probe(path)
    if info.is_image:
        if (select is None or select(0)) and (stop is None or stop > 0):
            rgb = _read_image(path)
            if size is not None and size != (info.width, info.height):
                rgb = _resized(rgb, size)
            yield Frame(0, 0.0, rgb)
        return
    yield from _decode_video(path, info, _Wanted(select, stop, size))


_END = object()


@dataclass(frozen=True)
class _Wanted:
    """Which frames :func:`read_frames` yields (``select``, ``stop``) and at what ``size``."""

    select: Callable[[int], bool] | None = None
    stop: int | None = None
    size: tuple[int, int] | None = None


class _Decoder(threading.Thread):
    """Decodes on its own thread into a short queue, so the reader can time FFmpeg out."""

    def __init__(self, path: Path, info: VideoInfo, wanted: _Wanted) -> None:
        super().__init__(name=f"decode {path.name}", daemon=True)
        self.path, self.info, self.wanted = path, info, wanted
        self.frames: queue.Queue[object] = queue.Queue(maxsize=2)
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


def _decode_video(path: Path, info: VideoInfo, wanted: _Wanted) -> Iterator[Frame]:
    decoder = _Decoder(path, info, wanted)
    decoder.start()
    stalled = False
    try:
        while True:
            try:
                item = decoder.frames.get(timeout=STALL_LIMIT_S)
            except queue.Empty:
                stalled = True
                raise _stalled(path, "decoding it") from None
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


def _decode(path: Path, info: VideoInfo, wanted: _Wanted) -> Iterator[Frame]:
    """The decoding itself (on the :class:`_Decoder` thread), with every limit checked."""
    select, stop, size = wanted.select, wanted.stop, wanted.size
    fallback_dt = 1.0 / info.fps if info.fps > 0 else 1.0 / 30.0
    first_time: float | None = None
    last_time = -np.inf
    index = 0
    busy_s = 0.0
    try:
        with _open(path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames = container.decode(stream)
            while stop is None or index < stop:
                started = time.monotonic()
                frame = next(frames, None)
                if frame is None:
                    break
                _check_size(path, frame.width, frame.height)
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
                    raise _too_long(path, t, f"frame {index} is shown at")
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
    except _DECODE_ERRORS as exc:
        if index == 0:
            raise _not_a_video(path, _ffmpeg_reason(exc)) from exc
        raise InputError(
            f"{path}: the video breaks off after frame {index} ({_ffmpeg_reason(exc)}); the file "
            "is probably truncated or corrupt. Copy it from the phone again."
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


def _convert(frame: av.VideoFrame, size: tuple[int, int]) -> RGBImage:
    """One decoded frame as an upright RGB image of ``size``: the scaling, if any, happens
    in the same pass as the conversion (a frame whose size changed mid-stream is scaled back
    to the video's size this way too)."""
    rotation = _rotation(frame)
    width, height = size
    stored = (height, width) if rotation % 180 == 90 else (width, height)
    if (frame.width, frame.height) == stored:
        return _upright(frame.to_ndarray(format="rgb24"), rotation)
    scaled = frame.to_ndarray(
        format="rgb24", width=stored[0], height=stored[1], interpolation="AREA"
    )
    return _upright(scaled, rotation)


def _resized(rgb: RGBImage, size: tuple[int, int]) -> RGBImage:
    return np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def work_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """The size to analyse and draw a ``width`` x ``height`` picture at: scaled down, aspect
    kept, so its longer side is at most ``max_side`` (``None``: as it is); even sides, as
    H.264 needs."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
