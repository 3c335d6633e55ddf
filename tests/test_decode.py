"""Decoding one frame by its time: the review page's frame stepper (read_frame_at)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posturecheck import decode
from posturecheck.decode import FrameOrderError, read_frame_at
from posturecheck.encode import H264Writer
from posturecheck.errors import InputError
from posturecheck.video import probe, read_frames

from media import pattern_frames, write_clip

FPS = 25.0
N = 30


def _annotated(path: Path) -> Path:
    """An annotated MP4 as the pipeline writes it: frames whose mean brightness encodes their
    index (so a decoded frame is identifiable), at their source times."""
    with H264Writer(path, 64, 48, FPS) as writer:
        for i in range(N):
            writer.write(np.full((48, 64, 3), 8 * i, np.uint8), i / FPS)
    return path


def test_read_frame_at_returns_that_frame(tmp_path: Path) -> None:
    video = _annotated(tmp_path / "annotated.mp4")
    decoded = [f.rgb for f in read_frames(video)]
    for index in (0, 1, 13, N - 1):
        frame = read_frame_at(video, index / FPS)
        assert np.array_equal(frame, decoded[index])
    assert np.array_equal(read_frame_at(video, 99.0), decoded[-1])


def test_read_frame_at_bad_file(tmp_path: Path) -> None:
    bad = tmp_path / "annotated.mp4"
    bad.write_bytes(b"nope" * 100)
    with pytest.raises(InputError, match="cannot decode"):
        read_frame_at(bad, 0.0)


def _frames_from(path: Path, first: int) -> list[tuple[int, float, np.ndarray]]:
    wanted = read_frames(path, select=lambda i: i >= first, first=first, threads=False)
    return [(f.index, f.time_s, f.rgb) for f in wanted]


def _same(a: list[tuple[int, float, np.ndarray]], b: list[tuple[int, float, np.ndarray]]) -> None:
    assert [(i, t) for i, t, _ in a] == [(i, t) for i, t, _ in b]
    assert all(np.array_equal(x, y) for (_, _, x), (_, _, y) in zip(a, b, strict=True))


@pytest.mark.parametrize(
    "options",
    [{"g": "20", "bf": "0"}, {"g": "20", "bf": "2"}],  # B-frames: decode order is not showing order
    ids=["p-frames", "b-frames"],
)
def test_first_seeks_to_the_key_frame_and_yields_what_reading_through_would(
    tmp_path: Path, options: dict[str, str]
) -> None:
    times = [i / 25 + (0.013 if i % 9 == 0 else 0.0) for i in range(120)]  # uneven timing
    video = write_clip(
        tmp_path / "clip.mp4", pattern_frames(120, 96, 64), times_s=times, options=options
    )
    start = decode._seek_start(video, 75)
    assert start is not None and 50 <= start.order.index(start.key_pts) <= 75  # skips 50+
    _same(_frames_from(video, 75), _frames_from(video, 0)[75:])


def test_first_near_the_start_reads_through(tmp_path: Path) -> None:
    video = write_clip(tmp_path / "clip.mp4", pattern_frames(60, 96, 64), options={"g": "20"})
    assert decode._seek_start(video, 25) is None  # one group to read through: not worth a seek
    _same(_frames_from(video, 25), _frames_from(video, 0)[25:])


def test_frames_out_of_the_files_order_after_a_seek_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = write_clip(tmp_path / "clip.mp4", pattern_frames(120, 96, 64), options={"g": "20"})
    real = decode._seek_start(video, 75)
    assert real is not None
    gap = real.order.index(real.key_pts) + 3  # a frame the decoder will show is not listed
    wrong = decode._SeekStart(
        real.key_pts, real.order[:gap] + real.order[gap + 1 :], real.time_base
    )
    monkeypatch.setattr(decode, "_seek_start", lambda *_: wrong)
    with pytest.raises(FrameOrderError, match="after a seek"):
        _frames_from(video, 75)


@pytest.mark.realdata
def test_seeking_skips_frames_outside_the_edit_list(realdata: Path) -> None:
    # This phone clip's edit list hides its first 28 coded frames: players (and a read from
    # the start) never show them. Seeking must count frames the same way, or a later lane
    # labels every frame 28 too late and the video's end is analysed twice.
    clip = realdata / "videos" / "deadlift_side_mattiolato_bad03.mp4"
    info = probe(clip)
    through = {f.index: f.rgb for f in read_frames(clip, info, threads=False)}
    assert len(through) == 121
    assert abs(info.frames - 121) <= 3  # the header's 149 count the hidden frames too
    sought = list(read_frames(clip, info, threads=False, first=80, select=lambda i: i >= 80))
    assert [f.index for f in sought] == list(range(80, 121))
    assert all(np.array_equal(f.rgb, through[f.index]) for f in sought[:5])


@pytest.mark.realdata
def test_a_seek_that_lands_on_an_earlier_key_frame_counts_from_there(realdata: Path) -> None:
    # In this clip FFmpeg's seek lands a key frame earlier than the packets' flags say (and
    # the header gives no frame count): decoding from there is right, only longer.
    clip = realdata / "videos" / "deadlift_side_crossfit_jf9ss9.mp4"
    info = probe(clip)
    start = decode._seek_start(clip, 600)
    assert start is not None
    through = [
        f.rgb for f in read_frames(clip, info, threads=False, select=lambda i: i >= 600, stop=603)
    ]
    sought = list(
        read_frames(clip, info, threads=False, first=600, select=lambda i: i >= 600, stop=603)
    )
    assert [f.index for f in sought] == [600, 601, 602]
    assert all(np.array_equal(a.rgb, b) for a, b in zip(sought, through, strict=True))
