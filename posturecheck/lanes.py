"""Cutting a video into lanes: consecutive parts whose pose passes run side by side.

Pose inference is the costliest stage and keeps one core busy per estimator (the model
releases the GIL), so with several cores the video is cut into as many consecutive parts,
each decoded, posed, drawn and encoded on its own. A part after the first feeds its
estimator ``warm`` frames early, unrecorded, so the tracker has found and settled on the
lifter by the part's first frame. The parts' key frames fall on the whole video's groups of
pictures, so the encoded parts join without re-encoding (:func:`posturecheck.encode.splice`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2

from posturecheck.concurrency import SharedSwitch

#: Lanes used when the caller does not say: one per core, at most this many.
MAX_LANES = 4

#: Frames a later lane's estimator sees before its first recorded frame (0.5 s at 30 fps):
#: enough for the tracker to find the lifter and its landmark filter to settle.
WARM_FRAMES = 15


@dataclass(frozen=True)
class Lane:
    """Frames ``start`` up to ``stop`` (exclusive; ``None``: to the end of the video) are
    recorded; the estimator is fed from ``warm`` (≤ ``start``) on."""

    start: int
    stop: int | None
    warm: int

    def feeds(self, index: int) -> bool:
        """Whether frame ``index`` goes through this lane's estimator."""
        return index >= self.warm and (self.stop is None or index < self.stop)


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, where the system has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _one_opencv_thread() -> int:
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    return threads


#: OpenCV on the calling threads only while lanes run: with one lane a core, its own thread
#: pool (resizing, colour conversion) only adds switching (about 1 ms of CPU a 720p frame).
#: Analyses running at once share the switch; the last to finish restores the pool.
opencv_one_thread = SharedSwitch(_one_opencv_thread, cv2.setNumThreads).held


def default_lanes() -> int:
    return min(MAX_LANES, available_cores())


def plan_lanes(frames: int, lanes: int, *, warm: int, min_frames: int) -> list[Lane]:
    """Cut ``frames`` (the probed count; 0 when unknown) into at most ``lanes`` parts with
    the same work each (a later part's warm-up frames count as work), every part at least
    ``min_frames + warm`` frames long. A later part's decoder seeks to the key frame before
    its warm-up (:func:`posturecheck.video.read_frames`), so the frames before cost nothing.

    The last part always runs to the end of the video, so a header that undercounts loses
    nothing; one that overcounts only makes the last part shorter than planned.
    """
    lanes = max(1, min(lanes, frames // (min_frames + warm) if frames > 0 else 1))
    if lanes == 1:
        return [Lane(0, None, 0)]
    share = (frames + (lanes - 1) * warm) / lanes
    bounds = [0, *(round(share + k * (share - warm)) for k in range(lanes - 1))]
    stops: list[int | None] = [*bounds[1:], None]
    return [
        Lane(start, stop, max(0, start - warm)) for start, stop in zip(bounds, stops, strict=True)
    ]
