"""Video and image input: upright RGB frames with their true timestamps, streamed.

Only this module and :mod:`posturecheck.encode` touch containers. Frames come out upright
(rotation metadata applied), C-contiguous (MediaPipe silently finds nobody in a strided
array), in RGB, one at a time, so memory does not grow with the length of the video.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

RGBImage = npt.NDArray[np.uint8]


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
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty (0 bytes). Copy the video again.")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        accepted = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise InputError(
            f"{path}: '{path.suffix or '(no extension)'}' files are not supported. "
            f"Use a video or photo ({accepted})."
        )


def _not_a_video(path: Path, detail: str) -> InputError:
    return InputError(
        f"{path}: cannot be read as a video ({detail}). It may be corrupt, truncated, or not "
        f"a video at all; export or copy it again from the phone."
    )


def _upright(rgb: npt.NDArray[Any], rotation: int) -> RGBImage:
    k = round(rotation / 90) % 4
    if k:
        rgb = np.rot90(rgb, k=k)
    return np.ascontiguousarray(rgb)


def probe(path: Path) -> VideoInfo:
    """Read a file's header; raise :class:`InputError` with a human message if unusable."""
    path = Path(path)
    _check_path(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        image = _read_image(path)
        h, w = image.shape[:2]
        return VideoInfo(path, w, h, 0.0, 1, 0, 0.0, "image", is_image=True)
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.video:
                kinds = ", ".join(sorted({str(s.type) for s in container.streams})) or "nothing"
                raise InputError(
                    f"{path}: holds no video track (found: {kinds}). "
                    "Record or export the lift as a video."
                )
            stream = container.streams.video[0]
            rotation = _first_frame_rotation(container, stream)
            w, h = stream.codec_context.width, stream.codec_context.height
            if rotation % 180 == 90:
                w, h = h, w
            fps = float(stream.average_rate) if stream.average_rate else 0.0
            duration = (
                float(stream.duration * stream.time_base)
                if stream.duration and stream.time_base
                else (container.duration / 1e6 if container.duration else 0.0)
            )
            return VideoInfo(
                path=path,
                width=int(w),
                height=int(h),
                fps=fps,
                frames=int(stream.frames or 0),
                rotation=rotation,
                duration_s=duration,
                codec=stream.codec_context.name,
            )
    except InputError:
        raise
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise _not_a_video(path, _ffmpeg_reason(exc)) from exc


def _ffmpeg_reason(exc: Exception) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.split(":")[0].strip() if text else type(exc).__name__


def _first_frame_rotation(container: av.container.InputContainer, stream: object) -> int:
    """Decode the first frame to read its rotation (PyAV exposes it per frame)."""
    try:
        for frame in container.decode(stream):
            return round(getattr(frame, "rotation", 0) or 0) % 360
    except av.error.FFmpegError as exc:
        raise _not_a_video(Path(container.name), _ffmpeg_reason(exc)) from exc
    raise InputError(
        f"{container.name}: the video track holds no frames that can be decoded. "
        "Record or export the lift again."
    )


def _read_image(path: Path) -> RGBImage:
    data = np.fromfile(str(path), dtype=np.uint8)
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)  # applies EXIF orientation
    if bgr is None:
        raise InputError(
            f"{path}: cannot be read as an image. It may be corrupt or not a "
            f"{path.suffix.lstrip('.').upper()} file."
        )
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))


def read_frames(path: Path, info: VideoInfo | None = None) -> Iterator[Frame]:
    """Yield upright RGB frames with times from 0 s, strictly increasing.

    Raises :class:`InputError` when decoding fails part-way or the file ends well before its
    header says it should (a truncated copy).
    """
    path = Path(path)
    info = info or probe(path)
    if info.is_image:
        yield Frame(0, 0.0, _read_image(path))
        return
    yield from _decode_video(path, info)


def _decode_video(path: Path, info: VideoInfo) -> Iterator[Frame]:
    fallback_dt = 1.0 / info.fps if info.fps > 0 else 1.0 / 30.0
    first_time: float | None = None
    last_time = -np.inf
    index = 0
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in container.decode(stream):
                raw_time = frame.time
                if raw_time is None:
                    t = last_time + fallback_dt if index else 0.0
                else:
                    if first_time is None:
                        first_time = float(raw_time)
                    t = float(raw_time) - first_time
                if t <= last_time:  # repeated or reordered stamp: keep times strictly rising
                    t = last_time + 1e-3
                last_time = t
                rotation = round(getattr(frame, "rotation", 0) or 0)
                rgb = _upright(frame.to_ndarray(format="rgb24"), rotation)
                if rgb.shape[:2] != (info.height, info.width):  # size changed mid-stream
                    log.info(
                        "%s: frame %d is %dx%d; scaled to %dx%d",
                        path,
                        index,
                        rgb.shape[1],
                        rgb.shape[0],
                        info.width,
                        info.height,
                    )
                    rgb = np.ascontiguousarray(
                        cv2.resize(rgb, (info.width, info.height), interpolation=cv2.INTER_AREA),
                        dtype=np.uint8,
                    )
                yield Frame(index, t, rgb)
                index += 1
    except av.error.FFmpegError as exc:
        if index == 0:
            raise _not_a_video(path, _ffmpeg_reason(exc)) from exc
        raise InputError(
            f"{path}: the video breaks off after frame {index} ({_ffmpeg_reason(exc)}); the file "
            "is probably truncated or corrupt. Copy it from the phone again."
        ) from exc
    if index == 0:
        raise InputError(f"{path}: the video holds no frames. Record or export the lift again.")
    slack = max(TRUNCATION_FRAMES, TRUNCATION_SHARE * info.frames)
    short_of_count = info.frames > 0 and info.frames - index > slack
    short_of_duration = info.duration_s > 0 and info.duration_s - last_time > slack * fallback_dt
    if short_of_count and (short_of_duration or not info.duration_s):
        raise InputError(
            f"{path}: only {index} of the {info.frames} frames its header announces could be "
            "decoded; the file is probably truncated. Copy it from the phone again."
        )
