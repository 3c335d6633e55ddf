"""The analysis spine on real footage with the real model."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posturecheck.errors import NoPoseError, OutputExistsError
from posturecheck.pipeline import AnalysisOptions, Progress, analyse
from posturecheck.report import validate_report
from posturecheck.sequence import PoseSequence

from media import real_frames, set_mp4_rotation, write_clip

pytestmark = [pytest.mark.model, pytest.mark.realdata]

#: Clean side views: whole body in frame, one person, good light.
CLEAN_SIDE_CLIPS = [
    "deadlift_side_mattiolato_good01.mp4",
    "deadlift_side_bichraix_good014.mp4",
    "deadlift_side_jeffchen_good.mp4",
    "squat_side_spotter_man_arms.mp4",
]


@pytest.mark.parametrize("name", CLEAN_SIDE_CLIPS)
def test_pose_found_on_95_percent_of_clean_side_view_frames(
    tmp_path: Path, realdata: Path, model_path: Path, name: str
) -> None:
    clip = realdata / "videos" / name
    seen: list[Progress] = []
    result = analyse(
        clip, tmp_path / "out", options=AnalysisOptions(model_path=model_path), progress=seen.append
    )
    report = result.report
    assert validate_report(report) == []
    assert report["pose"]["detection_rate"] >= 0.95, report["pose"]

    # Annotated video: H.264, the input's size and frame count, playable timing.
    with av.open(str(result.files["annotated"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        frames = list(container.decode(stream))
    assert len(frames) == report["video"]["frames"] == len(result.sequence)
    width, height = report["video"]["width"], report["video"]["height"]
    assert (frames[0].width, frames[0].height) == (width + width % 2, height + height % 2)
    np.testing.assert_allclose([f.time for f in frames], result.sequence.time_s, atol=2e-3)

    # Landmarks reload without the model, exactly.
    back = PoseSequence.load(result.files["landmarks"])
    np.testing.assert_array_equal(back.image_px, result.sequence.image_px)
    assert seen and seen[-1].done == len(result.sequence) and seen[-1].fps > 0


def test_rotated_phone_clip_is_analysed_upright(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    # A portrait clip stored sideways with rotation metadata, as phones write them.
    upright, fps = real_frames(
        realdata / "videos/squat_front_liftcheck_barbell.mp4", 30, (360, 640)
    )
    sideways = [np.ascontiguousarray(np.rot90(f, k=-1)) for f in upright]
    clip = write_clip(tmp_path / "phone.mp4", sideways, fps=fps)
    set_mp4_rotation(clip, 90)
    result = analyse(clip, tmp_path / "out", options=AnalysisOptions(model_path=model_path))
    video = result.report["video"]
    assert (video["width"], video["height"], video["rotation"]) == (360, 640, 90)
    assert result.report["pose"]["detection_rate"] >= 0.95
    # Upright: head above hips above ankles in image coordinates (y grows downwards).
    y = np.nanmedian(result.sequence.image_px[:, :, 1], axis=0)
    assert y[0] < y[23] < y[27]
    with av.open(str(result.files["annotated"])) as container:
        frame = next(container.decode(video=0))
        assert (frame.width, frame.height) == (360, 640)
        assert frame.rotation == 0, "output is upright and carries no rotation"


def test_odd_width_clip_detected_like_even(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    src = realdata / "videos/deadlift_side_bichraix_good014.mp4"
    rates = {}
    for width in (620, 640):
        frames, fps = real_frames(src, 40, (width, 360))
        clip = write_clip(tmp_path / f"w{width}.mp4", frames, fps=fps)
        result = analyse(
            clip, tmp_path / f"out{width}", options=AnalysisOptions(model_path=model_path)
        )
        rates[width] = result.report["pose"]["detection_rate"]
    assert rates[620] >= 0.95 and abs(rates[620] - rates[640]) <= 0.05, rates


def test_no_person_leaves_nothing_behind(tmp_path: Path, model_path: Path) -> None:
    frames = [np.full((240, 320, 3), 90, np.uint8) for _ in range(10)]
    clip = write_clip(tmp_path / "wall.mp4", frames)
    with pytest.raises(NoPoseError, match="no person found"):
        analyse(clip, tmp_path / "out", options=AnalysisOptions(model_path=model_path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["wall.mp4"]


def test_existing_results_need_force(tmp_path: Path, realdata: Path, model_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    still = tmp_path / "setup.jpg"
    still.write_bytes((realdata / "images/deadlift_side_camron_setup.jpg").read_bytes())
    with pytest.raises(OutputExistsError, match="--force"):
        analyse(still, out, options=AnalysisOptions(model_path=model_path))
    assert (out / "notes.txt").read_text() == "mine"
    result = analyse(still, out, options=AnalysisOptions(model_path=model_path), force=True)
    assert not (out / "notes.txt").exists()
    annotated = cv2.imread(str(result.files["annotated"]))
    assert annotated.shape[:2] == (result.info.height, result.info.width)
