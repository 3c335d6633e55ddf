"""THE metric table and :func:`compute_metrics`: a pose sequence → named per-frame metrics.

Every metric is one :class:`MetricSpec` row in :data:`METRICS`: its unit, the landmarks it
uses, the views where it means something, whether it is a proxy, and its known accuracy.
``docs/metrics.md`` describes each row at length.

Side-view metrics use the side nearer the camera and a canonical frame in which the lifter
faces right (+x = forward; see :mod:`posturecheck.sides`), so their signs never depend on
the direction the lifter faces. Front-view metrics take their sign from anatomy ("towards
the other leg", "the lifter's left") and are the same from the front and from behind.

Every metric is computed in every frame; whether the view supports it is for the caller to
decide from ``spec.views``. A metric is NaN where a landmark is missing or its confidence
(the lowest confidence of its landmarks) is below ``MetricDefaults.min_confidence``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from posturecheck import geometry as g
from posturecheck.defaults import DEFAULTS, Defaults, MetricDefaults
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseSequence
from posturecheck.sides import (
    Body,
    Facing,
    Part,
    Point,
    Side,
    canonical_body,
    facing_direction,
    landmark,
    near_side,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

View = Literal["side", "front", "back", "oblique"]
Kind = Literal["joint_angle", "segment_angle", "offset", "ratio", "contour"]

L = Landmark
P = Part
SIDE: tuple[View, ...] = ("side",)
FRONT: tuple[View, ...] = ("front", "back")


MetricFn = Callable[[Body, MetricDefaults], FloatArray]


@dataclass(frozen=True)
class MetricSpec:
    """One row of the metric table."""

    name: str
    unit: str  # "deg", "ratio" (dimensionless) or "% foot"
    kind: Kind
    views: tuple[View, ...]
    proxy: bool
    points: tuple[Point, ...]  # all needed: confidence = the lowest of these
    accuracy: str
    description: str
    compute: MetricFn | None = field(repr=False, compare=False)
    #: Measured during extraction from the person mask and stored in the pose sequence's
    #: ``extras`` under this name (no landmark formula: ``compute`` is None).
    extra: str | None = None

    def landmarks(self, side: Side) -> tuple[Landmark, ...]:
        """The landmarks this metric reads when ``side`` is the near side."""
        return tuple(landmark(p, side) if isinstance(p, Part) else p for p in self.points)


#: The ankle's reach ahead of the toe, as a share of the foot's length, below which the foot
#: is too foreshortened to read a heel lift from the ankle's rise.
ANKLE_REACH_MIN = 0.3


def _div(num: FloatArray, den: FloatArray) -> FloatArray:
    ok = den != 0
    return np.where(ok, num / np.where(ok, den, 1.0), np.nan)


# --- metric functions (canonical frame: forward = +x, up = -y) ----------------------------


def _shoulder_offset(b: Body, _: MetricDefaults) -> FloatArray:
    hip, shoulder = b[P.HIP], b[P.SHOULDER]
    return _div(g.signed_distance(shoulder, hip, b[P.EAR]), g.distance(hip, shoulder))


def _shoulder_protraction(b: Body, _: MetricDefaults) -> FloatArray:
    """The shoulder's distance ahead of the ear along the head's own forward axis (ear→nose)
    ÷ trunk length: the head and neck turning together about the shoulder leave it unchanged."""
    shoulder, ear = b[P.SHOULDER], b[P.EAR]
    forward = g.vector(ear, b[L.NOSE])
    return _div(
        g.dot(g.vector(ear, shoulder), forward), g.norm(forward) * g.distance(b[P.HIP], shoulder)
    )


def _shoulder_deg(b: Body, _: MetricDefaults) -> FloatArray:
    return g.signed_angle_deg(g.vector(b[P.HIP], b[P.EAR]), g.vector(b[P.HIP], b[P.SHOULDER]))


def _depth(b: Body, _: MetricDefaults) -> FloatArray:
    hip, knee = b[P.HIP], b[P.KNEE]
    return _div(knee[:, 1] - hip[:, 1], g.distance(hip, knee))


def _foot_length(b: Body) -> float:
    lengths = g.distance(b[P.HEEL], b[P.TOE])
    return float(np.nanmedian(lengths)) if np.isfinite(lengths).any() else float("nan")


def _standing_value(values: FloatArray, standing: BoolArray, fallback_percentile: float) -> float:
    """Median of ``values`` over the standing frames, else the given percentile of all."""
    ok = np.isfinite(values)
    if (ok & standing).any():
        return float(np.median(values[ok & standing]))
    if ok.any():
        return float(np.percentile(values[ok], fallback_percentile))
    return float("nan")


def _heel_rise(b: Body, d: MetricDefaults) -> FloatArray:
    """The heel's rise above the toe (% of foot length) against standing, capped by the rise
    the ankle shows. A heel that really lifts tilts the foot about the toes and raises the
    ankle with it; a heel point that rises while the ankle stays down is the model
    misplacing the foot's points, as it does on a planted foot at the bottom of a deep
    squat, and reads as no lift."""
    knee = g.bend_deg(b[P.HIP], b[P.KNEE], b[P.ANKLE])
    standing = np.abs(knee) <= d.standing_knee_max_deg
    rise = b[P.TOE][:, 1] - b[P.HEEL][:, 1]  # heel height above the toe, pixels
    flat = _standing_value(rise, standing, d.heel_baseline_percentile)
    foot = _foot_length(b)
    from_heel = 100.0 * (rise - flat) / foot
    # The ankle as a point fixed to a rigid foot that pivots about the toe: standing, it is
    # `reach` ahead of the toe and `height` above it; tilted by t it has risen by
    # reach·sin(t) + height·(cos(t) - 1). Solved for sin(t), what the heel rise measures.
    ankle, toe = b[P.ANKLE], b[P.TOE]
    reach = _standing_value(np.abs(ankle[:, 0] - toe[:, 0]), standing, 50.0)
    if not reach > ANKLE_REACH_MIN * foot:  # foot seen end-on: no tilt to read
        return from_heel
    height = _standing_value(toe[:, 1] - ankle[:, 1], standing, d.heel_baseline_percentile)
    down = _standing_value(ankle[:, 1], standing, 100.0 - d.heel_baseline_percentile)
    radius, phase = np.hypot(reach, height), np.arctan2(height, reach)
    tilt = np.arcsin(np.clip((down - ankle[:, 1] + height) / radius, -1.0, 1.0)) - phase
    from_ankle = 100.0 * np.sin(tilt)
    return np.where(np.isfinite(from_ankle), np.fmin(from_heel, from_ankle), from_heel)


def _bar_offset(b: Body, _: MetricDefaults) -> FloatArray:
    mid_foot = g.midpoint(b[P.HEEL], b[P.TOE])
    return 100.0 * (b[P.WRIST][:, 0] - mid_foot[:, 0]) / _foot_length(b)


def _other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def _valgus(side: Side) -> MetricFn:
    other = _other(side)

    def fn(b: Body, _: MetricDefaults) -> FloatArray:
        hip, knee, ankle = (b[landmark(p, side)] for p in (P.HIP, P.KNEE, P.ANKLE))
        offset = g.perpendicular_offset(knee, hip, ankle, toward=b[landmark(P.HIP, other)])
        return _div(offset, g.distance(hip, ankle))

    return fn


def _hip_shift(b: Body, _: MetricDefaults) -> FloatArray:
    floor = g.vector(b[L.RIGHT_ANKLE], b[L.LEFT_ANKLE])  # towards the lifter's left
    shift = g.vector(
        g.midpoint(b[L.LEFT_ANKLE], b[L.RIGHT_ANKLE]), g.midpoint(b[L.LEFT_HIP], b[L.RIGHT_HIP])
    )
    return _div(g.dot(shift, floor), g.norm(floor) * g.distance(b[L.LEFT_HIP], b[L.RIGHT_HIP]))


# --- the table ----------------------------------------------------------------------------

_NECK = "neck angle on renders +3.5±3.9° (reads high)"
_KNEES_ANKLES = (L.LEFT_KNEE, L.RIGHT_KNEE, L.LEFT_ANKLE, L.RIGHT_ANKLE)
_HIPS_ANKLES = (L.LEFT_HIP, L.RIGHT_HIP, L.LEFT_ANKLE, L.RIGHT_ANKLE)

# fmt: off
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "neck_cva_proxy_deg", "deg", "segment_angle", SIDE, True, (P.SHOULDER, P.EAR),
        f"{_NECK}; the shoulder stands in for C7, so absolute values are biased: compare "
        "with the lifter's own standing/setup frame. Clinical CVA 43.9±3.6° (neck pain) vs "
        "50.6±2.1° (controls), Lau 2009, not directly comparable.",
        "Shoulder→ear against the forward horizontal; 90 = ear straight above the shoulder, "
        "smaller = head further forward.",
        lambda b, _: g.direction_deg(b[P.SHOULDER], b[P.EAR]),
    ),
    MetricSpec(
        "head_on_trunk_deg", "deg", "joint_angle", SIDE, True, (P.HIP, P.SHOULDER, P.EAR),
        f"{_NECK}; no C7 landmark: use change from setup.",
        "Shoulder→ear against hip→shoulder; 0 = head in line with the trunk, + = head "
        "forward/down (neck flexion), - = looking up.",
        lambda b, _: g.bend_deg(b[P.HIP], b[P.SHOULDER], b[P.EAR]),
    ),
    MetricSpec(
        "shoulder_forward_offset", "ratio", "offset", SIDE, True, (P.HIP, P.SHOULDER, P.EAR),
        "No validated cut-off for rounded shoulders (Sandrey). Confounded with the head: a "
        "forward head lowers it and looking up raises it (the ear swings back), so the "
        "rounded-shoulders rule reads shoulder_protraction_offset instead.",
        "Shoulder's perpendicular distance from the hip→ear line ÷ trunk length "
        "(hip→shoulder); + = shoulder ahead of the line (protracted/rounded).",
        _shoulder_offset,
    ),
    MetricSpec(
        "shoulder_forward_deg", "deg", "segment_angle", SIDE, True, (P.HIP, P.SHOULDER, P.EAR),
        "As shoulder_forward_offset.",
        "Angle at the hip from hip→ear to hip→shoulder; + = shoulder ahead of the line.",
        _shoulder_deg,
    ),
    MetricSpec(
        "shoulder_protraction_offset", "ratio", "offset", SIDE, True,
        (P.HIP, P.SHOULDER, P.EAR, L.NOSE),
        "No validated cut-off for rounded shoulders (Sandrey). Proxy: the ear→nose line "
        "stands in for the head's orientation; looking up or down (head and neck turning "
        "together) leaves it unchanged, but nodding the chin to the chest without the neck "
        "reads as the shoulder moving forward. Judge as change from baseline.",
        "Shoulder's distance ahead of the ear along the head's forward axis (ear→nose) ÷ "
        "trunk length (hip→shoulder); + = shoulder further forward (protracted/rounded).",
        _shoulder_protraction,
    ),
    MetricSpec(
        "thoracic_bend_deg", "deg", "joint_angle", SIDE, True, (P.HIP, P.SHOULDER, P.EAR),
        "Landmark proxy: neck and thoracic flexion cannot be told apart (same angle as "
        "head_on_trunk_deg); no 2D keypoint threshold is published. The segmentation-mask "
        "back contour (sag, bend) separates rounded from neutral (render AUC 0.99/1.00).",
        "Bend of the hip→shoulder→ear chain at the shoulder; 0 = straight, + = bent forward "
        "(rounding). Read as change from setup to the bottom / lift-off.",
        lambda b, _: g.bend_deg(b[P.HIP], b[P.SHOULDER], b[P.EAR]),
    ),
    MetricSpec(
        "hip_flexion_deg", "deg", "joint_angle", SIDE, False, (P.SHOULDER, P.HIP, P.KNEE),
        "Renders, side, vs joint centres (docs/accuracy.md): squats read low, ~5° standing "
        "to ~14° past 90° (the model's hip point sits ahead of the joint); deadlifts 20-26° "
        "low while plates hide the knees mid-pull. Vs surface keypoints 4-11° MAE a clip.",
        "Shoulder-hip-knee as flexion: 0 = trunk in line with the thigh, + = flexed, "
        "- = hyperextended.",
        lambda b, _: g.bend_deg(b[P.KNEE], b[P.HIP], b[P.SHOULDER]),
    ),
    MetricSpec(
        "knee_flexion_deg", "deg", "joint_angle", SIDE, False, (P.HIP, P.KNEE, P.ANKLE),
        "Renders, side, vs joint centres (docs/accuracy.md): squats ~2° low straight to ~12° "
        "low past 90°; deadlifts up to ~18° low while plates hide the knees. Real video: "
        "MAE 7.1°, bias -5.1° vs Kinovea; -2.3±6.4° vs IMU from a true side view.",
        "Hip-knee-ankle as flexion: 0 = straight leg, + = flexed, - = hyperextended.",
        lambda b, _: g.bend_deg(b[P.HIP], b[P.KNEE], b[P.ANKLE]),
    ),
    MetricSpec(
        "trunk_lean_deg", "deg", "segment_angle", SIDE, False, (P.HIP, P.SHOULDER),
        "Renders, side: ~5° more upright than the joint centres' line (the hip point sits "
        "ahead of the joint), 4-6° MAE a clip. Assumes an upright camera (no roll). "
        "Thresholds should depend on bar position (high vs low bar) and proportions.",
        "Hip→shoulder from the vertical; 0 = upright, + = shoulders forward of the hips.",
        lambda b, _: g.inclination_deg(b[P.HIP], b[P.SHOULDER]),
    ),
    MetricSpec(
        "shank_angle_deg", "deg", "segment_angle", SIDE, True, (P.ANKLE, P.KNEE),
        "Renders: -0.7±1.5°. A dorsiflexion proxy only while the heel is down. Weight-bearing "
        "lunge 30-38° normal, < 30° often called limited.",
        "Ankle→knee from the vertical; 0 = shank vertical, + = knee forward of the ankle.",
        lambda b, _: g.inclination_deg(b[P.ANKLE], b[P.KNEE]),
    ),
    MetricSpec(
        "heel_rise_pct",
        "% foot",
        "offset",
        SIDE,
        False,
        (P.HEEL, P.TOE, P.ANKLE),
        "Renders: a true 25% lift reads 18-22% at the bottom. On a planted foot at the bottom "
        "of a deep squat the model can lift its heel point and drop its toe point (29-32% on "
        "one rendered lifter); the ankle's rise caps that reading at 7%. The "
        "baselines are the median of standing frames (knee flexion ≤ 15°), else the clip's "
        "lowest heel and ankle; a camera that moves between reps shifts the ankle's.",
        "Heel height above the toe, minus the same in the lifter's standing frames, as % of "
        "foot length (heel→toe), capped by the ankle's rise over standing as % of its reach "
        "ahead of the toe; 0 = as flat as when standing, + = heel raised.",
        _heel_rise,
    ),
    MetricSpec(
        "depth_hip_minus_knee", "ratio", "offset", SIDE, True, (P.HIP, P.KNEE),
        "MediaPipe's hip is a joint centre, not the hip crease of the IPF rule: add an offset "
        "in the depth rule. Hip angles under-read 7-9° past 90°.",
        "Hip height above the knee ÷ thigh length (= sine of thigh_angle_deg); ≤ 0 = hip at "
        "or below the knee.",
        _depth,
    ),
    MetricSpec(
        "thigh_angle_deg", "deg", "segment_angle", SIDE, False, (P.HIP, P.KNEE),
        "As depth_hip_minus_knee (joint centres). Assumes an upright camera.",
        "Knee→hip against the horizontal; 0 = thigh parallel, ≤ 0 = below parallel, 90 = standing.",
        lambda b, _: g.elevation_deg(b[P.KNEE], b[P.HIP]),
    ),
    MetricSpec(
        "bar_offset_pct", "% foot", "offset", SIDE, True, (P.WRIST, P.HEEL, P.TOE),
        "Proxy: the wrist is not the bar. The near wrist stands for the wrist midpoint (the "
        "far one is hidden behind the body). No numeric threshold is published.",
        "Wrist's horizontal offset from mid-foot (midpoint of heel and toe) as % of foot "
        "length; + = in front of mid-foot.",
        _bar_offset,
    ),
    *(
        MetricSpec(
            f"knee_valgus_offset_{s}", "ratio", "offset", FRONT, False,
            (*(landmark(p, s) for p in (P.HIP, P.KNEE, P.ANKLE)), landmark(P.HIP, _other(s))),
            "Renders: the valgus angle is under-read; use with knee_ankle_width_ratio. 2D "
            "FPPA vs 3D r 0.64-0.78 with limits of agreement -30°..+17°.",
            f"The {s} knee's perpendicular distance from its hip-ankle line ÷ hip-ankle "
            "length; 0 = in line, + = inward (towards the other leg, valgus).",
            _valgus(s),
        )
        for s in ("left", "right")
    ),
    MetricSpec(
        "knee_ankle_width_ratio", "ratio", "ratio", FRONT, False, _KNEES_ANKLES,
        "Renders: tracks truth within 0.03. Depends on stance and on rotation of the body.",
        "Knee-to-knee distance ÷ ankle-to-ankle distance; < 1 = knees closer than ankles.",
        lambda b, _: _div(g.distance(b[L.LEFT_KNEE], b[L.RIGHT_KNEE]),
                          g.distance(b[L.LEFT_ANKLE], b[L.RIGHT_ANKLE])),
    ),
    MetricSpec(
        "pelvis_tilt_deg", "deg", "segment_angle", FRONT, True, (L.LEFT_HIP, L.RIGHT_HIP),
        "Proxy: hip joint centres, no pelvis landmarks. No published cut-off. Assumes an "
        "upright camera.",
        "Right hip→left hip against the horizontal; 0 = level, + = the lifter's left hip higher.",
        lambda b, _: g.elevation_deg(b[L.RIGHT_HIP], b[L.LEFT_HIP]),
    ),
    MetricSpec(
        "back_sag", "ratio", "contour", SIDE, True, (),
        "Development clips: rounded backs 0.087-0.152, neutral 0.027-0.072 (AUC 1.0). Needs "
        "a side view and a bent-over trunk (lean >= 40 deg); loose clothing adds bumps.",
        "Largest bulge of the back outline (person mask) from the chord between hip and "
        "shoulder level, / chord length; median-ready per frame, NaN when upright or unclear.",
        None, "back_sag",
    ),
    MetricSpec(
        "back_bend_deg", "deg", "contour", SIDE, True, (),
        "Development clips: rounded 28.5-46.9 deg, neutral <= 22.7 deg.",
        "Angle between line fits to the lower and upper thirds of the back outline.",
        None, "back_bend_deg",
    ),
    MetricSpec(
        "lateral_hip_shift", "ratio", "offset", FRONT, False, _HIPS_ANKLES,
        "No published cut-off. Measured along the ankle line, so camera roll cancels.",
        "Hip midpoint minus ankle midpoint along the right→left ankle line ÷ hip width; "
        "+ = hips shifted to the lifter's left.",
        _hip_shift,
    ),
)
# fmt: on

METRIC_BY_NAME: Mapping[str, MetricSpec] = {m.name: m for m in METRICS}


@dataclass(frozen=True)
class MetricSeries:
    """Every metric over time, with its per-frame confidence.

    Attributes:
        time_s: (T,) frame times.
        values: metric name → (T,) float64 in the metric's unit, NaN where not measured.
        confidence: metric name → (T,) in [0, 1].
        facing: the direction the lifter faces in most frames ("right" = +x on screen).
        side: the lifter's side nearer the camera in most frames.
        faces_right: (T,) per-frame facing used for the mirror.
        left_near: (T,) per-frame near side used for side-view metrics.
    """

    time_s: FloatArray
    values: Mapping[str, FloatArray]
    confidence: Mapping[str, FloatArray]
    facing: Facing
    side: Side
    faces_right: BoolArray
    left_near: BoolArray

    def __post_init__(self) -> None:
        t = self.time_s.shape
        if self.time_s.ndim != 1:
            raise ValueError(f"time_s must have shape (T,), got {t}")
        if set(self.values) != set(self.confidence):
            raise ValueError(
                f"values and confidence must name the same metrics, got "
                f"{sorted(set(self.values) ^ set(self.confidence))} in only one"
            )
        for kind, arrays in (("values", self.values), ("confidence", self.confidence)):
            for name, arr in arrays.items():
                if arr.shape != t:
                    raise ValueError(f"{kind}[{name!r}] must have shape {t}, got {arr.shape}")
        for name in ("faces_right", "left_near"):
            if getattr(self, name).shape != t:
                raise ValueError(f"{name} must have shape {t}, got {getattr(self, name).shape}")

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    def __getitem__(self, name: str) -> FloatArray:
        try:
            return self.values[name]
        except KeyError:
            raise KeyError(f"unknown metric {name!r}; known: {', '.join(self.values)}") from None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.values)


def _from_extras(seq: PoseSequence, spec: MetricSpec) -> tuple[FloatArray, FloatArray]:
    """A mask-based metric: its per-frame values if extraction measured them, else NaN."""
    n = len(seq)
    stored = seq.extras.get(spec.extra or spec.name)
    value = np.full(n, np.nan) if stored is None else np.asarray(stored, dtype=np.float64).copy()
    return value, np.isfinite(value).astype(np.float64)


def compute_metrics(
    seq: PoseSequence,
    *,
    facing: Facing | None = None,
    side: Side | None = None,
    settings: Defaults = DEFAULTS,
) -> MetricSeries:
    """Compute every metric of :data:`METRICS` in every frame of ``seq``.

    ``facing`` and ``side`` force the lifter's facing direction and near side; by default
    both are found per frame with hysteresis (:mod:`posturecheck.sides`). No smoothing is
    done here: clean the sequence first (:func:`posturecheck.signal.clean_sequence`) or
    smooth the metrics afterwards.
    """
    facing_track = facing_direction(seq, facing=facing, settings=settings.sides)
    side_track = near_side(seq, side=side, facing=facing_track, settings=settings.sides)
    body = canonical_body(seq, facing_track, side_track)
    values: dict[str, FloatArray] = {}
    confidence: dict[str, FloatArray] = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for spec in METRICS:
            if spec.compute is None:  # measured from the mask during extraction
                value, conf = _from_extras(seq, spec)
                values[spec.name], confidence[spec.name] = value, conf
                continue
            conf = np.min([body.confidence(p) for p in spec.points], axis=0)
            value = np.asarray(spec.compute(body, settings.metrics), dtype=np.float64)
            value[~np.isfinite(value) | (conf < settings.metrics.min_confidence)] = np.nan
            values[spec.name] = value
            confidence[spec.name] = np.asarray(conf, dtype=np.float64)
    return MetricSeries(
        time_s=seq.time_s.copy(),
        values=values,
        confidence=confidence,
        facing=facing_track.facing,
        side=side_track.side,
        faces_right=facing_track.faces_right,
        left_near=side_track.left_near,
    )
