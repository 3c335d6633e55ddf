"""H.264 output: codec, pixel format, even size, faststart, frame timing."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from posturecheck.encode import H264Writer, even_size


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
