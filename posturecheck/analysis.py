"""The pure core, from a pose sequence to everything the report says.

pose sequence → the lifter's frames (bystanders out) → gap-filled, smoothed landmarks →
metrics → view, exercise, reps → (findings). No model, no video: it reruns from
``landmarks.npz`` alone, and tests drive it with sequences built from joint angles.
"""

from __future__ import annotations

from dataclasses import dataclass

from posturecheck.defaults import DEFAULTS, Defaults
from posturecheck.metrics import MetricSeries, compute_metrics
from posturecheck.person import PersonChoice, choose_lifter
from posturecheck.report import ExerciseCall, ExerciseChoice, exercise_from_choice
from posturecheck.sequence import PoseSequence
from posturecheck.signal import clean_sequence


@dataclass(frozen=True)
class Analysis:
    """Every stage's result for one clip.

    Attributes:
        raw: the landmarks as the model gave them.
        lifter: ``raw`` with frames of anyone but the lifter blanked (NaN).
        clean: ``lifter`` with short gaps filled and zero-phase smoothed.
        metrics: every metric per frame, computed on ``clean``.
        person: who was taken to be the lifter, and why.
        exercise: squat / deadlift / unknown, with its confidence and source.
    """

    raw: PoseSequence
    lifter: PoseSequence
    clean: PoseSequence
    metrics: MetricSeries
    person: PersonChoice
    exercise: ExerciseCall


def analyse_sequence(
    raw: PoseSequence, *, exercise: ExerciseChoice = "auto", settings: Defaults = DEFAULTS
) -> Analysis:
    """Run every stage of the core on one pose sequence."""
    lifter, person = choose_lifter(raw, settings.person)
    clean = clean_sequence(
        lifter,
        max_gap_s=settings.signal.max_gap_s,
        cutoff_hz=settings.signal.lowpass_cutoff_hz,
    )
    metrics = compute_metrics(clean, settings=settings)
    return Analysis(
        raw=raw,
        lifter=lifter,
        clean=clean,
        metrics=metrics,
        person=person,
        exercise=exercise_from_choice(exercise),
    )
