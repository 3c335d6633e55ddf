"""The awkward-input corpus (issue 8), generated on demand into a folder: nothing committed.

Every builder writes one small file and returns its path. Synthetic classes need nothing;
the classes that need a person take real frames (from ``../shared/realdata``, via
:func:`lifter_frames`). :func:`mutate` is the fuzzer's mutation engine, shared by
``tests/test_fuzz.py`` and ``benchmarks/robustness.py`` so both fuzz the same way.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import resource
import struct
import time
import traceback
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt

from posturecheck.encode import H264Writer
from posturecheck.errors import InputError

from media import pattern_frames, real_frames, set_mp4_rotation, write_clip

RGB = npt.NDArray[np.uint8]

#: A clean side-view squat, whole body, one rep in 33 frames (252x450, 25 frames/s).
LIFTER_CLIP = "videos/squat_side_spotter_man_arms.mp4"
#: A squat with one rep in 68 frames (480x480), the lifter of the two-people clip.
SQUATTER_CLIP = "videos/squat_oblique_spotter_woman_room.mp4"
#: A man standing at lockout, holding the bar: the bystander of the two-people clip.
BYSTANDER_CLIP = "videos/deadlift_oblique_bichraix_bad004.mp4"
STILL_IMAGE = "images/deadlift_side_camron_setup.jpg"


def lifter_frames(
    realdata: Path, clip: str = LIFTER_CLIP, n: int = 33, height: int | None = None
) -> tuple[list[RGB], float]:
    """The first ``n`` frames of a real clip (scaled to ``height`` if given), and its fps."""
    frames, fps = real_frames(realdata / clip, n)
    if height is not None:
        frames = [_fit_height(f, height) for f in frames]
    return frames, fps


def _fit_height(rgb: RGB, height: int) -> RGB:
    h, w = rgb.shape[:2]
    width = max(2, round(w * height / h) // 2 * 2)
    return np.ascontiguousarray(cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA))


# -- files that are not (usable) video -----------------------------------------------------

NOT_VIDEO: dict[str, bytes] = {
    "text": b"squat 5x5 at 100 kg, deadlift 3x3 at 140 kg\n" * 40,
    "html": b"<!DOCTYPE html><html><body>" + b"<p>not a video</p>" * 60 + b"</body></html>",
    "pdf": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n" + b"0" * 2000 + b"\n%%EOF\n",
    "random": np.random.default_rng(8).integers(0, 256, 4096, dtype=np.uint8).tobytes(),
    "zeros": bytes(4096),
}


def not_video(out: Path, kind: str) -> Path:
    """Bytes that are not a video, saved under a video name."""
    return _write(out / f"{kind}.mp4", NOT_VIDEO[kind])


def noise_clip(
    out: Path, *, faststart: bool, n: int = 60, size: tuple[int, int] = (160, 96)
) -> Path:
    """A clip of noise (so the media data dwarfs the index), index at the end (as phones
    write) or at the front (``faststart``, as :class:`H264Writer` writes)."""
    w, h = size
    frames = np.random.default_rng(2).integers(0, 255, (n, h, w, 3), dtype=np.uint8)
    path = out / ("faststart.mp4" if faststart else "indexend.mp4")
    if not faststart:
        return write_clip(path, list(frames), fps=30)
    with H264Writer(path, w, h, 30.0) as writer:
        for i, rgb in enumerate(frames):
            writer.write(rgb, i / 30)
    return path


def truncated(out: Path, fraction: float, *, faststart: bool) -> Path:
    """A clip cut off after ``fraction`` of its bytes (a copy interrupted part-way)."""
    whole = noise_clip(out, faststart=faststart).read_bytes()
    tag = "faststart" if faststart else "indexend"
    return _write(
        out / f"cut{round(fraction * 100)}_{tag}.mp4", whole[: int(len(whole) * fraction)]
    )


def zero_frames(out: Path, suffix: str = ".mkv") -> Path:
    """A container whose video track holds no frames (the header is written, nothing else)."""
    path = out / f"zero_frames{suffix}"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        container.start_encoding()
    return path


def undecodable_frames(out: Path) -> Path:
    """An MP4 with a 12-packet video track whose packets hold only zero bytes: the track
    is there, but no frame decodes from it."""
    source = write_clip(out / "source.mp4", pattern_frames(12, 64, 48), fps=10)
    path = out / "blank_packets.mp4"
    with av.open(str(source)) as src, av.open(str(path), "w") as dst:
        stream_in = src.streams.video[0]
        stream_out = dst.add_stream_from_template(stream_in)
        for packet in src.demux(stream_in):
            if packet.size == 0:
                continue
            blank = av.Packet(bytes(packet.size))
            blank.pts, blank.dts, blank.time_base = packet.pts, packet.dts, packet.time_base
            blank.stream = stream_out
            dst.mux(blank)
    source.unlink()
    return path


def audio_only(out: Path) -> Path:
    """An M4A-like MP4 with one second of sound and no picture."""
    path = out / "voice_memo.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        for i in range(8):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 8000, i * 1024
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


# -- unusual but valid video ---------------------------------------------------------------


def rotated(out: Path, degrees: int, frames: Sequence[RGB] | None = None, fps: float = 30) -> Path:
    """A phone clip stored turned by ``-degrees`` with metadata saying to turn it back."""
    upright = list(frames) if frames is not None else pattern_frames(6, 128, 96)
    k = degrees // 90
    stored = [np.ascontiguousarray(np.rot90(f, k=-k)) for f in upright]
    path = write_clip(out / f"rot{degrees}.mp4", stored, fps=fps)
    set_mp4_rotation(path, degrees)
    return path


#: Phone-like variable timing: mostly 30 frames/s, with dropped frames and a slow stretch.
VFR_TIMES = [0.0, 0.033, 0.067, 0.1, 0.2, 0.233, 0.267, 0.4, 0.6, 0.633, 0.667, 0.7]


def variable_rate(out: Path, frames: Sequence[RGB] | None = None) -> Path:
    """A clip whose frames are shown at uneven times (``times_s`` gives them)."""
    times = vfr_times(len(frames)) if frames is not None else VFR_TIMES
    frames = list(frames) if frames is not None else pattern_frames(len(times), 96, 64)
    return write_clip(out / "vfr.mov", frames, times_s=times)


def vfr_times(n: int) -> list[float]:
    """``n`` times near 25 frames/s with a jittered, irregular spacing (ms resolution)."""
    steps = np.random.default_rng(5).choice([0.033, 0.04, 0.04, 0.05, 0.067], size=n)
    return [round(t, 3) for t in np.concatenate([[0.0], np.cumsum(steps[:-1])])]


def odd_size(out: Path, frames: Sequence[RGB]) -> Path:
    """Frames resized to an odd width and height, in H.264 4:4:4 (which allows odd sizes)."""
    h, w = frames[0].shape[:2]
    odd = (w // 2 * 2 + 1, h // 2 * 2 + 1)
    sized = [cv2.resize(f, odd, interpolation=cv2.INTER_AREA) for f in frames]
    return write_clip(out / f"odd_{odd[0]}x{odd[1]}.mp4", sized, pix_fmt="yuv444p")


def ten_bit(out: Path, frames: Sequence[RGB], fps: float = 30) -> Path:
    """10-bit 4:2:0 HEVC, as recent phones record in HDR mode."""
    return write_clip(
        out / "tenbit_hevc.mp4", frames, fps=fps, codec="libx265", pix_fmt="yuv420p10le"
    )


def grayscale(out: Path, frames: Sequence[RGB], fps: float = 30) -> Path:
    """Grayscale H.264 (pix_fmt gray): no colour planes at all."""
    return write_clip(out / "gray.mp4", frames, fps=fps, pix_fmt="gray")


def long_clip(
    out: Path,
    *,
    minutes: float = 10.0,
    size: tuple[int, int] = (160, 120),
    every_s: float = 2.0,
    lifter: Sequence[RGB] | None = None,
    lifter_fps: float = 25.0,
) -> Path:
    """A camera left recording: ``minutes`` of an empty room, one frame each ``every_s``
    seconds, then the lifter's frames (if any) at their own rate, at the right of the picture.

    Identical frames and a low rate keep it small and quick to make and to analyse.
    """
    w, h = size
    background = room(w, h)
    empty = int(minutes * 60 / every_s)
    frames: list[RGB] = [background] * empty
    times = [round(i * every_s, 3) for i in range(empty)]
    start = empty * every_s
    for i, rgb in enumerate(lifter or []):
        frames.append(_place(background, rgb))
        times.append(round(start + i / lifter_fps, 3))
    return write_clip(out / "long.mp4", frames, times_s=times)


def room(w: int, h: int) -> RGB:
    """A still, textured background: floor, wall, a window."""
    img = np.full((h, w, 3), (150, 140, 130), np.uint8)
    img[int(h * 0.75) :] = (90, 80, 70)
    img[h // 8 : h // 3, w // 8 : w // 3] = (200, 220, 240)
    return img


def _place(background: RGB, rgb: RGB) -> RGB:
    h, w = background.shape[:2]
    person = _fit_height(rgb, h)[:, : w // 2]
    frame = background.copy()
    frame[:, w - person.shape[1] :] = person
    return frame


def large_frame(out: Path, frames: Sequence[RGB], size: tuple[int, int] = (3840, 2160)) -> Path:
    """Frames upscaled to 4K UHD (the person centred, the sides filled with the edge),
    encoded with libx264's fastest preset."""
    w, h = size
    path = out / "uhd.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i, rgb in enumerate(frames):
            person = _fit_height(rgb, h)
            left = (w - person.shape[1]) // 2
            big = np.pad(person, ((0, 0), (left, w - person.shape[1] - left), (0, 0)), mode="edge")
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(big), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def oversized(out: Path) -> Path:
    """Frames wider than 8K (a panorama export): 9000x64, tiny on disk."""
    return write_clip(
        out / "panorama.mkv",
        [np.zeros((64, 9000, 3), np.uint8)] * 2,
        codec="ffv1",
        pix_fmt="yuv444p",
    )


def square_8k(out: Path) -> Path:
    """A Matroska track declaring 8192x8192 frames: within 8192 on a side, but 67 megapixels
    (twice 8K UHD). Made as a 64x64 FFV1 clip with the track header patched (FFV1 takes its
    size from the container), so it costs nothing to build."""
    path = write_clip(out / "square.mkv", [np.zeros((64, 64, 3), np.uint8)], codec="ffv1")
    data = path.read_bytes()
    for element in (b"\xb0", b"\xba"):  # PixelWidth, PixelHeight: 2-byte value 64
        data = data.replace(element + b"\x81\x40", element + b"\x82\x20\x00", 1)
    return _write(path, data)


def too_long(out: Path) -> Path:
    """Two frames 2 h 02 min apart: a header that says the video runs past two hours."""
    return write_clip(out / "all_day.mp4", pattern_frames(2, 64, 48), times_s=[0.0, 7320.0])


def tiny(out: Path) -> Path:
    """8x8-pixel frames (a thumbnail track)."""
    return write_clip(
        out / "thumb.mkv", [np.zeros((8, 8, 3), np.uint8)] * 3, codec="ffv1", pix_fmt="yuv444p"
    )


def no_person(out: Path, n: int = 20) -> Path:
    """An empty room, with slight sensor noise."""
    rng = np.random.default_rng(3)
    background = room(320, 240).astype(np.int16)
    frames = [
        np.clip(background + rng.integers(-4, 5, background.shape), 0, 255).astype(np.uint8)
        for _ in range(n)
    ]
    return write_clip(out / "empty_room.mp4", frames)


def two_people(
    out: Path, lifter: Sequence[RGB], bystander: Sequence[RGB], *, lifter_left: bool
) -> Path:
    """Lifter and bystander side by side, each scaled to 360 pixels high (the bystander's
    clip loops if it is shorter)."""
    a = [_fit_height(f, 360) for f in lifter]
    b = [_fit_height(f, 360) for f in bystander]
    while len(b) < len(a):
        b += b[::-1]
    frames = [
        np.ascontiguousarray(np.hstack([x, y] if lifter_left else [y, x]))
        for x, y in zip(a, b, strict=False)
    ]
    return write_clip(out / f"two_people_{'left' if lifter_left else 'right'}.mp4", frames, fps=25)


def half_out_of_frame(out: Path, frames: Sequence[RGB], keep: float = 0.5, fps: float = 25) -> Path:
    """Only the top ``keep`` of each frame: the lifter's legs are cut off."""
    h = frames[0].shape[0]
    rows = int(h * keep) // 2 * 2
    return write_clip(
        out / "legs_cut.mp4", [np.ascontiguousarray(f[:rows]) for f in frames], fps=fps
    )


def dark(out: Path, frames: Sequence[RGB], gain: float, fps: float = 25) -> Path:
    """The clip with its brightness multiplied by ``gain`` (an unlit garage)."""
    dim = [np.ascontiguousarray((f.astype(np.float32) * gain).astype(np.uint8)) for f in frames]
    return write_clip(out / f"dark_{gain:g}.mp4", dim, fps=fps)


# -- photos ----------------------------------------------------------------------------------


def still_image(out: Path, realdata: Path) -> Path:
    """A real photo of a lifter (JPEG)."""
    return _write(out / "setup.jpg", (realdata / STILL_IMAGE).read_bytes())


def webp_named_jpg(out: Path, realdata: Path) -> Path:
    """A WebP picture saved under a ``.jpg`` name, as browsers often save images."""
    bgr = cv2.imread(str(realdata / STILL_IMAGE))
    ok, data = cv2.imencode(".webp", bgr, [cv2.IMWRITE_WEBP_QUALITY, 90])
    assert ok
    return _write(out / "downloaded.jpg", data.tobytes())


def png_bomb(out: Path, side: int = 12000) -> Path:
    """A valid 630 kB grayscale PNG that decodes to ``side``² bytes (144 MB, 432 MB as RGB)."""
    raw = zlib.compressobj(1)
    row = bytes(side + 1)  # filter byte + pixels
    body = b"".join(raw.compress(row) for _ in range(side)) + raw.flush()
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return _write(
        out / "bomb.png",
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b""),
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def jpeg_claiming(out: Path, width: int, height: int) -> Path:
    """A small real JPEG whose frame header is patched to claim ``width`` x ``height``."""
    ok, enc = cv2.imencode(".jpg", np.full((64, 64, 3), 128, np.uint8))
    assert ok
    data = bytearray(enc.tobytes())
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return _write(out / "claims_huge.jpg", bytes(data))


def fifo(out: Path) -> Path:
    """A named pipe called ``.mp4``: opening it for reading would block forever."""
    path = out / "pipe.mp4"
    os.mkfifo(path)
    return path


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# -- fuzzing -------------------------------------------------------------------------------

#: ISO-BMFF boxes worth hitting: sizes, counts, offsets and tables the demuxer trusts.
MP4_BOXES = (
    b"ftyp",
    b"moov",
    b"mvhd",
    b"trak",
    b"tkhd",
    b"edts",
    b"elst",
    b"mdia",
    b"mdhd",
    b"hdlr",
    b"minf",
    b"stbl",
    b"stsd",
    b"avc1",
    b"avcC",
    b"hvcC",
    b"pasp",
    b"colr",
    b"btrt",
    b"stts",
    b"ctts",
    b"stss",
    b"stsc",
    b"stsz",
    b"stco",
    b"co64",
    b"mdat",
    b"udta",
    b"meta",
)
#: EBML ids of Matroska/WebM elements (EBML header, Segment, Tracks, TrackEntry, Video,
#: PixelWidth, PixelHeight, Cluster, SimpleBlock, BlockGroup, Cues, CodecPrivate).
MKV_IDS = (
    b"\x1a\x45\xdf\xa3",
    b"\x18\x53\x80\x67",
    b"\x16\x54\xae\x6b",
    b"\xae",
    b"\xe0",
    b"\xb0",
    b"\xba",
    b"\x1f\x43\xb6\x75",
    b"\xa3",
    b"\xa0",
    b"\x1c\x53\xbb\x6b",
    b"\x63\xa2",
)
#: RIFF/AVI chunk ids.
AVI_IDS = (
    b"RIFF",
    b"AVI ",
    b"LIST",
    b"hdrl",
    b"avih",
    b"strl",
    b"strh",
    b"strf",
    b"movi",
    b"idx1",
    b"00dc",
)
_INTERESTING_32 = (0, 1, 7, 8, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
_INTERESTING_8 = (0, 1, 0x7F, 0x80, 0xFF)


def structure_offsets(data: bytes) -> list[int]:
    """Offsets of every box/element/chunk id that the mutator should aim at."""
    found = []
    for marker in (*MP4_BOXES, *MKV_IDS[:3], *MKV_IDS[7:], *AVI_IDS):
        start = 0
        while (pos := data.find(marker, start)) >= 0:
            found.append(pos)
            start = pos + 1
    return sorted(found)


def mutate(data: bytes, rng: np.random.Generator, targets: Sequence[int] | None = None) -> bytes:
    """One fuzzed variant of ``data``: 1-4 edits (bit flip, interesting byte or 32-bit value,
    insertion, deletion, copied run, cut), each aimed at the first bytes (15%), at a
    structure the demuxer parses (50%: a box size, a table count or entry) or anywhere in
    the payload (35%)."""
    out = bytearray(data)
    targets = structure_offsets(data) if targets is None else targets
    for _ in range(int(rng.integers(1, 5))):
        if not out:
            break
        region = rng.choice(3, p=[0.15, 0.5, 0.35])
        if region == 0:
            pos = int(rng.integers(0, min(len(out), 64)))
        elif region == 1 and targets:
            pos = int(targets[int(rng.integers(0, len(targets)))]) - 4 + int(rng.integers(0, 48))
        else:
            pos = int(rng.integers(0, len(out)))
        pos = max(0, min(pos, len(out) - 1))
        op = int(rng.integers(0, 7))
        if op == 0:
            out[pos] ^= 1 << int(rng.integers(0, 8))
        elif op == 1:
            out[pos] = _INTERESTING_8[int(rng.integers(0, len(_INTERESTING_8)))]
        elif op == 2:
            out[pos:pos] = rng.integers(0, 256, int(rng.integers(1, 17)), dtype=np.uint8).tobytes()
        elif op == 3:
            del out[pos : pos + int(rng.integers(1, 17))]
        elif op == 4 and pos + 4 <= len(out):
            value = _INTERESTING_32[int(rng.integers(0, len(_INTERESTING_32)))]
            out[pos : pos + 4] = struct.pack(">I", value)
        elif op == 5:
            n = int(rng.integers(1, 65))
            src = int(rng.integers(0, max(1, len(out) - n)))
            out[pos : pos + n] = out[src : src + n]
        else:
            del out[max(pos, 16) :]  # cut: a truncated copy
    return bytes(out)


def fuzz_seeds(out: Path) -> dict[str, Path]:
    """The valid clips the fuzzer mutates: small, in each container and codec we read."""
    frames = pattern_frames(12, 64, 48)
    seeds = {
        "mp4-h264-indexend": write_clip(out / "seed_a.mp4", frames, fps=10),
        "mp4-h264-faststart": _faststart(out / "seed_b.mp4", frames),
        "mov-h264-vfr": write_clip(
            out / "seed_c.mov",
            frames,
            times_s=[round(i * 0.1 + (0.03 if i % 3 else 0), 3) for i in range(12)],
        ),
        "mp4-hevc-10bit": write_clip(
            out / "seed_d.mp4", frames, codec="libx265", pix_fmt="yuv420p10le"
        ),
        "webm-vp9": _bitexact(out / "seed_e.webm", frames, "libvpx-vp9"),
        "mkv-h264": _bitexact(out / "seed_f.mkv", frames),
        "avi-mjpeg": write_clip(out / "seed_g.avi", frames, codec="mjpeg", pix_fmt="yuvj420p"),
        "avi-mpeg4": write_clip(out / "seed_h.avi", frames, codec="mpeg4"),
    }
    rot = write_clip(out / "seed_i.mp4", frames, fps=10)
    set_mp4_rotation(rot, 90)
    seeds["mp4-h264-rot90"] = rot
    return seeds


def _bitexact(path: Path, frames: Sequence[RGB], codec: str = "libx264") -> Path:
    """Encode with FFmpeg's ``bitexact`` flag: Matroska otherwise writes a random segment
    id and date, and a fuzz case number must always give the same input."""
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w", options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


def _faststart(path: Path, frames: Sequence[RGB]) -> Path:
    h, w = frames[0].shape[:2]
    with H264Writer(path, w, h, 10.0) as writer:
        for i, rgb in enumerate(frames):
            writer.write(rgb, i / 10)
    return path


def fuzz_case(seeds: dict[str, bytes], seed: int, index: int) -> tuple[str, bytes]:
    """Fuzzed input number ``index`` of run ``seed``: deterministic, independent of order."""
    rng = np.random.default_rng([seed, index])
    names = sorted(seeds)
    name = names[index % len(names)]
    return name, mutate(seeds[name], rng)


def suffix_of(seed_name: str) -> str:
    return "." + seed_name.split("-", maxsplit=1)[0]


# -- the fuzzing harness: inputs through probe + read_frames in worker processes -------------


@dataclass(frozen=True)
class FuzzResult:
    """What one fuzzed input did: ``decoded`` (all frames), ``refused`` (an InputError),
    ``crash`` (any other exception), ``hang`` (killed after the time limit) or ``died``
    (the worker process ended, e.g. a segfault in FFmpeg)."""

    index: int
    seed_name: str
    outcome: str
    message: str
    seconds: float
    peak_rss_mb: float
    #: How much this input raised its worker's peak memory.
    rss_growth_mb: float = 0.0


@dataclass
class FuzzSummary:
    results: list[FuzzResult] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(r.outcome for r in self.results)

    @property
    def failures(self) -> list[FuzzResult]:
        return [r for r in self.results if r.outcome in ("crash", "hang", "died")]

    @property
    def max_seconds(self) -> float:
        return max((r.seconds for r in self.results), default=0.0)

    @property
    def peak_rss_mb(self) -> float:
        return max((r.peak_rss_mb for r in self.results), default=0.0)


def check_input(path: Path) -> tuple[str, str]:
    """Probe and decode every frame of ``path``: (outcome, message)."""
    from posturecheck.video import probe, read_frames

    try:
        info = probe(path)
        n = sum(1 for _ in read_frames(path, info))
    except InputError as exc:
        return "refused", str(exc)
    except Exception:
        return "crash", traceback.format_exc()
    return "decoded", f"{n} frames"


#: Source of :func:`peak_rss_mb`, for child interpreters started with ``python -c``.
PEAK_RSS_SOURCE = """
def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
"""


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB since it started its program.

    Linux's ``ru_maxrss`` carries the parent's peak across fork and exec (a worker spawned
    by a 1 GB test process reports 1 GB before doing anything); ``VmHWM`` belongs to the
    new program's address space, so it is read first.
    """
    try:
        with Path("/proc/self/status").open() as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _fuzz_worker(
    conn: Connection, seeds: dict[str, bytes], seed: int, workdir: str, stall_s: float
) -> None:
    from posturecheck import ffmpeg

    ffmpeg.STALL_LIMIT_S = stall_s  # the product's own watchdog fires before the harness's
    while True:
        index = conn.recv()
        if index is None:
            return
        name, data = fuzz_case(seeds, seed, index)
        path = Path(workdir) / f"{os.getpid()}_{index}{suffix_of(name)}"
        path.write_bytes(data)
        before = peak_rss_mb()
        started = time.perf_counter()
        outcome, message = check_input(path)
        elapsed = time.perf_counter() - started
        path.unlink()
        peak = peak_rss_mb()
        conn.send(FuzzResult(index, name, outcome, message, elapsed, peak, peak - before))


class _Worker:
    def __init__(self, ctx: Any, args: tuple[Any, ...]) -> None:
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_fuzz_worker, args=(child, *args), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None
        self.started = 0.0

    def give(self, index: int) -> None:
        self.task, self.started = index, time.perf_counter()
        self.conn.send(index)

    def stop(self, *, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def run_fuzz(
    seeds: dict[str, bytes],
    *,
    seed: int,
    count: int,
    workdir: Path,
    workers: int = 2,
    timeout_s: float = 10.0,
    on_result: Callable[[FuzzResult], None] | None = None,
) -> FuzzSummary:
    """Decode ``count`` fuzzed inputs (:func:`fuzz_case` ``seed``, 0..count-1) in
    ``workers`` processes; an input still running after ``timeout_s`` is a hang (its worker
    is killed and replaced), a worker that dies is a crash of FFmpeg itself."""
    ctx = multiprocessing.get_context("spawn")
    args = (seeds, seed, str(workdir), timeout_s / 2)
    summary = FuzzSummary()
    started = time.perf_counter()
    pool = [_Worker(ctx, args) for _ in range(max(1, workers))]
    pending = iter(range(count))

    def record(result: FuzzResult) -> None:
        summary.results.append(result)
        if on_result is not None:
            on_result(result)

    try:
        for worker in pool:
            if (index := next(pending, None)) is not None:
                worker.give(index)
        while any(w.task is not None for w in pool):
            wait([w.conn for w in pool if w.task is not None], timeout=0.2)
            for i in range(len(pool)):
                worker = pool[i]
                if worker.task is None:
                    continue
                name = fuzz_case(seeds, seed, worker.task)[0]
                elapsed = time.perf_counter() - worker.started
                result: FuzzResult | None = None
                if worker.conn.poll():
                    try:
                        result = worker.conn.recv()
                    except (EOFError, OSError):  # the worker died mid-answer
                        result = FuzzResult(worker.task, name, "died", "worker ended", elapsed, 0.0)
                elif not worker.process.is_alive():
                    code = worker.process.exitcode
                    result = FuzzResult(
                        worker.task, name, "died", f"exit code {code}", elapsed, 0.0
                    )
                elif elapsed > timeout_s:
                    result = FuzzResult(
                        worker.task, name, "hang", f"> {timeout_s:g} s", elapsed, 0.0
                    )
                if result is None:
                    continue
                record(result)
                worker.task = None
                if result.outcome in ("hang", "died"):
                    worker.stop(kill=True)
                    pool[i] = worker = _Worker(ctx, args)
                if (index := next(pending, None)) is not None:
                    worker.give(index)
    finally:
        for worker in pool:
            worker.stop(kill=worker.task is not None)
    summary.wall_s = time.perf_counter() - started
    summary.results.sort(key=lambda r: r.index)
    return summary
