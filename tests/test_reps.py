"""Reps from builder sequences (exact, known timing) and from real clips (hand labels)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from posturecheck.reps import (
    BodyHeights,
    Rep,
    _bottom_seen,
    _Excursion,
    body_heights,
    despike,
    detect_reps,
    rep_phase,
    rolling_percentile,
)
from posturecheck.sequence import PoseSequence

from builders import Camera, SidePose, arms_forward_squat, keyframe_profile, side_view, with_missing

FPS = 30.0
FloatArray = npt.NDArray[np.float64]


def profile(keys: list[tuple[float, float]], n: int) -> FloatArray:
    return keyframe_profile(keys, n, FPS)


def squat(depth: FloatArray, **kw: Any) -> PoseSequence:
    return arms_forward_squat(depth, fps=FPS, **kw)


def deadlift(depth: FloatArray, **kw: object) -> PoseSequence:
    """Conventional pull: 1 = set-up (hips hinged, hands at mid-shin), arms hanging."""
    pose = SidePose(
        shank_deg=12 * depth, knee_flexion_deg=75 * depth, hip_flexion_deg=120 * depth,
        arm_deg=-5 * depth,
    )  # fmt: skip
    return side_view(pose, fps=FPS, **kw)  # type: ignore[arg-type]


# A paused squat (1-2.5 s down, 1 s at the bottom), then two touch-and-go reps, idle around.
THREE = [(0, 0), (1.0, 0), (2.0, 1), (3.0, 1), (4.0, 0), (5.0, 1), (6.0, 0), (7.0, 1),
         (8.0, 0), (10.0, 0)]  # fmt: skip
N_THREE = int(10 * FPS)


def near(frame: int | None, t_s: float, tol: int = 4) -> bool:
    """Within ``tol`` frames of ``t_s``. Starts and ends sit where the height is back within
    ``top_band`` of standing, a few frames inside the ramp's kink: use a wider ``tol``."""
    return frame is not None and abs(frame - t_s * FPS) <= tol


def test_three_squats_with_a_pause_and_touch_and_go() -> None:
    reps = detect_reps(squat(profile(THREE, N_THREE)), "squat")
    assert [r.index for r in reps] == [1, 2, 3]
    assert all(r.complete for r in reps)
    first = reps[0]
    assert near(first.start_frame, 1.0, tol=10) and near(first.end_frame, 4.0, tol=10)
    assert near(first.bottom_frame, 2.5, tol=3)  # middle of the pause
    assert first.pause_s == pytest.approx(1.0, abs=0.25)
    assert first.descent_s == pytest.approx(1.0, abs=0.4)
    assert near(reps[1].bottom_frame, 5.0) and near(reps[2].bottom_frame, 7.0)
    assert reps[2].pause_s < 0.3  # touch and go
    assert reps[0].depth > 0.4


@pytest.mark.parametrize("facing", ["left", "right"])
@pytest.mark.parametrize("scale", [0.25, 1.0, 3.0])
def test_reps_do_not_depend_on_size_or_facing(scale: float, facing: str) -> None:
    camera = Camera(scale=scale, origin_px=(320.0 * scale, 440.0 * scale))
    reps = detect_reps(squat(profile(THREE, N_THREE), camera=camera, facing=facing), "squat")
    assert [r.bottom_frame // 10 for r in reps] == [7, 15, 21]


def test_small_movements_and_shallow_dips_do_not_count() -> None:
    keys = [(0, 0), (1, 0), (1.5, 0.12), (2, 0), (3, 0), (4, 1), (5, 0), (6, 0.1), (6.5, 0),
            (8, 0)]  # fmt: skip
    reps = detect_reps(squat(profile(keys, int(8 * FPS))), "squat")
    assert len(reps) == 1 and near(reps[0].bottom_frame, 4.0)


def test_rep_cut_by_the_clip_end_is_partial() -> None:
    keys = [(0, 0), (1, 0), (2, 1), (3, 0), (4, 0), (5, 1), (5.5, 1)]
    reps = detect_reps(squat(profile(keys, int(5.5 * FPS))), "squat")
    assert [r.complete for r in reps] == [True, False]
    assert reps[1].end is None and np.isnan(reps[1].end_s) and np.isnan(reps[1].ascent_s)


def test_walking_out_of_frame_splits_reps() -> None:
    n = N_THREE
    gone = np.zeros(n, dtype=bool)
    gone[int(4.5 * FPS) : int(6.0 * FPS)] = True  # out of frame through rep 2's bottom
    seq = with_missing(squat(profile(THREE, n)), gone)
    reps = detect_reps(seq, "squat")
    complete = [r for r in reps if r.complete]
    assert [near(r.bottom_frame, t) for r, t in zip(complete, (2.5, 7.0), strict=True)]
    assert all(not (r.start or 0) < 4.5 * FPS < (r.end or 0) for r in complete)


def test_all_nan_gives_no_reps() -> None:
    seq = squat(profile(THREE, N_THREE))
    assert detect_reps(with_missing(seq, np.ones(len(seq), dtype=bool)), "squat") == []


# A deadlift clip opening in the set-up: pull, lockout, lower (touch and go), pull, lower.
DEADLIFT = [(0, 1), (1.0, 1), (2.0, 0), (3.0, 0), (4.0, 1), (5.0, 0), (6.0, 0), (7.0, 1),
            (8.0, 1)]  # fmt: skip


def test_deadlift_opening_in_the_setup() -> None:
    reps = detect_reps(deadlift(profile(DEADLIFT, int(8 * FPS))), "deadlift")
    assert len(reps) == 2 and all(r.complete for r in reps)
    first, second = reps
    assert first.start_frame == 0 and np.isnan(first.descent_s)
    assert near(first.bottom_frame, 1.0)  # last frame before the bar leaves the floor
    assert near(first.end_frame, 2.0, tol=10)  # lockout
    assert near(second.start_frame, 3.0, tol=10)  # lowering from the previous lockout
    assert near(second.bottom_frame, 4.0) and near(second.end_frame, 5.0, tol=10)


def test_regrip_in_the_setup_is_not_a_rep() -> None:
    keys = [(0, 1), (0.5, 1), (0.8, 0.9), (1.1, 1), (1.4, 0.92), (1.7, 1), (2.5, 0), (4, 0)]
    reps = detect_reps(deadlift(profile(keys, int(4 * FPS))), "deadlift")
    assert len(reps) == 1 and near(reps[0].bottom_frame, 1.7)


def test_deadlift_from_standing_starts_at_the_descent() -> None:
    keys = [(0, 0), (1.0, 0), (2.0, 1), (3.0, 1), (4.0, 0), (5.0, 0)]
    (rep,) = detect_reps(deadlift(profile(keys, int(5 * FPS))), "deadlift")
    assert near(rep.start_frame, 1.0, tol=10) and near(rep.bottom_frame, 3.0)
    assert near(rep.end_frame, 4.0, tol=10)
    assert rep.descent_s == pytest.approx(1.0, abs=0.4)


def test_phases() -> None:
    seq = squat(profile(THREE, N_THREE))
    reps = detect_reps(seq, "squat")
    phase = rep_phase(reps, len(seq), "squat")
    assert phase[0] == "idle" and phase[-1] == "idle"
    assert phase[int(1.5 * FPS)] == "descent"
    assert phase[int(2.5 * FPS)] == "bottom"
    assert phase[int(3.5 * FPS)] == "ascent"
    dl = deadlift(profile(DEADLIFT, int(8 * FPS)))
    phase = rep_phase(detect_reps(dl, "deadlift"), len(dl), "deadlift")
    assert phase[int(0.5 * FPS)] == "setup" and phase[int(1.5 * FPS)] == "pull"
    assert phase[int(2.5 * FPS)] == "lockout" and phase[int(3.5 * FPS)] in ("lower", "setup")


def test_heights_are_in_leg_lengths() -> None:
    h = body_heights(squat(profile(THREE, N_THREE)))
    assert np.nanmax(h.hip) == pytest.approx(1.0, abs=0.08)  # standing: hip ~ a leg above
    assert np.nanmin(h.hip) < 0.55


def test_rep_validation() -> None:
    rep = detect_reps(squat(profile(THREE, N_THREE)), "squat")[0]
    with pytest.raises(ValueError, match="1-based"):
        dataclasses.replace(rep, index=0)
    with pytest.raises(ValueError, match="start <= bottom <= end"):
        dataclasses.replace(rep, start=rep.bottom + 5)
    with pytest.raises(ValueError, match="squat"):
        detect_reps(squat(profile(THREE, N_THREE)), "bench")  # type: ignore[arg-type]
    assert isinstance(rep, Rep) and rep.as_dict()["index"] == 1


# --- real clips, real model ----------------------------------------------------------------

#: Short, varied clips (~5 s of video in all): side/oblique/front, squat/deadlift, set-up
#: opening, small GIF-derived clip.
REAL_CLIPS = (
    "deadlift_side_bichraix_bad009",
    "deadlift_oblique_bichraix_good001",
    "squat_side_spotter_man_arms",
    "squat_oblique_spotter_woman_room",
    "squat_front_trutadan_highbar",
)


@pytest.fixture(scope="module")
def real_sequences(
    realdata: Path, model_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, tuple[dict[str, object], PoseSequence]]:
    """Each clip run through the whole pipeline (the real model), with its labels."""
    from posturecheck.pipeline import AnalysisOptions, analyse

    labels = {
        Path(c["file"]).stem: c for c in json.loads((realdata / "annotations.json").read_text())
    }
    out = {}
    root = tmp_path_factory.mktemp("real")
    for stem in REAL_CLIPS:
        result = analyse(
            realdata / "videos" / f"{stem}.mp4", root / stem,
            options=AnalysisOptions(model_path=model_path),
        )  # fmt: skip
        out[stem] = (labels[stem], result.sequence)
    return out


@pytest.mark.realdata
@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("stem", REAL_CLIPS)
def test_real_clip_exercise_view_and_reps(
    stem: str, real_sequences: dict[str, tuple[dict[str, object], PoseSequence]]
) -> None:
    from posturecheck.exercise import detect_exercise
    from posturecheck.view import classify_view

    label, seq = real_sequences[stem]
    guess = detect_exercise(seq)
    assert guess.name == label["exercise"]
    assert classify_view(seq).name == label["view"]
    reps = detect_reps(seq, guess.name)  # type: ignore[arg-type]
    truth = label["reps"]
    assert isinstance(truth, dict)
    assert sum(r.complete for r in reps) == truth["completed"]
    tol = 12 if stem.startswith("deadlift") else 8
    for want, got in zip(truth["list"], [r for r in reps if r.complete], strict=True):
        assert abs(got.bottom_frame - want["bottom"]) <= tol
        assert got.end_frame is not None and abs(got.end_frame - want["end"]) <= tol


def _heights(wrist: list[float], knee: list[float], conf: float = 0.9) -> BodyHeights:
    n = len(wrist)
    ones = np.ones(n)
    return BodyHeights(
        time_s=np.arange(n) / FPS, hip=ones, shoulder=ones, knee=np.asarray(knee, float),
        wrist=np.asarray(wrist, float), leg_px=ones * 200, wrist_conf=ones * conf,
        knee_conf=ones * conf,
    )  # fmt: skip


_OPENED_LOW = _Excursion(down=0, up=5, opened_low=True, top=1.0)


@pytest.mark.parametrize(
    ("wrist", "knee", "complete"),
    [
        # The bar at its lowest is below the knees, then rises past them: the bottom is seen.
        ([0.2, 0.15, 0.2, 0.4, 0.6], [0.5] * 5, True),
        # Mid-pull from the first frame: the bar never below the knees.
        ([0.6, 0.62, 0.65, 0.7, 0.8], [0.5] * 5, False),
        # Knees the model dropped onto the ankles (plates) are not compared with the bar.
        ([0.3, 0.3, 0.35, 0.4, 0.5], [0.05] * 5, True),
    ],
)
def test_deadlift_opening_low_is_complete_when_the_bar_is_seen_below_the_knees(
    wrist: list[float], knee: list[float], complete: bool
) -> None:
    h = _heights(wrist, knee)
    seen = _bottom_seen(h, _OPENED_LOW, (0, 4), 0, "deadlift", min_knee_height=0.15)
    assert seen is complete


@pytest.mark.parametrize("seed", range(20))
def test_rolling_percentile_and_despike_match_numpy_window_by_window(seed: int) -> None:
    rng = np.random.default_rng(seed)
    values = rng.normal(size=int(rng.integers(1, 90)))
    values[rng.random(values.size) < 0.3] = np.nan
    t = np.arange(values.size) / 30.0
    for window_s in (0.05, 0.2, 1.0):
        half = max(1, round(window_s * 30.0 / 2))
        for q in (5.0, 50.0, 90.0):
            got = rolling_percentile(t, values, window_s, q)
            for i in range(values.size):
                chunk = values[max(0, i - half) : i + half + 1]
                chunk = chunk[np.isfinite(chunk)]
                if chunk.size and (np.isfinite(values[i]) or half > 1):
                    assert got[i] == pytest.approx(np.percentile(chunk, q), abs=1e-12)
                else:
                    assert np.isnan(got[i])
        smooth = despike(t, values, window_s)
        for i in range(values.size):
            if np.isfinite(values[i]):
                window = values[max(0, i - half) : i + half + 1]
                assert smooth[i] == pytest.approx(np.nanmedian(window), abs=1e-12)
            else:
                assert np.isnan(smooth[i])
