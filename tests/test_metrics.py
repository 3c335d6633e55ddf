"""Metrics read back exactly what the builder dialled in, whichever way the lifter faces."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posturecheck.defaults import DEFAULTS
from posturecheck.landmarks import Landmark
from posturecheck.metrics import METRIC_BY_NAME, METRICS, MetricSeries, compute_metrics
from posturecheck.sides import Part

from builders import (
    Camera,
    FrontPose,
    Segments,
    SidePose,
    expected_side_metrics,
    front_points,
    front_view,
    rep_wave,
    side_view,
    with_visibility,
)

L = Landmark
SIDE_NAMES = [m.name for m in METRICS if "side" in m.views]
FRONT_NAMES = [m.name for m in METRICS if "front" in m.views]
JOINT_NAMES = [
    "head_on_trunk_deg",
    "thoracic_bend_deg",
    "hip_flexion_deg",
    "knee_flexion_deg",
    "shoulder_forward_offset",
    "shoulder_forward_deg",
    "shoulder_protraction_offset",
]
DOCS = Path(__file__).resolve().parents[1] / "docs" / "metrics.md"


def _tol(name: str) -> float:
    return 1e-9 if METRIC_BY_NAME[name].unit == "ratio" else 1e-7


def _assert_side_exact(seq, pose: SidePose, n: int, segments: Segments | None = None) -> None:
    got = compute_metrics(seq)
    for name, want in expected_side_metrics(pose, n, segments or Segments()).items():
        np.testing.assert_allclose(got[name], want, atol=_tol(name), rtol=0, err_msg=name)


SQUAT = SidePose(  # standing, quarter, parallel-ish, deep, with heel and head movement
    shank_deg=[0.0, 15.0, 30.0, 38.0],
    knee_flexion_deg=[0.0, 45.0, 95.0, 130.0],
    hip_flexion_deg=[0.0, 50.0, 100.0, 125.0],
    head_on_trunk_deg=[0.0, 10.0, -15.0, 25.0],
    arm_deg=[0.0, 5.0, -10.0, 20.0],
    heel_rise_deg=[0.0, 0.0, 8.0, 20.0],
)
DEADLIFT = SidePose(  # lockout, then the set-up with a hanging head and arms under the shoulders
    shank_deg=[0.0, 10.0],
    knee_flexion_deg=[0.0, 35.0],
    hip_flexion_deg=[-5.0, 110.0],
    head_on_trunk_deg=[-10.0, 30.0],
    arm_deg=[0.0, -70.0],
)


# --- the table -----------------------------------------------------------------------------


def test_table_is_complete_and_consistent() -> None:
    names = [m.name for m in METRICS]
    assert len(names) == len(set(names)) == len(METRIC_BY_NAME)
    for m in METRICS:
        assert m.unit in {"deg", "ratio", "% foot"}
        assert m.name.endswith("_deg") == (m.unit == "deg"), m.name
        assert m.views and m.accuracy and m.description
        # a landmark formula, or a value measured from the person mask during extraction
        assert (m.points and m.compute is not None) or (m.extra and m.compute is None), m.name
    assert len(SIDE_NAMES) == 16 and len(FRONT_NAMES) == 5
    spec = METRIC_BY_NAME["knee_flexion_deg"]
    assert spec.landmarks("left") == (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE)
    assert spec.landmarks("right") == (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)
    assert METRIC_BY_NAME["thoracic_bend_deg"].proxy and not spec.proxy


def test_docs_have_a_section_per_metric() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for m in METRICS:
        assert f"## `{m.name}`" in text, m.name


def test_mask_metrics_come_from_the_sequence_extras() -> None:
    seq = side_view(SidePose(), n_frames=4)
    assert np.isnan(compute_metrics(seq)["back_sag"]).all(), "no mask: not measured"
    sag = np.array([0.05, np.nan, 0.1, 0.2])
    measured = compute_metrics(replace(seq, extras={"back_sag": sag}))
    np.testing.assert_array_equal(measured["back_sag"], sag)
    np.testing.assert_array_equal(measured.confidence["back_sag"], [1.0, 0.0, 1.0, 1.0])


def test_series_holds_every_metric_with_confidence() -> None:
    ms = compute_metrics(side_view(SQUAT))
    assert set(ms.names) == set(METRIC_BY_NAME) and len(ms) == 4
    for name in ms.names:
        assert ms.values[name].dtype == np.float64
        assert np.all((ms.confidence[name] >= 0) & (ms.confidence[name] <= 1))
    with pytest.raises(KeyError, match="unknown metric 'knee'"):
        ms["knee"]
    with pytest.raises(ValueError, match="must have shape"):
        MetricSeries(
            ms.time_s,
            {"a": np.zeros(3)},
            {"a": np.zeros(3)},
            "right",
            "left",
            ms.faces_right,
            ms.left_near,
        )


# --- side view: exact values ---------------------------------------------------------------


@pytest.mark.parametrize("pose", [SQUAT, DEADLIFT], ids=["squat", "deadlift"])
@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize(
    "camera",
    [Camera(), Camera(scale=0.37, origin_px=(100.0, 300.0)), Camera(scale=3.0)],
    ids=["plain", "small", "large"],
)
def test_side_metrics_exact(pose: SidePose, facing, camera: Camera) -> None:
    n = np.size(pose.knee_flexion_deg)
    _assert_side_exact(side_view(pose, facing=facing, camera=camera), pose, n)


def test_side_metrics_exact_with_other_proportions() -> None:
    seg = Segments(foot=45.0, shank=90.0, thigh=140.0, trunk=120.0, neck=60.0, forearm=60.0)
    _assert_side_exact(side_view(SQUAT, segments=seg, facing="left"), SQUAT, 4, seg)


angles = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def side_poses(draw) -> SidePose:
    knee = draw(st.floats(-10, 160))
    return SidePose(
        shank_deg=[0.0, draw(st.floats(-30, 50))],
        knee_flexion_deg=[0.0, knee],
        hip_flexion_deg=[0.0, draw(st.floats(-20, 160))],
        head_on_trunk_deg=[0.0, draw(st.floats(-60, 60))],
        arm_deg=[0.0, draw(st.floats(-80, 80))],
        heel_rise_deg=[0.0, 0.0 if knee <= 15 else draw(st.floats(0, 40))],
    )


@settings(max_examples=60, deadline=None)
@given(side_poses(), st.floats(0.2, 5.0), st.sampled_from(["left", "right"]))
def test_side_metrics_exact_for_any_pose(pose: SidePose, scale: float, facing) -> None:
    _assert_side_exact(side_view(pose, facing=facing, camera=Camera(scale=scale)), pose, 2)


@settings(max_examples=40, deadline=None)
@given(side_poses(), st.floats(-30, 30))
def test_facing_left_and_right_give_identical_metrics(pose: SidePose, roll: float) -> None:
    right = compute_metrics(side_view(pose, facing="right", camera=Camera(roll_deg=roll)))
    left = compute_metrics(side_view(pose, facing="left", camera=Camera(roll_deg=-roll)))
    for name in right.names:
        np.testing.assert_allclose(left[name], right[name], atol=1e-7, err_msg=name)


@settings(max_examples=40, deadline=None)
@given(side_poses(), st.floats(-40, 40), st.sampled_from(["left", "right"]))
def test_camera_roll_keeps_joint_angles_and_turns_segment_angles(pose, roll, facing) -> None:
    base = compute_metrics(side_view(pose, facing=facing))
    rolled = compute_metrics(side_view(pose, facing=facing, camera=Camera(roll_deg=roll)))
    for name in JOINT_NAMES:
        np.testing.assert_allclose(rolled[name], base[name], atol=1e-7, err_msg=name)
    # Clockwise roll tips a right-facing lifter forward; mirrored, a left-facing one back.
    turn = roll if facing == "right" else -roll
    for name in ("trunk_lean_deg", "shank_angle_deg"):
        diff = (rolled[name] - base[name] - turn + 180.0) % 360.0 - 180.0
        np.testing.assert_allclose(diff, 0.0, atol=1e-7, err_msg=name)


def test_signs_on_a_plain_squat_bottom() -> None:
    pose = SidePose(
        shank_deg=35, knee_flexion_deg=130, hip_flexion_deg=125, head_on_trunk_deg=20, arm_deg=0
    )
    for facing in ("left", "right"):
        ms = compute_metrics(side_view(pose, n_frames=1, facing=facing))
        assert ms["trunk_lean_deg"][0] == pytest.approx(30.0)  # shoulders ahead of hips
        assert ms["shank_angle_deg"][0] == pytest.approx(35.0)  # knees ahead of ankles
        assert ms["thigh_angle_deg"][0] == pytest.approx(-5.0)  # hip below parallel
        assert ms["depth_hip_minus_knee"][0] < 0
        assert ms["head_on_trunk_deg"][0] == pytest.approx(20.0)  # head forward of trunk line
        assert ms["shoulder_forward_offset"][0] < 0  # a forward head puts the shoulder behind
        assert ms.facing == facing


def test_heel_rise_against_standing_baseline() -> None:
    t = np.arange(60) / 30.0
    wave = rep_wave(t, start_s=0.2, rep_s=1.5)
    pose = SidePose(
        knee_flexion_deg=110 * wave,
        shank_deg=35 * wave,
        hip_flexion_deg=100 * wave,
        heel_rise_deg=12 * wave**2,
    )
    ms = compute_metrics(side_view(pose, facing="left"))
    np.testing.assert_allclose(
        ms["heel_rise_pct"], 100 * np.sin(np.radians(12 * wave**2)), atol=1e-9
    )


def test_heel_rise_baseline_without_standing_frames_uses_lowest_heel() -> None:
    pose = SidePose(
        knee_flexion_deg=[90.0] * 40,
        shank_deg=30.0,
        hip_flexion_deg=90.0,
        heel_rise_deg=np.r_[np.zeros(20), np.linspace(0, 10, 20)],
    )
    ms = compute_metrics(side_view(pose))
    assert np.all(np.abs(ms["heel_rise_pct"][:20]) < 1e-9)
    assert ms["heel_rise_pct"][-1] == pytest.approx(100 * np.sin(np.radians(10.0)))


def _flat_footed_squat() -> tuple[SidePose, np.ndarray]:
    t = np.arange(60) / 30.0
    wave = rep_wave(t, start_s=0.2, rep_s=1.5)
    return SidePose(
        knee_flexion_deg=120 * wave, shank_deg=40 * wave, hip_flexion_deg=110 * wave
    ), wave


@pytest.mark.parametrize("facing", ["right", "left"])
def test_a_heel_point_that_rises_without_the_ankle_reads_as_no_lift(facing) -> None:
    """The model's slip on a planted foot: the heel point up and the toe point down at the
    bottom, the ankle where it was."""
    pose, wave = _flat_footed_squat()
    seq = side_view(pose, facing=facing)
    px = seq.image_px.copy()
    slip = 0.15 * Segments().foot * wave  # 30% of the foot between them at the bottom
    for heel, toe in (
        (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
        (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    ):
        px[:, heel, 1] -= slip
        px[:, toe, 1] += slip
    slipped = compute_metrics(replace(seq, image_px=px))["heel_rise_pct"]
    assert np.nanmax(slipped) < 1.0  # against ~30 without the ankle's cap
    # ... while a real tilt of the same size, ankle and all, reads as itself
    lifted = compute_metrics(side_view(replace(pose, heel_rise_deg=17.5 * wave), facing=facing))
    want = 100 * np.sin(np.radians(17.5 * wave))
    np.testing.assert_allclose(lifted["heel_rise_pct"], want, atol=1e-9)


def test_a_foot_seen_end_on_reads_the_heel_alone() -> None:
    """With the ankle straight above the toe there is no reach to read a tilt from."""
    pose, wave = _flat_footed_squat()
    seg = Segments(heel_to_ankle=Segments().foot)  # ankle over the toe
    seq = side_view(pose, segments=seg)
    px = seq.image_px.copy()
    px[:, Landmark.LEFT_HEEL, 1] -= 0.2 * seg.foot * wave
    px[:, Landmark.RIGHT_HEEL, 1] -= 0.2 * seg.foot * wave
    got = compute_metrics(replace(seq, image_px=px))["heel_rise_pct"]
    assert np.nanmax(got) == pytest.approx(20.0, abs=0.5)


@pytest.mark.parametrize("facing", ["right", "left"])
def test_shoulder_protraction_follows_the_shoulder_not_the_head(facing) -> None:
    """Rounded shoulders read at their built size (p·cos b / √(1 + p²) trunk lengths) whatever
    the head does; the head alone, from far up to far down, never moves the reading, while the
    hip→ear offset swings with it."""
    head = np.array([0.0, -60.0, 60.0, 0.0, -45.0, 30.0])
    protraction = np.array([0.0, 0.0, 0.0, 0.3, 0.3, 0.45])
    pose = SidePose(
        shank_deg=30.0,
        knee_flexion_deg=90.0,
        hip_flexion_deg=100.0,
        head_on_trunk_deg=head,
        shoulder_protraction=protraction,
    )
    ms = compute_metrics(side_view(pose, facing=facing))
    got = ms["shoulder_protraction_offset"]
    want = protraction * np.cos(np.radians(head)) / np.sqrt(1 + protraction**2)
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(got[:3], 0.0, atol=1e-6)
    assert ms["shoulder_forward_offset"][1] > 0.1 > ms["shoulder_forward_offset"][0]


# --- side view: near side, confidence, missing ------------------------------------------------


@pytest.mark.parametrize("near", ["left", "right"])
def test_metrics_read_the_near_side_never_the_far_one(near) -> None:
    far = SidePose(knee_flexion_deg=10.0, hip_flexion_deg=5.0)
    seq = side_view(SQUAT, far_pose=far, near=near, facing="right")
    ms = compute_metrics(seq)
    want = expected_side_metrics(SQUAT, 4)
    np.testing.assert_allclose(ms["knee_flexion_deg"], want["knee_flexion_deg"], atol=1e-9)
    assert ms.side == near
    other = "right" if near == "left" else "left"
    forced = compute_metrics(seq, side=other)
    np.testing.assert_allclose(forced["knee_flexion_deg"], 10.0, atol=1e-9)


def test_confidence_is_lowest_visibility_of_points_and_low_confidence_is_nan() -> None:
    vis = np.array([0.9, 0.6, 0.2, 0.98])
    seq = side_view(SQUAT, facing="right", visibility={L.RIGHT_KNEE: vis})
    ms = compute_metrics(seq)
    np.testing.assert_allclose(ms.confidence["knee_flexion_deg"], np.minimum(vis, 0.98))
    np.testing.assert_allclose(ms.confidence["trunk_lean_deg"], 0.98)
    knee = ms["knee_flexion_deg"]
    assert np.isnan(knee[2]) and np.all(np.isfinite(knee[[0, 1, 3]]))
    assert DEFAULTS.metrics.min_confidence == pytest.approx(0.3)
    assert np.all(np.isfinite(ms["trunk_lean_deg"]))


def test_missing_frames_are_nan_with_zero_confidence() -> None:
    seq = side_view(SQUAT, missing=[False, True, False, False])
    ms = compute_metrics(seq)
    for name in ms.names:
        assert np.isnan(ms[name][1]) and ms.confidence[name][1] == 0.0, name
    assert np.isfinite(ms["knee_flexion_deg"][[0, 2, 3]]).all()


def test_no_pose_at_all_gives_all_nan() -> None:
    ms = compute_metrics(side_view(SQUAT, missing=[True] * 4))
    assert all(np.isnan(ms[name]).all() for name in ms.names)


def test_hidden_foot_leaves_other_metrics_alone() -> None:
    seq = with_visibility(side_view(SQUAT), {L.RIGHT_HEEL: 0.1, L.LEFT_HEEL: 0.1})
    ms = compute_metrics(seq, facing="right", side="right")
    assert np.isnan(ms["heel_rise_pct"]).all() and np.isnan(ms["bar_offset_pct"]).all()
    assert np.isfinite(ms["knee_flexion_deg"]).all()


# --- front view -----------------------------------------------------------------------------

FRONT = FrontPose(
    stance=[1.0, 1.3, 1.6],
    knee_valgus_left=[0.0, 0.08, -0.03],
    knee_valgus_right=[0.0, 0.02, 0.12],
    pelvis_tilt_deg=[0.0, 4.0, -6.0],
    hip_shift=[0.0, 0.15, -0.25],
    hip_height=[0.95, 0.8, 0.6],
)


def _width_ratio(pose: FrontPose, n: int) -> np.ndarray:
    p = front_points(pose, n)
    knees = np.linalg.norm(p[L.LEFT_KNEE] - p[L.RIGHT_KNEE], axis=1)
    return knees / np.linalg.norm(p[L.LEFT_ANKLE] - p[L.RIGHT_ANKLE], axis=1)


@pytest.mark.parametrize("from_behind", [False, True])
@pytest.mark.parametrize("camera", [Camera(), Camera(scale=0.5, origin_px=(50.0, 200.0))])
def test_front_metrics_exact_from_front_and_behind(from_behind: bool, camera: Camera) -> None:
    ms = compute_metrics(front_view(FRONT, from_behind=from_behind, camera=camera))
    want = {
        "knee_valgus_offset_left": FRONT.knee_valgus_left,
        "knee_valgus_offset_right": FRONT.knee_valgus_right,
        "pelvis_tilt_deg": FRONT.pelvis_tilt_deg,
        "lateral_hip_shift": FRONT.hip_shift,
        "knee_ankle_width_ratio": _width_ratio(FRONT, 3),
    }
    for name, value in want.items():
        np.testing.assert_allclose(ms[name], value, atol=_tol(name), err_msg=name)


front_poses = st.builds(
    FrontPose,
    stance=st.floats(0.6, 2.5),
    knee_valgus_left=st.floats(-0.2, 0.2),
    knee_valgus_right=st.floats(-0.2, 0.2),
    pelvis_tilt_deg=st.floats(-15, 15),
    hip_shift=st.floats(-0.5, 0.5),
)


@settings(max_examples=40, deadline=None)
@given(front_poses, st.floats(-30, 30), st.booleans())
def test_front_metrics_exact_any_pose_and_roll(pose: FrontPose, roll, behind) -> None:
    ms = compute_metrics(front_view(pose, from_behind=behind, camera=Camera(roll_deg=roll)))
    for name, field in (
        ("knee_valgus_offset_left", pose.knee_valgus_left),
        ("knee_valgus_offset_right", pose.knee_valgus_right),
        ("lateral_hip_shift", pose.hip_shift),
    ):
        assert ms[name][0] == pytest.approx(field, abs=1e-9), name
    assert ms["knee_ankle_width_ratio"][0] == pytest.approx(_width_ratio(pose, 1)[0], abs=1e-9)
    # Pelvis tilt is against the horizontal, so camera roll adds to it: a clockwise roll lowers
    # the image's right, which is the lifter's left from the front and their right from behind.
    turn = roll if behind else -roll
    assert ms["pelvis_tilt_deg"][0] == pytest.approx(pose.pelvis_tilt_deg + turn, abs=1e-7)


def test_valgus_sign_is_inward_for_each_leg() -> None:
    ms = compute_metrics(
        front_view(FrontPose(knee_valgus_left=0.1, knee_valgus_right=-0.1), n_frames=1)
    )
    p = front_points(FrontPose(knee_valgus_left=0.1, knee_valgus_right=-0.1), 1)
    assert ms["knee_valgus_offset_left"][0] > 0 and ms["knee_valgus_offset_right"][0] < 0
    # Left knee moved towards the body midline, right knee away from it (varus).
    mid = (p[L.LEFT_HIP][0, 0] + p[L.RIGHT_HIP][0, 0]) / 2
    hip_ankle_x_left = (p[L.LEFT_HIP][0, 0] + p[L.LEFT_ANKLE][0, 0]) / 2
    assert abs(p[L.LEFT_KNEE][0, 0] - mid) < abs(hip_ankle_x_left - mid)


def test_part_names_cover_side_view_points() -> None:
    used = {p for m in METRICS for p in m.points if isinstance(p, Part)}
    assert used <= set(Part)
