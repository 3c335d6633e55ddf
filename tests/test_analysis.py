"""The core end to end on sequences built from joint angles: no model, no video."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posturecheck.analysis import analyse_sequence, framing_warnings, rep_reports
from posturecheck.landmarks import Landmark as L  # noqa: N817

from builders import Camera, SidePose, frame_times, rep_wave, side_view


def _squats(depth_knee: float = 120.0, lean: float = 0.0):  # type: ignore[no-untyped-def]
    t = frame_times(240, 30.0)
    w = np.minimum(1.0, 1.2 * rep_wave(t, start_s=1.5, rep_s=2.0, count=2, gap_s=1.0))
    pose = SidePose(
        shank_deg=30.0 * w,
        knee_flexion_deg=depth_knee * w,
        hip_flexion_deg=(depth_knee - 10.0 + lean) * w,
    )
    return side_view(pose, time_s=t, camera=Camera(scale=0.8, origin_px=(320.0, 450.0)))


def test_a_clean_squat_set_end_to_end() -> None:
    result = analyse_sequence(_squats())
    assert (result.exercise.name, result.view.name) == ("squat", "side")
    assert len(result.reps) == 2
    reps = rep_reports(result)
    assert [r["index"] for r in reps] == [1, 2]
    assert reps[0]["view"] == "side" and "knee_flexion_deg" in reps[0]["metrics"]
    assert reps[0]["metrics"]["knee_flexion_deg"]["max"] > 100
    assert not [f for f in result.judgement.findings if f.severity != "mild"]
    assert result.warnings == ()


def test_a_shallow_squat_is_flagged_at_each_rep() -> None:
    result = analyse_sequence(_squats(depth_knee=80.0), exercise="squat")
    shallow = [f for f in result.judgement.findings if f.fault == "shallow_depth"]
    assert [f.rep for f in shallow] == [1, 2]
    assert all(f.severity in ("moderate", "severe") for f in shallow)


def test_legs_out_of_the_frame_are_named() -> None:
    seq = _squats()
    image = seq.image_px.copy()
    for lm in (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_KNEE, L.RIGHT_KNEE):
        image[:, lm, 1] = seq.height + 80.0
    (warning,) = framing_warnings(replace(seq, image_px=image))
    assert "legs are out of the frame" in warning
    assert framing_warnings(seq) == ()
