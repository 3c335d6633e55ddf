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
        facing_min_run_s: a change of facing lasting less than this is undone (the feet
            were lost for a moment; nobody turns round mid-rep).
    """

    side_hysteresis: float = 0.1
    side_window_s: float = 0.5
    facing_hysteresis: float = 0.3
    min_point_confidence: float = 0.3
    facing_min_run_s: float = 1.5

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


#: A knee less than this high above the ankles (leg lengths) has been dropped onto the ankle
#: by the model (legs hidden, e.g. behind the plates): no shin leans that far (about
#: 0.35-0.5 in a deep squat or a deadlift set-up). Used by reps and exercise alike.
KNEE_ON_ANKLE = 0.15


@dataclass(frozen=True)
class RepDefaults:
    """Finding reps in the lifter's normalised body height (:mod:`posturecheck.reps`).

    Heights are measured above the floor (the ankles' rolling median) in units of the
    lifter's own leg length (hip-knee-ankle, a rolling high percentile), so they do not depend
    on how large the lifter is in the frame.

    Attributes:
        floor_window_s: the floor line is the rolling median of the ankles over this window.
        leg_window_s: the leg length is the rolling ``leg_percentile`` over this window.
        leg_percentile: percentile of the per-frame leg length taken as its true length
            (high: a bent or foreshortened leg only ever looks shorter).
        despike_s: running-median window that removes landmark glitches of a few frames.
        min_depth: a rep must go at least this far (leg lengths) below the standing level.
        top_band: a rep starts/ends when the height is within this fraction of the rep's
            range of the standing (lockout) level.
        bottom_band: frames within this fraction of the rep's range of its lowest point are
            "at the bottom" (the pause; for a deadlift, the bar on the floor).
        min_bottom_band: ... but at least this many leg lengths (noise floor).
        max_gap_s: longer gaps in the height signal (the lifter out of frame) split reps.
        min_point_confidence: ankles, hips, shoulders, wrists below this do not count.
        min_knee_height: a knee lower than this is not compared with the bar (see
            :data:`KNEE_ON_ANKLE`).
    """

    floor_window_s: float = 2.0
    leg_window_s: float = 16.0
    leg_percentile: float = 90.0
    despike_s: float = 0.2
    min_depth: float = 0.15
    top_band: float = 0.12
    bottom_band: float = 0.12
    min_bottom_band: float = 0.02
    max_gap_s: float = 0.5
    min_point_confidence: float = 0.3
    min_knee_height: float = KNEE_ON_ANKLE

    def __post_init__(self) -> None:
        _check_positive(
            "RepDefaults",
            floor_window_s=self.floor_window_s,
            leg_window_s=self.leg_window_s,
            despike_s=self.despike_s,
            min_depth=self.min_depth,
            max_gap_s=self.max_gap_s,
        )
        _check_unit(
            "RepDefaults",
            top_band=self.top_band,
            bottom_band=self.bottom_band,
            min_bottom_band=self.min_bottom_band,
            min_point_confidence=self.min_point_confidence,
            leg_percentile=self.leg_percentile / 100.0,
        )


@dataclass(frozen=True)
class ViewDefaults:
    """Camera view from how far the lifter is turned from the camera (:mod:`posturecheck.view`).

    The turn is the angle between the camera axis and the lifter's facing direction, folded to
    0..90° (0 = facing the camera or turned away from it, 90 = side on). It is the mean of two
    estimates: from the world landmarks (depth of the left vs right shoulder and hip) and from
    the image (shoulder and hip width ÷ trunk length, compared with ``frontal_width``).

    Attributes:
        front_max_deg: a turn up to this is a front (or back) view.
        side_min_deg: a turn from this on is a side view; in between is oblique.
        frontal_width: mean shoulder and hip image width ÷ trunk length of a lifter facing
            the camera (typical adult proportions; 0 side on).
        smooth_s: per-frame estimates are averaged over this window before classifying.
        min_segment_s: a stretch of one view shorter than this merges into its neighbours.
        min_point_confidence: shoulders and hips below this do not vote.
    """

    front_max_deg: float = 22.0
    side_min_deg: float = 62.0
    frontal_width: float = 0.6
    smooth_s: float = 1.0
    min_segment_s: float = 2.0
    min_point_confidence: float = 0.05

    def __post_init__(self) -> None:
        if not 0 < self.front_max_deg < self.side_min_deg < 90:
            raise ValueError(
                "ViewDefaults: need 0 < front_max_deg < side_min_deg < 90, got "
                f"{self.front_max_deg}, {self.side_min_deg}"
            )
        _check_positive(
            "ViewDefaults",
            frontal_width=self.frontal_width,
            smooth_s=self.smooth_s,
            min_segment_s=self.min_segment_s,
        )
        _check_unit("ViewDefaults", min_point_confidence=self.min_point_confidence)


@dataclass(frozen=True)
class ExerciseDefaults:
    """Telling a squat from a deadlift at the bottom of each rep (:mod:`posturecheck.exercise`).

    Heights are in the lifter's leg lengths; ratios compare the bottom with standing.

    Attributes:
        wrist_margin_scale: hands this far below the knees at the bottom (leg lengths) is
            full evidence for a deadlift; as far above, for a squat.
        upright_split: trunk uprightness at the bottom (shoulder height above the hips ÷
            the same standing, ≈ cos of the lean) below which a deadlift is favoured ...
        upright_scale: ... and the distance from the split that is full evidence.
        thigh_split: hip height above the knees at the bottom ÷ standing, above which a
            deadlift is favoured (a squat's thighs reach about parallel = 0) ...
        thigh_scale: ... and the distance from the split that is full evidence.
        rdl_min_thigh: a deadlift whose thighs stay this upright (same ratio) ...
        rdl_min_wrist_height: ... with the hands at least this high at the bottom (leg
            lengths above the ankles: the bar never reaches the floor) is noted as an RDL.
        sumo_min_stance: ankle gap ÷ hip-joint width (seen face on) from which the stance
            is noted as sumo (about 2 at shoulder width).
        min_knee_height: a knee lower than this (see :data:`KNEE_ON_ANKLE`) is a tracking
            failure; cues measured against the knee skip such frames.
        opening_s: how a clip opens (standing, or low in a deadlift set-up) is the median
            hip height over its first this many seconds: a cut-in frame from another shot
            does not count.
    """

    wrist_margin_scale: float = 0.15
    upright_split: float = 0.6
    upright_scale: float = 0.25
    thigh_split: float = 0.15
    thigh_scale: float = 0.2
    rdl_min_thigh: float = 0.85
    rdl_min_wrist_height: float = 0.3
    sumo_min_stance: float = 3.0
    min_knee_height: float = KNEE_ON_ANKLE
    opening_s: float = 0.2

    def __post_init__(self) -> None:
        _check_positive(
            "ExerciseDefaults",
            wrist_margin_scale=self.wrist_margin_scale,
            upright_scale=self.upright_scale,
            thigh_scale=self.thigh_scale,
            sumo_min_stance=self.sumo_min_stance,
            opening_s=self.opening_s,
        )
        _check_unit(
            "ExerciseDefaults",
            upright_split=self.upright_split,
            thigh_split=self.thigh_split,
            rdl_min_thigh=self.rdl_min_thigh,
            min_knee_height=self.min_knee_height,
        )


@dataclass(frozen=True)
class CoachingDefaults:
    """How fault rules read the metrics (the cut-offs themselves are in the fault table).

    Attributes:
        min_duration_s: a value must hold at least this long to count (one noisy frame
            cannot raise a flag).
        min_valid_share: a rep's phase with fewer measurable frames than this share is
            "not assessable" for that fault (e.g. knees hidden by the plates).
        min_typical_frames: a fault judged on its typical value (the back outline, measured
            only while bent over) needs at least this many measured frames in the rep.
        standing_knee_max_deg, standing_hip_max_deg: frames this straight count as standing,
            the lifter's own baseline for neck, shoulders and back.
        min_standing_s: baseline-relative faults need at least this much standing.
        bottom_pad_s: the squat's "bottom" phase is the pause plus this either side.
        setup_window_s: a deadlift's set-up is judged over this long before lift-off.
        lockout_before_s, lockout_after_s: a deadlift's lockout is judged from this long
            before reaching the top to this long after.
    """

    min_duration_s: float = 0.1
    min_valid_share: float = 0.5
    min_typical_frames: int = 5
    standing_knee_max_deg: float = 20.0
    standing_hip_max_deg: float = 25.0
    min_standing_s: float = 0.3
    bottom_pad_s: float = 0.1
    setup_window_s: float = 0.3
    lockout_before_s: float = 0.2
    lockout_after_s: float = 0.4

    def __post_init__(self) -> None:
        _check_positive(
            "CoachingDefaults",
            min_duration_s=self.min_duration_s,
            standing_knee_max_deg=self.standing_knee_max_deg,
            standing_hip_max_deg=self.standing_hip_max_deg,
            min_standing_s=self.min_standing_s,
            setup_window_s=self.setup_window_s,
        )
        _check_unit("CoachingDefaults", min_valid_share=self.min_valid_share)


@dataclass(frozen=True)
class BacklineDefaults:
    """Back rounding from the person segmentation mask, side view (:mod:`posturecheck.backline`).

    Lengths are fractions of the trunk length L (mid-hip to mid-shoulder in the image), so
    they do not depend on how large the lifter is in the frame.

    Attributes:
        mask_threshold: mask probability from which a pixel belongs to the lifter.
        rays: how many rays are cast out of the back, evenly along the trunk axis ...
        below_hip: ... from this far below the hip (L) up to the shoulder.
        max_reach: a ray that has not left the mask this far (L) from the axis has merged with
            something behind the lifter and does not count.
        min_ray_share: at least this share of the rays must find the back outline.
        min_point_confidence: hips and shoulders (the better of each pair) below this do not
            count.
        min_trunk_px: a trunk shorter than this in the image is too small to outline.
        min_blob_area: the mask blob around the trunk must cover at least this many L².
        max_width: hip or shoulder width in the image above this (L) means the lifter is not
            side-on: about 28° of turn for shoulders 0.75 L wide. Further round, the outline
            is the shoulder blade's, not the spine's.
        facing_min_score: toe-minus-heel along x ÷ foot length beyond ± this says which way the
            feet point; feet pointing against the trunk lean mean the landmarks are wrong.
        min_lean_deg: only bent-over frames are measured (trunk from vertical at least this):
            near lockout the plates merge into the mask and rounding fades.
        min_frames: a stretch needs this many measured frames for a summary.
        min_coverage: ... and at least this share of its bent-over frames measured: when most
            are rejected (e.g. not side-on), the few left are borderline views, not evidence.
        rounded_sag: median sag (bulge ÷ chord) from which the back is called rounded ...
        possible_sag: ... and from which it is possibly rounded (low confidence). Real side
            views read neutral backs 0.03-0.07 and rounded ones 0.09-0.15 (a circular arc
            bent by θ has sag ≈ θ/8: 0.09 ≈ 41°).
        rounded_bend_deg: median bend (angle between the lower and upper thirds of the back
            outline) needed as well to call it rounded rather than possibly rounded.
    """

    mask_threshold: float = 0.5
    rays: int = 40
    below_hip: float = 0.1
    max_reach: float = 0.8
    min_ray_share: float = 0.75
    min_point_confidence: float = 0.3
    min_trunk_px: float = 24.0
    min_blob_area: float = 0.15
    max_width: float = 0.35
    facing_min_score: float = 0.3
    min_lean_deg: float = 40.0
    min_frames: int = 5
    min_coverage: float = 0.5
    rounded_sag: float = 0.09
    possible_sag: float = 0.075
    rounded_bend_deg: float = 28.0

    def __post_init__(self) -> None:
        _check_unit(
            "BacklineDefaults",
            mask_threshold=self.mask_threshold,
            min_ray_share=self.min_ray_share,
            min_coverage=self.min_coverage,
            min_point_confidence=self.min_point_confidence,
            facing_min_score=self.facing_min_score,
            below_hip=self.below_hip,
        )
        _check_positive(
            "BacklineDefaults",
            max_reach=self.max_reach,
            min_trunk_px=self.min_trunk_px,
            min_blob_area=self.min_blob_area,
            max_width=self.max_width,
            min_lean_deg=self.min_lean_deg,
            rounded_sag=self.rounded_sag,
            possible_sag=self.possible_sag,
            rounded_bend_deg=self.rounded_bend_deg,
        )
        if self.rays < 9:
            raise ValueError(f"BacklineDefaults.rays must be >= 9, got {self.rays}")
        if self.min_frames < 1:
            raise ValueError(f"BacklineDefaults.min_frames must be >= 1, got {self.min_frames}")
        if self.possible_sag > self.rounded_sag:
            raise ValueError(
                "BacklineDefaults: need possible_sag <= rounded_sag, got "
                f"{self.possible_sag} and {self.rounded_sag}"
            )


@dataclass(frozen=True)
class FeetDefaults:
    """Planted feet (:mod:`posturecheck.feet`).

    Attributes:
        min_visibility: a foot landmark this visible is taken as seen.
        window_s: an unsure foot landmark is replaced by the median of where it was seen
            within this many seconds either side ...
        min_seen_frames: ... if it was seen in at least this many frames there.
        inferred_visibility: the visibility given to a replaced landmark (it was inferred).
    """

    min_visibility: float = 0.75
    window_s: float = 3.0
    min_seen_frames: int = 5
    inferred_visibility: float = 0.5

    def __post_init__(self) -> None:
        _check_unit(
            "FeetDefaults",
            min_visibility=self.min_visibility,
            inferred_visibility=self.inferred_visibility,
        )
        _check_positive("FeetDefaults", window_s=self.window_s)
        if self.min_seen_frames < 1:
            raise ValueError(
                f"FeetDefaults.min_seen_frames must be >= 1, got {self.min_seen_frames}"
            )


@dataclass(frozen=True)
class Defaults:
    """All defaults, grouped by the stage that reads them."""

    signal: SignalDefaults = field(default_factory=SignalDefaults)
    sides: SidesDefaults = field(default_factory=SidesDefaults)
    metrics: MetricDefaults = field(default_factory=MetricDefaults)
    person: PersonDefaults = field(default_factory=PersonDefaults)
    reps: RepDefaults = field(default_factory=RepDefaults)
    view: ViewDefaults = field(default_factory=ViewDefaults)
    exercise: ExerciseDefaults = field(default_factory=ExerciseDefaults)
    coaching: CoachingDefaults = field(default_factory=CoachingDefaults)
    feet: FeetDefaults = field(default_factory=FeetDefaults)
    backline: BacklineDefaults = field(default_factory=BacklineDefaults)


DEFAULTS = Defaults()
