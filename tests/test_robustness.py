"""Every awkward input of issue 8 ends in a correct analysis or a specific message, in
bounded time and memory, with nothing half-written left behind.

Inputs come from :mod:`corpus` (generated into ``tmp_path``). Each test runs under a time
limit (SIGALRM), so a hang fails the test instead of stalling CI.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import av
import corpus
import numpy as np
import pytest

from posturecheck import decode, ffmpeg
from posturecheck.cli import main
from posturecheck.errors import InputError, NoPoseError
from posturecheck.pipeline import AnalysisOptions, AnalysisResult, analyse
from posturecheck.video import probe, read_frames

from media import pattern_frames, set_mp4_rotation, write_clip

#: No test here may take longer than this (the slowest takes about 10 s).
TIME_LIMIT_S = 90


class TimeLimitExceeded(BaseException):  # a BaseException: nothing may swallow it
    """The test ran past :data:`TIME_LIMIT_S`: something hangs."""


@pytest.fixture(autouse=True)
def time_limit() -> Iterator[None]:
    def expire(signum: int, frame: FrameType | None) -> None:
        raise TimeLimitExceeded(f"still running after {TIME_LIMIT_S} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    return folder


def _analyse(path: Path, out: Path, model_path: Path, **options: Any) -> AnalysisResult:
    return analyse(path, out, options=AnalysisOptions(model_path=model_path, **options))


def _nothing_written(tmp_path: Path, inputs: Path, before: list[str]) -> None:
    """Only the inputs folder (unchanged) and at most empty output parents remain."""
    assert sorted(p.name for p in inputs.iterdir()) == before
    leftovers = [p for p in tmp_path.rglob("*") if inputs not in p.parents and p != inputs]
    assert all(p.is_dir() and not any(p.iterdir()) for p in leftovers), leftovers


def _child(code: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
    """Run ``code`` in a fresh interpreter (its peak memory is its own)."""
    return subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=timeout_s
    )


def _decode_all(path: Path) -> int:
    return sum(1 for _ in read_frames(path, probe(path)))


# -- inputs that cannot be analysed: a specific message, at the decoder and at the CLI --------

Builder = Callable[[Path], Path]

#: (id, builder, what the message must say). Each message also names the file.
REFUSED: list[tuple[str, Builder, str]] = [
    *[
        (f"not-video-{kind}", lambda d, k=kind: corpus.not_video(d, k), "cannot be read as a video")
        for kind in corpus.NOT_VIDEO
    ],
    *[
        (
            f"truncated-{round(f * 100)}-indexend",
            lambda d, f=f: corpus.truncated(d, f, faststart=False),
            r"cannot be read as a video \(FFmpeg found invalid data\)",
        )
        for f in (0.1, 0.5, 0.9)
    ],
    *[
        (
            f"truncated-{round(f * 100)}-faststart",
            lambda d, f=f: corpus.truncated(d, f, faststart=True),
            r"only \d+ of the 60 frames its header announces .* truncated",
        )
        for f in (0.1, 0.5, 0.9)
    ],
    ("zero-frames-mkv", lambda d: corpus.zero_frames(d, ".mkv"), "the file ends before its video"),
    ("zero-frames-mp4", lambda d: corpus.zero_frames(d, ".mp4"), "holds no video track"),
    ("undecodable-frames", corpus.undecodable_frames, "holds no frames that can be decoded"),
    ("audio-only", corpus.audio_only, r"holds no video track \(found: audio\)"),
    ("wider-than-8k", corpus.oversized, "9000x64 pixels; posturecheck reads up to 8192"),
    ("8192-square", corpus.square_8k, "8192x8192 pixels; .* 35.4 megapixels"),
    ("longer-than-2h", corpus.too_long, "lasts 2 h 02 min; posturecheck analyses videos up to 2 h"),
    ("tiny-frames", corpus.tiny, "8x8 pixels, too small to show a person"),
    ("png-bomb", corpus.png_bomb, "PNG picture is 12000x12000 pixels; .* up to 8192"),
    (
        "jpeg-claims-60000px",
        lambda d: corpus.jpeg_claiming(d, 60000, 60000),
        "JPEG picture is 60000x60000 pixels",
    ),
    ("named-pipe", corpus.fifo, "is not a regular file"),
]


@pytest.mark.parametrize(("make", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_decoder_refuses_with_a_specific_message(inputs: Path, make: Builder, message: str) -> None:
    path = make(inputs)
    started = time.perf_counter()
    with pytest.raises(InputError, match=message) as caught:
        _decode_all(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert time.perf_counter() - started < 5


@pytest.mark.model
@pytest.mark.parametrize(("make", "message"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_cli_refuses_in_one_line_and_writes_nothing(
    tmp_path: Path, inputs: Path, model_path: Path, make: Builder, message: str
) -> None:
    path = make(inputs)
    before = sorted(p.name for p in inputs.iterdir())
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["analyse", str(path), "--out", str(tmp_path / "results" / "x"), "--quiet"],
        stdout=out,
        stderr=err,
    )
    assert code == 2, err.getvalue()
    text = err.getvalue()
    assert text.startswith(f"posturecheck: {path}: ") and text.count("\n") == 1, text
    assert "Traceback" not in text
    assert re.search(message, text), text
    _nothing_written(tmp_path, inputs, before)


def test_png_bomb_is_refused_before_it_is_decoded(inputs: Path) -> None:
    # Checked in a fresh process: refusing must not cost the 432 MB the picture decodes to.
    bomb = corpus.png_bomb(inputs)
    code = corpus.PEAK_RSS_SOURCE + (
        "from posturecheck.video import probe\n"
        "before = peak_rss_mb()\n"
        "try:\n"
        f"    probe({str(bomb)!r})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__)\n"
        "print(round(peak_rss_mb() - before))\n"
    )
    done = _child(code, 60)
    kind, grown_mb = done.stdout.split()
    assert kind == "InputError" and int(grown_mb) < 50, done.stdout + done.stderr


# -- the watchdog: an FFmpeg call that never returns ends with a message ---------------------


class _Stuck:
    """Stands in for FFmpeg calls that never return (released at the end of the test)."""

    def __init__(self) -> None:
        self.release = threading.Event()

    def wait(self) -> None:
        self.release.wait(60)


@pytest.fixture
def stuck(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Stuck]:
    monkeypatch.setattr(ffmpeg, "STALL_LIMIT_S", 0.5)
    hold = _Stuck()
    yield hold
    hold.release.set()


def test_probe_that_never_returns_ends_with_a_message(
    inputs: Path, stuck: _Stuck, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = write_clip(inputs / "clip.mp4", pattern_frames(4, 64, 48))
    real_open = ffmpeg.open_video

    def open_and_hang(path: Path) -> Any:
        stuck.wait()
        return real_open(path)

    monkeypatch.setattr(ffmpeg, "open_video", open_and_hang)
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"no progress for 0\.5 s while reading its header"):
        probe(clip)
    assert time.perf_counter() - started < 2


class _HangingContainer:
    """A real container whose decoder yields one frame and then never returns."""

    def __init__(self, container: Any, stuck: _Stuck) -> None:
        self._container, self._stuck = container, stuck
        self.streams = container.streams

    def __enter__(self) -> _HangingContainer:
        return self

    def __exit__(self, *exc: object) -> None:
        self._container.close()

    def decode(self, stream: Any) -> Iterator[Any]:
        yield next(iter(self._container.decode(stream)))
        self._stuck.wait()
        yield from ()


def test_decoder_that_stops_making_progress_ends_with_a_message(
    inputs: Path, stuck: _Stuck, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = write_clip(inputs / "clip.mp4", pattern_frames(4, 64, 48))
    info = probe(clip)
    real_open = ffmpeg.open_video
    monkeypatch.setattr(ffmpeg, "open_video", lambda p: _HangingContainer(real_open(p), stuck))
    got = []
    started = time.perf_counter()
    with pytest.raises(InputError, match=r"no progress for 0\.5 s while decoding it"):
        got.extend(read_frames(clip, info))
    assert len(got) == 1 and time.perf_counter() - started < 2


def test_decoding_far_slower_than_any_real_video_is_stopped(
    inputs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = write_clip(inputs / "clip.mp4", pattern_frames(4, 64, 48))
    monkeypatch.setattr(decode, "DECODE_BUDGET_S", 0.0)
    monkeypatch.setattr(decode, "DECODE_S_PER_FRAME", 0.0)
    with pytest.raises(InputError, match=r"decoding is far too slow \(\d+ s for 1 frames\)"):
        _decode_all(clip)


def test_a_video_read_halfway_releases_its_decoder(inputs: Path) -> None:
    clip = write_clip(inputs / "clip.mp4", pattern_frames(30, 64, 48))
    frames = read_frames(clip)
    assert next(frames).index == 0
    frames.close()
    time.sleep(0.3)
    assert not [t for t in threading.enumerate() if t.name == "decode clip.mp4"]


# -- unusual but valid video: decoded right ---------------------------------------------------


def test_corrupt_display_matrix_means_no_rotation(inputs: Path) -> None:
    # An all-zero tkhd matrix: PyAV reports NaN cast to int (-2**31), which once turned the
    # frames by 270 degrees and reported a rotation of 232.
    clip = write_clip(inputs / "clip.mp4", pattern_frames(3, 64, 48))
    set_mp4_rotation(clip, 0)  # an explicit identity matrix, then zeroed
    data = bytearray(clip.read_bytes())
    matrix = data.find(b"tkhd") + 4 + 4 + 20 + 8 + 8
    data[matrix : matrix + 36] = bytes(36)
    clip.write_bytes(bytes(data))
    info = probe(clip)
    assert (info.rotation, info.width, info.height) == (0, 64, 48)
    first = next(iter(read_frames(clip, info))).rgb
    assert first.shape == (48, 64, 3) and first[5, 5, 0] > 150  # red marker still top-left


#: Pixel formats beyond the usual 8-bit 4:2:0: (codec, pix_fmt, is_gray).
PIXEL_FORMATS = [
    ("libx264", "yuv444p", False),
    ("libx264", "yuv422p10le", False),
    ("libx264", "gray", True),
    ("libx264", "gray10le", True),
    ("libx265", "yuv420p10le", False),
    ("libx265", "yuv444p12le", False),
    ("ffv1", "yuva420p", False),
    ("ffv1", "gbrp10le", False),
    ("ffv1", "rgb48le", False),
    ("ffv1", "gray16le", True),
    ("ffv1", "ya8", True),
    ("ffv1", "bgr0", False),
    ("qtrle", "rgb555be", False),
    ("png", "gray16be", True),
    ("png", "rgba64be", False),
    ("mjpeg", "yuvj422p", False),
]


@pytest.mark.parametrize(
    ("codec", "pix_fmt", "gray"), PIXEL_FORMATS, ids=[f"{c}-{p}" for c, p, _ in PIXEL_FORMATS]
)
def test_odd_pixel_formats_decode_to_8_bit_rgb(
    inputs: Path, codec: str, pix_fmt: str, gray: bool
) -> None:
    frames = pattern_frames(3, 64, 48)
    suffix = ".mov" if codec in ("png", "qtrle") else ".mkv"
    clip = write_clip(inputs / f"{pix_fmt}{suffix}", frames, codec=codec, pix_fmt=pix_fmt)
    got = list(read_frames(clip))
    assert len(got) == 3
    rgb = got[0].rgb
    assert rgb.dtype == np.uint8 and rgb.shape == (48, 64, 3) and rgb.flags.c_contiguous
    marker = rgb[4, 4].astype(int)
    if gray:
        assert marker[0] == marker[1] == marker[2]
    else:
        assert marker[0] > 150 and marker[1] < 100, marker  # the red marker stays red


def test_long_clip_decodes_in_flat_memory(inputs: Path) -> None:
    # 10 minutes of 640x480 at 2 frames/s: 1,200 frames, 1.1 GB if they were all kept.
    clip = write_clip(inputs / "long.mp4", [corpus.room(640, 480)] * 1200, fps=2)
    code = corpus.PEAK_RSS_SOURCE + (
        "from posturecheck.video import read_frames\n"
        f"frames = read_frames({str(clip)!r})\n"
        "for _ in range(20): next(frames)\n"
        "early = peak_rss_mb()\n"
        "n = 20 + sum(1 for _ in frames)\n"
        "print(n, early, peak_rss_mb())\n"
    )
    done = _child(code, 60)
    n, early, late = done.stdout.split()
    assert int(n) == 1200, done.stderr
    assert float(late) - float(early) < 30, (early, late)


# -- with the real model: analysed correctly, or the no-person message ------------------------


@pytest.fixture(scope="module")
def lifter(realdata: Path) -> tuple[list[corpus.RGB], float]:
    """The clean side-view squat: 33 frames, one rep, 252x450."""
    return corpus.lifter_frames(realdata)


def _one_squat_rep(result: AnalysisResult) -> None:
    report = result.report
    assert report["pose"]["detection_rate"] >= 0.95, report["pose"]
    assert report["exercise"]["name"] == "squat"
    assert len(report["reps"]) == 1 and report["reps"][0]["end_s"] is not None, report["reps"]


def _upright(result: AnalysisResult) -> None:
    y = np.nanmedian(result.sequence.image_px[:, :, 1], axis=0)
    assert y[0] < y[23] < y[27], "head above hips above ankles"


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_rotated_phone_clip(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any, degrees: int
) -> None:
    frames, fps = lifter
    result = _analyse(corpus.rotated(inputs, degrees, frames, fps), tmp_path / "out", model_path)
    video_info = result.report["video"]
    assert (video_info["width"], video_info["height"], video_info["rotation"]) == (
        252,
        450,
        degrees,
    )
    _one_squat_rep(result)
    _upright(result)


@pytest.mark.model
@pytest.mark.realdata
def test_variable_frame_rate_keeps_each_frame_time(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any
) -> None:
    frames, _ = lifter
    result = _analyse(corpus.variable_rate(inputs, frames), tmp_path / "out", model_path)
    np.testing.assert_allclose(result.sequence.time_s, corpus.vfr_times(33), atol=1.5e-3)
    _one_squat_rep(result)


@pytest.mark.model
@pytest.mark.realdata
def test_odd_width_and_height(tmp_path: Path, inputs: Path, model_path: Path, lifter: Any) -> None:
    frames, _ = lifter
    result = _analyse(corpus.odd_size(inputs, frames), tmp_path / "out", model_path)
    assert (result.report["video"]["width"], result.report["video"]["height"]) == (253, 451)
    _one_squat_rep(result)
    with av.open(str(result.files["annotated"])) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (254, 452)  # padded to even for yuv420p


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["ten_bit", "grayscale"])
def test_ten_bit_and_grayscale(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any, kind: str
) -> None:
    frames, fps = lifter
    clip = getattr(corpus, kind)(inputs, frames, fps)
    first = next(iter(read_frames(clip))).rgb
    assert first.dtype == np.uint8
    if kind == "grayscale":
        assert np.array_equal(first[..., 0], first[..., 1])
    _one_squat_rep(_analyse(clip, tmp_path / "out", model_path))


@pytest.mark.model
@pytest.mark.realdata
def test_ten_minute_clip_finds_the_lift_at_the_end_in_bounded_memory(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any
) -> None:
    # 10 minutes of an empty room (a frame every 4 s), then the squat at 600 s; analysed in
    # a fresh process so its peak memory is its own.
    frames, fps = lifter
    clip = corpus.long_clip(inputs, every_s=4.0, lifter=frames, lifter_fps=fps)
    out = tmp_path / "out"
    code = corpus.PEAK_RSS_SOURCE + (
        "import json\n"
        "from pathlib import Path\n"
        "from posturecheck.pipeline import AnalysisOptions, analyse\n"
        f"r = analyse(Path({str(clip)!r}), Path({str(out)!r}),"
        f" options=AnalysisOptions(model_path=Path({str(model_path)!r})))\n"
        "print(json.dumps({'report': r.report, 'peak_mb': peak_rss_mb()}))\n"
    )
    done = _child(code, 80)
    assert done.returncode == 0, done.stderr[-2000:]
    child = json.loads(done.stdout.strip().splitlines()[-1])
    report = child["report"]
    assert report["video"]["duration_s"] >= 600 and report["video"]["frames"] == 150 + 33
    assert report["exercise"]["name"] == "squat"
    assert [round(r["start_s"]) for r in report["reps"]] == [600]
    # Pose model, decoder and encoder at 160x120: a few hundred MB, flat in the length.
    assert child["peak_mb"] < 800, child["peak_mb"]


@pytest.mark.model
@pytest.mark.realdata
def test_4k_clip(tmp_path: Path, inputs: Path, model_path: Path, lifter: Any) -> None:
    frames, _ = lifter
    result = _analyse(corpus.large_frame(inputs, frames[:4]), tmp_path / "out", model_path)
    report = result.report
    assert (report["video"]["width"], report["video"]["height"]) == (3840, 2160)
    assert report["pose"]["detection_rate"] == 1.0
    hips_x = np.nanmedian(result.sequence.image_px[:, [23, 24], 0])
    assert 1400 < hips_x < 2440, "landmarks on the person in the middle of the picture"
    with av.open(str(result.files["annotated"])) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (1280, 720)  # posed and drawn at working size


@pytest.mark.model
def test_no_person(tmp_path: Path, inputs: Path, model_path: Path) -> None:
    clip = corpus.no_person(inputs)
    before = sorted(p.name for p in inputs.iterdir())
    with pytest.raises(
        NoPoseError, match=r"no person found in the 20 frames\. Film the whole body"
    ):
        _analyse(clip, tmp_path / "results" / "x", model_path)
    _nothing_written(tmp_path, inputs, before)


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.parametrize("lifter_left", [True, False], ids=["lifter-left", "lifter-right"])
def test_two_people_the_lifter_is_analysed(
    tmp_path: Path, inputs: Path, realdata: Path, model_path: Path, lifter_left: bool
) -> None:
    squat, _ = corpus.lifter_frames(realdata, corpus.SQUATTER_CLIP, 68)
    bystander, _ = corpus.lifter_frames(realdata, corpus.BYSTANDER_CLIP, 39)
    clip = corpus.two_people(inputs, squat, bystander, lifter_left=lifter_left)
    result = _analyse(clip, tmp_path / "out", model_path)
    report = result.report
    assert report["person"]["lifter_frames"] >= 0.9 * report["video"]["frames"], report["person"]
    assert report["exercise"]["name"] == "squat"
    assert len(report["reps"]) == 1, report["reps"]
    # Every kept frame shows the lifter's half of the picture (the lifter is 360 px wide).
    hips_x = np.nanmean(result.sequence.image_px[:, [23, 24], 0], axis=1)
    hips_x = hips_x[np.isfinite(hips_x)]
    width = report["video"]["width"]
    on_lifter = hips_x < 360 if lifter_left else hips_x > width - 360
    assert on_lifter.all(), hips_x


@pytest.mark.model
@pytest.mark.realdata
def test_lifter_half_out_of_frame_is_not_judged(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any
) -> None:
    frames, fps = lifter
    result = _analyse(
        corpus.half_out_of_frame(inputs, frames, fps=fps), tmp_path / "out", model_path
    )
    report = result.report
    assert report["findings"] == [] and report["reps"] == []
    faults = {n["fault"]: n["reason"] for n in report["not_assessable"]}
    assert len(faults) == 13 and all(faults.values()), faults


@pytest.mark.model
@pytest.mark.realdata
def test_lifter_half_out_of_frame_says_so(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any
) -> None:
    frames, fps = lifter
    result = _analyse(
        corpus.half_out_of_frame(inputs, frames, fps=fps), tmp_path / "out", model_path
    )
    reasons = " ".join(n["reason"] for n in result.report["not_assessable"])
    assert "out of frame" in reasons or "out of the frame" in reasons, reasons
    assert any("legs are out of the frame" in w for w in result.report["warnings"])


@pytest.mark.model
@pytest.mark.realdata
def test_dim_clip_is_analysed(tmp_path: Path, inputs: Path, model_path: Path, lifter: Any) -> None:
    frames, fps = lifter
    _one_squat_rep(_analyse(corpus.dark(inputs, frames, 0.12, fps), tmp_path / "out", model_path))


@pytest.mark.model
@pytest.mark.realdata
def test_very_dark_clip_asks_for_light(
    tmp_path: Path, inputs: Path, model_path: Path, lifter: Any
) -> None:
    frames, fps = lifter
    clip = corpus.dark(inputs, frames, 0.05, fps)
    before = sorted(p.name for p in inputs.iterdir())
    with pytest.raises(NoPoseError, match="in good light"):
        _analyse(clip, tmp_path / "results" / "x", model_path)
    _nothing_written(tmp_path, inputs, before)


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.parametrize("kind", ["still_image", "webp_named_jpg"])
def test_still_image(
    tmp_path: Path, inputs: Path, realdata: Path, model_path: Path, kind: str
) -> None:
    photo = getattr(corpus, kind)(inputs, realdata)
    result = _analyse(photo, tmp_path / "out", model_path)
    report = result.report
    assert result.info.is_image and report["video"]["frames"] == 1
    assert (report["video"]["width"], report["video"]["height"]) == (1080, 1080)
    assert report["pose"]["detection_rate"] == 1.0
    assert result.files["annotated"].name == "annotated.png" and result.files["annotated"].is_file()
