"""Which side of the lifter is nearer the camera, which way they face, and the x-mirror.

Side-view metrics are measured on the near side (the far limbs are hidden and MediaPipe
hallucinates them) and in a *canonical* frame in which the lifter faces right (+x): image x
is negated in frames where the lifter faces left, so every sign convention holds for both
directions. Mirroring only flips x; it never relabels left and right landmarks, so the
lifter's left knee stays ``LEFT_KNEE`` whichever way they face.

Both per-frame decisions use a Schmitt trigger (hysteresis) so they do not flicker when the
evidence is ambiguous, e.g. the feet in a front view or a few noisy visibilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Literal

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, SidesDefaults
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseSequence
from posturecheck.signal import sequence_confidence

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

Side = Literal["left", "right"]
Facing = Literal["left", "right"]

L = Landmark


class Part(IntEnum):
    """A body point that exists on both sides; :func:`landmark` gives the side's landmark."""

    EAR = L.LEFT_EAR
    SHOULDER = L.LEFT_SHOULDER
    ELBOW = L.LEFT_ELBOW
    WRIST = L.LEFT_WRIST
    HIP = L.LEFT_HIP
    KNEE = L.LEFT_KNEE
    ANKLE = L.LEFT_ANKLE
    HEEL = L.LEFT_HEEL
    TOE = L.LEFT_FOOT_INDEX


#: A landmark, or a :class:`Part` meaning that part on the near side.
Point = Part | Landmark


def landmark(part: Part, side: Side) -> Landmark:
    """The landmark of ``part`` on the lifter's ``side``."""
    return Landmark(int(part) if side == "left" else int(part) + 1)


def partner(lm: Landmark) -> Landmark:
    """The same point on the lifter's other side (the nose is its own partner).

    By name, not by index parity: the eyes break the odd = left pattern (1-3 left, 4-6 right).
    """
    name = lm.name
    if name.startswith("LEFT_"):
        return Landmark[name.replace("LEFT_", "RIGHT_", 1)]
    if name.startswith("RIGHT_"):
        return Landmark[name.replace("RIGHT_", "LEFT_", 1)]
    if name.startswith("MOUTH_"):
        return Landmark.MOUTH_RIGHT if lm == Landmark.MOUTH_LEFT else Landmark.MOUTH_LEFT
    return lm


#: Landmarks whose visibility votes for the near side.
SIDE_VOTERS: tuple[Part, ...] = tuple(Part)


def schmitt(score: npt.ArrayLike, threshold: float, initial: bool = True) -> BoolArray:
    """Hysteresis switch over time: True after ``score > threshold``, False after
    ``score < -threshold``, otherwise (or at NaN) the previous state.

    Frames before the first decisive one take that first decision; if none ever is,
    every frame is ``initial``.
    """
    s = np.asarray(score, dtype=np.float64)
    state = np.empty(s.shape, dtype=bool)
    decided = np.flatnonzero(np.abs(np.nan_to_num(s)) > threshold)
    current = bool(s[decided[0]] > 0) if decided.size else initial
    for i, value in enumerate(s):
        if value > threshold:
            current = True
        elif value < -threshold:
            current = False
        state[i] = current
    return state


def moving_mean(time_s: FloatArray, values: FloatArray, window_s: float) -> FloatArray:
    """Centred mean over ``window_s`` (in frames at the median interval), ignoring NaN;
    NaN stays NaN."""
    n = values.shape[0]
    if n < 2:
        return values.copy()
    half = round(window_s / float(np.median(np.diff(time_s))) / 2)
    if half < 1:
        return values.copy()
    ok = np.isfinite(values)
    csum = np.concatenate([[0.0], np.cumsum(np.where(ok, values, 0.0))])
    ccount = np.concatenate([[0], np.cumsum(ok)])
    lo = np.clip(np.arange(n) - half, 0, n)
    hi = np.clip(np.arange(n) + half + 1, 0, n)
    count = ccount[hi] - ccount[lo]
    mean = (csum[hi] - csum[lo]) / np.maximum(count, 1)
    return np.where(ok, mean, np.nan)


def _majority(flags: BoolArray, valid: BoolArray) -> tuple[bool, float]:
    """Majority value among valid frames and the share of valid frames agreeing with it."""
    n = int(valid.sum())
    if n == 0:
        return True, 0.0
    yes = int(flags[valid].sum())
    return yes * 2 >= n, max(yes, n - yes) / n


@dataclass(frozen=True)
class SideTrack:
    """The near side per frame and for the clip.

    Attributes:
        left_near: (T,) True where the lifter's left side is taken as nearer the camera.
        score: (T,) mean visibility of the left body points minus the right ones, averaged
            over ``side_window_s`` (NaN where no pose).
        side: the near side in most frames with a pose.
        confidence: share of frames with a pose whose decided side agrees with ``side``
            (0 when no frame had a pose; 1 when the side was given by the user).
    """

    left_near: BoolArray
    score: FloatArray
    side: Side
    confidence: float

    def __post_init__(self) -> None:
        if self.left_near.shape != self.score.shape or self.score.ndim != 1:
            raise ValueError(
                f"left_near and score must be matching (T,) arrays, got "
                f"{self.left_near.shape} and {self.score.shape}"
            )


@dataclass(frozen=True)
class FacingTrack:
    """Which way the lifter faces on screen, per frame and for the clip.

    Attributes:
        faces_right: (T,) True where the lifter faces +x (right on screen).
        score: (T,) -1..1 toe-ahead-of-heel (or nose-ahead-of-ears) along +x; NaN where
            neither the feet nor the head are seen well enough.
        facing: the direction in most frames where it could be told.
        confidence: share of those frames agreeing with ``facing``, times the share of
            frames with a pose where it could be told (1 when given by the user).
    """

    faces_right: BoolArray
    score: FloatArray
    facing: Facing
    confidence: float

    def __post_init__(self) -> None:
        if self.faces_right.shape != self.score.shape or self.score.ndim != 1:
            raise ValueError(
                f"faces_right and score must be matching (T,) arrays, got "
                f"{self.faces_right.shape} and {self.score.shape}"
            )


def side_score(seq: PoseSequence) -> FloatArray:
    """(T,) mean confidence of the left body points minus the right ones; NaN if no pose."""
    conf = sequence_confidence(seq)
    left = [int(landmark(p, "left")) for p in SIDE_VOTERS]
    right = [int(landmark(p, "right")) for p in SIDE_VOTERS]
    score = conf[:, left].mean(axis=1) - conf[:, right].mean(axis=1)
    return np.where(seq.has_pose, score, np.nan)


def near_side(
    seq: PoseSequence,
    *,
    side: Side | None = None,
    facing: FacingTrack | None = None,
    settings: SidesDefaults = DEFAULTS.sides,
) -> SideTrack:
    """The side nearer the camera, from landmark visibility, with hysteresis.

    ``side`` forces the answer. Where visibility never decides, the side that faces the camera
    for the given ``facing`` is used (a lifter facing right on screen shows their right side).
    """
    score = side_score(seq)
    if side is not None:
        return SideTrack(np.full(len(seq), side == "left"), score, side, 1.0)
    initial = facing is not None and facing.facing == "left"
    score = moving_mean(seq.time_s, score, settings.side_window_s)
    left_near = schmitt(score, settings.side_hysteresis, initial=initial)
    decided = seq.has_pose & (np.abs(np.nan_to_num(score)) > settings.side_hysteresis)
    left, share = _majority(left_near, seq.has_pose)
    confidence = share * (decided.sum() / max(int(seq.has_pose.sum()), 1))
    return SideTrack(left_near, score, "left" if left else "right", float(confidence))


def _pointing(
    xy: FloatArray, conf: FloatArray, tips: list[int], bases: list[int], min_conf: float
) -> FloatArray:
    """Confidence-weighted mean of (tip.x - base.x) / |tip - base| over pairs; NaN if none."""
    total = np.zeros(xy.shape[0])
    weight = np.zeros(xy.shape[0])
    for tip, base in zip(tips, bases, strict=True):
        d = xy[:, tip] - xy[:, base]
        length = np.hypot(d[:, 0], d[:, 1])
        w = np.minimum(conf[:, tip], conf[:, base])
        ok = (w >= min_conf) & (length > 0) & np.isfinite(length)
        total += np.where(ok, w * d[:, 0] / np.where(ok, length, 1.0), 0.0)
        weight += np.where(ok, w, 0.0)
    return np.where(weight > 0, total / np.where(weight > 0, weight, 1.0), np.nan)


def facing_score(seq: PoseSequence, settings: SidesDefaults = DEFAULTS.sides) -> FloatArray:
    """(T,) -1..1: +1 facing right. From toe vs heel; nose vs ears where no foot is seen."""
    xy = seq.image_px[:, :, :2]
    conf = sequence_confidence(seq)
    feet = _pointing(
        xy,
        conf,
        [L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX],
        [L.LEFT_HEEL, L.RIGHT_HEEL],
        settings.min_point_confidence,
    )
    head = _pointing(
        xy, conf, [L.NOSE, L.NOSE], [L.LEFT_EAR, L.RIGHT_EAR], settings.min_point_confidence
    )
    return np.where(np.isnan(feet), head, feet)


def facing_direction(
    seq: PoseSequence, *, facing: Facing | None = None, settings: SidesDefaults = DEFAULTS.sides
) -> FacingTrack:
    """Which way the lifter faces, per frame with hysteresis and for the clip.

    ``facing`` forces the answer. Frames that never decide (e.g. a front view, where toe and
    heel line up) take the first decided direction, or "right" if none.
    """
    score = facing_score(seq, settings)
    if facing is not None:
        return FacingTrack(np.full(len(seq), facing == "right"), score, facing, 1.0)
    faces_right = _drop_short_runs(
        schmitt(score, settings.facing_hysteresis, initial=True),
        seq.time_s,
        settings.facing_min_run_s,
    )
    told = np.isfinite(score) & (np.abs(np.nan_to_num(score)) > settings.facing_hysteresis)
    right, share = _majority(np.sign(np.nan_to_num(score)) > 0, told)
    coverage = told.sum() / max(int(seq.has_pose.sum()), 1)
    return FacingTrack(faces_right, score, "right" if right else "left", float(share * coverage))


def _drop_short_runs(flags: BoolArray, time_s: FloatArray, min_run_s: float) -> BoolArray:
    """Flip back runs shorter than ``min_run_s``: a lifter does not turn round mid-rep, so a
    brief flip is the feet being lost (e.g. behind the plates at lift-off)."""
    out = flags.copy()
    n = out.size
    if n == 0:
        return out
    edges = np.flatnonzero(np.diff(out.astype(np.int8))) + 1
    starts = np.concatenate(([0], edges))
    stops = np.concatenate((edges, [n]))
    for start, stop in zip(starts, stops, strict=True):
        if start == 0 or stop == n:
            continue  # a run at either end has no neighbour on both sides
        if time_s[stop - 1] - time_s[start] < min_run_s:
            out[start:stop] = out[start - 1]
    return out


def canonical_xy(seq: PoseSequence, faces_right: BoolArray) -> FloatArray:
    """(T, 33, 2) image positions with x negated where the lifter faces left.

    In the result the lifter always faces +x, so "forward" is +x in every frame. Only
    differences of positions are meaningful afterwards (the mirror is about x = 0).
    """
    xy = seq.image_px[:, :, :2].copy()
    xy[~faces_right, :, 0] *= -1.0
    return xy


@dataclass(frozen=True)
class Body:
    """Landmark positions of one sequence in the canonical frame (lifter faces +x), with a
    near side per frame, for measuring. Index it with a :class:`Landmark` or a :class:`Part`
    (that part on the near side)."""

    xy: FloatArray  # (T, 33, 2) pixels, x mirrored where the lifter faces left, y down
    conf: FloatArray  # (T, 33) point confidence in [0, 1]
    left_near: BoolArray  # (T,) the near side per frame

    def __post_init__(self) -> None:
        t = self.left_near.shape[0] if self.left_near.ndim == 1 else -1
        for name, expected in (("xy", (t, 33, 2)), ("conf", (t, 33)), ("left_near", (t,))):
            if getattr(self, name).shape != expected:
                raise ValueError(
                    f"Body.{name} must have shape {expected}, got {getattr(self, name).shape}"
                )

    def _index(self, point: Point) -> npt.NDArray[np.intp]:
        if isinstance(point, Part):
            left, right = landmark(point, "left"), landmark(point, "right")
            return np.where(self.left_near, int(left), int(right))
        return np.full(self.left_near.shape, int(point), dtype=np.intp)

    def __getitem__(self, point: Point) -> FloatArray:
        """(T, 2) position of a landmark, or of a part on the near side."""
        return self.xy[np.arange(self.xy.shape[0]), self._index(point)]

    def confidence(self, point: Point) -> FloatArray:
        return self.conf[np.arange(self.conf.shape[0]), self._index(point)]


def canonical_body(seq: PoseSequence, facing: FacingTrack, side: SideTrack) -> Body:
    """The sequence mirrored to face +x per ``facing``, measured on ``side``'s near side."""
    return Body(
        xy=canonical_xy(seq, facing.faces_right),
        conf=sequence_confidence(seq),
        left_near=side.left_near,
    )
