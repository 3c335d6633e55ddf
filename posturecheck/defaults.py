"""Every tunable default of the analysis, in one place.

Each stage reads its settings from one frozen dataclass here (``DEFAULTS.signal``,
``DEFAULTS.sides``, ``DEFAULTS.metrics``); nothing else in the package hard-codes a threshold.
A user configuration overrides a field with :func:`dataclasses.replace`. Coaching thresholds
(fault cut-offs) will join this module as their own dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def _check_positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{owner}.{name} must be > 0, got {value!r}")


def _check_unit(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{owner}.{name} must be in [0, 1], got {value!r}")


@dataclass(frozen=True)
class SignalDefaults:
    """Gap filling and smoothing of landmark or metric signals.

    Attributes:
        max_gap_s: longest stretch bridged by linear interpolation, measured from the last
            good sample before the gap to the first good one after it (at 30 fps one missing
            frame spans 0.067 s). Longer gaps stay NaN.
        lowpass_cutoff_hz: -3 dB cut-off of the offline zero-phase Butterworth filter (after
            the forward-backward pass; the single-pass cut-off is corrected for it).
        one_euro_min_cutoff_hz: One Euro filter cut-off when the signal is still (jitter).
        one_euro_beta: One Euro speed coefficient, in Hz per (signal unit / s): 0.01 adds 5 Hz
            of bandwidth at 500 px/s. Larger = less lag in fast moves, more jitter.
        one_euro_d_cutoff_hz: cut-off of the One Euro filter's speed estimate.
    """

    max_gap_s: float = 0.25
    lowpass_cutoff_hz: float = 6.0
    one_euro_min_cutoff_hz: float = 1.0
    one_euro_beta: float = 0.01
    one_euro_d_cutoff_hz: float = 1.0

    def __post_init__(self) -> None:
        _check_positive(
            "SignalDefaults",
            max_gap_s=self.max_gap_s,
            lowpass_cutoff_hz=self.lowpass_cutoff_hz,
            one_euro_min_cutoff_hz=self.one_euro_min_cutoff_hz,
            one_euro_d_cutoff_hz=self.one_euro_d_cutoff_hz,
        )
        if self.one_euro_beta < 0:
            raise ValueError(f"SignalDefaults.one_euro_beta must be >= 0, got {self.one_euro_beta}")


@dataclass(frozen=True)
class SidesDefaults:
    """Near side and facing direction in a side view.

    Attributes:
        side_hysteresis: the near side switches only when the mean visibility of the other
            side's body landmarks exceeds this side's by more than this (0..1).
        side_window_s: the visibility difference is averaged over this window (centred)
            before the hysteresis, so per-frame visibility noise cannot flip the side.
        facing_hysteresis: facing switches only when the facing score (toe minus heel along
            x ÷ foot length, -1..1; nose minus ears likewise when the feet are not seen)
            passes ± this.
        min_point_confidence: a foot or head point below this confidence does not vote.
    """

    side_hysteresis: float = 0.1
    side_window_s: float = 0.5
    facing_hysteresis: float = 0.3
    min_point_confidence: float = 0.3

    def __post_init__(self) -> None:
        _check_unit(
            "SidesDefaults",
            side_hysteresis=self.side_hysteresis,
            facing_hysteresis=self.facing_hysteresis,
            min_point_confidence=self.min_point_confidence,
        )
        if self.side_window_s < 0:
            raise ValueError(f"SidesDefaults.side_window_s must be >= 0, got {self.side_window_s}")


@dataclass(frozen=True)
class MetricDefaults:
    """Computing metrics from landmarks.

    Attributes:
        min_confidence: a metric whose confidence (lowest confidence of the landmarks it
            uses) is below this is NaN in that frame: hallucinated, occluded points are not
            measured. MediaPipe gives visible points ~0.9-1.0.
        standing_knee_max_deg: frames with knee flexion up to this count as standing, for
            the heel-rise baseline.
        heel_baseline_percentile: if no frame is standing, the heel-rise baseline is this
            percentile of the heel-above-toe height (the heel at its lowest).
    """

    min_confidence: float = 0.3
    standing_knee_max_deg: float = 15.0
    heel_baseline_percentile: float = 5.0

    def __post_init__(self) -> None:
        _check_unit("MetricDefaults", min_confidence=self.min_confidence)
        _check_positive("MetricDefaults", standing_knee_max_deg=self.standing_knee_max_deg)
        if not 0.0 <= self.heel_baseline_percentile <= 100.0:
            raise ValueError(
                "MetricDefaults.heel_baseline_percentile must be in [0, 100], "
                f"got {self.heel_baseline_percentile}"
            )


@dataclass(frozen=True)
class PersonDefaults:
    """Telling the lifter from bystanders the pose track may jump to.

    Attributes:
        max_jump: the track is cut where the body's centre moves more than this many body
            sizes (the longer of trunk and leg) from one frame to the next.
        max_size_change: ... or where the body's size changes by more than this factor.
        relink_distance: a piece of track continues an earlier person when it starts within
            this many body sizes of where that person was last seen (and is of similar size).
        min_piece_s: shorter pieces of track are glitches and are dropped.
        keep_ratio: people whose hips travel at least this share of the most active
            person's are the lifter too (the same lifter after a camera cut).
    """

    max_jump: float = 0.6
    max_size_change: float = 1.5
    relink_distance: float = 1.0
    min_piece_s: float = 0.2
    keep_ratio: float = 0.5

    def __post_init__(self) -> None:
        _check_positive(
            "PersonDefaults", max_jump=self.max_jump, relink_distance=self.relink_distance
        )
        if self.max_size_change <= 1:
            raise ValueError(
                f"PersonDefaults.max_size_change must be > 1, got {self.max_size_change}"
            )


@dataclass(frozen=True)
class Defaults:
    """All defaults, grouped by the stage that reads them."""

    signal: SignalDefaults = field(default_factory=SignalDefaults)
    sides: SidesDefaults = field(default_factory=SidesDefaults)
    metrics: MetricDefaults = field(default_factory=MetricDefaults)
    person: PersonDefaults = field(default_factory=PersonDefaults)


DEFAULTS = Defaults()
