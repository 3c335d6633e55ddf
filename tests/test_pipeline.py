"""The analysis spine on real footage with the real model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from posturecheck import decode
from posturecheck.encode import GOP_FRAMES
from posturecheck.errors import NoPoseError, OutputExistsError
from posturecheck.lanes import WARM_FRAMES, plan_lanes
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
    width, height = report["processing"]["analysed_size"]  # the video's, at most 1280 px
    assert max(width, height) == min(1280, max(report["video"]["width"], report["video"]["height"]))
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


def _fault_coloured_pixels(rgb: np.ndarray) -> int:
    r, g, b = (rgb[..., c].astype(int) for c in range(3))
    return int(((r > 190) & (g < 90) & (b < 90)).sum())


def test_lanes_side_by_side_give_one_video_like_a_single_lane(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    # 142 frames with a flagged rep that spans the boundary between the two lanes.
    clip = realdata / "videos" / "deadlift_oblique_jeffchen_nico_blocked.mp4"
    runs = {
        lanes: analyse(
            clip,
            tmp_path / f"lanes{lanes}",
            options=AnalysisOptions(model_path=model_path, lanes=lanes),
        )
        for lanes in (1, 2)
    }
    one, two = runs[1], runs[2]
    assert (one.report["processing"]["lanes"], two.report["processing"]["lanes"]) == (1, 2)
    assert sorted(p.name for p in two.out_dir.iterdir()) == sorted(
        p.name for p in one.out_dir.iterdir()
    )  # the lanes' parts are gone

    # The same frames at the same times, in the joined video and in the landmarks.
    decoded = {}
    for lanes, result in runs.items():
        with av.open(str(result.files["annotated"])) as container:
            decoded[lanes] = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
            container.seek(0)
            times = [f.time for f in container.decode(video=0)]
        np.testing.assert_allclose(times, result.sequence.time_s, atol=2e-3)
        assert len(decoded[lanes]) == len(result.sequence) == result.report["video"]["frames"]
    np.testing.assert_array_equal(one.sequence.time_s, two.sequence.time_s)

    # The first lane's frames are posed exactly as in one pass; the second lane's tracker
    # starts anew, so its landmarks differ within the model's own noise.
    split = plan_lanes(len(one.sequence), 2, warm=WARM_FRAMES, min_frames=GOP_FRAMES)[1].start
    a, b = one.sequence.image_px[..., :2], two.sequence.image_px[..., :2]
    np.testing.assert_array_equal(a[:split], b[:split])
    assert float(np.nanmedian(np.abs(a[split:] - b[split:]))) < 3.0
    assert len(one.report["reps"]) == len(two.report["reps"])

    # Flagged frames are redrawn in the joined video, across the join too.
    findings = two.report["findings"]  # every severity is marked on the video
    assert findings and two.report["processing"]["frames_remarked"] > 0
    times = two.sequence.time_s
    last = max(int(np.searchsorted(times, f["end_s"] - 1e-3)) for f in findings)
    assert last >= split  # a flag that runs into the second lane's part
    for frame in {int(f["worst_frame"]) for f in findings} | {last}:
        assert _fault_coloured_pixels(decoded[2][frame]) > 200, frame


def test_a_lane_whose_seek_loses_the_frame_order_falls_back_to_one_pass(
    tmp_path: Path, realdata: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = realdata / "videos" / "deadlift_side_mattiolato_good01.mp4"  # 145 frames
    options = AnalysisOptions(model_path=model_path, lanes=1)
    one = analyse(clip, tmp_path / "one", options=options)
    real = decode._seek_start(clip, 65)  # the second lane's warm-up starts at frame 65
    assert real is not None, "the second lane seeks on this clip"
    gap = real.order.index(real.key_pts) + 3
    wrong = decode._SeekStart(
        real.key_pts, real.order[:gap] + real.order[gap + 1 :], real.time_base
    )
    monkeypatch.setattr(decode, "_seek_start", lambda *_: wrong)
    two = analyse(clip, tmp_path / "two", options=replace(options, lanes=2))
    assert two.report["processing"]["lanes"] == 1
    np.testing.assert_array_equal(two.sequence.image_px, one.sequence.image_px)
    assert sorted(p.name for p in two.out_dir.iterdir()) == sorted(
        p.name for p in one.out_dir.iterdir()
    )  # no part of the abandoned lanes left behind


def test_large_frames_are_drawn_and_posed_scaled_with_landmarks_in_video_pixels(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    frames, fps = real_frames(realdata / "videos" / "deadlift_side_mattiolato_good01.mp4", 45)
    clip = write_clip(tmp_path / "full_hd.mp4", frames, fps=fps)  # 1920x1080
    runs = {
        side: analyse(
            clip,
            tmp_path / f"max{side}",
            options=AnalysisOptions(
                model_path=model_path, max_side=side, pose_max_side=side and 640, lanes=1
            ),
        )
        for side in (None, 960)
    }
    full, small = runs[None], runs[960]
    assert full.report["processing"]["analysed_size"] == [1920, 1080]
    assert full.report["processing"]["posed_size"] == [1920, 1080]
    assert small.report["processing"]["analysed_size"] == [960, 540]
    assert small.report["processing"]["posed_size"] == [640, 360]
    with av.open(str(small.files["annotated"])) as container:
        first = next(container.decode(video=0))
    assert (first.width, first.height) == (960, 540)
    # Landmarks come back in the video's own pixels: where the full-size pass put them.
    a, b = full.sequence.image_px[..., :2], small.sequence.image_px[..., :2]
    assert small.sequence.width == 1920 and np.nanmax(b[..., 1]) > 540  # feet low in 1080
    body = [11, 12, 23, 24, 25, 26]  # shoulders, hips, knees
    assert float(np.nanmedian(np.abs(a[:, body] - b[:, body]))) < 6.0
