"""Which person is the lifter.

The pose model follows one person per frame. With bystanders in view it can jump from the
lifter to someone else and back. This module cuts the pose track where it jumps (the body's
centre moves or its size changes far more than a body can between two frames), links the
pieces that continue each other into people, and keeps the person doing the reps: the one
whose hips travel furthest up and down relative to their own leg length, over the longest
time. Frames of anyone else become NaN, and the choice is explained in words.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, PersonDefaults
from posturecheck.landmarks import Landmark as L  # noqa: N817
from posturecheck.sequence import FloatArray, PoseSequence
from posturecheck.signal import true_runs


@dataclass(frozen=True)
class PersonChoice:
    """The lifter chosen in a pose sequence.

    Attributes:
        people: how many distinct people the pose track visited.
        lifter: 0-based id of the chosen person (ids in order of first appearance).
        lifter_frames: frames kept for the lifter.
        dropped_frames: frames that showed someone else and were blanked.
        reason: one sentence a lifter can read.
    """

    people: int
    lifter: int
    lifter_frames: int
    dropped_frames: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "people": self.people,
            "lifter": self.lifter,
            "lifter_frames": self.lifter_frames,
            "dropped_frames": self.dropped_frames,
            "reason": self.reason,
        }


def _body_frame(seq: PoseSequence) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per frame: body centre (T, 2), body size (T,) and hip height ÷ leg length (T,)."""
    xy = seq.image_px[:, :, :2]
    shoulders = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    hips = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    ankles = (xy[:, L.LEFT_ANKLE] + xy[:, L.RIGHT_ANKLE]) / 2
    centre = (shoulders + hips) / 2
    trunk = np.linalg.norm(shoulders - hips, axis=1)
    leg = np.linalg.norm(hips - ankles, axis=1)
    size = np.fmax(trunk, leg)
    with np.errstate(invalid="ignore", divide="ignore"):
        hip_height = (ankles[:, 1] - hips[:, 1]) / np.where(size > 0, size, np.nan)
    return centre, size, hip_height


def _pieces(
    centre: FloatArray, size: FloatArray, settings: PersonDefaults
) -> list[tuple[int, int]]:
    """Runs of frames where the track follows one body without jumping."""
    valid = np.isfinite(centre).all(axis=1) & np.isfinite(size) & (size > 0)
    pieces: list[tuple[int, int]] = []
    for start, stop in true_runs(valid):
        begin = start
        for i in range(start + 1, stop):
            moved = np.linalg.norm(centre[i] - centre[i - 1]) / size[i - 1]
            ratio = size[i] / size[i - 1]
            if moved > settings.max_jump or not (
                1 / settings.max_size_change <= ratio <= settings.max_size_change
            ):
                pieces.append((begin, i))
                begin = i
        pieces.append((begin, stop))
    return pieces


def _link(
    pieces: list[tuple[int, int]], centre: FloatArray, size: FloatArray, settings: PersonDefaults
) -> list[int]:
    """Give each piece a person id: a piece continues the person whose last seen position
    and size it matches, otherwise it is someone new."""
    ids: list[int] = []
    last: list[tuple[FloatArray, float]] = []
    for start, stop in pieces:
        here, scale = centre[start], float(size[start])
        match = None
        for pid, (where, s) in enumerate(last):
            near = np.linalg.norm(here - where) / max(s, 1e-9) <= settings.relink_distance
            similar = 1 / settings.max_size_change <= scale / s <= settings.max_size_change
            if near and similar:
                match = pid
                break
        if match is None:
            match = len(last)
            last.append((centre[stop - 1], float(size[stop - 1])))
        else:
            last[match] = (centre[stop - 1], float(size[stop - 1]))
        ids.append(match)
    return ids


def _travel(heights: FloatArray) -> float:
    """How far the hips go up and down (robust range), in body sizes."""
    if heights.size < 2:
        return 0.0
    low, high = np.percentile(heights, [5, 95])
    return float(high - low)


def choose_lifter(
    seq: PoseSequence, settings: PersonDefaults = DEFAULTS.person
) -> tuple[PoseSequence, PersonChoice]:
    """Keep only the lifter's frames of ``seq`` (others become NaN) and say why.

    Pieces of track shorter than ``settings.min_piece_s`` are glitches (landmarks thrown
    across the body for a frame or two) and are dropped. Every person whose hips travel at
    least ``settings.keep_ratio`` of the most active person's is kept: a camera cut makes
    one lifter look like two people, and both are doing the reps.
    """
    centre, size, hip_height = _body_frame(seq)
    dt = float(np.median(np.diff(seq.time_s))) if len(seq) > 1 else 1.0
    min_frames = max(2, round(settings.min_piece_s / dt))
    pieces = [p for p in _pieces(centre, size, settings) if p[1] - p[0] >= min_frames]
    if not pieces:
        return _blank(seq, np.ones(len(seq), bool)), PersonChoice(
            0, 0, 0, seq.frames_with_pose, "No person was tracked for long enough."
        )
    ids = _link(pieces, centre, size, settings)
    people = max(ids) + 1
    frames_of = np.zeros(people, dtype=np.int64)
    heights: list[list[float]] = [[] for _ in range(people)]
    for (start, stop), pid in zip(pieces, ids, strict=True):
        frames_of[pid] += stop - start
        h = hip_height[start:stop]
        heights[pid].extend(h[np.isfinite(h)].tolist())
    travel = np.array([_travel(np.asarray(h)) for h in heights])
    lifter = int(np.argmax(travel * frames_of))
    kept_people = {
        pid for pid in range(people) if travel[pid] >= settings.keep_ratio * travel[lifter]
    }
    keep = np.zeros(len(seq), dtype=bool)
    for (start, stop), pid in zip(pieces, ids, strict=True):
        if pid in kept_people:
            keep[start:stop] = True
    dropped = int(seq.has_pose.sum() - keep.sum())
    others = people - len(kept_people)
    if others == 0:
        reason = "One lifter was tracked throughout."
    else:
        reason = (
            f"The pose track also followed {others} other "
            f"{'person' if others == 1 else 'people'} who did not lift; their "
            f"{dropped} frames were left out."
        )
    if dropped and others == 0:
        reason += f" {dropped} frames where the landmarks jumped were left out."
    choice = PersonChoice(people, lifter, int(keep.sum()), dropped, reason)
    return _blank(seq, ~keep), choice


def _blank(seq: PoseSequence, drop: npt.NDArray[np.bool_]) -> PoseSequence:
    if not drop.any():
        return seq
    arrays = {}
    for name in ("image_px", "world_m", "visibility", "presence"):
        arr = getattr(seq, name).copy()
        arr[drop] = np.nan
        arrays[name] = arr
    extras = {name: np.where(drop, np.nan, values) for name, values in seq.extras.items()}
    return replace(seq, **arrays, extras=extras)
