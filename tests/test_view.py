"""View and facing from builder sequences; which metrics a view supports."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from posturecheck.metrics import METRIC_BY_NAME, METRICS
from posturecheck.sequence import PoseSequence
from posturecheck.view import (
    ViewResult,
    classify_view,
    metric_supported,
    supported_metrics,
    view_of,
)

from builders import Camera, FrontPose, SidePose, front_view, side_view, with_missing

N = 90  # 3 s at 30 fps


def turned(seq: PoseSequence, deg: float) -> PoseSequence:
    """A front-view sequence turned ``deg`` about the vertical (+ = towards facing image
    right): image x widths shrink by cos, world depth grows with sin."""
    rad = np.radians(deg)
    img, world = seq.image_px.copy(), seq.world_m.copy()
    mid = np.nanmean(img[:, :, 0], axis=1, keepdims=True)
    wx = world[:, :, 0].copy()
    img[:, :, 0] = mid + (img[:, :, 0] - mid) * np.cos(rad)
    world[:, :, 0] = wx * np.cos(rad)
    world[:, :, 2] = wx * np.sin(rad)  # the left side recedes as the lifter turns right
    return replace(seq, image_px=img, world_m=world)


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("scale", [0.3, 1.0])
def test_side_view_and_facing(facing: str, scale: float) -> None:
    camera = Camera(scale=scale, origin_px=(320.0 * scale, 440.0 * scale))
    v = classify_view(side_view(SidePose(knee_flexion_deg=20.0), n_frames=N, facing=facing,
                                camera=camera))  # type: ignore[arg-type]  # fmt: skip
    assert (v.name, v.facing) == ("side", facing)
    assert v.confidence > 0.9 and not v.mixed
    assert len(v.segments) == 1 and v.segments[0].end_s == pytest.approx(3.0, abs=0.05)


def test_front_and_back() -> None:
    front = classify_view(front_view(FrontPose(), n_frames=N))
    assert (front.name, front.facing) == ("front", None)
    back = classify_view(front_view(FrontPose(), n_frames=N, from_behind=True))
    assert (back.name, back.facing) == ("back", None)


@pytest.mark.parametrize(("deg", "name", "facing"), [(45, "oblique", "right"),
                                                      (-45, "oblique", "left"),
                                                      (10, "front", None)])  # fmt: skip
def test_oblique(deg: float, name: str, facing: str | None) -> None:
    seq = turned(front_view(FrontPose(), n_frames=N), deg)
    # no toe-heel direction in this synthetic turn: the facing comes from the yaw
    seq = replace(seq, visibility=np.where(np.arange(33) >= 29, 0.0, seq.visibility))
    v = classify_view(seq)
    assert (v.name, v.facing) == (name, facing)


def test_clip_that_changes_camera_gets_segments() -> None:
    front = front_view(FrontPose(), n_frames=N)
    side = side_view(SidePose(), n_frames=2 * N)
    seq = PoseSequence(
        time_s=np.arange(3 * N) / 30.0,
        image_px=np.concatenate([front.image_px, side.image_px]),
        world_m=np.concatenate([front.world_m, side.world_m]),
        visibility=np.concatenate([front.visibility, side.visibility]),
        presence=np.concatenate([front.presence, side.presence]),
        width=640,
        height=480,
    )
    v = classify_view(seq)
    assert v.mixed and v.name == "side"
    assert [(s.name, s.facing) for s in v.segments] == [("front", None), ("side", "right")]
    cut = v.segments[1].start
    assert abs(cut - N) <= 20
    assert v.at(10) is v.segments[0] and v.at(3 * N - 1) is v.segments[1]
    assert v.confidence == pytest.approx(2 / 3, abs=0.1)


def test_short_dropout_does_not_split_and_no_pose_is_unknown() -> None:
    seq = side_view(SidePose(), n_frames=N)
    gap = np.zeros(N, dtype=bool)
    gap[40:45] = True
    v = classify_view(with_missing(seq, gap))
    assert [s.name for s in v.segments] == ["side"]
    none = classify_view(with_missing(seq, np.ones(N, dtype=bool)))
    assert (none.name, none.facing, none.confidence) == ("unknown", None, 0.0)
    assert isinstance(none, ViewResult) and none.as_dict()["name"] == "unknown"


def test_view_bands() -> None:
    turn = np.array([0.0, 30.0, 80.0, 10.0, np.nan])
    yaw = np.array([0.0, 30.0, 80.0, 170.0, np.nan])
    assert list(view_of(turn, yaw)) == ["front", "oblique", "side", "back", "unknown"]


def test_metric_support_follows_the_table() -> None:
    assert metric_supported("knee_flexion_deg", "side")
    assert not metric_supported("knee_flexion_deg", "front")
    assert metric_supported(METRIC_BY_NAME["knee_ankle_width_ratio"], "back")
    assert not any(metric_supported(m, "oblique") or metric_supported(m, "unknown")
                   for m in METRICS)  # fmt: skip
    assert set(supported_metrics("side")) | set(supported_metrics("front")) == set(METRIC_BY_NAME)
    with pytest.raises(KeyError):
        metric_supported("no_such_metric", "side")
