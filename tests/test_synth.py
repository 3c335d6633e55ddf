"""Tests of the synthetic-lifter generator (posturecheck.synth).

Spec, motion and ground-truth geometry run everywhere; rendering needs the ``synth`` extra
(torch, anny, pyrender) and Mesa EGL, and is marked slow. The committed samples must reload and
match their videos.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import av
import numpy as np
import pytest

from posturecheck.landmarks import Landmark
from posturecheck.synth.motion import build_motion
from posturecheck.synth.presets import PRESETS, TINY, preset
from posturecheck.synth.spec import Fault, FaultName, Scenario, Tempo
from posturecheck.synth.truth import body_angles, load_truth

SAMPLES = Path(__file__).resolve().parent.parent / "sample_videos"


# --- spec ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exercise": "bench"}, "Scenario.exercise"),
        ({"reps": 0}, "Scenario.reps"),
        ({"width": 641}, "Scenario.width"),
        ({"faults": (Fault(FaultName.SHALLOW_DEPTH),)}, "applies to"),
        ({"exercise": "squat", "faults": (Fault(FaultName.HIPS_RISE_FIRST),)}, "applies to"),
        ({"reps": 2, "faults": (Fault(FaultName.HEELS_LIFT, reps=(2,)),)}, "outside"),
    ],
)
def test_scenario_rejects_bad_values(kwargs: dict[str, object], message: str) -> None:
    base = {"name": "x", "exercise": "deadlift"} | kwargs
    with pytest.raises(ValueError, match=message):
        Scenario(**base)  # type: ignore[arg-type]


def test_fault_severity_must_be_in_unit_interval() -> None:
    with pytest.raises(ValueError, match="severity"):
        Fault(FaultName.HEELS_LIFT, 1.5)


def test_unknown_preset_lists_valid_ones() -> None:
    with pytest.raises(KeyError, match="side_squat_clean"):
        preset("nope")


def test_presets_are_short() -> None:
    for scn in PRESETS.values():
        assert 3.0 <= scn.duration_s <= 6.5, scn.name


# --- motion ---------------------------------------------------------------------------------------


def test_motion_reps_and_fault_spans() -> None:
    scn = Scenario(
        name="m",
        exercise="squat",
        reps=2,
        tempo=Tempo(),
        faults=(Fault(FaultName.SHALLOW_DEPTH, 0.5, reps=(1,)),),
    )
    motion = build_motion(scn)
    assert motion.n_frames == scn.n_frames
    assert len(motion.reps) == 2
    for rep in motion.reps:
        assert rep.start < rep.bottom < rep.end
        assert motion.progress[rep.bottom] == pytest.approx(1.0)
    (span,) = motion.fault_spans
    assert span.rep == 1
    assert motion.reps[1].start <= span.start <= span.peak_frame <= span.end <= motion.reps[1].end
    deep = motion.knee_flexion_deg[motion.reps[0].bottom]
    shallow = motion.knee_flexion_deg[motion.reps[1].bottom]
    assert deep - shallow == pytest.approx(0.5 * 55.0)


def test_motion_is_standing_between_reps() -> None:
    motion = build_motion(Scenario(name="m"))
    assert motion.progress[0] == 0.0
    assert motion.progress[-1] == pytest.approx(0.0, abs=0.05)


# --- ground-truth geometry ---------------------------------------------------------------


def _leg(knee_deg: float) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A side-on leg with a dialled knee flexion (thigh horizontal forward, shank rotated)."""
    a = np.radians(knee_deg)
    hip = np.array([[0.1, 0.0, 0.9]])
    knee = hip + np.array([[0.0, -0.4 * np.sin(np.radians(80)), -0.4 * np.cos(np.radians(80))]])
    thigh = (knee - hip) / np.linalg.norm(knee - hip)
    # rotate the thigh direction about +X by the flexion to get the shank direction
    c, s = np.cos(a), np.sin(a)
    rot = np.array([[1, 0, 0], [0, c, -s], [0, s, c]])
    ankle = knee + 0.4 * thigh @ rot.T
    up = np.array([[0.0, 0.0, 0.5]])
    joints = {}
    for side, sign in (("left", 1.0), ("right", -1.0)):
        flip = np.array([sign, 1.0, 1.0])
        joints |= {
            f"{side}_hip": hip * flip,
            f"{side}_knee": knee * flip,
            f"{side}_ankle": ankle * flip,
            f"{side}_shoulder": (hip + up) * flip,
        }
    joints |= {
        "spine_base": 0 * hip,
        "spine_mid": 0.4 * up,
        "neck_base": up,
    }
    coco = {
        f"{s}_{k}": np.array([[0.0, 0.0, 1.0]]) for s in ("left", "right") for k in ("heel", "ear")
    }
    return joints, coco


@pytest.mark.parametrize("knee_deg", [0.0, 30.0, 90.0, 120.0])
def test_body_angles_recover_dialled_knee_flexion(knee_deg: float) -> None:
    joints, coco = _leg(knee_deg)
    angles = body_angles(joints, coco)
    assert angles["left_knee_flexion_deg"][0] == pytest.approx(knee_deg, abs=1e-4)
    assert angles["right_knee_flexion_sagittal_deg"][0] == pytest.approx(knee_deg, abs=1e-4)


# --- committed samples -------------------------------------------------------------------

SAMPLE_JSON = sorted(SAMPLES.glob("*.json"))


def test_every_preset_has_a_committed_sample() -> None:
    assert {p.stem for p in SAMPLE_JSON} >= set(PRESETS)


@pytest.mark.parametrize("path", SAMPLE_JSON, ids=lambda p: p.stem)
def test_sample_truth_matches_its_video(path: Path) -> None:
    gt = load_truth(path)
    with av.open(str(gt.video_path)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == gt.n_frames
    assert frames[0].shape == (gt.size[1], gt.size[0], 3)
    assert float(stream.average_rate) == pytest.approx(gt.fps, rel=1e-3)
    scn = PRESETS[path.stem]
    assert gt.doc["scenario"]["seed"] == scn.seed
    assert gt.n_frames == scn.n_frames
    # Body landmarks are defined and inside the image in every frame.
    body = [Landmark.LEFT_SHOULDER, Landmark.RIGHT_HIP, Landmark.LEFT_KNEE, Landmark.RIGHT_ANKLE]
    px = gt.landmarks_px[:, body]
    assert np.isfinite(px).all()
    assert (px[..., 0] > 0).all() and (px[..., 0] < gt.size[0]).all()
    assert (px[..., 1] > 0).all() and (px[..., 1] < gt.size[1]).all()
    assert len(gt.doc["reps"]) == scn.reps
    assert {f["fault"] for f in gt.doc["faults"]} == {f.name.value for f in scn.faults}


def test_sample_faults_show_in_the_geometry() -> None:
    """Injected faults change the measured geometry in the direction they should."""
    squat = load_truth(SAMPLES / "side_squat_faults.json")
    clean = load_truth(SAMPLES / "side_squat_clean.json")
    assert np.nanmax(squat.angles["heel_rise_m"]) > 0.02
    assert np.nanmax(clean.angles["heel_rise_m"]) < 0.005
    valgus = load_truth(SAMPLES / "front_squat_valgus.json")
    assert (
        np.nanmin(valgus.angles["knee_ankle_width_ratio"])
        < 0.7 * valgus.angles["knee_ankle_width_ratio"][0]
    )
    rounded = load_truth(SAMPLES / "side_deadlift_hips_rounded.json")
    plain = load_truth(SAMPLES / "side_deadlift_clean.json")
    assert (
        np.nanmax(rounded.angles["spine_flexion_deg"])
        > np.nanmax(plain.angles["spine_flexion_deg"]) + 25
    )


# --- rendering (needs the synth extra and EGL) ------------------------------------------


@pytest.mark.slow
def test_tiny_render_is_deterministic_and_truth_is_consistent(tmp_path: Path) -> None:
    pytest.importorskip("anny")
    pytest.importorskip("pyrender")
    from posturecheck.synth.generate import generate

    scn = replace(
        TINY, tempo=Tempo(lead_in_s=0.1, descent_s=0.3, bottom_s=0.0, ascent_s=0.2, rest_s=0.0)
    )
    video_a, truth_a = generate(scn, tmp_path / "a", workers=1)
    video_b, truth_b = generate(scn, tmp_path / "b", workers=1)
    assert truth_a.read_bytes() == truth_b.read_bytes()
    with av.open(str(video_a)) as ca, av.open(str(video_b)) as cb:
        fa = [f.to_ndarray(format="rgb24") for f in ca.decode(video=0)]
        fb = [f.to_ndarray(format="rgb24") for f in cb.decode(video=0)]
    assert len(fa) == scn.n_frames
    # Ground truth is bit-identical; pixels are too except, rarely, a single pixel where two
    # surfaces tie in depth (pyrender draws nodes in set order), which H.264 then spreads a little.
    for a, b in zip(fa, fb, strict=True):
        assert np.mean(np.abs(a.astype(int) - b)) < 0.5
    gt = load_truth(truth_a)
    doc = json.loads(truth_a.read_text())
    # The dialled knee flexion is recovered from the posed joint centres.
    dialled = build_motion(scn).knee_flexion_deg
    np.testing.assert_allclose(gt.angles["left_knee_flexion_sagittal_deg"], dialled, atol=0.5)
    assert doc["camera"]["facing"] == "left"
    # The knee flexion measured in the image (side view, near leg) matches the 3-D ground truth.
    px = gt.landmarks_px
    hip, knee, ankle = (
        px[:, lm] for lm in (Landmark.LEFT_HIP, Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE)
    )
    a, b = hip - knee, ankle - knee
    cos = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    image_knee = 180.0 - np.degrees(np.arccos(np.clip(cos, -1, 1)))
    truth_knee = gt.angles["left_knee_flexion_sagittal_deg"]
    assert np.max(truth_knee) > 60.0
    np.testing.assert_allclose(image_knee, truth_knee, atol=4.0)
