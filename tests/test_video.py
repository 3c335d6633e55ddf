"""Decoding: upright frames, true timestamps, streaming, and bad input."""

from __future__ import annotations

from pathlib import Path

import corpus
import cv2
import numpy as np
import pytest

from posturecheck.encode import H264Writer
from posturecheck.errors import InputError
from posturecheck.video import probe, read_frames, shown_frames, work_size

from media import pattern_frames, set_mp4_rotation, write_clip


def test_plain_clip_size_count_and_times(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "plain.mp4", pattern_frames(12, 160, 96), fps=24)
    info = probe(clip)
    assert (info.width, info.height, info.frames, info.rotation) == (160, 96, 12, 0)
    assert info.fps == pytest.approx(24, rel=1e-3)
    frames = list(read_frames(clip, info))
    assert [f.index for f in frames] == list(range(12))
    np.testing.assert_allclose([f.time_s for f in frames], np.arange(12) / 24, atol=1e-3)
    assert all(f.rgb.flags.c_contiguous and f.rgb.shape == (96, 160, 3) for f in frames)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_phone_clip_comes_out_upright(tmp_path: Path, rotation: int) -> None:
    upright = pattern_frames(5, 128, 96)
    k = rotation // 90
    # Store the picture turned the other way, with metadata saying how to turn it back.
    stored = [np.ascontiguousarray(np.rot90(f, k=-k)) for f in upright]
    clip = write_clip(tmp_path / "rot.mp4", stored)
    set_mp4_rotation(clip, rotation)
    info = probe(clip)
    assert info.rotation == rotation
    assert (info.width, info.height) == (128, 96)
    got = next(iter(read_frames(clip, info))).rgb
    assert got.shape == upright[0].shape
    assert np.abs(got.astype(int) - upright[0]).mean() < 6  # only compression error
    assert got[5, 5, 0] > 150 and got[5, 5, 1] < 100  # red marker back at the top-left


def test_variable_frame_rate_keeps_true_times(tmp_path: Path) -> None:
    times = [0.0, 0.033, 0.066, 0.150, 0.166, 0.400, 0.433]
    clip = write_clip(tmp_path / "vfr.mp4", pattern_frames(len(times), 64, 64), times_s=times)
    got = [f.time_s for f in read_frames(clip)]
    np.testing.assert_allclose(got, times, atol=1.5e-3)


def test_odd_width_frames_are_contiguous(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "odd.mp4", pattern_frames(3, 620, 350))
    for frame in read_frames(clip):
        assert frame.rgb.shape == (350, 620, 3)
        assert frame.rgb.flags.c_contiguous


def test_ten_bit_and_other_codecs_decode(tmp_path: Path) -> None:
    frames = pattern_frames(4, 64, 48)
    ten_bit = write_clip(tmp_path / "tenbit.mkv", frames, pix_fmt="yuv420p10le")
    vp9 = write_clip(tmp_path / "clip.webm", frames, codec="libvpx-vp9")
    mjpeg = write_clip(tmp_path / "clip.avi", frames, codec="mjpeg", pix_fmt="yuvj420p")
    for clip in (ten_bit, vp9, mjpeg):
        got = list(read_frames(clip))
        assert len(got) == 4 and got[0].rgb.dtype == np.uint8


def _file(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _truncate(src: Path, dst: Path, fraction: float) -> Path:
    data = src.read_bytes()
    dst.write_bytes(data[: int(len(data) * fraction)])
    return dst


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.mp4", "file not found"),
        (lambda d: _file(d / "empty.mp4", b""), "empty"),
        (lambda d: _file(d / "notes.mp4", b"shopping list\n" * 50), "cannot be read as a video"),
        (lambda d: _file(d / "clip.txt", b"x"), "not supported"),
        (lambda d: d, "is a folder"),
        (lambda d: _file(d / "bad.png", b"\x89PNG garbage"), "cannot be read as an image"),
    ],
)
def test_bad_input_gets_a_specific_message(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    with pytest.raises(InputError, match=message):
        list(read_frames(path))


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_clip_is_reported(tmp_path: Path, fraction: float) -> None:
    # Index at the end (as most phones write): the cut file has no index at all.
    whole = write_clip(tmp_path / "whole.mp4", pattern_frames(60, 160, 96))
    cut = _truncate(whole, tmp_path / "cut.mp4", fraction)
    with pytest.raises(InputError, match="cannot be read as a video"):
        list(read_frames(cut))


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_truncated_faststart_clip_is_reported(tmp_path: Path, fraction: float) -> None:
    # Index at the front (faststart): the frames simply stop early.
    whole = tmp_path / "whole.mp4"
    noise = np.random.default_rng(0).integers(0, 255, (90, 96, 160, 3), dtype=np.uint8)
    with H264Writer(whole, 160, 96, 30.0) as writer:
        for i, rgb in enumerate(noise):
            writer.write(rgb, i / 30)
    cut = _truncate(whole, tmp_path / "cut.mp4", fraction)
    with pytest.raises(InputError, match="truncated"):
        list(read_frames(cut))


def test_audio_only_file_is_refused(tmp_path: Path) -> None:
    path = corpus.audio_only(tmp_path)
    with pytest.raises(InputError, match="no video track"):
        probe(path)


def test_select_and_stop_yield_the_same_frames_as_a_full_decode(tmp_path: Path) -> None:
    times = [0.0, 0.04, 0.05, 0.11, 0.2, 0.21, 0.3, 0.35, 0.4, 0.47]
    clip = write_clip(tmp_path / "vfr.mp4", pattern_frames(len(times), 96, 64), times_s=times)
    everything = list(read_frames(clip))
    some = list(read_frames(clip, select=lambda i: i % 3 == 1, stop=8))
    assert [f.index for f in some] == [1, 4, 7]
    for frame in some:
        whole = everything[frame.index]
        assert frame.time_s == whole.time_s
        np.testing.assert_array_equal(frame.rgb, whole.rgb)


def test_stopping_early_is_not_mistaken_for_a_truncated_file(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "plain.mp4", pattern_frames(40, 64, 48))
    assert [f.index for f in read_frames(clip, stop=3)] == [0, 1, 2]
    assert [f.index for f in read_frames(clip, select=lambda i: i >= 38)] == [38, 39]


@pytest.mark.parametrize(
    ("size", "max_side", "expected"),
    [
        ((1920, 1080), 1280, (1280, 720)),
        ((1080, 1920), 1280, (720, 1280)),  # portrait phone
        ((3840, 2160), 1280, (1280, 720)),
        ((1280, 720), 1280, (1280, 720)),  # small enough already
        ((1366, 768), 1280, (1280, 720)),
        ((1920, 1080), None, (1920, 1080)),
    ],
)
def test_work_size_keeps_the_aspect_and_even_sides(
    size: tuple[int, int], max_side: int | None, expected: tuple[int, int]
) -> None:
    assert work_size(*size, max_side) == expected


def test_frames_scaled_while_decoding_match_a_resize_of_the_full_frames(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "big.mp4", pattern_frames(3, 640, 360))
    full = list(read_frames(clip))
    small = list(read_frames(clip, size=(320, 180)))
    assert [f.rgb.shape for f in small] == [(180, 320, 3)] * 3
    for a, b in zip(full, small, strict=True):
        ref = cv2.resize(a.rgb, (320, 180), interpolation=cv2.INTER_AREA)
        assert np.abs(ref.astype(int) - b.rgb).mean() < 4


def test_rotated_clip_is_scaled_to_the_upright_size(tmp_path: Path) -> None:
    stored = [np.ascontiguousarray(np.rot90(f, k=-1)) for f in pattern_frames(2, 128, 96)]
    clip = write_clip(tmp_path / "rot.mp4", stored)
    set_mp4_rotation(clip, 90)
    frame = next(iter(read_frames(clip, size=(64, 48))))
    assert frame.rgb.shape == (48, 64, 3)
    assert frame.rgb[2, 2, 0] > 150 and frame.rgb[2, 2, 1] < 100  # red marker top-left


@pytest.mark.parametrize(
    ("coded", "fps", "duration", "expected"),
    [
        (300, 30.0, 10.0, 300),  # agree: the header's count
        (301, 30.0, 10.0, 301),  # a frame's rounding is no edit list
        (149, 29.79, 3.98, 119),  # the first 28 hidden by an edit list: duration x rate
        (149, 0.0, 3.98, 149),  # no rate: nothing to check against
        (149, 29.79, 0.0, 149),  # no duration
        (0, 23.976, 57.015, 1367),  # no count in the header: duration x rate
        (0, 0.0, 57.015, 0),  # neither: unknown
        (200, 30.0, 10.0, 200),  # fewer coded than the duration allows: a truncated copy,
    ],  # which the decoder's truncation check reports; the count stays the header's
)
def test_frame_count_leaves_out_what_an_edit_list_hides(
    coded: int, fps: float, duration: float, expected: int
) -> None:
    assert shown_frames(coded, fps, duration) == expected
