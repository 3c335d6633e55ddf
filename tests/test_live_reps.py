"""Live angles, rep counting and cues (posturecheck.live.reps), alone and in the session."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from posturecheck.live import (
    LiveAngles,
    LiveRep,
    LiveSession,
    RepCounter,
    live_angles,
    lockout_cue,
    rep_cues,
)
from posturecheck.sequence import PoseSequence

from builders import (
    SidePose,
    arms_forward_squat,
    expected_side_metrics,
    frame_times,
    keyframe_profile,
    side_view,
)
from live_fakes import FPS, GOOD, FakeDetector, blank, first, run

FloatArray = npt.NDArray[np.float64]


@pytest.mark.parametrize("facing", ["right", "left"])
def test_live_angles_match_the_metric_definitions(facing: str) -> None:
    pose = SidePose(shank_deg=20, knee_flexion_deg=90, hip_flexion_deg=80)
    frame = first(side_view(pose, camera=GOOD, facing=facing))  # type: ignore[arg-type]
    side = "right" if facing == "right" else "left"
    angles = live_angles(frame, side, faces_right=facing == "right")  # type: ignore[arg-type]
    want = {k: float(v[0]) for k, v in expected_side_metrics(pose).items()}
    assert angles.knee_deg == pytest.approx(want["knee_flexion_deg"], abs=1e-6)
    assert angles.hip_deg == pytest.approx(want["hip_flexion_deg"], abs=1e-6)
    assert angles.trunk_lean_deg == pytest.approx(want["trunk_lean_deg"], abs=1e-6)
    assert angles.thigh_deg == pytest.approx(want["thigh_angle_deg"], abs=1e-6)


def profile(keys: list[tuple[float, float]], n: int) -> FloatArray:
    return keyframe_profile(keys, n, FPS)


def squat(depth: FloatArray, **kw: Any) -> PoseSequence:
    return arms_forward_squat(depth, fps=FPS, camera=GOOD, **kw)


def deadlift(depth: FloatArray, **kw: object) -> PoseSequence:
    pose = SidePose(
        shank_deg=12 * depth, knee_flexion_deg=75 * depth, hip_flexion_deg=120 * depth,
        arm_deg=-5 * depth,
    )  # fmt: skip
    return side_view(pose, fps=FPS, camera=GOOD, **kw)  # type: ignore[arg-type]


THREE_SQUATS = [(0, 0), (1.0, 0), (2.0, 1), (3.0, 1), (4.0, 0), (5.0, 1), (6.0, 0), (7.0, 1),
                (8.0, 0), (10.0, 0)]  # fmt: skip


@pytest.mark.parametrize("facing", ["right", "left"])
def test_counts_squats_on_a_builder_wave(facing: str) -> None:
    seq = squat(profile(THREE_SQUATS, int(10 * FPS)), facing=facing)
    assert run(seq).stats().reps == 3


def test_counts_a_deadlift_that_opens_on_the_floor() -> None:
    keys = [(0, 1), (0.5, 1), (1.5, 0), (3.0, 0), (4.0, 1), (4.5, 1), (5.5, 0), (7.0, 0)]
    assert run(deadlift(profile(keys, int(7 * FPS)))).stats().reps == 2


def test_small_wiggles_and_a_half_seen_rep_do_not_count() -> None:
    n = int(8 * FPS)
    wiggle = squat(0.15 + 0.1 * np.sin(np.arange(n) / FPS * 2 * np.pi))
    assert run(wiggle).stats().reps == 0
    # down in view, lost for 2 s at the bottom, back standing: not a rep
    keys = [(0, 0), (1.0, 0), (2.0, 1), (5.0, 1), (6.0, 0), (8.0, 0)]
    gone = (frame_times(n, FPS) > 2.2) & (frame_times(n, FPS) < 4.2)
    assert run(squat(profile(keys, n), missing=gone)).stats().reps == 0


def test_rep_counter_reports_depth_and_bottom_angles() -> None:
    counter = RepCounter(depth=0.15)
    heights = [1.0, 1.0, 0.9, 0.7, 0.5, 0.6, 0.8, 0.95, 1.0]
    reps = [
        counter.update(i / FPS, h, LiveAngles(knee_deg=100 * (1 - h)))
        for i, h in enumerate(heights)
    ]
    done = [r for r in reps if r is not None]
    assert len(done) == 1 and done[0].number == 1
    assert done[0].depth == pytest.approx(0.5)
    assert done[0].time_s == pytest.approx(7 / FPS)  # 70% back up: at 0.95
    assert done[0].bottom.knee_deg == pytest.approx(50.0)


def _rep(thigh: float, lean: float) -> LiveRep:
    return LiveRep(1, 0.0, 0.5, LiveAngles(thigh_deg=thigh, trunk_lean_deg=lean))


@pytest.mark.parametrize(
    ("rep", "exercise", "cues"),
    [
        (_rep(thigh=-5, lean=30), "squat", ()),
        (_rep(thigh=15, lean=30), "squat", ("Sit deeper",)),
        (_rep(thigh=0, lean=60), "squat", ("Chest up",)),
        (_rep(thigh=15, lean=60), "auto", ("Sit deeper", "Chest up")),
        (_rep(thigh=40, lean=60), "auto", ()),  # thigh far from parallel: a deadlift
        (_rep(thigh=15, lean=60), "deadlift", ()),
    ],
)
def test_rep_cues_use_the_fault_table(rep: LiveRep, exercise: str, cues: tuple[str, ...]) -> None:
    assert rep_cues(rep, exercise) == cues  # type: ignore[arg-type]


def test_lockout_cue_when_leaning_back_standing() -> None:
    assert (
        lockout_cue(LiveAngles(trunk_lean_deg=-20), True, "deadlift")
        == "Squeeze glutes, stand tall"
    )
    assert lockout_cue(LiveAngles(trunk_lean_deg=-20), False, "deadlift") is None
    assert lockout_cue(LiveAngles(trunk_lean_deg=-5), True, "auto") is None
    assert lockout_cue(LiveAngles(trunk_lean_deg=-20), True, "squat") is None


def test_a_shallow_squat_shows_its_cue_on_the_frame() -> None:
    keys = [(0, 0), (1.0, 0), (2.0, 0.55), (3.0, 0), (4.0, 0)]
    seq = squat(profile(keys, int(4 * FPS)))
    session = LiveSession(FakeDetector(seq), exercise="squat")
    cues = []
    for t in seq.time_s:
        session.process(blank(), float(t))
        cues.append(session.stats().cues)
    assert session.stats().reps == 1
    assert ("Rep 1: Sit deeper",) in cues
