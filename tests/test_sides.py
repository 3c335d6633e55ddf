"""Near side, facing direction, the x-mirror: no flicker and no left/right swaps."""

from __future__ import annotations

import numpy as np
import pytest

from posturecheck.landmarks import Landmark
from posturecheck.sides import (
    Part,
    canonical_xy,
    facing_direction,
    landmark,
    near_side,
    partner,
    schmitt,
)

from builders import Camera, FrontPose, SidePose, front_view, side_view, with_visibility

L = Landmark


def test_partner_swaps_by_name_and_is_an_involution() -> None:
    for lm in Landmark:
        other = partner(lm)
        assert partner(other) == lm
        assert other.name.replace("RIGHT", "LEFT") == lm.name.replace("RIGHT", "LEFT")
    assert partner(L.LEFT_EYE_INNER) == L.RIGHT_EYE_INNER  # indices 1 and 4, not 1 and 2
    assert partner(L.MOUTH_LEFT) == L.MOUTH_RIGHT
    assert partner(L.NOSE) == L.NOSE


def test_part_maps_to_each_side() -> None:
    for part in Part:
        assert landmark(part, "left").name.startswith("LEFT_")
        assert landmark(part, "right") == partner(landmark(part, "left"))


def test_schmitt_holds_inside_the_band_and_backfills_start() -> None:
    score = np.array([0.05, np.nan, 0.3, 0.05, -0.05, np.nan, -0.2, 0.08, 0.2])
    expected = [True, True, True, True, True, True, False, False, True]
    np.testing.assert_array_equal(schmitt(score, 0.1), expected)
    np.testing.assert_array_equal(schmitt([0.0, np.nan], 0.1, initial=False), [False, False])
    np.testing.assert_array_equal(schmitt([0.0, -0.5], 0.1), [False, False])


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("near", ["left", "right"])
def test_near_side_and_facing_found(facing, near) -> None:
    seq = side_view(
        SidePose(knee_flexion_deg=40, shank_deg=20, hip_flexion_deg=50),
        n_frames=5,
        facing=facing,
        near=near,
    )
    track = near_side(seq)
    assert track.side == near and track.confidence == pytest.approx(1.0)
    assert track.left_near.all() == (near == "left")
    ft = facing_direction(seq)
    assert ft.facing == facing and ft.confidence == pytest.approx(1.0)
    assert ft.faces_right.all() == (facing == "right")


def test_near_side_does_not_flicker_on_noisy_visibility() -> None:
    n = 200
    rng = np.random.default_rng(0)
    near_vis = 0.75 + 0.05 * rng.normal(size=n)
    far_vis = 0.70 + 0.05 * rng.normal(size=n)
    seq = side_view(
        n_frames=n,
        near="left",
        visibility={landmark(p, "left"): near_vis for p in Part}
        | {landmark(p, "right"): far_vis for p in Part},
    )
    left_near = near_side(seq).left_near
    assert np.count_nonzero(np.diff(left_near.astype(int))) <= 2
    # A clear switch (the lifter turns round) is followed.
    vis = np.where(np.arange(n) < 100, 0.95, 0.3)
    seq = with_visibility(
        seq,
        {landmark(p, "left"): vis for p in Part} | {landmark(p, "right"): 1.25 - vis for p in Part},
    )
    left_near = near_side(seq).left_near
    switch = np.flatnonzero(np.diff(left_near.astype(int)))
    assert len(switch) == 1 and abs(int(switch[0]) - 99) <= 3, switch


def test_forced_side_and_facing_win() -> None:
    seq = side_view(n_frames=3, facing="right", near="right")
    assert near_side(seq, side="left").left_near.all()
    assert not facing_direction(seq, facing="left").faces_right.any()


def test_facing_falls_back_to_the_head_when_feet_are_unseen() -> None:
    hidden = {lm: 0.05 for lm in (L.LEFT_HEEL, L.RIGHT_HEEL, L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX)}
    for facing in ("left", "right"):
        seq = side_view(n_frames=4, facing=facing, visibility=hidden)
        ft = facing_direction(seq)
        assert ft.facing == facing and np.all(np.abs(ft.score) > 0.5)


def test_facing_held_when_ambiguous_and_turn_followed() -> None:
    right = side_view(n_frames=10, facing="right")
    left = side_view(n_frames=10, facing="left")
    front = front_view(n_frames=10)
    # Glue right-facing, front-on, left-facing frames into one clip.
    from dataclasses import replace

    merged = replace(
        right,
        time_s=np.arange(30) / 30.0,
        image_px=np.concatenate([right.image_px, front.image_px, left.image_px]),
        world_m=np.concatenate([right.world_m, front.world_m, left.world_m]),
        visibility=np.concatenate([right.visibility, front.visibility, left.visibility]),
        presence=np.concatenate([right.presence, front.presence, left.presence]),
        source_frame_index=np.arange(30),
    )
    ft = facing_direction(merged)
    assert ft.faces_right[:20].all(), "front-on frames keep the previous facing"
    assert not ft.faces_right[20:].any()
    assert np.all(np.abs(ft.score[10:20]) < 0.3)


def test_front_view_facing_confidence_is_low() -> None:
    ft = facing_direction(front_view(FrontPose(), n_frames=5))
    assert ft.confidence == 0.0


def test_no_pose_gives_zero_confidence() -> None:
    seq = side_view(n_frames=3, missing=[True, True, True])
    assert near_side(seq).confidence == 0.0
    assert facing_direction(seq).confidence == 0.0


def test_canonical_mirror_makes_both_directions_identical_up_to_translation() -> None:
    pose = SidePose(shank_deg=25, knee_flexion_deg=80, hip_flexion_deg=90, arm_deg=10)
    cam = Camera(origin_px=(300.0, 400.0))
    a = side_view(pose, n_frames=1, facing="right", near="left", camera=cam)
    b = side_view(pose, n_frames=1, facing="left", near="left", camera=cam)
    ca = canonical_xy(a, np.array([True]))
    cb = canonical_xy(b, np.array([False]))
    np.testing.assert_allclose(ca - ca[:, [0]], cb - cb[:, [0]], atol=1e-9)
    # Mirroring never relabels: the left knee is still the left knee.
    np.testing.assert_allclose(cb[0, L.LEFT_KNEE, 1], a.image_px[0, L.LEFT_KNEE, 1])
