"""H.264 MP4 output that plays in every browser: libx264, yuv420p, even size, faststart.

Frames are written upright with no rotation metadata, each at its source timestamp, so the
annotated video keeps the source's (possibly variable) frame timing.

The video is cut into closed groups of pictures of a fixed number of frames with no
B-frames, so that :func:`replace_gops` can later re-encode just the groups that need new
drawing (the frames where a fault is flagged) and copy every other group as it is.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import av
import cv2
import numpy as np

from posturecheck.frames import RGBImage

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Millisecond time base: exact enough for any phone's variable frame timing.
TIME_BASE = Fraction(1, 1000)

#: Frames per group of pictures (a key frame starts each): the unit :func:`replace_gops`
#: re-encodes.
GOP_FRAMES = 30

#: libx264 speed/size trade-off for the annotated video. On a 720p lifting clip at CRF 23
#: (``benchmarks/encode_presets.py``; CPU a frame including the conversion to YUV):
#: ``veryfast`` 5.9 ms, 0.5 Mbit/s, PSNR 47.2 dB; ``superfast`` 4.9 ms, 1.0 Mbit/s, 49.4 dB;
#: ``ultrafast`` with the deblocking filter kept on 3.6 ms, 1.7 Mbit/s, 52.1 dB. A larger
#: file of a better picture, for the least CPU beside the pose model.
PRESET = "ultrafast"


def _x264_options(preset: str, crf: int, gop_frames: int) -> dict[str, object]:
    # One encoder thread: the pipeline already runs an encoder per core (one per lane), and
    # x264's own frame threads on top only add switching (about 5% slower overall here).
    # ``deblock=0,0``: the in-loop deblocking filter at its default strength, which
    # ``ultrafast`` would turn off (block edges for ~0.1 ms a frame saved).
    params = (
        f"keyint={gop_frames}:min-keyint={gop_frames}:scenecut=0:bframes=0:open-gop=0:deblock=0,0"
    )
    return {
        "preset": preset,
        "crf": str(crf),
        "threads": "1",
        "forced-idr": "1",
        "x264-params": params,
    }


def _to_frame(rgb: RGBImage, out_w: int, out_h: int, pts: int) -> av.VideoFrame:
    h, w = rgb.shape[:2]
    if (out_w, out_h) != (w, h):
        rgb = np.pad(rgb, ((0, out_h - h), (0, out_w - w), (0, 0)), mode="edge")
    # OpenCV's conversion (BT.601, limited range, as swscale's) takes a quarter of the CPU.
    yuv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2YUV_I420).astype(
        np.uint8, copy=False
    )
    frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
    frame.pts, frame.time_base = pts, TIME_BASE
    return frame


def even_size(width: int, height: int) -> tuple[int, int]:
    """yuv420p needs even dimensions: odd ones gain one replicated pixel row/column."""
    return width + (width % 2), height + (height % 2)


class H264Writer:
    """Write RGB frames to an H.264 MP4. Use as a context manager; ``write`` frame by frame.

    Args:
        path: output file (``.mp4``).
        width, height: size of the frames that will be written.
        fps: nominal rate, stored as the stream's average rate.
        preset: libx264 speed/size trade-off (see :data:`PRESET`).
        crf: quality; 23 is libx264's default, lower is better and larger.
        gop_frames: frames per closed group of pictures (see :func:`replace_gops`).
        first_index: the first frame's index in the whole video, for a file that is one part
            of it (:func:`splice`). Groups of pictures start at the whole video's multiples of
            ``gop_frames``; a part that starts between them opens with a short group.
    """

    def __init__(
        self,
        path: Path,
        width: int,
        height: int,
        fps: float,
        *,
        preset: str = PRESET,
        crf: int = 23,
        gop_frames: int = GOP_FRAMES,
        first_index: int = 0,
    ) -> None:
        self.path = Path(path)
        self._gop_frames, self._first_index = gop_frames, first_index
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
        stream.options = _x264_options(preset, crf, gop_frames)
        self._stream = stream
        self._last_pts = -1
        self.frames_written = 0

    def write(self, rgb: RGBImage, time_s: float) -> None:
        """Encode one frame shown at ``time_s`` seconds (times must rise)."""
        if rgb.shape[:2] != (self.height, self.width):
            raise ValueError(
                f"frame is {rgb.shape[1]}x{rgb.shape[0]}, writer expects {self.width}x{self.height}"
            )
        pts = max(round(time_s / TIME_BASE), self._last_pts + 1)
        frame = _to_frame(rgb, self._out_w, self._out_h, pts)
        if (self._first_index + self.frames_written) % self._gop_frames == 0:
            frame.pict_type = av.video.frame.PictureType.I  # an IDR (``forced-idr``)
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


# --- re-encoding chosen groups of pictures ---------------------------------------------------

_START_CODE = re.compile(b"\x00\x00\x01")
_PARAMETER_SETS = {7, 8, 9}  # SPS, PPS, access unit delimiter


def _nal_units(annex_b: bytes) -> list[bytes]:
    """Split an Annex-B byte stream (start-code delimited) into NAL units."""
    starts = [m.end() for m in _START_CODE.finditer(annex_b)]
    units = []
    for i, begin in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(annex_b)
        unit = annex_b[begin:end]
        if i + 1 < len(starts):
            unit = unit.rstrip(b"\x00")  # the leading zero of a 4-byte start code
        if unit:
            units.append(unit)
    return units


def _avcc_parameter_sets(extradata: bytes) -> set[bytes]:
    """SPS and PPS units stored in an MP4's avcC box."""
    units: set[bytes] = set()
    if len(extradata) < 7 or extradata[0] != 1:
        return units
    pos, count = 6, extradata[5] & 0x1F
    for kind in range(2):
        for _ in range(count):
            size = int.from_bytes(extradata[pos : pos + 2], "big")
            units.add(bytes(extradata[pos + 2 : pos + 2 + size]))
            pos += 2 + size
        if kind == 0 and pos < len(extradata):
            count, pos = extradata[pos], pos + 1
    return units


def _to_avcc(annex_b: bytes, known: set[bytes]) -> bytes:
    """Annex-B packet → MP4 sample (4-byte lengths), dropping parameter sets the file has."""
    out = bytearray()
    for unit in _nal_units(annex_b):
        if (unit[0] & 0x1F) in _PARAMETER_SETS and (unit in known or unit[0] & 0x1F == 9):
            continue
        out += len(unit).to_bytes(4, "big") + unit
    return bytes(out)


def replace_gops(
    path: Path,
    gops: Mapping[int, Callable[[], Iterable[RGBImage]]],
    *,
    gop_frames: int = GOP_FRAMES,
    preset: str = PRESET,
    crf: int = 23,
) -> int:
    """Re-encode only the groups of pictures in ``gops`` (index → a function yielding that
    group's frames, in order) of a file written by :class:`H264Writer`; copy the rest.

    Every other group's packets are copied untouched, so the cost is proportional to the
    share of the video that changes. The file is replaced atomically. Returns the number of
    frames re-encoded.
    """
    if not gops:
        return 0
    return splice([path], path, gops, gop_frames=gop_frames, preset=preset, crf=crf)


def splice(
    sources: Sequence[Path],
    dest: Path,
    gops: Mapping[int, Callable[[], Iterable[RGBImage]]],
    *,
    gop_frames: int = GOP_FRAMES,
    preset: str = PRESET,
    crf: int = 23,
) -> int:
    """Join ``sources`` (consecutive parts of one video, each written by :class:`H264Writer`
    with the same settings and its ``first_index``, so that key frames fall on the whole
    video's multiples of ``gop_frames`` and where each part starts) into ``dest``,
    re-encoding the groups in ``gops`` (numbered over the whole video) and copying every
    other packet as it is. ``dest`` is written atomically and may be one of
    the sources. Returns the number of frames re-encoded.
    """
    tmp = dest.with_name(f".{dest.name}.splice.mp4")
    encoded = 0
    try:
        with contextlib.ExitStack() as stack:
            srcs = [stack.enter_context(av.open(str(p))) for p in sources]
            dst = stack.enter_context(
                av.open(str(tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
            )
            stream = srcs[0].streams.video[0]
            out = dst.add_stream_from_template(stream)
            extradata = bytes(stream.codec_context.extradata or b"")
            known = _avcc_parameter_sets(extradata)
            width, height = stream.codec_context.width, stream.codec_context.height
            for src, path in zip(srcs, sources, strict=True):
                if bytes(src.streams.video[0].codec_context.extradata or b"") != extradata:
                    raise ValueError(f"{path}: encoded with other settings than {sources[0]}")
            packets = (
                p
                for src in srcs
                for p in src.demux(src.streams.video[0])
                if p.size and p.pts is not None
            )
            # Group by group, so memory does not grow with the video's length.
            for g, group in enumerate(_batched(packets, gop_frames)):
                make = gops.get(g)
                if make is None:
                    for packet in group:
                        packet.stream = out
                        dst.mux(packet)
                    continue
                pts = [round((p.pts or 0) * p.time_base / TIME_BASE) for p in group]
                size = (width, height)
                for packet in _encode_group(
                    make(), pts, size=size, preset=preset, crf=crf, gop_frames=gop_frames
                ):
                    data = _to_avcc(bytes(packet), known)
                    sample = av.Packet(data)
                    sample.pts = sample.dts = packet.pts
                    sample.time_base = TIME_BASE
                    sample.is_keyframe = packet.is_keyframe
                    sample.stream = out
                    dst.mux(sample)
                encoded += len(group)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return encoded


def _batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _encode_group(
    frames: Iterable[RGBImage],
    pts: list[int],
    *,
    size: tuple[int, int],
    preset: str,
    crf: int,
    gop_frames: int,
) -> list[Any]:
    """Encode one group of pictures with a fresh encoder (so it opens with a key frame)."""
    width, height = size
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = TIME_BASE
    ctx.flags |= int(av.codec.context.Flags.global_header)  # parameter sets out of band
    ctx.options = {k: str(v) for k, v in _x264_options(preset, crf, gop_frames).items()}
    packets: list[Any] = []
    count = 0
    for rgb, t in zip(frames, pts, strict=False):
        packets += ctx.encode(_to_frame(rgb, width, height, t))
        count += 1
    if count != len(pts):
        raise ValueError(f"group needs {len(pts)} frames, got {count}")
    packets += ctx.encode(None)
    return packets
