"""Back outline from the person mask: synthetic silhouettes with a known bulge, invalid
inputs, summaries, and one run of the real model on a rounded and a neutral deadlift."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from posturecheck.backline import (
    BackProfile,
    BackReason,
    back_level,
    back_profile,
    outline_shape,
    profiles_from_extras,
    summarise_back,
)
from posturecheck.defaults import DEFAULTS, BacklineDefaults
from posturecheck.landmarks import NUM_LANDMARKS, Landmark
from posturecheck.sequence import PoseFrame

L = Landmark
FloatArray = npt.NDArray[np.float64]
SETTINGS = DEFAULTS.backline


# --- a side-view trunk drawn with cv2 ----------------------------------------------------


def _frame_axes(lean_deg: float, facing: str) -> tuple[FloatArray, FloatArray]:
    """Unit trunk direction (hip → shoulder) and the back's outward normal, image coords."""
    a = math.radians(lean_deg)
    d = np.array([math.sin(a), -math.cos(a)])
    if facing == "left":
        d[0] = -d[0]
    normal = np.array([d[1], -d[0]]) if facing == "right" else np.array([-d[1], d[0]])
    return d, normal


def trunk_mask(
    *,
    sag: float = 0.0,
    lean_deg: float = 70.0,
    facing: str = "right",
    length: float = 200.0,
    hip: tuple[float, float] = (640.0, 420.0),
    size: tuple[int, int] = (720, 1280),
    soft: bool = True,
) -> npt.NDArray[np.float32]:
    """A trunk silhouette whose back bulges by ``sag`` times the chord over the measured stretch.

    In trunk coordinates (u along hip → shoulder, v out of the back) the back is the line
    v = 0.2 L plus a parabolic bump, zero at u = -0.1 L and u = L (the measured stretch) and
    ``sag`` times the chord high in the middle; the belly is at v = -0.25 L. The silhouette
    runs past both ends so every ray finds the back.
    """
    d, normal = _frame_axes(lean_deg, facing)
    ua, ub = -SETTINGS.below_hip * length, length
    chord = ub - ua
    u = np.linspace(-0.3 * length, 1.2 * length, 301)
    bump = np.clip(4.0 * sag * (u - ua) * (ub - u) / chord, 0.0, None)
    v_back = 0.2 * length + bump
    v_front = np.full_like(u, -0.25 * length)
    h = np.asarray(hip)
    back = h + u[:, None] * d + v_back[:, None] * normal
    front = h + u[::-1, None] * d + v_front[:, None] * normal
    polygon = np.rint(np.concatenate([back, front])).astype(np.int32)
    canvas = np.zeros(size, dtype=np.float32)
    cv2.fillPoly(canvas, [polygon], 1.0)
    if soft:  # a model's mask has a soft edge: the 0.5 crossing is the outline
        return np.asarray(cv2.GaussianBlur(canvas, (0, 0), 2.0), dtype=np.float32)
    return canvas


def trunk_pose(
    *,
    lean_deg: float = 70.0,
    facing: str = "right",
    length: float = 200.0,
    hip: tuple[float, float] = (640.0, 420.0),
    width: float = 4.0,
    feet: str | None = None,
    visibility: float = 0.95,
) -> PoseFrame:
    """Landmarks of the same trunk: hips and shoulders ``width`` px apart (side-on), feet
    pointing towards ``feet`` (default: the facing)."""
    d, _ = _frame_axes(lean_deg, facing)
    h = np.asarray(hip)
    s = h + length * d
    img = np.zeros((NUM_LANDMARKS, 3))
    img[:, :2] = h
    across = np.array([0.0, width / 2.0])
    for left, right, centre in (
        (L.LEFT_HIP, L.RIGHT_HIP, h),
        (L.LEFT_SHOULDER, L.RIGHT_SHOULDER, s),
    ):
        img[left, :2], img[right, :2] = centre - across, centre + across
    sign = 1.0 if (feet or facing) == "right" else -1.0
    for heel, toe in ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)):
        img[heel, :2] = h + np.array([0.0, 1.5 * length])
        img[toe, :2] = h + np.array([sign * 0.4 * length, 1.5 * length])
    conf = np.full(NUM_LANDMARKS, visibility)
    return PoseFrame(img, np.zeros((NUM_LANDMARKS, 3)), conf, conf.copy())


# --- the outline's shape -----------------------------------------------------------------


@pytest.mark.parametrize("facing", ["right", "left"])
@pytest.mark.parametrize("lean_deg", [50.0, 80.0])
@pytest.mark.parametrize("sag", [0.0, 0.05, 0.1, 0.15])
def test_recovers_the_sagitta(sag: float, lean_deg: float, facing: str) -> None:
    mask = trunk_mask(sag=sag, lean_deg=lean_deg, facing=facing)
    profile = back_profile(mask, trunk_pose(lean_deg=lean_deg, facing=facing))
    assert profile.valid and profile.reason is None
    assert profile.sag == pytest.approx(sag, abs=0.008)
    # A parabola's lower- and upper-third line fits differ by ~2·atan(8·sag/3).
    assert profile.bend_deg == pytest.approx(math.degrees(2 * math.atan(8 * sag / 3)), abs=3.0)
    assert profile.trunk_lean_deg == pytest.approx(lean_deg, abs=0.5)
    assert profile.contour_px.shape == (SETTINGS.rays, 2)


def test_left_and_right_read_the_same() -> None:
    right = back_profile(trunk_mask(sag=0.1), trunk_pose())
    left = back_profile(trunk_mask(sag=0.1, facing="left"), trunk_pose(facing="left"))
    assert left.sag == pytest.approx(right.sag, abs=0.003)
    assert left.bend_deg == pytest.approx(right.bend_deg, abs=1.0)


@pytest.mark.parametrize("length", [60.0, 200.0, 520.0])
def test_scale_free(length: float) -> None:
    size = (1080, 1920) if length > 300 else (720, 1280)
    hip = (960.0, 700.0) if length > 300 else (640.0, 420.0)
    mask = trunk_mask(sag=0.1, length=length, hip=hip, size=size)
    profile = back_profile(mask, trunk_pose(length=length, hip=hip))
    assert profile.sag == pytest.approx(0.1, abs=0.012)


def test_hard_uint8_mask_reads_like_a_soft_float_one() -> None:
    hard = (trunk_mask(sag=0.1, soft=False) * 255).astype(np.uint8)
    soft = trunk_mask(sag=0.1)
    pose = trunk_pose()
    assert back_profile(hard, pose).sag == pytest.approx(back_profile(soft, pose).sag, abs=0.004)


def test_holes_and_islands_are_ignored() -> None:
    mask = trunk_mask(sag=0.05)
    clean = back_profile(mask, trunk_pose()).sag
    cv2.circle(mask, (640, 330), 12, 0.0, -1)  # a dark patch of shirt inside the trunk
    cv2.circle(mask, (420, 120), 30, 1.0, -1)  # a bystander's head well behind the back
    assert back_profile(mask, trunk_pose()).sag == pytest.approx(clean, abs=0.003)


def test_outline_shape_of_a_straight_and_an_arched_line() -> None:
    u = np.linspace(0.0, 100.0, 40)
    assert outline_shape(u, 0.3 * u + 5.0) == pytest.approx((0.0, 0.0), abs=1e-9)
    sag, bend = outline_shape(u, -0.004 * u * (100.0 - u))  # concave: arched, no bulge
    assert sag == 0.0 and bend < 0.0
    assert all(math.isnan(x) for x in outline_shape(u[:4], u[:4]))


# --- frames that cannot be measured -------------------------------------------------------


def _nan_pose() -> PoseFrame:
    pose = trunk_pose()
    img = pose.image_px.copy()
    img[L.LEFT_HIP] = img[L.RIGHT_HIP] = np.nan
    return replace(pose, image_px=img)


def _small_blob() -> npt.NDArray[np.float32]:
    mask = np.zeros((720, 1280), np.float32)
    cv2.circle(mask, (640, 420), 8, 1.0, -1)
    return mask


@pytest.mark.parametrize(
    ("mask", "pose", "reason"),
    [
        (np.zeros((720, 1280), np.float32), trunk_pose(), BackReason.TRUNK_OUTSIDE_MASK),
        (None, trunk_pose(), BackReason.NO_MASK),
        (trunk_mask(), _nan_pose(), BackReason.NO_LANDMARKS),
        (trunk_mask(lean_deg=10), trunk_pose(lean_deg=10), BackReason.UPRIGHT),
        (trunk_mask(), trunk_pose(visibility=0.1), BackReason.LOW_CONFIDENCE),
        (trunk_mask(), trunk_pose(width=150.0), BackReason.NOT_SIDE_ON),
        (trunk_mask(), trunk_pose(feet="left"), BackReason.FACING_CONFLICT),
        (trunk_mask(length=15), trunk_pose(length=15), BackReason.TRUNK_TOO_SMALL),
        (_small_blob(), trunk_pose(), BackReason.BLOB_TOO_SMALL),
        (
            trunk_mask(hip=(640.0, 40.0), lean_deg=85),  # the back is cut off by the top
            trunk_pose(hip=(640.0, 40.0), lean_deg=85),
            BackReason.OUTLINE_NOT_FOUND,
        ),
    ],
    ids=lambda x: x.name if isinstance(x, BackReason) else "",
)
def test_unmeasurable_frames_say_why(
    mask: npt.NDArray[np.float32] | None, pose: PoseFrame, reason: BackReason
) -> None:
    profile = back_profile(mask, pose)
    assert not profile.valid
    assert profile.reason is reason
    assert math.isnan(profile.sag) and math.isnan(profile.bend_deg)
    assert profile.contour_px.shape == (0, 2)


def test_upright_frames_still_report_their_lean() -> None:
    profile = back_profile(trunk_mask(lean_deg=20), trunk_pose(lean_deg=20))
    assert profile.trunk_lean_deg == pytest.approx(20.0, abs=0.5)


def test_a_mask_must_be_two_dimensional() -> None:
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        back_profile(np.zeros((720, 1280, 1), np.float32), trunk_pose())


def test_cost_per_720p_frame_is_within_budget() -> None:
    mask, pose = trunk_mask(sag=0.1, length=260.0), trunk_pose(length=260.0)
    back_profile(mask, pose)
    runs = []
    for _ in range(30):
        started = time.perf_counter()
        back_profile(mask, pose)
        runs.append(time.perf_counter() - started)
    assert float(np.median(runs)) < 0.003


# --- summaries ----------------------------------------------------------------------------


def _profiles(sags: list[float], bend: float = 30.0, lean: float = 70.0) -> list[BackProfile]:
    return [
        BackProfile(s, bend, lean, True)
        if math.isfinite(s)
        else BackProfile.unmeasured(BackReason.OUTLINE_NOT_FOUND, lean)
        for s in sags
    ]


def test_summary_takes_the_median_of_bent_over_frames() -> None:
    profiles = (
        _profiles([0.08, 0.1, 0.12, 0.11, 0.2, 0.09])
        + [BackProfile.unmeasured(BackReason.UPRIGHT, 10.0)] * 3
    )
    summary = summarise_back(profiles, np.arange(9) / 30.0)
    assert summary.sag == pytest.approx(0.105)
    assert summary.bend_deg == pytest.approx(30.0)
    assert (summary.frames_used, summary.frames_bent) == (6, 6)
    assert summary.level == "rounded"
    assert summary.peak_time_s == pytest.approx(4 / 30.0)
    assert 0.0 < summary.confidence <= 1.0 and summary.reason is None


def test_summary_window_selects_frames() -> None:
    profiles = _profiles([0.04] * 6 + [0.12] * 6)
    times = np.arange(12, dtype=np.float64)
    assert summarise_back(profiles, times, end_s=5.0).level == "neutral"
    assert summarise_back(profiles, times, start_s=6.0).level == "rounded"


def test_too_few_frames_give_nan_with_a_reason() -> None:
    profiles = _profiles([0.1] * 4 + [math.nan] * 2)
    summary = summarise_back(profiles, np.arange(6.0))
    assert math.isnan(summary.sag) and summary.level == "unmeasured"
    assert summary.frames_used == 4 and summary.confidence == 0.0
    assert summary.reason is not None and "4 of 6" in summary.reason


def test_mostly_rejected_stretches_are_not_judged() -> None:
    profiles = _profiles([0.12] * 6 + [math.nan] * 10)
    summary = summarise_back(profiles, np.arange(16.0))
    assert summary.level == "unmeasured"
    assert summary.reason is not None and str(BackReason.OUTLINE_NOT_FOUND) in summary.reason


def test_upright_stretch_is_unmeasured() -> None:
    profiles = [BackProfile.unmeasured(BackReason.UPRIGHT, 5.0)] * 8
    summary = summarise_back(profiles, np.arange(8.0))
    assert summary.level == "unmeasured" and summary.frames_bent == 0
    assert summary.reason is not None and str(BackReason.UPRIGHT) in summary.reason


def test_summary_checks_times() -> None:
    with pytest.raises(ValueError, match="time_s"):
        summarise_back(_profiles([0.1] * 5), np.arange(4.0))


@pytest.mark.parametrize(
    ("sag", "bend", "level"),
    [
        (0.12, 35.0, "rounded"),
        (0.12, 20.0, "possible"),  # sag says rounded, bend does not confirm
        (0.08, 25.0, "possible"),
        (0.05, 10.0, "neutral"),
        (math.nan, math.nan, "unmeasured"),
    ],
)
def test_back_level(sag: float, bend: float, level: str) -> None:
    assert back_level(sag, bend) == level


def test_extras_round_trip() -> None:
    profiles = [BackProfile(0.1, 30.0, 70.0, True), BackProfile.unmeasured(BackReason.UPRIGHT, 9.0)]
    columns = {
        name: np.array([p.extras()[name] for p in profiles]) for name in profiles[0].extras()
    }
    back = profiles_from_extras(columns)
    assert back[0].valid and back[0].sag == 0.1
    assert not back[1].valid and back[1].trunk_lean_deg == 9.0


def test_profile_and_settings_validate() -> None:
    with pytest.raises(ValueError, match="reason"):
        BackProfile(0.1, 30.0, 70.0, False)
    with pytest.raises(ValueError, match="possible_sag"):
        BacklineDefaults(possible_sag=0.2)
    with pytest.raises(ValueError, match="rays"):
        BacklineDefaults(rays=3)


# --- the real model on real clips ---------------------------------------------------------


def _clip_summary(model_path: Path, video: Path) -> float:
    from posturecheck.pose import PoseEstimator
    from posturecheck.video import read_frames

    profiles: list[BackProfile] = []
    times: list[float] = []
    with PoseEstimator(model_path, segmentation=True) as estimator:
        for frame in read_frames(video):
            found = estimator.detect(frame.rgb, frame.time_s)
            if found:
                profiles.append(back_profile(found[0].mask, found[0].pose))
                times.append(frame.time_s)
    summary = summarise_back(profiles, np.asarray(times))
    assert summary.frames_used >= SETTINGS.min_frames, summary.reason
    return summary.sag


@pytest.mark.model
@pytest.mark.realdata
@pytest.mark.slow
def test_real_rounded_back_reads_above_a_neutral_one(model_path: Path, realdata: Path) -> None:
    rounded = _clip_summary(model_path, realdata / "videos" / "deadlift_side_bichraix_bad007.mp4")
    neutral = _clip_summary(model_path, realdata / "videos" / "deadlift_side_bichraix_good014.mp4")
    assert rounded > neutral
    assert rounded >= SETTINGS.rounded_sag
    assert neutral < SETTINGS.possible_sag
