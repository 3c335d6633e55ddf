"""Ground truth of a rendered clip: landmarks in image pixels, angles measured on the posed
body, reps and faults; written as JSON beside the video and read back with ``load_truth``.

Landmarks use the BlazePose 33 order of ``posturecheck.landmarks.Landmark``. Shoulders, elbows,
wrists, hips, knees and ankles are *skeletal joint centres*; nose, eyes, ears, heels and toes
are *surface points* from anny's COCO regressor; hand details are knuckle joint centres; the
rest (inner/outer eyes, mouth) are null. The regressor's own 23 COCO keypoints (all surface
points, closer to what a pose model marks) are written too. Angles are computed from the posed
3-D geometry, never from the generator's inputs.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posturecheck.landmarks import NUM_LANDMARKS, Landmark

FloatArray = NDArray[np.float64]
SCHEMA = "posturecheck.synth.truth/1"

L = Landmark
#: BlazePose landmark -> ("joint", JOINT_BONES name) or ("coco", COCO label).
LANDMARK_SOURCE: dict[Landmark, tuple[str, str]] = {
    L.NOSE: ("coco", "nose"),
    L.LEFT_EYE: ("coco", "left_eye"),
    L.RIGHT_EYE: ("coco", "right_eye"),
    L.LEFT_EAR: ("coco", "left_ear"),
    L.RIGHT_EAR: ("coco", "right_ear"),
    L.LEFT_SHOULDER: ("joint", "left_shoulder"),
    L.RIGHT_SHOULDER: ("joint", "right_shoulder"),
    L.LEFT_ELBOW: ("joint", "left_elbow"),
    L.RIGHT_ELBOW: ("joint", "right_elbow"),
    L.LEFT_WRIST: ("joint", "left_wrist"),
    L.RIGHT_WRIST: ("joint", "right_wrist"),
    L.LEFT_INDEX: ("joint", "left_middle_knuckle"),
    L.RIGHT_INDEX: ("joint", "right_middle_knuckle"),
    L.LEFT_HIP: ("joint", "left_hip"),
    L.RIGHT_HIP: ("joint", "right_hip"),
    L.LEFT_KNEE: ("joint", "left_knee"),
    L.RIGHT_KNEE: ("joint", "right_knee"),
    L.LEFT_ANKLE: ("joint", "left_ankle"),
    L.RIGHT_ANKLE: ("joint", "right_ankle"),
    L.LEFT_HEEL: ("coco", "left_heel"),
    L.RIGHT_HEEL: ("coco", "right_heel"),
    L.LEFT_FOOT_INDEX: ("coco", "left_big_toe"),
    L.RIGHT_FOOT_INDEX: ("coco", "right_big_toe"),
}


def landmarks_from(
    joints: dict[str, FloatArray], coco: dict[str, FloatArray], n: int
) -> FloatArray:
    """(T, 33, 3) BlazePose-ordered points (NaN where undefined) from named 3-D points."""
    out = np.full((n, NUM_LANDMARKS, 3), np.nan)
    for lm, (kind, name) in LANDMARK_SOURCE.items():
        out[:, lm] = (joints if kind == "joint" else coco)[name]
    return out


def _angle(a: FloatArray, b: FloatArray) -> FloatArray:
    """Angle (deg) between vectors (T,3)."""
    cos = np.sum(a * b, axis=-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
    return np.asarray(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))), dtype=np.float64)


def _sagittal(v: FloatArray) -> FloatArray:
    """Drop the lateral (x) component: the angle a perfect side camera sees."""
    out = v.copy()
    out[..., 0] = 0.0
    return out


def body_angles(j: dict[str, FloatArray], coco: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Angles (deg) and distances (m) measured on the posed 3-D body, each (T,).

    Flexion is 0 at full extension; segment angles are against the vertical; ``*_sagittal``
    variants are projected on the sagittal plane (what an ideal side view sees)."""
    up = np.array([0.0, 0.0, 1.0])
    out: dict[str, FloatArray] = {}
    mid = {k: (j[f"left_{k}"] + j[f"right_{k}"]) / 2 for k in ("hip", "shoulder", "knee", "ankle")}
    trunk = mid["shoulder"] - mid["hip"]
    out["trunk_lean_deg"] = _angle(trunk, np.broadcast_to(up, trunk.shape))
    out["trunk_lean_sagittal_deg"] = _angle(_sagittal(trunk), np.broadcast_to(up, trunk.shape))
    for side in ("left", "right"):
        hip, knee, ankle, sh = (j[f"{side}_{k}"] for k in ("hip", "knee", "ankle", "shoulder"))
        for suffix, f in (("", lambda v: v), ("_sagittal", _sagittal)):
            out[f"{side}_knee_flexion{suffix}_deg"] = 180.0 - _angle(f(hip - knee), f(ankle - knee))
            out[f"{side}_hip_flexion{suffix}_deg"] = 180.0 - _angle(f(sh - hip), f(knee - hip))
        out[f"{side}_shank_angle_deg"] = _angle(
            _sagittal(knee - ankle), np.broadcast_to(up, knee.shape)
        )
        out[f"{side}_thigh_to_horizontal_deg"] = np.degrees(
            np.arcsin(np.clip((hip - knee)[:, 2] / np.linalg.norm(hip - knee, axis=1), -1, 1))
        )
        out[f"{side}_heel_height_m"] = coco[f"{side}_heel"][:, 2]
        ear = coco[f"{side}_ear"]
        out[f"{side}_neck_flexion_deg"] = _angle(_sagittal(ear - sh), _sagittal(trunk))
        # Knee off the hip→ankle line, towards the midline (+), per metre of leg.
        axis = ankle - hip
        foot = (
            hip
            + np.sum((knee - hip) * axis, 1, keepdims=True)
            / np.sum(axis * axis, 1, keepdims=True)
            * axis
        )
        medial = -np.sign(hip[:, 0]) * (knee - foot)[:, 0]
        out[f"{side}_knee_medial_offset_per_leg"] = medial / np.linalg.norm(axis, axis=1)
    out["heel_rise_m"] = np.maximum(out["left_heel_height_m"], out["right_heel_height_m"]) - min(
        out["left_heel_height_m"][0], out["right_heel_height_m"][0]
    )
    knee_w = np.abs(j["left_knee"][:, 0] - j["right_knee"][:, 0])
    ankle_w = np.abs(j["left_ankle"][:, 0] - j["right_ankle"][:, 0])
    out["knee_ankle_width_ratio"] = knee_w / ankle_w
    lower = j["spine_mid"] - j["spine_base"]
    upper = j["neck_base"] - j["spine_mid"]
    out["spine_flexion_deg"] = _angle(_sagittal(lower), _sagittal(upper))
    return out


def _clean(value: Any, ndigits: int) -> Any:
    """JSON-ready: arrays to nested lists, NaN to null, floats rounded."""
    if isinstance(value, np.ndarray):
        return _clean(value.tolist(), ndigits)
    if isinstance(value, list | tuple):
        return [_clean(v, ndigits) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v, ndigits) for k, v in value.items()}
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else round(float(value), ndigits)
    return value


#: Decimal places kept per kind of per-frame array: pixels 0.01, metres 0.1 mm, angles 0.001.
DIGITS = {"px": 2, "m": 4, "angles": 3, "time_s": 4}


def write_truth(path: Path, doc: dict[str, Any]) -> None:
    """Write the ground-truth document compactly (see ``DIGITS`` for the rounding)."""
    frames = {
        key: _clean(value, next((d for kind, d in DIGITS.items() if key.endswith(kind)), 4))
        for key, value in doc["frames"].items()
    }
    clean = _clean({k: v for k, v in doc.items() if k != "frames"}, 4) | {"frames": frames}
    path.write_text(json.dumps(clean, separators=(",", ":")) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class GroundTruth:
    """A loaded ground-truth file: the raw document plus arrays (NaN where null)."""

    doc: dict[str, Any]
    landmarks_px: FloatArray  # (T, 33, 2)
    landmarks_m: FloatArray  # (T, 33, 3), world metres, floor z = 0
    coco_px: FloatArray  # (T, K, 2)
    angles: dict[str, FloatArray]

    def __post_init__(self) -> None:
        n = self.n_frames
        if self.landmarks_px.shape != (n, NUM_LANDMARKS, 2):
            raise ValueError(
                f"landmarks_px has shape {self.landmarks_px.shape}, expected ({n}, 33, 2)"
            )
        if self.landmarks_m.shape != (n, NUM_LANDMARKS, 3):
            raise ValueError(
                f"landmarks_m has shape {self.landmarks_m.shape}, expected ({n}, 33, 3)"
            )

    @property
    def n_frames(self) -> int:
        return int(self.doc["video"]["frames"])

    @property
    def fps(self) -> float:
        return float(self.doc["video"]["fps"])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        v = self.doc["video"]
        return int(v["width"]), int(v["height"])

    @property
    def video_path(self) -> Path:
        return Path(str(self.doc["_path"])).parent / str(self.doc["video"]["file"])


def _array(value: Any) -> FloatArray:
    return np.array(value, dtype=float)  # None -> nan


def load_truth(path: Path) -> GroundTruth:
    """Read a ground-truth JSON written by the generator."""
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    if doc.get("schema") != SCHEMA:
        raise ValueError(f"{path}: schema {doc.get('schema')!r}, expected {SCHEMA!r}")
    doc["_path"] = str(path)
    frames = doc["frames"]
    return GroundTruth(
        doc=doc,
        landmarks_px=_array(frames["landmarks_px"]),
        landmarks_m=_array(frames["landmarks_m"]),
        coco_px=_array(frames["coco_px"]),
        angles={k: _array(v) for k, v in frames["angles"].items()},
    )
