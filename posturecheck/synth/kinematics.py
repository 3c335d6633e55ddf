"""From movement targets to per-bone world rotations: a sagittal-plane solver for the legs,
trunk and bar, two-bone IK for the arms, and the frontal-plane knee-valgus rotation.

Sagittal angles are in degrees, positive forward: shank and thigh tilt from vertical (knee ahead
of ankle / knee ahead of hip), trunk lean of the hip→shoulder chord. 2-D coordinates are
(f, z): f forward (anny's -Y), z up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from posturecheck.synth.body import BodyModel, PosedBody
from posturecheck.synth.motion import Motion

FloatArray = NDArray[np.float64]

#: Share of spine flexion at each spine bone (lumbar to thoracic).
SPINE_SHARE: dict[str, float] = {
    "spine05": 0.15,
    "spine04": 0.2,
    "spine03": 0.25,
    "spine02": 0.25,
    "spine01": 0.15,
}
NECK_SHARE: dict[str, float] = {"neck01": 0.6, "neck02": 0.4}
#: Barbell: plate radius (bar centre height on the floor) and wrist-centre height above the bar.
PLATE_RADIUS_M = 0.225
GRIP_OFFSET_M = 0.07
#: Squat bar on the upper back, in the trunk frame relative to mid-shoulder (lateral, back, up).
SQUAT_BAR_OFFSET_M = (0.0, 0.075, 0.06)
SQUAT_GRIP_HALF_WIDTH_M = 0.40
DEADLIFT_GRIP_OUT = 0.06


def rot_x(deg: FloatArray) -> FloatArray:
    """(T,3,3) rotations about +X; positive tilts an up-vector forward (towards -Y)."""
    a = np.radians(np.asarray(deg, dtype=float))
    c, s = np.cos(a), np.sin(a)
    r = np.zeros((*a.shape, 3, 3))
    r[..., 0, 0] = 1.0
    r[..., 1, 1], r[..., 1, 2] = c, -s
    r[..., 2, 1], r[..., 2, 2] = s, c
    return r


def rot_axis(axis: FloatArray, deg: FloatArray) -> FloatArray:
    """(T,3,3) rotations about unit axes (T,3) by angles (T,) (Rodrigues)."""
    a = np.radians(deg)[:, None, None]
    k = axis / np.linalg.norm(axis, axis=1, keepdims=True)
    kx = np.zeros((len(k), 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx -= kx.transpose(0, 2, 1)
    return np.eye(3) + np.sin(a) * kx + (1 - np.cos(a)) * kx @ kx


def align(src: FloatArray, dst: FloatArray) -> FloatArray:
    """(T,3,3) smallest rotations taking directions src (T,3) onto dst (T,3)."""
    a = src / np.linalg.norm(src, axis=-1, keepdims=True)
    b = dst / np.linalg.norm(dst, axis=-1, keepdims=True)
    axis = np.cross(a, b)
    sin = np.linalg.norm(axis, axis=-1)
    cos = np.sum(a * b, axis=-1)
    safe = np.where(sin[:, None] > 1e-9, axis, np.array([1.0, 0.0, 0.0]))
    return rot_axis(safe, np.degrees(np.arctan2(sin, cos)))


def _fz(v: FloatArray) -> FloatArray:
    """anny (x, y, z) -> sagittal (f, z)."""
    return np.stack([-v[..., 1], v[..., 2]], axis=-1)


def _tilt(v: FloatArray) -> FloatArray:
    """Forward tilt from vertical (deg) of an upward sagittal vector."""
    return np.degrees(np.arctan2(v[..., 0], v[..., 1]))


@dataclass(frozen=True)
class Segments:
    """Rest-pose sagittal geometry of one body (metres, degrees)."""

    shank_m: float
    thigh_m: float
    trunk_m: float
    arm_m: float
    shank_rest_deg: float
    thigh_rest_deg: float
    trunk_rest_deg: float
    ankle_from_ball: FloatArray  # (f, z)
    midfoot_from_ball_f: float

    @classmethod
    def from_rest(cls, body: BodyModel) -> Segments:
        r = body.rest

        def j(name: str) -> FloatArray:
            return np.asarray(r.joint(name)[0], dtype=np.float64)

        def mid(name: str) -> FloatArray:
            return (j(f"left_{name}") + j(f"right_{name}")) / 2

        shank = _fz(mid("knee") - mid("ankle"))
        thigh = _fz(mid("hip") - mid("knee"))
        trunk = mid("shoulder") - mid("hip")
        arm = np.linalg.norm(j("left_elbow") - j("left_shoulder")) + np.linalg.norm(
            j("left_wrist") - j("left_elbow")
        )
        assert r.coco_m is not None
        coco = dict(zip(body.coco_labels, r.coco_m[0], strict=True))
        heel = (coco["left_heel"] + coco["right_heel"]) / 2
        toe = (coco["left_big_toe"] + coco["right_big_toe"]) / 2
        ball = mid("ball")
        return cls(
            shank_m=float(np.linalg.norm(shank)),
            thigh_m=float(np.linalg.norm(thigh)),
            trunk_m=float(np.linalg.norm(trunk)),
            arm_m=float(arm),
            shank_rest_deg=float(_tilt(shank)),
            thigh_rest_deg=float(-_tilt(thigh)),
            trunk_rest_deg=float(_tilt(_fz(trunk))),
            ankle_from_ball=_fz(mid("ankle") - ball),
            midfoot_from_ball_f=float(_fz((heel + toe) / 2 - ball)[0]),
        )

    def ankle(self, heel_rise_m: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Ankle (T,2) relative to the ball of the foot, and foot pitch (deg) for a heel rise."""
        heel_len = 0.16
        pitch = np.degrees(np.arcsin(np.clip(heel_rise_m / heel_len, 0, 0.9)))
        a = np.radians(pitch)[:, None]
        v = self.ankle_from_ball
        rotated = np.concatenate(
            [v[0] * np.cos(a) + v[1] * np.sin(a), -v[0] * np.sin(a) + v[1] * np.cos(a)], axis=1
        )
        return rotated, pitch


def solve_squat(seg: Segments, motion: Motion, ankle: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Shank and thigh tilt that keep the shoulders over mid-foot for the target knee and lean."""
    grid = np.radians(np.linspace(-15, 75, 1801))
    knee = np.radians(motion.knee_flexion_deg)[:, None]
    lean = np.radians(motion.trunk_lean_deg)[:, None]
    f_sh = (
        ankle[:, :1]
        + seg.shank_m * np.sin(grid)
        - seg.thigh_m * np.sin(knee - grid)
        + seg.trunk_m * np.sin(lean)
    )
    target = seg.midfoot_from_ball_f + 0.02
    best = np.argmin(np.abs(f_sh - target), axis=1)
    shank = np.degrees(grid[best])
    return shank, motion.knee_flexion_deg - shank


def solve_deadlift(
    seg: Segments,
    motion: Motion,
    ankle: FloatArray,
    shoulder_over_f: float,
    plate_radius_m: float = PLATE_RADIUS_M,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Shank and thigh tilt that put the hands on the bar (vertical path) at the target lean.

    Returns (shank_deg, thigh_deg, bar_height_m) with the bar height of the solved pose."""
    lean = np.radians(motion.trunk_lean_deg)
    top = ankle[:, 1] + (seg.shank_m + seg.thigh_m) * 0.995 + seg.trunk_m * np.cos(np.radians(2.0))
    z_lock = top - seg.arm_m - GRIP_OFFSET_M
    z_bar = z_lock + (plate_radius_m - z_lock) * motion.bar_fraction
    shoulder = np.stack([np.full_like(lean, shoulder_over_f), z_bar + GRIP_OFFSET_M + seg.arm_m], 1)
    hip = shoulder - seg.trunk_m * np.stack([np.sin(lean), np.cos(lean)], axis=1)
    d_vec = hip - ankle
    d = np.clip(np.linalg.norm(d_vec, axis=1), 0.3, (seg.shank_m + seg.thigh_m) * 0.9995)
    ls, lt = seg.shank_m, seg.thigh_m
    knee = np.pi - np.arccos(np.clip((ls**2 + lt**2 - d**2) / (2 * ls * lt), -1, 1))
    phi = np.arctan2(d_vec[:, 0], d_vec[:, 1])
    beta = np.arccos(np.clip((ls**2 + d**2 - lt**2) / (2 * ls * d), -1, 1))
    shank = np.degrees(phi + beta)
    return shank, np.degrees(knee) - shank, z_bar


def _trunk_rotations(root: FloatArray, motion: Motion) -> dict[str, FloatArray]:
    """World rotations of the pelvis, spine, neck and head for a pelvis tilt ``root``."""
    world: dict[str, FloatArray] = {"root": rot_x(root)}
    acc = root.copy()
    for bone, share in SPINE_SHARE.items():
        acc = acc + share * motion.spine_flexion_deg
        world[bone] = rot_x(acc)
    # A rounded back leaves the upper spine about half its flexion ahead of the hip→shoulder
    # line; the neck takes that back, so the head stays on the trunk line (a rounded back is
    # not a forward head too).
    neck = motion.neck_flexion_deg - motion.spine_flexion_deg / 2
    for bone, share in NECK_SHARE.items():
        acc = acc + share * neck
        world[bone] = rot_x(acc)
    world["head"] = rot_x(acc + motion.head_pitch_deg)
    return world


def plan_pose(
    body: BodyModel,
    seg: Segments,
    motion: Motion,
    exercise: str,
    plate_radius_m: float = PLATE_RADIUS_M,
) -> dict[str, FloatArray]:
    """World rotations of legs, trunk, neck and head (arms are added by ``plan_arms``)."""
    ankle, foot_pitch = seg.ankle(motion.heel_rise_m)
    if exercise == "squat":
        shank, thigh = solve_squat(seg, motion, ankle)
    else:
        shank, thigh, _ = solve_deadlift(
            seg, motion, ankle, seg.midfoot_from_ball_f + 0.03, plate_radius_m
        )
    spine = motion.spine_flexion_deg
    root = motion.trunk_lean_deg - seg.trunk_rest_deg - spine / 2
    world = _trunk_rotations(root, motion)
    if np.any(spine != 0):
        # A flexed spine tilts the hip→shoulder chord by about half the flexion, not exactly
        # (the bends are not spread evenly along it): measure the chord and tilt the whole
        # trunk back onto the target lean, so a rounded back does not add trunk lean too.
        for _ in range(2):
            posed = body.pose(world, motion.n_frames, with_vertices=False)
            chord = (
                posed.joint("left_shoulder")
                + posed.joint("right_shoulder")
                - posed.joint("left_hip")
                - posed.joint("right_hip")
            )
            root = root + motion.trunk_lean_deg - _tilt(_fz(chord))
            world = _trunk_rotations(root, motion)
    for side in "LR":
        world[f"upperleg01.{side}"] = rot_x(-(thigh - seg.thigh_rest_deg))
        world[f"lowerleg01.{side}"] = rot_x(shank - seg.shank_rest_deg)
        world[f"foot.{side}"] = rot_x(foot_pitch)
    if np.any(motion.valgus_deg > 0):
        posed = body.pose(world, motion.n_frames, with_vertices=False)
        for side, sign in (("L", 1.0), ("R", -1.0)):
            name = "left" if side == "L" else "right"
            axis = posed.joint(f"{name}_ankle") - posed.joint(f"{name}_hip")
            turn = rot_axis(axis, sign * motion.valgus_deg)
            for bone in (f"upperleg01.{side}", f"lowerleg01.{side}"):
                world[bone] = turn @ world[bone]
    return world


def _two_bone_elbow(
    shoulder: FloatArray, hand: FloatArray, l1: float, l2: float, pole: FloatArray
) -> FloatArray:
    """Elbow positions (T,3) reaching ``hand`` from ``shoulder``, bending towards ``pole``."""
    d_vec = hand - shoulder
    d = np.clip(np.linalg.norm(d_vec, axis=1), abs(l1 - l2) + 1e-3, (l1 + l2) * 0.999)
    u = d_vec / np.linalg.norm(d_vec, axis=1, keepdims=True)
    along = (l1**2 - l2**2 + d**2) / (2 * d)
    height = np.sqrt(np.clip(l1**2 - along**2, 0, None))
    p = pole - np.sum(pole * u, axis=1, keepdims=True) * u
    p /= np.linalg.norm(p, axis=1, keepdims=True)
    elbow: FloatArray = shoulder + along[:, None] * u + height[:, None] * p
    return elbow


def squat_bar(mid_shoulder: FloatArray, trunk: FloatArray) -> FloatArray:
    """Squat bar centre (T,3) on the upper back, from mid-shoulder and the trunk's rotation."""
    bar: FloatArray = mid_shoulder + trunk @ np.array(SQUAT_BAR_OFFSET_M)
    return bar


def deadlift_bar(mid_wrist: FloatArray) -> FloatArray:
    """Deadlift bar centre (T,3) in the hands."""
    bar: FloatArray = mid_wrist - np.array([0.0, 0.0, GRIP_OFFSET_M])
    return bar


def plan_arms(
    body: BodyModel, world: dict[str, FloatArray], exercise: str, n: int
) -> dict[str, FloatArray]:
    """Add arm rotations: hands on the bar (squat) or hanging straight to it (deadlift)."""
    posed: PosedBody = body.pose(world, n, with_vertices=False)
    rest = body.rest
    trunk = world["spine01"]
    sh = {s: posed.joint(f"{s}_shoulder") for s in ("left", "right")}
    mid_sh = (sh["left"] + sh["right"]) / 2
    bar = squat_bar(mid_sh, trunk) if exercise == "squat" else None
    for side, sign in (("L", 1.0), ("R", -1.0)):
        name = "left" if side == "L" else "right"
        r_sh, r_el, r_wr = (rest.joint(f"{name}_{j}")[0] for j in ("shoulder", "elbow", "wrist"))
        l1, l2 = float(np.linalg.norm(r_el - r_sh)), float(np.linalg.norm(r_wr - r_el))
        s = sh[name]
        if bar is not None:
            hand = bar + trunk @ np.array([sign * SQUAT_GRIP_HALF_WIDTH_M, 0.0, -0.02])
            pole = trunk @ np.array([sign * 0.3, 0.6, -1.0])
            elbow = _two_bone_elbow(s, hand, l1, l2, pole)
            upper, fore = elbow - s, hand - elbow
        else:
            down = np.tile(np.array([sign * DEADLIFT_GRIP_OUT, 0.0, -1.0]), (n, 1))
            upper = fore = down
        world[f"upperarm01.{side}"] = align(np.tile(r_el - r_sh, (n, 1)), upper)
        world[f"lowerarm01.{side}"] = align(np.tile(r_wr - r_el, (n, 1)), fore)
    return world
