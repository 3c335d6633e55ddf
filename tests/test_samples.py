"""The pipeline, with the real pose model, on the committed rendered samples (sample_videos/).

Each sample has exact ground truth (posturecheck.synth). The thresholds are issue 3's: knee, hip
and trunk MAE <= 5 deg from the side, reps, exercise and view right, every injected fault found
at its rep, clean clips without a moderate or severe finding. What does not hold yet is marked
``xfail(strict=True)`` with the measured value, so a fix turns it into an XPASS failure and the
mark has to go. ``benchmarks/accuracy.py`` prints the same figures as tables.

That the committed ground truth reloads and matches its video (frame count, size, fps, preset)
is tested in ``test_synth.py`` (``test_sample_truth_matches_its_video``), not repeated here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from posturecheck.synth.truth import load_truth

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

import accuracy  # noqa: E402

SAMPLES = REPO / "sample_videos"
SIDE_CLIPS = (
    "side_deadlift_clean",
    "side_deadlift_hips_rounded",
    "side_squat_clean",
    "side_squat_faults",
)
ALL_CLIPS = (*SIDE_CLIPS, "front_squat_valgus")
CLEAN_CLIPS = ("side_deadlift_clean", "side_squat_clean")

pytestmark = [pytest.mark.model, pytest.mark.slow]

Runner = Callable[[str], accuracy.ClipRun]


@pytest.fixture(scope="module")
def clip(model_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    """``clip(name)``: the pipeline's result on one sample, run once per module and clip."""
    work = tmp_path_factory.mktemp("samples")
    done: dict[str, accuracy.ClipRun] = {}

    def run(name: str) -> accuracy.ClipRun:
        if name not in done:
            done[name] = accuracy.run_clip(SAMPLES / f"{name}.json", work, model_path)
        return done[name]

    yield run


def _xfail(reason: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=True, reason=reason)


# --- angles from the side -------------------------------------------------------------------

# Measured against the skeletal joint centres, not the surface keypoints: the joint centres are
# the anatomical definition of these angles (and what the literature's marker-based cut-offs
# refer to), exact in the body model, whereas the surface keypoints come from a learned COCO
# regressor with its own error (joint-vs-surface gaps of 2-4 deg here). benchmarks/accuracy.py
# reports both; the surface figures are in the xfail reasons.
_MAE_LIMIT_DEG = 5.0
# fmt: off
_ANGLE_XFAIL: dict[tuple[str, str], str] = {
    ("side_deadlift_clean", "knee_flexion_deg"):
        "14.6 deg (surface 12.4): plates hide the knees while bent over",
    ("side_deadlift_clean", "hip_flexion_deg"): "12.8 deg (surface 10.7)",
    ("side_deadlift_clean", "trunk_lean_deg"): "5.3 deg (surface 4.7)",
    ("side_deadlift_hips_rounded", "knee_flexion_deg"):
        "11.0 deg (surface 8.9): plates hide the knees while bent over",
    ("side_deadlift_hips_rounded", "hip_flexion_deg"): "8.5 deg (surface 8.2)",
    ("side_squat_clean", "hip_flexion_deg"): "7.6 deg (surface 4.6)",
    ("side_squat_clean", "trunk_lean_deg"): "5.3 deg (surface 3.3)",
    ("side_squat_faults", "knee_flexion_deg"): "7.3 deg (surface 3.8)",
    ("side_squat_faults", "hip_flexion_deg"): "10.5 deg (surface 6.3)",
    ("side_squat_faults", "trunk_lean_deg"): "5.6 deg (surface 4.9)",
}
# fmt: on
_ANGLE_CASES = [
    pytest.param(
        name,
        metric,
        id=f"{name}-{metric}",
        marks=[_xfail(f"MAE vs joint centres {r}")]
        if (r := _ANGLE_XFAIL.get((name, metric)))
        else [],
    )
    for name in SIDE_CLIPS
    for metric in ("knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg")
]


@pytest.mark.parametrize(("name", "metric"), _ANGLE_CASES)
def test_side_angle_mae_within_5_deg(clip: Runner, name: str, metric: str) -> None:
    run = clip(name)
    errors = {ref: accuracy.metric_differences(run, ref)[metric] for ref in accuracy.REFERENCES}
    assert errors["joints"].size > 0.9 * run.truth.n_frames, "metric missing in many frames"
    mae = {ref: float(np.mean(np.abs(e))) for ref, e in errors.items()}
    assert mae["joints"] <= _MAE_LIMIT_DEG, (
        f"{name} {metric}: MAE {mae['joints']:.1f} deg vs joint centres "
        f"({mae['surface']:.1f} vs surface keypoints)"
    )


def test_angle_bands_hold_every_scored_frame_once(clip: Runner) -> None:
    """The benchmark's error-by-true-angle table pools each lift's side clips without losing
    or double-counting a frame, and its bias is the mean of the same differences."""
    runs = [clip(name) for name in SIDE_CLIPS]
    rows = accuracy.angle_band_table(runs)[2:]
    assert len(rows) == 2 * 3  # squat and deadlift, knee / hip / trunk
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        lift, metric = cells[0], cells[1].strip("`")
        diffs = np.concatenate(
            [accuracy.metric_differences(r, "joints")[metric] for r in runs if r.exercise == lift]
        )
        counts = [int(c.rsplit("(", 1)[1].rstrip(")")) for c in cells[2:] if c != "-"]
        assert sum(counts) == diffs.size, row
        biases = [float(c.split(" / ")[0]) for c in cells[2:] if c != "-"]
        pooled = sum(b * n for b, n in zip(biases, counts, strict=True)) / sum(counts)
        assert pooled == pytest.approx(float(np.mean(diffs)), abs=0.1), row


# --- clip-level calls -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL_CLIPS)
def test_reps_counted_right(clip: Runner, name: str) -> None:
    run = clip(name)
    assert accuracy.rep_count(run.auto) == len(run.truth.doc["reps"])
    # Every found rep's bottom falls inside a different true rep.
    matched = {accuracy.truth_rep_of(rep, run.truth) for rep in run.auto.reps if rep.complete}
    assert matched == set(range(len(run.truth.doc["reps"])))


@pytest.mark.parametrize("name", ALL_CLIPS)
def test_exercise_right(clip: Runner, name: str) -> None:
    run = clip(name)
    assert run.auto.exercise.name == run.exercise


@pytest.mark.parametrize("name", ALL_CLIPS)
def test_view_right(clip: Runner, name: str) -> None:
    run = clip(name)
    assert run.auto.view.name == run.view


# --- findings ---------------------------------------------------------------------------------


#: Clean clips that still get a moderate or severe flag, name -> what and why; none at present.
_CLEAN_XFAIL: dict[str, str] = {}


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=[_xfail(r)] if (r := _CLEAN_XFAIL.get(n)) else []) for n in CLEAN_CLIPS],
)
def test_clean_clip_has_no_moderate_or_severe_finding(clip: Runner, name: str) -> None:
    run = clip(name)
    serious = accuracy.flagged(run.auto, run.truth, accuracy.SERIOUS)
    assert not serious, f"{name}: {sorted(serious, key=str)}"


#: Injected faults not yet flagged at their rep, (clip, fault, rep 1-based) -> measured value;
#: none at present.
_FAULT_XFAIL: dict[tuple[str, str, int], str] = {}


def _injected_cases() -> list[object]:
    cases: list[object] = []
    for name in ALL_CLIPS:
        truth = load_truth(SAMPLES / f"{name}.json")
        for fault, rep in sorted(accuracy.injected(truth)):
            reason = _FAULT_XFAIL.get((name, fault, rep + 1))
            cases.append(
                pytest.param(
                    name,
                    fault,
                    rep,
                    id=f"{name}-{fault}-rep{rep + 1}",
                    marks=[_xfail(reason)] if reason else [],
                )
            )
    return cases


@pytest.mark.parametrize(("name", "fault", "rep"), _injected_cases())
def test_injected_fault_found_at_its_rep(clip: Runner, name: str, fault: str, rep: int) -> None:
    run = clip(name)
    found = accuracy.flagged(run.auto, run.truth, accuracy.LEVELS["mild+"])
    value = accuracy.measured(run, run.probe.judgement, fault, rep)
    assert (fault, rep) in found, (
        f"{name}: {fault} not flagged at rep {rep + 1}; rule measured {value}; "
        f"flagged: {sorted(found, key=str)}"
    )
