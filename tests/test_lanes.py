"""Cutting a video into lanes: balanced work, parts long enough, nothing lost; OpenCV off
its own threads while lanes run."""

from __future__ import annotations

import cv2
import pytest

from posturecheck.lanes import (
    Lane,
    available_cores,
    default_lanes,
    opencv_one_thread,
    plan_lanes,
)

MIN, WARM = 30, 30


def _recorded(plan: list[Lane], frames: int) -> list[int]:
    return [i for lane in plan for i in range(lane.start, lane.stop or frames)]


@pytest.mark.parametrize("frames", [0, 1, 59, 89])
def test_short_or_unknown_videos_get_one_lane(frames: int) -> None:
    assert plan_lanes(frames, 4, min_frames=MIN, warm=WARM) == [Lane(0, None, 0)]


@pytest.mark.parametrize("frames", [120, 327, 1000, 54_321])
@pytest.mark.parametrize("lanes", [2, 3, 4])
def test_every_frame_is_recorded_once_in_order(frames: int, lanes: int) -> None:
    plan = plan_lanes(frames, lanes, min_frames=MIN, warm=WARM)
    assert 2 <= len(plan) <= lanes
    assert _recorded(plan, frames) == list(range(frames))
    assert plan[-1].stop is None  # the last lane runs to the real end, whatever the header says
    for lane in plan:
        assert (lane.stop or frames) - lane.start >= MIN
        assert lane.warm == max(0, lane.start - WARM)


@pytest.mark.parametrize("frames", [327, 1000, 54_321])
@pytest.mark.parametrize("lanes", [2, 3, 4])
def test_lanes_share_the_work_evenly(frames: int, lanes: int) -> None:
    plan = plan_lanes(frames, lanes, min_frames=MIN, warm=WARM)
    work = [(lane.stop or frames) - lane.warm for lane in plan]
    assert max(work) - min(work) <= 1  # off by the rounding of its ends to whole frames


def test_feeds_warm_up_frames_but_not_the_next_lane() -> None:
    lane = Lane(start=180, stop=360, warm=150)
    assert [lane.feeds(i) for i in (149, 150, 180, 359, 360)] == [False, True, True, True, False]
    assert Lane(0, None, 0).feeds(10**6)


def test_lanes_default_to_the_cores_this_process_may_use() -> None:
    assert 1 <= default_lanes() <= available_cores()


def test_opencv_runs_on_one_thread_until_the_last_pass_ends() -> None:
    before = cv2.getNumThreads()
    cv2.setNumThreads(2)
    try:
        with opencv_one_thread():
            assert cv2.getNumThreads() == 1
            with opencv_one_thread():  # a second analysis at the same time
                assert cv2.getNumThreads() == 1
            assert cv2.getNumThreads() == 1  # the first is still running
        assert cv2.getNumThreads() == 2
        with pytest.raises(RuntimeError), opencv_one_thread():
            raise RuntimeError
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(before)
