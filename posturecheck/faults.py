"""The fault catalogue: one row per compensation we flag (the ids are a stable contract).

Each row says which exercises and camera views it can be judged from, which metric it
reads in which part of the rep and how (worst value, or change from the lifter's own
baseline), the cut-offs for mild / moderate / severe, the link of the chain it belongs to,
the fix, the cue shown on screen, and the bones drawn red while it happens.

Cut-offs are first estimates from the literature (see docs/metrics.md and docs/faults.md)
and from the development clips; every one can be overridden by a user's TOML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from posturecheck.fixes import FIX_BY_ID, Area
from posturecheck.landmarks import Landmark as L  # noqa: N817
from posturecheck.metrics import METRIC_BY_NAME

Exercise = Literal["squat", "deadlift"]
#: Parts of a rep a rule looks at.
#: squat: descent, bottom (around the deepest frame), ascent, rep (all of it);
#: deadlift: setup (the frames before the bar leaves the floor, and lift-off itself),
#: liftoff (the end of the set-up through the first half of the pull), pull_early (first half
#: of the pull), pull (lift-off to lockout), lockout (around the end).
Phase = Literal[
    "descent", "bottom", "ascent", "rep", "setup", "liftoff", "pull_early", "pull", "lockout"
]
#: Which way the metric goes when the fault gets worse: ``up``, ``down`` or ``either``.
Direction = Literal["up", "down", "either"]
#: What the metric is compared with: nothing (its raw value), the lifter's own standing
#: frames (``standing``), or the first frame of the phase (``phase_start``).
Baseline = Literal["none", "standing", "phase_start"]
#: ``peak``: the worst value held for the minimum duration is judged (something happened);
#: ``best``: the best value reached in the phase is judged (a goal never reached, e.g. depth);
#: ``typical``: the median over the frames where the metric could be measured (a shape held
#: through the rep, measured only in some frames, e.g. the back outline while bent over);
#: ``rise``: how far the metric climbs above its own lowest value so far in the phase, held
#: for the minimum duration (e.g. the trunk tipping further forward once the pull starts).
Measure = Literal["peak", "best", "typical", "rise"]

SIDE_VIEW = frozenset({"side"})
FRONT_VIEW = frozenset({"front", "back"})
BOTH = frozenset({"squat", "deadlift"})

Bone = tuple[L, L]


@dataclass(frozen=True)
class Severity:
    """Cut-offs on the rule's measure, in the metric's unit (after baseline and sign)."""

    mild: float
    moderate: float
    severe: float

    def __post_init__(self) -> None:
        if not self.mild < self.moderate < self.severe:
            raise ValueError(
                f"cut-offs must rise: mild {self.mild} < moderate {self.moderate} < "
                f"severe {self.severe}"
            )


@dataclass(frozen=True)
class FaultSpec:
    """One compensation, how it is measured and what to do about it.

    The rule's measure is the metric minus its baseline, turned by ``direction`` so that
    larger always means worse (``down``: negated; ``either``: its absolute value); the worst
    value held for the minimum duration within the phase (``measure="peak"``) or the best
    value reached in it (``measure="best"``) is compared with the cut-offs.
    """

    id: str
    title: str
    area: Area
    exercises: frozenset[str]
    views: frozenset[str]
    metric: str
    phase: Phase
    baseline: Baseline
    direction: Direction
    cutoffs: Severity
    fix: str
    cue: str
    what: str
    bones: tuple[Bone, ...]
    measure: Measure = "peak"
    #: frames whose metric confidence is below this are not used (e.g. heel lift needs
    #: truly visible feet, not feet inferred behind the plates).
    min_confidence: float = 0.0
    #: the metric's median over the phase's frames up to the rep's bottom (a deadlift's
    #: set-up) must reach this, else the landmarks cannot be right for this fault (e.g. a
    #: trunk within 30° of vertical while the bar is on the floor: the hip landmark is on
    #: the plate) and the rep is not judged.
    min_setup_value: float | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRIC_BY_NAME:
            raise ValueError(f"fault {self.id}: unknown metric {self.metric!r}")
        if self.fix not in FIX_BY_ID:
            raise ValueError(f"fault {self.id}: unknown fix {self.fix!r}")
        if not self.exercises <= BOTH:
            raise ValueError(f"fault {self.id}: exercises must be within {sorted(BOTH)}")

    @property
    def unit(self) -> str:
        return METRIC_BY_NAME[self.metric].unit


_NECK: tuple[Bone, ...] = ((L.LEFT_EAR, L.LEFT_SHOULDER), (L.RIGHT_EAR, L.RIGHT_SHOULDER))
_TRUNK: tuple[Bone, ...] = ((L.LEFT_SHOULDER, L.LEFT_HIP), (L.RIGHT_SHOULDER, L.RIGHT_HIP))
_THIGHS: tuple[Bone, ...] = ((L.LEFT_HIP, L.LEFT_KNEE), (L.RIGHT_HIP, L.RIGHT_KNEE))
_SHINS: tuple[Bone, ...] = ((L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE))
_FEET: tuple[Bone, ...] = ((L.LEFT_HEEL, L.LEFT_FOOT_INDEX), (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX))
_ARMS: tuple[Bone, ...] = ((L.LEFT_ELBOW, L.LEFT_WRIST), (L.RIGHT_ELBOW, L.RIGHT_WRIST))
_HIPS: tuple[Bone, ...] = ((L.LEFT_HIP, L.RIGHT_HIP),)

# fmt: off
FAULTS: tuple[FaultSpec, ...] = (
    FaultSpec(
        "forward_head", "Forward head", Area.NECK, BOTH, SIDE_VIEW,
        "head_on_trunk_deg", "rep", "standing", "up", Severity(25.0, 35.0, 45.0),
        "chin_tuck", "Chin tuck",
        "The head drops or juts forward of the trunk line, compared with how you stood.",
        _NECK,
    ),
    FaultSpec(
        "neck_hyperextension", "Neck cranked back", Area.NECK, BOTH, SIDE_VIEW,
        "head_on_trunk_deg", "rep", "standing", "down", Severity(40.0, 55.0, 70.0),
        "neutral_neck", "Eyes down, neck long",
        "The head tips back behind the trunk line (looking up), compared with how you stood.",
        _NECK,
    ),
    FaultSpec(
        "rounded_shoulders", "Rounded shoulders", Area.SHOULDERS, BOTH, SIDE_VIEW,
        "shoulder_protraction_offset", "rep", "standing", "up", Severity(0.22, 0.30, 0.40),
        "rowing_over_pressing", "Shoulders back and down",
        "The shoulders roll forward of the head and neck (in trunk lengths, along the way the "
        "head faces), compared with how you stood; looking up or down does not count.",
        _TRUNK + _NECK,
    ),
    FaultSpec(
        "rounded_back", "Rounded back", Area.THORACIC, BOTH, SIDE_VIEW,
        "back_sag", "rep", "none", "up", Severity(0.075, 0.09, 0.12),
        "thoracic_mobility", "Proud chest, brace",
        "While bent over, the outline of the back bulges away from the straight line between "
        "hips and shoulders (the person mask's back contour: a proxy, one camera sees no "
        "spine); its typical bulge over the rep, as a share of the trunk.",
        _TRUNK, "typical",
    ),
    FaultSpec(
        "hips_rise_first", "Hips rise first", Area.HIPS, frozenset({"deadlift"}), SIDE_VIEW,
        "trunk_lean_deg", "liftoff", "none", "up", Severity(8.0, 12.0, 16.0),
        "hip_hinge_strength", "Chest and hips together",
        "Off the floor the hips shoot up while the chest stays down: the trunk tips further "
        "forward (degrees past its flattest so far) instead of rising with the hips.",
        _TRUNK + _THIGHS, "rise", 0.0, 30.0,
    ),
    FaultSpec(
        "squatting_deadlift", "Squatting the deadlift", Area.HIPS, frozenset({"deadlift"}),
        SIDE_VIEW, "depth_hip_minus_knee", "setup", "none", "down",
        Severity(-0.10, 0.05, 0.20),
        "hinge_pattern", "Hips up, push back",
        "At the start of the pull the hips sit level with or below the knees, like a squat "
        "(hip height above the knee in thigh lengths).",
        _THIGHS + _SHINS,
    ),
    FaultSpec(
        "hyperextended_lockout", "Leaning back at lockout", Area.HIPS, frozenset({"deadlift"}),
        SIDE_VIEW, "trunk_lean_deg", "lockout", "none", "down",
        Severity(15.0, 25.0, 35.0),
        "lockout_glutes", "Squeeze glutes, stand tall",
        "At the top the trunk leans back behind vertical instead of stacking over the hips.",
        _TRUNK,
    ),
    FaultSpec(
        "bar_far_from_body", "Bar away from the body", Area.SHOULDERS,
        frozenset({"deadlift"}), SIDE_VIEW, "bar_offset_pct", "pull", "none", "up",
        Severity(40.0, 60.0, 80.0),
        "bar_close", "Drag the bar up your legs",
        "During the pull the hands (standing in for the bar) drift forward of mid-foot, in % "
        "of foot length.",
        _ARMS, "peak", 0.6,
    ),
    FaultSpec(
        "excessive_forward_lean", "Too much forward lean", Area.ANKLES,
        frozenset({"squat"}), SIDE_VIEW, "trunk_lean_deg", "bottom", "none", "up",
        Severity(50.0, 58.0, 66.0),
        "upright_torso", "Chest up",
        "At the bottom of the squat the trunk leans far forward of vertical.",
        _TRUNK,
    ),
    FaultSpec(
        "shallow_depth", "Squat too shallow", Area.HIPS, frozenset({"squat"}), SIDE_VIEW,
        "thigh_angle_deg", "bottom", "none", "up", Severity(5.0, 20.0, 35.0),
        "hip_mobility", "Sit deeper",
        "At the deepest point the thigh stays above parallel (degrees above horizontal).",
        _THIGHS, "best",
    ),
    FaultSpec(
        "heels_lift", "Heels lift", Area.ANKLES, frozenset({"squat"}), SIDE_VIEW,
        "heel_rise_pct", "rep", "none", "up", Severity(10.0, 18.0, 28.0),
        "ankle_mobility", "Whole foot down",
        "The heel comes off the floor relative to the toe (in % of foot length).",
        _FEET, "peak", 0.7,
    ),
    FaultSpec(
        "knee_valgus", "Knees cave in", Area.KNEES, frozenset({"squat"}), FRONT_VIEW,
        "knee_ankle_width_ratio", "rep", "standing", "down", Severity(0.15, 0.25, 0.35),
        "glute_knee_control", "Knees out",
        "The knees move in towards each other, compared with how you stood (change in the "
        "knee-to-ankle width ratio).",
        _THIGHS + _SHINS,
    ),
    FaultSpec(
        "lateral_shift", "Hips shift sideways", Area.HIPS, BOTH, FRONT_VIEW,
        "lateral_hip_shift", "rep", "standing", "either", Severity(0.25, 0.40, 0.60),
        "balance_and_symmetry", "Weight even on both feet",
        "The hips drift to one side of the feet (in hip widths).",
        _HIPS + _THIGHS,
    ),
)
# fmt: on

FAULT_BY_ID: Mapping[str, FaultSpec] = {f.id: f for f in FAULTS}
FAULT_IDS: tuple[str, ...] = tuple(FAULT_BY_ID)
