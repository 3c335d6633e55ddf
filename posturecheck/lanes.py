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

#: Lanes used when the caller does not say: one per core, at most this many.
MAX_LANES = 4

#: A frame a later lane's decoder reads through before its warm-up (decoded, not converted
#: or posed) costs about this share of a posed frame (1.7 ms against 31 ms of CPU at 720p).
SKIP_COST = 0.05

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


def default_lanes() -> int:
    return min(MAX_LANES, available_cores())


def _work(start: int | float, stop: int | float, warm: int, skip: float) -> float:
    """A part's cost in posed frames: its own, its warm-up, and the frames before the
    warm-up that its decoder reads through without converting them."""
    return (stop - start) + min(warm, start) + skip * max(0.0, start - warm)


def _bounds(frames: int, lanes: int, warm: int, skip: float, share: float) -> list[float]:
    """Where each part starts if every part but the last costs ``share``."""
    bounds = [0.0]
    for _ in range(1, lanes):
        start = bounds[-1]
        bounds.append(start + share - min(warm, start) - skip * max(0.0, start - warm))
    return bounds


def plan_lanes(
    frames: int, lanes: int, *, warm: int, min_frames: int, skip: float = SKIP_COST
) -> list[Lane]:
    """Cut ``frames`` (the header's count; 0 when unknown) into at most ``lanes`` parts of
    the same cost (a later part's warm-up frames count in full, the frames its decoder reads
    through before them at ``skip`` each), every part at least ``min_frames + warm`` long.

    The last part always runs to the end of the video, so a header that undercounts loses
    nothing; one that overcounts only makes the last part shorter than planned.
    """
    lanes = max(1, min(lanes, frames // (min_frames + warm) if frames > 0 else 1))
    if lanes == 1:
        return [Lane(0, None, 0)]
    low, high = 0.0, float(frames + lanes * warm)
    for _ in range(60):  # bisect the share that leaves the last part the same cost
        share = (low + high) / 2
        last = _bounds(frames, lanes, warm, skip, share)[-1]
        if last < frames and _work(last, frames, warm, skip) > share:
            low = share
        else:
            high = share
    bounds = [round(b) for b in _bounds(frames, lanes, warm, skip, high)]
    stops: list[int | None] = [*bounds[1:], None]
    return [
        Lane(start, stop, max(0, start - warm)) for start, stop in zip(bounds, stops, strict=True)
    ]
