"""Live angles and reps, causally, one frame at a time.

:func:`live_angles` measures the key side-view angles as :mod:`posturecheck.metrics` defines
them. :class:`HipHeight` and :class:`RepCounter` count reps on the lifter's normalised hip
height: a causal twin of :mod:`posturecheck.reps`, good enough live (the full review
re-detects). :func:`rep_cues` and :func:`lockout_cue` turn a finished rep or a standing pose
into cues with the fault table's cut-offs.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from posturecheck import geometry as g
from posturecheck.defaults import DEFAULTS
from posturecheck.faults import FAULT_BY_ID
from posturecheck.landmarks import Landmark
from posturecheck.live.config import LiveConfig, LiveExercise, Side, side_landmark
from posturecheck.sequence import PoseFrame
from posturecheck.signal import point_confidence

L = Landmark


@dataclass(frozen=True)
class LiveAngles:
    """Key side-view angles in degrees, as :mod:`posturecheck.metrics` defines them."""

    knee_deg: float | None = None
    hip_deg: float | None = None
    trunk_lean_deg: float | None = None
    thigh_deg: float | None = None


def _num(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def live_angles(pose: PoseFrame, side: Side, faces_right: bool) -> LiveAngles:
    """Knee and hip flexion, trunk lean and thigh angle on ``side``, mirrored so that the
    lifter faces +x (the same signs as the review's metrics)."""
    xy = pose.image_px[:, :2].copy()
    if not faces_right:
        xy[:, 0] = -xy[:, 0]
    sh, hip, knee, ankle = (
        xy[side_landmark(p, side)] for p in ("SHOULDER", "HIP", "KNEE", "ANKLE")
    )
    return LiveAngles(
        knee_deg=_num(g.bend_deg(hip, knee, ankle)),
        hip_deg=_num(g.bend_deg(knee, hip, sh)),
        trunk_lean_deg=_num(g.inclination_deg(hip, sh)),
        thigh_deg=_num(g.elevation_deg(knee, hip)),
    )


class _Rolling:
    """Values of the last ``window_s`` seconds."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._items: deque[tuple[float, float]] = deque()

    def add(self, time_s: float, value: float) -> None:
        self._items.append((time_s, value))
        while self._items and self._items[0][0] < time_s - self.window_s:
            self._items.popleft()

    def percentile(self, q: float) -> float:
        return float(np.percentile([v for _, v in self._items], q)) if self._items else math.nan


class HipHeight:
    """Hip height above the floor (the ankles' rolling median) in leg lengths (a rolling
    high percentile of hip-knee-ankle length), causally; NaN when not measurable."""

    def __init__(self, config: LiveConfig) -> None:
        self.config = config
        self._floor = _Rolling(config.floor_window_s)
        self._leg = _Rolling(config.leg_window_s)

    def update(self, time_s: float, pose: PoseFrame | None) -> float:
        if pose is None:
            return math.nan
        conf = point_confidence(pose.visibility, pose.presence)
        c = self.config.min_point_confidence

        def y(a: Landmark, b: Landmark) -> float:
            w = np.array([conf[a] if conf[a] >= c else 0.0, conf[b] if conf[b] >= c else 0.0])
            ys = pose.image_px[[a, b], 1]
            ok = np.isfinite(ys) & (w > 0)
            return float(np.sum(ys[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else math.nan

        legs = []
        for s in ("left", "right"):
            pts = [pose.image_px[side_landmark(p, s), :2] for p in ("HIP", "KNEE", "ANKLE")]
            if min(conf[side_landmark(p, s)] for p in ("HIP", "KNEE", "ANKLE")) >= c:
                legs.append(float(g.distance(pts[0], pts[1]) + g.distance(pts[1], pts[2])))
        ankle, hip = y(L.LEFT_ANKLE, L.RIGHT_ANKLE), y(L.LEFT_HIP, L.RIGHT_HIP)
        if math.isfinite(ankle):
            self._floor.add(time_s, ankle)
        if legs and math.isfinite(legs[0]):
            self._leg.add(time_s, max(legs))
        leg = self._leg.percentile(DEFAULTS.reps.leg_percentile)
        floor = self._floor.percentile(50.0)
        return (floor - hip) / leg if leg > 0 else math.nan


@dataclass(frozen=True)
class LiveRep:
    """A rep just completed: its number, depth (leg lengths) and angles at its lowest point."""

    number: int
    time_s: float
    depth: float
    bottom: LiveAngles


class RepCounter:
    """Counts reps on normalised hip height with hysteresis, causally.

    Down: ``depth`` below the highest point since the last rep. Up (a rep): ``depth`` above
    the lowest point and 70% of the dip recovered. A stream that opens low (a clip that
    starts in a deadlift set-up) counts its first rise of ``depth``. A gap over
    ``lost_after_s`` forgets the state, and a lifter who comes back low is not counted until
    they have been seen going down (a half-seen rep never counts).
    """

    def __init__(self, depth: float, lost_after_s: float = 1.0) -> None:
        self.depth, self.lost_after_s = depth, lost_after_s
        self.count = 0
        self.state: Literal["unknown", "up", "down"] = "unknown"
        self._peak = self._low = math.nan
        self._bottom = LiveAngles()
        self._seen_s = -math.inf
        self._opening = True  # the stream's first sighting: it may open low

    def reset_count(self) -> None:
        self.count = 0

    def update(self, time_s: float, height: float, angles: LiveAngles) -> LiveRep | None:
        if not math.isfinite(height):
            if time_s - self._seen_s > self.lost_after_s and math.isfinite(self._seen_s):
                self.state, self._peak, self._low = "unknown", math.nan, math.nan
                self._opening = False
            return None
        self._seen_s = time_s
        h = height
        if self.state == "unknown" and math.isnan(self._peak):
            self._peak = self._low = h
            self._bottom = angles
        if self.state in ("unknown", "down") and h < self._low:
            self._low, self._bottom = h, angles
        if self.state in ("unknown", "up"):
            self._peak = max(self._peak, h)
            if h < self._peak - self.depth:
                self.state, self._low, self._bottom = "down", h, angles
                return None
        recovered = h > self._peak - 0.3 * (self._peak - self._low)
        rose = self.state != "up" and h >= self._low + self.depth
        if rose and (self._opening if self.state == "unknown" else recovered):
            self.count += 1
            rep = LiveRep(self.count, time_s, max(self._peak, h) - self._low, self._bottom)
            self.state, self._peak = "up", h
            return rep
        return None


def rep_cues(rep: LiveRep, exercise: LiveExercise) -> tuple[str, ...]:
    """Cues for a finished rep from the fault table's cut-offs (squat depth and lean);
    ``auto`` calls a rep with the thigh near parallel (under 25°) a squat."""
    b = rep.bottom
    if exercise == "auto":
        exercise = "squat" if b.thigh_deg is not None and b.thigh_deg < 25.0 else "deadlift"
    if exercise != "squat":
        return ()
    cues = []
    for fault, value in (
        ("shallow_depth", b.thigh_deg),
        ("excessive_forward_lean", b.trunk_lean_deg),
    ):
        spec = FAULT_BY_ID[fault]
        if value is not None and value > spec.cutoffs.mild:
            cues.append(spec.cue)
    return tuple(cues)


def lockout_cue(angles: LiveAngles, standing: bool, exercise: LiveExercise) -> str | None:
    """The lean-back cue while standing tall in a deadlift (the fault table's mild cut-off)."""
    spec = FAULT_BY_ID["hyperextended_lockout"]
    lean = angles.trunk_lean_deg
    if exercise == "squat" or not standing or lean is None:
        return None
    return spec.cue if -lean > spec.cutoffs.mild else None
