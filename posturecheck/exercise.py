"""Squat or deadlift, told from the body at the bottom of each rep; the user's choice wins.

Every cue is a vertical measure in the lifter's own leg lengths (:func:`posturecheck.reps.
body_heights`), so it works from the side, the front, obliquely or from behind:

* **hands below the knees** at the bottom (a bar on the floor) means a deadlift; hands at
  the shoulders, chest, forward or overhead mean a squat. Weighted most. Read over each
  rep's whole bottom pause, not only its lowest frame: the wrists are often hidden right at
  the bottom (behind the head and bar of a back squat seen from the side, behind the plates
  of a deadlift) and the hands do not move on the body during the pause.
* **trunk tilt**: shoulder height above the hips at the bottom ÷ the same when standing
  (≈ cos of trunk lean). A deadlift set-up is bent far over, a squat stays more upright.
* **thigh angle**: hip height above the knees at the bottom ÷ standing. A squat's thighs
  reach about parallel, a deadlift's hips stay well above the knees.
* **opening in the set-up**: a clip starting low whose first rep rises is a deadlift. The
  opening is the first ``opening_s`` of the clip, so one cut-in frame from another shot
  cannot hide it.

A knee that the model places nearly on the ankle (lower than ``min_knee_height``; no shin
leans that far) is a tracking failure, typically legs hidden behind the plates; the cues
that measure against the knee (and the RDL note) skip a rep whose bottom pause has one,
rather than read it as hands "above the knees" or hips "above parallel".

Each cue gives evidence in [-1, 1] (+ = deadlift); the weighted mean decides. The mean is
taken over every cue that could have been measured (hands, trunk, thighs, and the opening
when it fired), a cue that could not be counting as 0, so the confidence (0.5 + half the
mean's size) drops when, say, the hands were never seen. Variants are noted when cheap: RDL
(thighs nearly vertical and the hands never near the floor) and sumo (a stance far wider
than the hips, from the front).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, Defaults
from posturecheck.landmarks import Landmark
from posturecheck.reps import BodyHeights, Rep, body_heights, detect_reps
from posturecheck.sequence import PoseSequence
from posturecheck.signal import sequence_confidence

FloatArray = npt.NDArray[np.float64]
ExerciseName = Literal["squat", "deadlift", "unknown"]
Choice = Literal["auto", "squat", "deadlift"]

L = Landmark


@dataclass(frozen=True)
class ExerciseGuess:
    """Which lift the clip shows.

    Attributes:
        name: "squat", "deadlift" or "unknown" (no rep found).
        confidence: 0.5 (a coin toss) .. 1; 1 when the user chose; 0 when unknown.
        source: "auto" (detected) or "user" (the user's choice, which overrides).
        variants: notes such as "rdl" or "sumo" (empty when none is obvious).
        evidence: cue name → evidence in [-1, 1] (+ = deadlift), for explaining the call.
        auto: what detection said when the user chose (None when not run).
    """

    name: ExerciseName
    confidence: float
    source: Literal["auto", "user"] = "auto"
    variants: tuple[str, ...] = ()
    evidence: dict[str, float] = field(default_factory=dict)
    auto: ExerciseName | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "confidence": round(self.confidence, 3),
            "source": self.source,
            "variants": list(self.variants),
            "evidence": {k: round(v, 3) for k, v in self.evidence.items()},
        }


def _standing(values: FloatArray) -> float:
    return float(np.nanpercentile(values, 90)) if np.isfinite(values).any() else float("nan")


def _clip(x: float) -> float:
    return float(np.clip(x, -1.0, 1.0))


def exercise_evidence(
    h: BodyHeights, reps: list[Rep], settings: Defaults = DEFAULTS
) -> dict[str, float]:
    """Evidence per cue from the bottoms of ``reps`` (found as squats: lowest hip)."""
    s = settings.exercise
    used = [r for r in reps if r.complete] or reps
    if not used:
        return {}
    b = np.asarray([r.bottom for r in used])
    out: dict[str, float] = {}
    # Knee cues read only reps whose knee stays plausible over the whole bottom pause: a
    # knee dropped onto the ankle (legs hidden) also spoils the frames around it.
    pauses = [np.arange(r.bottom_region[0], r.bottom_region[1] + 1) for r in used]
    with np.errstate(invalid="ignore"):
        knees_ok = [not bool(np.any(h.knee[p] < s.min_knee_height)) for p in pauses]
    kept = [p for p, ok in zip(pauses, knees_ok, strict=True) if ok]
    if kept:
        pause = np.concatenate(kept)
        seen = np.minimum(h.wrist_conf[pause], h.knee_conf[pause]) >= 0.5
        if seen.any():
            below = float(np.nanmedian(h.knee[pause][seen] - h.wrist[pause][seen]))
            if np.isfinite(below):
                out["hands_below_knees"] = _clip(below / s.wrist_margin_scale)
    trunk = _standing(h.shoulder - h.hip)
    tilt = float(np.nanmedian((h.shoulder[b] - h.hip[b]) / trunk))
    if np.isfinite(tilt):
        out["trunk_tilt"] = _clip((s.upright_split - tilt) / s.upright_scale)
    kb = b[np.asarray(knees_ok)]
    if kb.size:
        thigh = _standing(h.hip - h.knee)
        rise = float(np.nanmedian((h.hip[kb] - h.knee[kb]) / thigh))
        if np.isfinite(rise):
            out["thigh_angle"] = _clip((rise - s.thigh_split) / s.thigh_scale)
    if _opens_in_setup(h, reps[0], s.opening_s):
        out["opens_in_setup"] = 1.0
    return out


def _opens_in_setup(h: BodyHeights, rep: Rep, opening_s: float) -> bool:
    """The clip opens low, near the first rep's bottom, and the lifter then rises: a
    deadlift set-up (a squat clip opens standing). The opening height is the median hip
    over the first ``opening_s`` of the run, so a cut-in frame or two does not count."""
    if rep.start is not None or rep.end is None:
        return False
    row = rep.bottom_region[0]
    while row > 0 and np.isfinite(h.hip[row - 1]):
        row -= 1
    first = h.time_s[row:] <= h.time_s[row] + opening_s
    opening = float(np.nanmedian(h.hip[row:][first]))
    return bool(opening - h.hip[rep.bottom] <= 0.3 * rep.depth)


WEIGHTS = {"hands_below_knees": 2.0, "trunk_tilt": 1.0, "thigh_angle": 1.0, "opens_in_setup": 2.0}
ONE_SIDED = frozenset({"opens_in_setup"})  # only ever fires for a deadlift; absent ≠ squat


def evidence_score(evidence: dict[str, float]) -> float:
    """Weighted mean evidence in [-1, 1] (+ = deadlift) over every cue that could have been
    measured: a two-sided cue that could not be (e.g. hands never seen) counts as 0, so the
    score, and the confidence built on it, shrink when the clip shows less."""
    total = sum(w for k, w in WEIGHTS.items() if k not in ONE_SIDED or k in evidence)
    return sum(WEIGHTS[k] * v for k, v in evidence.items()) / total


def detect_exercise(
    seq: PoseSequence, *, heights: BodyHeights | None = None, settings: Defaults = DEFAULTS
) -> ExerciseGuess:
    """Squat or deadlift from ``seq`` alone, with a confidence and any obvious variant."""
    h = heights if heights is not None else body_heights(seq, settings=settings.reps)
    reps = detect_reps(seq, "squat", heights=h, settings=settings)
    if not reps:  # a hinge with little knee bend (RDL) barely lowers the hips
        reps = detect_reps(seq, "deadlift", heights=h, settings=settings)
    evidence = exercise_evidence(h, reps, settings)
    if not evidence:
        return ExerciseGuess("unknown", 0.0, evidence={})
    score = evidence_score(evidence)
    name: ExerciseName = "deadlift" if score > 0 else "squat"
    variants = _variants(seq, h, reps, name, settings)
    return ExerciseGuess(name, 0.5 + 0.5 * abs(score), "auto", variants, evidence)


def _variants(
    seq: PoseSequence, h: BodyHeights, reps: list[Rep], name: ExerciseName, settings: Defaults
) -> tuple[str, ...]:
    s = settings.exercise
    out: list[str] = []
    b = np.asarray([r.bottom for r in reps])
    with np.errstate(invalid="ignore"):
        b = b[h.knee[b] >= s.min_knee_height]  # a knee on the ankle reads as upright thighs
    if name == "deadlift" and b.size:
        thigh = _standing(h.hip - h.knee)
        upright_thighs = float(np.nanmedian((h.hip[b] - h.knee[b]) / thigh))
        hands = float(np.nanmedian(h.wrist[b]))
        if upright_thighs >= s.rdl_min_thigh and hands >= s.rdl_min_wrist_height:
            out.append("rdl")
    if stance_ratio(seq) >= s.sumo_min_stance:
        out.append("sumo")
    return tuple(out)


def stance_ratio(seq: PoseSequence) -> float:
    """Median ankle gap ÷ hip width in the image over frames seen roughly face on (hip width
    at least 0.4 of the trunk); NaN when never seen so."""
    xy = seq.image_px[:, :, :2]
    conf = sequence_confidence(seq)
    ankles = np.abs(xy[:, L.LEFT_ANKLE, 0] - xy[:, L.RIGHT_ANKLE, 0])
    hips = np.abs(xy[:, L.LEFT_HIP, 0] - xy[:, L.RIGHT_HIP, 0])
    mid_sh = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    trunk = np.linalg.norm(mid_sh - mid_hip, axis=1)
    sure = np.min(conf[:, [L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_HIP, L.RIGHT_HIP]], axis=1) >= 0.5
    ok = sure & np.isfinite(ankles) & (hips > 0.4 * trunk)
    return float(np.median(ankles[ok] / hips[ok])) if ok.any() else float("nan")


def exercise_call(
    choice: Choice,
    seq: PoseSequence | None = None,
    *,
    heights: BodyHeights | None = None,
    settings: Defaults = DEFAULTS,
) -> ExerciseGuess:
    """The exercise to analyse: the user's ``choice`` when it is "squat" or "deadlift" (it
    overrides detection; detection still runs when ``seq`` is given, to note a disagreement),
    else detected from ``seq``."""
    if choice not in ("auto", "squat", "deadlift"):
        raise ValueError(f"choice must be 'auto', 'squat' or 'deadlift', got {choice!r}")
    auto = detect_exercise(seq, heights=heights, settings=settings) if seq is not None else None
    if choice == "auto":
        if auto is None:
            raise ValueError("choice 'auto' needs a pose sequence to detect the exercise from")
        return auto
    return ExerciseGuess(
        choice,
        1.0,
        "user",
        auto.variants if auto is not None else (),
        auto.evidence if auto is not None else {},
        auto.name if auto is not None else None,
    )


__all__ = [
    "ExerciseGuess",
    "detect_exercise",
    "evidence_score",
    "exercise_call",
    "exercise_evidence",
    "stance_ratio",
]
