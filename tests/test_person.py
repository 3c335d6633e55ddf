"""Choosing the lifter when the pose track wanders to someone else."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posturecheck.person import choose_lifter
from posturecheck.sequence import PoseSequence

from builders import Camera, SidePose, frame_times, rep_wave, side_view


def _squats(n: int = 150, camera: Camera | None = None) -> PoseSequence:
    t = frame_times(n)
    wave = rep_wave(t, start_s=0.5, rep_s=1.5, count=2, gap_s=0.5)
    pose = SidePose(shank_deg=30 * wave, knee_flexion_deg=110 * wave, hip_flexion_deg=100 * wave)
    return side_view(pose, time_s=t, camera=camera or Camera())


def _splice(base: PoseSequence, other: PoseSequence, frames: slice) -> PoseSequence:
    arrays = {}
    for name in ("image_px", "world_m", "visibility", "presence"):
        arr = getattr(base, name).copy()
        arr[frames] = getattr(other, name)[frames]
        arrays[name] = arr
    return replace(base, **arrays)


def test_one_lifter_is_kept_whole() -> None:
    seq = _squats()
    kept, choice = choose_lifter(seq)
    assert choice.people == 1 and choice.dropped_frames == 0
    np.testing.assert_array_equal(kept.image_px, seq.image_px)
    assert "throughout" in choice.reason


def test_track_jumping_to_a_standing_bystander_is_dropped() -> None:
    lifter = _squats()
    bystander = side_view(SidePose(), n_frames=150, camera=Camera(scale=0.6, origin_px=(560, 300)))
    seq = _splice(lifter, bystander, slice(60, 90))
    kept, choice = choose_lifter(seq)
    assert choice.dropped_frames == 30
    assert np.isnan(kept.image_px[60:90]).all()
    np.testing.assert_array_equal(kept.image_px[:60], lifter.image_px[:60])
    np.testing.assert_array_equal(kept.image_px[90:], lifter.image_px[90:])
    assert "did not lift" in choice.reason


def test_a_one_frame_glitch_is_dropped() -> None:
    lifter = _squats()
    glitch = side_view(SidePose(), n_frames=150, camera=Camera(scale=0.3, origin_px=(100, 100)))
    kept, choice = choose_lifter(_splice(lifter, glitch, slice(40, 41)))
    assert choice.dropped_frames == 1 and np.isnan(kept.image_px[40]).all()
    assert kept.frames_with_pose == 149


def test_camera_cut_keeps_the_same_lifter() -> None:
    wide = _squats()
    close = _squats(camera=Camera(scale=2.0, origin_px=(320, 470)))
    kept, choice = choose_lifter(_splice(wide, close, slice(75, 150)))
    assert choice.dropped_frames == 0 and kept.frames_with_pose == 150


def test_nobody_tracked_long_enough() -> None:
    seq = PoseSequence.empty(10, 64, 64)
    kept, choice = choose_lifter(seq)
    assert choice.people == 0 and kept.frames_with_pose == 0
