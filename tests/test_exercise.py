"""Squat vs deadlift (and the user's override) from builder sequences."""

from __future__ import annotations

import numpy as np
import pytest

from posturecheck.exercise import (
    ExerciseGuess,
    detect_exercise,
    evidence_score,
    exercise_call,
    stance_ratio,
)
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseSequence

from builders import FrontPose, SidePose, frame_times, front_view, side_view, with_visibility

FPS = 30.0


def wave(keys: list[tuple[float, float]], seconds: float) -> np.ndarray:
    t = frame_times(int(seconds * FPS), FPS)
    return np.interp(t, [k[0] for k in keys], [k[1] for k in keys])


SQUATS = [(0, 0), (1, 0), (2, 1), (3, 0), (4, 1), (5, 0), (6, 0)]
PULLS = [(0, 1), (1, 1), (2, 0), (3, 0), (4, 1), (5, 0), (6, 0)]


L = Landmark


def with_image(seq: PoseSequence, image_px: np.ndarray) -> PoseSequence:
    return PoseSequence(
        time_s=seq.time_s, image_px=image_px, world_m=seq.world_m, visibility=seq.visibility,
        presence=seq.presence, width=seq.width, height=seq.height,
    )  # fmt: skip


def squat(arm_deg: float = 90.0, facing: str = "right") -> PoseSequence:
    d = wave(SQUATS, 6)
    pose = SidePose(shank_deg=35 * d, knee_flexion_deg=125 * d, hip_flexion_deg=115 * d,
                    arm_deg=arm_deg)  # fmt: skip
    return side_view(pose, fps=FPS, facing=facing)  # type: ignore[arg-type]


def deadlift(knee: float = 75.0, hip: float = 120.0, keys: list[tuple[float, float]] = PULLS
             ) -> PoseSequence:  # fmt: skip
    d = wave(keys, 6)
    pose = SidePose(shank_deg=12 * d * knee / 75, knee_flexion_deg=knee * d,
                    hip_flexion_deg=hip * d, arm_deg=-5 * d)  # fmt: skip
    return side_view(pose, fps=FPS)


@pytest.mark.parametrize("arm_deg", [90.0, 160.0, 30.0])  # arms forward, overhead, goblet-ish
@pytest.mark.parametrize("facing", ["left", "right"])
def test_squats_are_squats(arm_deg: float, facing: str) -> None:
    guess = detect_exercise(squat(arm_deg, facing))
    assert guess.name == "squat" and guess.source == "auto"
    assert 0.5 < guess.confidence <= 1.0
    assert guess.evidence["hands_below_knees"] < 0 and guess.evidence["thigh_angle"] < 0


def test_deadlift_opening_in_the_setup() -> None:
    guess = detect_exercise(deadlift())
    assert guess.name == "deadlift" and guess.confidence > 0.7
    assert guess.evidence["opens_in_setup"] == 1.0
    assert "rdl" not in guess.variants


def test_deadlift_from_standing() -> None:
    guess = detect_exercise(deadlift(keys=SQUATS))
    assert guess.name == "deadlift" and "opens_in_setup" not in guess.evidence


def test_rdl_is_noted() -> None:
    guess = detect_exercise(deadlift(knee=15.0, hip=85.0, keys=SQUATS))
    assert guess.name == "deadlift" and "rdl" in guess.variants


def test_sumo_stance_from_the_front() -> None:
    d = wave(SQUATS, 6)
    wide = front_view(FrontPose(stance=3.6, hip_height=0.95 - 0.5 * d))
    narrow = front_view(FrontPose(stance=1.6, hip_height=0.95 - 0.5 * d))
    assert stance_ratio(wide) == pytest.approx(3.6, abs=0.05)
    assert "sumo" in detect_exercise(wide).variants
    assert "sumo" not in detect_exercise(narrow).variants


def test_user_choice_overrides() -> None:
    seq = deadlift()
    call = exercise_call("squat", seq)
    assert (call.name, call.source, call.confidence, call.auto) == (
        "squat",
        "user",
        1.0,
        "deadlift",
    )
    assert exercise_call("deadlift").auto is None
    auto = exercise_call("auto", seq)
    assert (auto.name, auto.source) == ("deadlift", "auto")
    with pytest.raises(ValueError, match="needs a pose sequence"):
        exercise_call("auto")
    with pytest.raises(ValueError, match="choice"):
        exercise_call("bench")  # type: ignore[arg-type]


def test_no_reps_is_unknown() -> None:
    still = side_view(SidePose(), n_frames=90)
    guess = detect_exercise(still)
    assert (guess.name, guess.confidence) == ("unknown", 0.0)
    assert guess.as_dict()["name"] == "unknown"
    with pytest.raises(ValueError, match="confidence"):
        ExerciseGuess("squat", 1.5)


def test_hands_read_over_the_bottom_pause() -> None:
    # A back squat from the side: the wrists (bar on the back) hide behind the head right
    # at the bottom but are seen either side of it, still at the shoulders.
    seq = squat(arm_deg=170.0)
    hidden = np.where(wave(SQUATS, 6) > 0.97, 0.2, 0.98)
    guess = detect_exercise(with_visibility(seq, {L.LEFT_WRIST: hidden, L.RIGHT_WRIST: hidden}))
    assert guess.name == "squat"
    assert guess.evidence["hands_below_knees"] == -1.0


def test_hands_never_seen_lowers_the_confidence() -> None:
    seq = squat(arm_deg=170.0)
    seen = detect_exercise(seq)
    unseen = detect_exercise(with_visibility(seq, {L.LEFT_WRIST: 0.1, L.RIGHT_WRIST: 0.1}))
    assert unseen.name == "squat" and "hands_below_knees" not in unseen.evidence
    # the missing cue counts as 0 evidence out of its weight: at most (1 + 1) / 4 of the way
    assert unseen.confidence <= 0.75 < seen.confidence


def test_evidence_score_counts_unmeasured_cues_as_zero() -> None:
    assert evidence_score({"hands_below_knees": 1.0, "trunk_tilt": 1.0, "thigh_angle": 1.0}) == 1
    assert evidence_score({"trunk_tilt": 1.0}) == pytest.approx(0.25)
    # the set-up opening only ever speaks for a deadlift: its weight counts only when it fired
    assert evidence_score({"trunk_tilt": -1.0, "opens_in_setup": 1.0}) == pytest.approx(1 / 6)


def test_knee_dropped_onto_the_ankle_is_not_read() -> None:
    # Plates hide the legs in the set-up and the model drops the knees onto the ankles: the
    # hands then look "above the knees" (a squat) and the hips far above them.
    seq = deadlift()
    image = seq.image_px.copy()
    low = wave(PULLS, 6) > 0.9
    for knee, ankle in ((L.LEFT_KNEE, L.LEFT_ANKLE), (L.RIGHT_KNEE, L.RIGHT_ANKLE)):
        image[low, knee, :2] = image[low, ankle, :2] - [0.0, 5.0]
    guess = detect_exercise(with_image(seq, image))
    assert guess.name == "deadlift" and guess.evidence["opens_in_setup"] == 1.0
    assert "hands_below_knees" not in guess.evidence and "thigh_angle" not in guess.evidence
    assert "rdl" not in guess.variants


def test_opening_in_the_setup_after_a_cut_in_frame() -> None:
    # The clip's first two frames are a cut from another shot (the lifter standing).
    seq = deadlift()
    image = seq.image_px.copy()
    image[:2] = seq.image_px[-1]
    guess = detect_exercise(with_image(seq, image))
    assert guess.name == "deadlift" and guess.evidence["opens_in_setup"] == 1.0
