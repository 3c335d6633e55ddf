"""H.264 output: codec, pixel format, even size, faststart, frame timing."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from posturecheck.encode import H264Writer, even_size, replace_gops, splice


@pytest.mark.parametrize(("size", "expected"), [((640, 360), (640, 360)), ((621, 351), (622, 352))])
def test_even_size(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert even_size(*size) == expected


def _write(path: Path, width: int, height: int, times: list[float]) -> None:
    rng = np.random.default_rng(1)
    with H264Writer(path, width, height, 30.0) as writer:
        for t in times:
            writer.write(rng.integers(0, 255, (height, width, 3), dtype=np.uint8), t)


def test_output_is_browser_playable_h264(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    times = [i / 30 for i in range(20)]
    _write(path, 320, 180, times)
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat"), "index must come first (faststart)"
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert stream.codec_context.pix_fmt == "yuv420p"
        frames = list(container.decode(stream))
    assert len(frames) == 20
    assert (frames[0].width, frames[0].height) == (320, 180)
    np.testing.assert_allclose([f.time for f in frames], times, atol=1e-3)


def test_variable_timing_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    times = [0.0, 0.05, 0.07, 0.2, 0.21, 0.5]
    _write(path, 64, 64, times)
    with av.open(str(path)) as container:
        got = [f.time for f in container.decode(video=0)]
    np.testing.assert_allclose(got, times, atol=1e-3)


def test_odd_size_is_padded_to_even(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp4"
    _write(path, 65, 33, [0.0, 0.04])
    with av.open(str(path)) as container:
        frame = next(container.decode(video=0))
    assert (frame.width, frame.height) == (66, 34)


def test_wrong_frame_size_is_refused(tmp_path: Path) -> None:
    with H264Writer(tmp_path / "x.mp4", 64, 64, 30.0) as writer, pytest.raises(ValueError):
        writer.write(np.zeros((32, 64, 3), np.uint8), 0.0)


def _frames(n: int, level: int, size: tuple[int, int] = (96, 64)) -> list[np.ndarray]:
    w, h = size
    out = []
    for i in range(n):
        img = np.full((h, w, 3), level, np.uint8)
        img[10:20, i % w : i % w + 10] = 255 - level
        out.append(img)
    return out


def test_replace_gops_changes_only_those_groups(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    times = [i / 30 + (0.01 if i % 7 == 0 else 0.0) for i in range(75)]  # uneven timing
    with H264Writer(path, 96, 64, 30.0, gop_frames=25) as writer:
        for rgb, t in zip(_frames(75, 40), times, strict=True):
            writer.write(rgb, t)
    redone = replace_gops(path, {1: lambda: iter(_frames(25, 200))}, gop_frames=25)
    assert redone == 25
    with av.open(str(path)) as container:
        decoded = [(f.time, f.to_ndarray(format="rgb24")) for f in container.decode(video=0)]
    assert len(decoded) == 75
    np.testing.assert_allclose([t for t, _ in decoded], times, atol=1e-3)
    levels = [int(img[40, 50, 1]) for _, img in decoded]
    assert all(abs(v - 40) < 8 for v in levels[:25] + levels[50:])
    assert all(abs(v - 200) < 8 for v in levels[25:50])
    data = path.read_bytes()
    assert data.find(b"moov") < data.find(b"mdat")
    assert not list(tmp_path.glob(".*")), "no temporary file left"


def test_replace_gops_checks_the_frame_count(tmp_path: Path) -> None:
    path = tmp_path / "out.mp4"
    with H264Writer(path, 96, 64, 30.0, gop_frames=10) as writer:
        for i, rgb in enumerate(_frames(20, 40)):
            writer.write(rgb, i / 30)
    before = path.read_bytes()
    with pytest.raises(ValueError, match="needs 10 frames"):
        replace_gops(path, {0: lambda: iter(_frames(4, 200))}, gop_frames=10)
    assert path.read_bytes() == before, "failed splice leaves the video untouched"


def test_splice_joins_parts_and_redraws_groups_across_them(tmp_path: Path) -> None:
    times = [i / 30 + (0.01 if i % 7 == 0 else 0.0) for i in range(70)]
    frames = _frames(70, 40)
    parts = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for part, (lo, hi) in zip(parts, [(0, 40), (40, 70)], strict=True):
        with H264Writer(part, 96, 64, 30.0, gop_frames=20) as writer:
            for rgb, t in zip(frames[lo:hi], times[lo:hi], strict=True):
                writer.write(rgb, t)
    dest = tmp_path / "joined.mp4"
    redone = splice(parts, dest, {2: lambda: iter(_frames(20, 200))}, gop_frames=20)
    assert redone == 20
    with av.open(str(dest)) as container:
        got = list(container.decode(video=0))
    np.testing.assert_allclose([f.time for f in got], times, atol=1e-3)
    levels = [int(f.to_ndarray(format="rgb24")[40:, :, 0].mean()) for f in got]
    assert all(abs(v - 200) < 8 for v in levels[40:60]), levels[40:60]  # the redrawn group
    assert all(abs(v - 40) < 8 for v in levels[:40] + levels[60:])  # copied from both parts


def _key_frames(path: Path) -> list[int]:
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    return [i for i, p in enumerate(packets) if p.is_keyframe]


def test_splice_joins_parts_cut_between_groups(tmp_path: Path) -> None:
    """A part may start mid-group: its writer opens with a short group so that its key
    frames fall on the whole video's groups, and a group that straddles the cut can be
    copied or redrawn like any other."""
    times = [i / 30 for i in range(70)]
    frames = _frames(70, 40)
    parts = [tmp_path / "a.mp4", tmp_path / "b.mp4"]
    for part, (lo, hi) in zip(parts, [(0, 33), (33, 70)], strict=True):
        with H264Writer(part, 96, 64, 30.0, gop_frames=20, first_index=lo) as writer:
            for rgb, t in zip(frames[lo:hi], times[lo:hi], strict=True):
                writer.write(rgb, t)
    assert _key_frames(parts[0]) == [0, 20]
    assert _key_frames(parts[1]) == [0, 7, 27]  # frames 33, 40, 60 of the video
    for redrawn in ({}, {1: lambda: iter(_frames(20, 200))}):  # the group across the cut
        dest = tmp_path / f"joined{len(redrawn)}.mp4"
        assert splice(parts, dest, redrawn, gop_frames=20) == 20 * len(redrawn)
        with av.open(str(dest)) as container:
            got = list(container.decode(video=0))
        np.testing.assert_allclose([f.time for f in got], times, atol=1e-3)
        levels = [int(f.to_ndarray(format="rgb24")[40:, :, 0].mean()) for f in got]
        inside = 200 if redrawn else 40
        assert all(abs(v - inside) < 8 for v in levels[20:40]), levels[20:40]
        assert all(abs(v - 40) < 8 for v in levels[:20] + levels[40:])


def test_splice_refuses_parts_encoded_differently(tmp_path: Path) -> None:
    small, large = tmp_path / "small.mp4", tmp_path / "large.mp4"
    _write(small, 64, 64, [0.0, 0.04])
    _write(large, 96, 64, [0.08, 0.12])
    with pytest.raises(ValueError, match="other settings"):
        splice([small, large], tmp_path / "joined.mp4", {})
    assert not (tmp_path / "joined.mp4").exists()
