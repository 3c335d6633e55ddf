"""Camera placement (view, side, distance, height), seeded hand-held shake, and projection.

Pixel coordinates are continuous: pixel (i, j) covers [i, i+1) x [j, j+1), x right, y down.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from posturecheck.synth.spec import CameraSpec

FloatArray = NDArray[np.float64]

#: Height the camera aims at (m): about the lifter's mid-body.
AIM_HEIGHT_M = 0.85
#: Shake: how quickly the hand-held drift changes (seconds of smoothing).
SHAKE_SMOOTH_S = 0.25


def camera_eye(spec: CameraSpec) -> FloatArray:
    """Camera position around a lifter at the origin facing -Y (+X is the lifter's left)."""
    side = 1.0 if spec.side == "left" else -1.0
    azimuth = {"side": 0.0, "oblique": 45.0, "front": 90.0}[spec.view]
    a = np.radians(azimuth)
    direction = np.array([side * np.cos(a), -np.sin(a), 0.0])
    eye: FloatArray = direction * spec.distance_m + np.array([0.0, 0.0, spec.height_m])
    return eye


def focal_px(spec: CameraSpec, height: int) -> float:
    return float(height / 2 / np.tan(np.radians(spec.yfov_deg) / 2))


def camera_poses(
    spec: CameraSpec, n: int, fps: float, height: int, rng: np.random.Generator
) -> FloatArray:
    """(n, 4, 4) camera-to-world poses (OpenGL camera), with smooth seeded shake."""
    from posturecheck.synth.scene import look_at

    eye = camera_eye(spec)
    base = look_at(eye, np.array([0.0, 0.0, AIM_HEIGHT_M]))
    poses = np.repeat(base[None], n, axis=0)
    if spec.shake_px <= 0 or n == 0:
        return poses
    # Low-pass white noise into a smooth drift; scale so its std is shake_px pixels.
    k = max(1, round(SHAKE_SMOOTH_S * fps))
    kernel = np.hanning(2 * k + 1)
    kernel /= kernel.sum()
    noise = rng.standard_normal((n + 2 * k, 3))
    drift = np.stack([np.convolve(noise[:, i], kernel, mode="valid") for i in range(3)], 1)[:n]
    drift /= np.maximum(drift.std(axis=0, keepdims=True), 1e-9)
    angle = drift * spec.shake_px / focal_px(spec, height)  # radians: yaw, pitch, roll
    angle[:, 2] *= 0.5
    for i in range(n):
        yaw, pitch, roll = angle[i]
        cy, sy, cp, sp, cr, sr = (
            np.cos(yaw),
            np.sin(yaw),
            np.cos(pitch),
            np.sin(pitch),
            np.cos(roll),
            np.sin(roll),
        )
        ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
        rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
        rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
        poses[i, :3, :3] = base[:3, :3] @ ry @ rx @ rz
    return poses


def project(
    points_m: FloatArray, poses: FloatArray, spec: CameraSpec, width: int, height: int
) -> FloatArray:
    """World points (T, K, 3) seen by per-frame cameras (T, 4, 4) -> pixels (T, K, 2).

    Points behind the camera come out NaN."""
    world_to_cam = np.linalg.inv(poses)
    homo = np.concatenate([points_m, np.ones((*points_m.shape[:2], 1))], axis=2)
    cam = np.einsum("tij,tkj->tki", world_to_cam, homo)[..., :3]
    depth = -cam[..., 2]
    f = focal_px(spec, height)
    with np.errstate(invalid="ignore", divide="ignore"):
        x = width / 2 + f * cam[..., 0] / depth
        y = height / 2 - f * cam[..., 1] / depth
    out = np.stack([x, y], axis=-1)
    out[depth <= 0] = np.nan
    return out
