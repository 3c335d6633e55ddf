"""Live settings and the words the live modules share: the lifter's side, the exercise
choice, the side's landmark by part name, and :class:`LiveConfig`'s thresholds."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from posturecheck.defaults import DEFAULTS
from posturecheck.landmarks import Landmark

Side = Literal["left", "right"]
LiveExercise = Literal["auto", "squat", "deadlift"]


def side_landmark(part: str, side: Side) -> Landmark:
    """The landmark of ``part`` (``"KNEE"``, ``"FOOT_INDEX"``...) on ``side``."""
    return Landmark[f"{side.upper()}_{part}"]


def _side_width_limit() -> float:
    """Shoulder/hip width ÷ trunk length of a lifter turned exactly to the review's side-view
    limit (:class:`~posturecheck.defaults.ViewDefaults`): one source for "side on"."""
    v = DEFAULTS.view
    return v.frontal_width * math.cos(math.radians(v.side_min_deg))


@dataclass(frozen=True)
class LiveConfig:
    """Live thresholds. Heights are fractions of the frame; rep depths are in leg lengths.

    ``head_factor`` turns the ear-to-heel span into stature (the crown is above the ear).
    A placement verdict must hold for ``guidance_hold_s`` before it changes (no flicker).
    """

    min_visibility: float = 0.5
    min_height_frac: float = 0.40
    max_height_frac: float = 0.95
    head_factor: float = 1.1
    edge_margin_frac: float = 0.01
    max_side_width: float = field(default_factory=_side_width_limit)
    guidance_hold_s: float = 0.7
    rep_min_depth: float = DEFAULTS.reps.min_depth
    min_point_confidence: float = DEFAULTS.reps.min_point_confidence
    floor_window_s: float = DEFAULTS.reps.floor_window_s
    leg_window_s: float = DEFAULTS.reps.leg_window_s
    lost_after_s: float = 1.0
    cue_hold_s: float = 2.5
    timing_window: int = 900

    def __post_init__(self) -> None:
        for name in ("min_visibility", "min_point_confidence", "edge_margin_frac"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"LiveConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0.0 < self.min_height_frac < self.max_height_frac <= 1.0:
            raise ValueError(
                "LiveConfig: need 0 < min_height_frac < max_height_frac <= 1, got "
                f"{self.min_height_frac}, {self.max_height_frac}"
            )
        for name in ("rep_min_depth", "floor_window_s", "leg_window_s", "max_side_width"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LiveConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.timing_window < 1:
            raise ValueError(f"LiveConfig.timing_window must be >= 1, got {self.timing_window}")
