"""The pure core, from a pose sequence to everything the report says.

pose sequence → the lifter's frames (bystanders out) → gap-filled, smoothed landmarks →
metrics → view, exercise, reps → findings and what cannot be judged. No model, no video: it
reruns from ``landmarks.npz`` alone, and tests drive it with sequences built from angles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from posturecheck.defaults import DEFAULTS, Defaults
from posturecheck.exercise import ExerciseGuess, exercise_call
from posturecheck.faults import FAULTS, FaultSpec
from posturecheck.feet import plant_feet
from posturecheck.landmarks import Landmark as L  # noqa: N817
from posturecheck.metrics import MetricSeries, compute_metrics
from posturecheck.person import PersonChoice, choose_lifter
from posturecheck.report import ExerciseChoice
from posturecheck.reps import Rep, body_heights, detect_reps
from posturecheck.rules import Judgement, judge
from posturecheck.sequence import PoseSequence
from posturecheck.signal import clean_sequence
from posturecheck.view import ViewResult, classify_view, metric_supported

#: The stages :func:`analyse_sequence` runs, recorded in the report.
STAGES = ("pose", "person", "metrics", "view", "exercise", "reps", "findings")


@dataclass(frozen=True)
class Analysis:
    """Every stage's result for one clip.

    Attributes:
        raw: the landmarks as the model gave them.
        lifter: ``raw`` with frames of anyone but the lifter blanked (NaN).
        clean: ``lifter`` with short gaps filled, zero-phase smoothed, feet planted.
        metrics: every metric per frame, computed on ``clean``.
        person: who was taken to be the lifter, and why.
        view: side / front / oblique / back, facing, and per-stretch segments.
        exercise: squat / deadlift / unknown, with its confidence and source.
        reps: the reps found (empty when none).
        judgement: findings, what could not be judged, and the baselines used.
        warnings: problems with how the video was filmed, in words a lifter can act on.
    """

    raw: PoseSequence
    lifter: PoseSequence
    clean: PoseSequence
    metrics: MetricSeries
    person: PersonChoice
    view: ViewResult
    exercise: ExerciseGuess
    reps: tuple[Rep, ...]
    judgement: Judgement
    warnings: tuple[str, ...] = ()

    def rep_view(self, rep: Rep) -> str:
        return view_of_rep(self.view, rep)


def view_of_rep(view: ViewResult, rep: Rep) -> str:
    """The view a rep was filmed from (edited clips change camera between reps)."""
    segment = view.at(rep.bottom)
    return segment.name if segment is not None else view.name


def analyse_sequence(
    raw: PoseSequence,
    *,
    exercise: ExerciseChoice = "auto",
    settings: Defaults = DEFAULTS,
    faults: Sequence[FaultSpec] = FAULTS,
) -> Analysis:
    """Run every stage of the core on one pose sequence (``faults``: the catalogue with the
    cut-offs to use, e.g. after a user's configuration)."""
    lifter, person = choose_lifter(raw, settings.person)
    clean = clean_sequence(
        lifter,
        max_gap_s=settings.signal.max_gap_s,
        cutoff_hz=settings.signal.lowpass_cutoff_hz,
    )
    warnings = framing_warnings(lifter)
    clean = plant_feet(clean, settings.feet)
    metrics = compute_metrics(clean, settings=settings)
    view = classify_view(clean, settings=settings.view)
    heights = body_heights(clean, settings=settings.reps)
    guess = exercise_call(exercise, clean, heights=heights, settings=settings)
    reps: tuple[Rep, ...] = ()
    if guess.name in ("squat", "deadlift"):
        reps = tuple(detect_reps(clean, guess.name, heights=heights, settings=settings))
    judgement = judge(
        metrics,
        reps,
        exercise=guess.name,
        view=view.name,
        rep_views={rep.index: view_of_rep(view, rep) for rep in reps},
        frame_index=clean.source_frame_index,
        faults=faults,
        settings=settings.coaching,
        hint=warnings[0] if warnings else None,
    )
    return Analysis(raw, lifter, clean, metrics, person, view, guess, reps, judgement, warnings)


#: Body parts checked for being in the picture, and what to tell the lifter when they are not.
_FRAMING = (
    (
        (L.LEFT_ANKLE, L.RIGHT_ANKLE, L.LEFT_KNEE, L.RIGHT_KNEE),
        "the lifter's legs are out of the frame in most of the video: film the whole body, "
        "head to feet, with the camera further back",
    ),
    (
        (L.LEFT_EAR, L.RIGHT_EAR, L.NOSE),
        "the lifter's head is out of the frame in most of the video: film the whole body, "
        "with the camera further back or lower",
    ),
)
#: A part counts as out of the picture when outside it by more than this share of its size.
_FRAME_MARGIN = 0.02


def framing_warnings(seq: PoseSequence, share: float = 0.5) -> tuple[str, ...]:
    """What the camera missed: body parts outside the picture in more than ``share`` of the
    frames with a pose (the model then invents them: nothing measured there is real)."""
    posed = seq.has_pose
    if not posed.any():
        return ()
    mx, my = _FRAME_MARGIN * seq.width, _FRAME_MARGIN * seq.height
    out = []
    for points, message in _FRAMING:
        xy = seq.image_px[posed][:, list(points), :2]
        outside = (
            (xy[..., 0] < -mx)
            | (xy[..., 0] > seq.width + mx)
            | (xy[..., 1] < -my)
            | (xy[..., 1] > seq.height + my)
        ).all(axis=1)
        if outside.mean() > share:
            out.append(message)
    return tuple(out)


def _summary(values: np.ndarray, bottom: int) -> dict[str, float | None]:
    def num(x: float) -> float | None:
        return round(float(x), 3) if np.isfinite(x) else None

    finite = values[np.isfinite(values)]
    return {
        "min": num(finite.min()) if finite.size else None,
        "max": num(finite.max()) if finite.size else None,
        "at_bottom": num(values[bottom]) if 0 <= bottom < values.size else None,
    }


def rep_reports(analysis: Analysis) -> list[dict[str, Any]]:
    """report.json's ``reps``: timing, tempo, the view, and each metric the view supports
    summarised over the rep (min, max, at the bottom)."""
    out = []
    for rep in analysis.reps:
        view = analysis.rep_view(rep)
        lo = rep.start if rep.start is not None else rep.bottom_region[0]
        hi = (rep.end if rep.end is not None else rep.bottom_region[1]) + 1
        summaries = {
            name: _summary(analysis.metrics[name][lo:hi], rep.bottom - lo)
            for name in analysis.metrics.names
            if metric_supported(name, view)
        }
        out.append({**rep.as_dict(), "view": view, "metrics": summaries})
    return out


def thresholds_report(faults: Sequence[FaultSpec] = FAULTS) -> dict[str, Any]:
    """report.json's ``thresholds``: every fault's cut-offs as used."""
    return {
        fault.id: {
            "metric": fault.metric,
            "unit": fault.unit,
            "phase": fault.phase,
            "baseline": fault.baseline,
            "direction": fault.direction,
            "mild": fault.cutoffs.mild,
            "moderate": fault.cutoffs.moderate,
            "severe": fault.cutoffs.severe,
        }
        for fault in faults
    }
