"""Build :class:`PoseSequence` values from chosen joint angles: the backbone of unit tests.

A test says *what the lifter does* (knee flexion 90°, trunk lean from the hips, heel up 10°,
left knee caving in by 5% of leg length...) and *how the camera sees it* (side or front,
facing left or right, scale, roll, visibility), and gets the landmarks MediaPipe would give
for an ideal 2D stick figure. Metrics computed from it must read back what was dialled in.

Side view (:func:`side_view`)
    The figure is built in a "canonical" plane: x forward, Y **up**, toe on the ground at
    the origin, then placed in the image (mirrored when facing left, rotated by the camera
    roll, scaled, y flipped to point down). The chain is built from the toe upwards:

    ==================  ================================================================
    ``heel_rise_deg``   foot rotated about the toe; + = heel up (0 = flat).
    ``shank_deg``       ankle→knee from vertical; + = knee forward of the ankle.
    ``knee_flexion_deg`` 0 = straight; + = flexed (the thigh tips back from the shank).
    ``hip_flexion_deg`` 0 = trunk in line with the thigh; + = trunk tips forward.
    ``head_on_trunk_deg`` shoulder→ear vs hip→shoulder; + = head forward/down.
    ``arm_deg``         shoulder→wrist from hanging straight down; + = hands forward.
    ==================  ================================================================

    so the trunk's lean from vertical is ``shank - knee + hip`` and the thigh's inclination
    is ``shank - knee``. :func:`expected_side_metrics` gives every metric's exact value.
    Both sides of the body share the near side's pose unless ``far_pose`` is given; the far
    side gets lower visibility and larger z (further from the camera).

Front view (:func:`front_view`)
    Ankles on a horizontal line, the hip midpoint above them, each knee placed on its own
    hip-ankle line and pushed inward by the dialled valgus offset. ``from_behind`` puts the
    lifter's back to the camera (their left on the image left).

Every angle or offset may be a float (constant) or a ``(T,)`` array (a trajectory); use
:func:`rep_wave` to make rep-shaped trajectories. Units: lengths in pixels at ``scale=1``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from posturecheck.landmarks import NUM_LANDMARKS, Landmark
from posturecheck.sequence import PoseSequence
from posturecheck.sides import partner

FloatArray = npt.NDArray[np.float64]
Angle = float | npt.ArrayLike
Facing = Literal["left", "right"]
Side = Literal["left", "right"]

L = Landmark
PX_PER_M = 250.0  # converts the figure's pixels at scale 1 into world metres


@dataclass(frozen=True)
class Segments:
    """Segment lengths in pixels (at ``Camera.scale == 1``); all must be > 0."""

    foot: float = 60.0  # heel → toe
    heel_to_ankle: float = 15.0  # ankle ahead of the heel, along the foot
    ankle_height: float = 18.0  # ankle above the sole
    shank: float = 110.0  # ankle → knee
    thigh: float = 120.0  # knee → hip
    trunk: float = 150.0  # hip → shoulder
    neck: float = 45.0  # shoulder → ear
    head: float = 25.0  # ear → nose
    upper_arm: float = 80.0
    forearm: float = 75.0
    hip_width: float = 70.0  # front view: hip joint centre to hip joint centre
    shoulder_width: float = 95.0

    def __post_init__(self) -> None:
        for f in fields(self):
            if not getattr(self, f.name) > 0:
                raise ValueError(f"Segments.{f.name} must be > 0, got {getattr(self, f.name)}")


@dataclass(frozen=True)
class Camera:
    """Where the figure lands in the image: ``scale`` times size, rotated clockwise on screen by
    ``roll_deg`` about the canonical origin (the toe / ankle midpoint), which sits at
    ``origin_px``."""

    scale: float = 1.0
    roll_deg: float = 0.0
    origin_px: tuple[float, float] = (320.0, 440.0)
    width: int = 640
    height: int = 480

    def __post_init__(self) -> None:
        if not self.scale > 0:
            raise ValueError(f"Camera.scale must be > 0, got {self.scale}")


@dataclass(frozen=True)
class SidePose:
    """Joint angles in degrees for a side view (see the module doc for signs)."""

    shank_deg: Angle = 0.0
    knee_flexion_deg: Angle = 0.0
    hip_flexion_deg: Angle = 0.0
    head_on_trunk_deg: Angle = 0.0
    arm_deg: Angle = 0.0
    heel_rise_deg: Angle = 0.0
    #: the shoulder landmark moved forward, square to the trunk, by this many trunk lengths
    #: (rounded/protracted shoulders); the neck and head stay on the trunk's line.
    shoulder_protraction: Angle = 0.0


@dataclass(frozen=True)
class FrontPose:
    """Frontal-plane pose.

    ``stance``: ankle gap ÷ hip width. ``knee_valgus_left/right``: knee's distance from its
    hip-ankle line ÷ that line's length, + = inward. ``pelvis_tilt_deg``: + = the lifter's
    left hip higher. ``hip_shift``: hip midpoint minus ankle midpoint ÷ hip width, + = to the
    lifter's left. ``hip_height``: hip midpoint above the ankles ÷ (thigh + shank).
    """

    stance: Angle = 1.2
    knee_valgus_left: Angle = 0.0
    knee_valgus_right: Angle = 0.0
    pelvis_tilt_deg: Angle = 0.0
    hip_shift: Angle = 0.0
    hip_height: Angle = 0.95


# --- trajectories ---------------------------------------------------------------------------


def frame_times(
    n_frames: int, fps: float = 30.0, jitter_s: float = 0.0, seed: int = 0
) -> FloatArray:
    """``n_frames`` times at ``fps``, optionally with uniform timing jitter (still increasing)."""
    t = np.arange(n_frames, dtype=np.float64) / fps
    if jitter_s:
        if jitter_s >= 0.5 / fps:
            raise ValueError(f"jitter_s must be < half a frame ({0.5 / fps:g}), got {jitter_s}")
        t = t + np.random.default_rng(seed).uniform(-jitter_s, jitter_s, n_frames)
    return t


def keyframe_profile(
    keys: list[tuple[float, float]], n_frames: int, fps: float = 30.0
) -> FloatArray:
    """A 0..1 profile (e.g. squat depth) over ``n_frames``, linear between (time s, value)
    keyframes."""
    t = frame_times(n_frames, fps)
    return np.interp(t, [k[0] for k in keys], [k[1] for k in keys])


def rep_wave(
    time_s: npt.ArrayLike, *, start_s: float, rep_s: float, count: int = 1, gap_s: float = 0.0
) -> FloatArray:
    """0..1 rep profile: ``count`` raised-cosine bumps of ``rep_s`` each, ``gap_s`` apart.

    0 = standing/lockout, 1 = the bottom, reached mid-rep. Scale it to an angle with
    ``top + (bottom - top) * rep_wave(...)``.
    """
    t = np.asarray(time_s, dtype=np.float64)
    out = np.zeros_like(t)
    for i in range(count):
        t0 = start_s + i * (rep_s + gap_s)
        inside = (t >= t0) & (t <= t0 + rep_s)
        out[inside] = 0.5 - 0.5 * np.cos(2 * np.pi * (t[inside] - t0) / rep_s)
    return out


def _frames(values: list[Angle], n_frames: int | None) -> int:
    lengths = {np.size(v) for v in values if np.ndim(v) > 0}
    if len(lengths) > 1:
        raise ValueError(f"angle trajectories must share one length, got {sorted(lengths)}")
    if lengths:
        n = lengths.pop()
        if n_frames is not None and n_frames != n:
            raise ValueError(f"n_frames={n_frames} but trajectories have {n} frames")
        return int(n)
    return 1 if n_frames is None else n_frames


def _arr(value: Angle, n: int) -> FloatArray:
    return np.broadcast_to(np.asarray(value, dtype=np.float64), (n,)).copy()


def _v(x: float, y: float) -> FloatArray:
    return np.array([x, y], dtype=np.float64)


def _unit(deg_from_vertical: FloatArray) -> FloatArray:
    """(T, 2) canonical direction at ``deg`` from straight up, + towards +x (forward)."""
    rad = np.radians(deg_from_vertical)
    return np.stack([np.sin(rad), np.cos(rad)], axis=-1)


# --- side view ------------------------------------------------------------------------------


def side_points(pose: SidePose, n: int, seg: Segments = Segments()) -> dict[Landmark, FloatArray]:
    """Canonical positions (x forward, Y up; toe at the origin) of one side's landmarks.

    Keys are the **left** landmarks (plus the face); the caller maps them to a side.
    """
    rise, s, k, h, b, arm, protraction = (
        _arr(v, n)
        for v in (
            pose.heel_rise_deg,
            pose.shank_deg,
            pose.knee_flexion_deg,
            pose.hip_flexion_deg,
            pose.head_on_trunk_deg,
            pose.arm_deg,
            pose.shoulder_protraction,
        )
    )
    r = np.radians(rise)
    toe = np.zeros((n, 2))
    along = np.stack([np.cos(r), -np.sin(r)], axis=-1)  # heel → toe
    up = np.stack([np.sin(r), np.cos(r)], axis=-1)  # sole → ankle
    heel = toe - seg.foot * along
    ankle = heel + seg.heel_to_ankle * along + seg.ankle_height * up
    knee = ankle + seg.shank * _unit(s)
    hip = knee + seg.thigh * _unit(s - k)
    spine_top = hip + seg.trunk * _unit(s - k + h)
    ear = spine_top + seg.neck * _unit(s - k + h + b)
    shoulder = spine_top + (protraction * seg.trunk)[:, None] * _unit(s - k + h + 90.0)
    nose = ear + seg.head * _unit(s - k + h + b + 90.0)
    hand = -_unit(arm)  # hanging: straight down at arm_deg = 0, + swings forward
    hand[:, 0] = -hand[:, 0]
    elbow = shoulder + seg.upper_arm * hand
    wrist = elbow + seg.forearm * hand
    face_up = _unit(s - k + h + b)
    pts = {
        L.LEFT_EAR: ear,
        L.LEFT_SHOULDER: shoulder,
        L.LEFT_ELBOW: elbow,
        L.LEFT_WRIST: wrist,
        L.LEFT_HIP: hip,
        L.LEFT_KNEE: knee,
        L.LEFT_ANKLE: ankle,
        L.LEFT_HEEL: heel,
        L.LEFT_FOOT_INDEX: toe,
        L.NOSE: nose,
        L.LEFT_EYE_INNER: ear + 0.85 * (nose - ear) + 0.2 * seg.head * face_up,
        L.LEFT_EYE: ear + 0.75 * (nose - ear) + 0.2 * seg.head * face_up,
        L.LEFT_EYE_OUTER: ear + 0.65 * (nose - ear) + 0.2 * seg.head * face_up,
        L.MOUTH_LEFT: ear + 0.8 * (nose - ear) - 0.3 * seg.head * face_up,
    }
    for digit, frac in ((L.LEFT_PINKY, 0.12), (L.LEFT_INDEX, 0.15), (L.LEFT_THUMB, 0.1)):
        pts[digit] = wrist + frac * seg.forearm * hand
    return pts


def _place(canon: FloatArray, camera: Camera, mirror: bool) -> FloatArray:
    """Canonical (…, 2) x/Y-up → image pixels (x right, y down)."""
    x = -canon[..., 0] if mirror else canon[..., 0]
    y_up = canon[..., 1]
    rad = np.radians(camera.roll_deg)
    c, s = np.cos(rad), np.sin(rad)
    # Clockwise on screen by roll_deg: in y-up coordinates that is a negative rotation.
    xr = c * x + s * y_up
    yr = -s * x + c * y_up
    return np.stack(
        [camera.origin_px[0] + camera.scale * xr, camera.origin_px[1] - camera.scale * yr],
        axis=-1,
    )


def _sequence(
    image_xy: FloatArray,
    z: FloatArray,
    *,
    vis: FloatArray,
    time_s: FloatArray,
    camera: Camera,
    missing: npt.ArrayLike | None,
) -> PoseSequence:
    n = image_xy.shape[0]
    image = np.concatenate([image_xy, z[..., None]], axis=-1)
    mid_hip = (image[:, L.LEFT_HIP, :2] + image[:, L.RIGHT_HIP, :2]) / 2
    world = np.zeros_like(image)
    world[..., :2] = (image[..., :2] - mid_hip[:, None, :]) / (PX_PER_M * camera.scale)
    world[..., 2] = z / (PX_PER_M * camera.scale)
    presence = np.full((n, NUM_LANDMARKS), 0.999)
    if missing is not None:
        gone = np.asarray(missing, dtype=bool)
        for arr in (image, world, vis, presence):
            arr[gone] = np.nan
    return PoseSequence(
        time_s=time_s,
        image_px=image,
        world_m=world,
        visibility=vis,
        presence=presence,
        width=camera.width,
        height=camera.height,
    )


def _visibility(base: FloatArray, overrides: Mapping[Landmark, Angle] | None) -> FloatArray:
    vis = base.copy()
    for lm, value in (overrides or {}).items():
        vis[:, int(lm)] = _arr(value, vis.shape[0])
    return vis


def _times(n: int, fps: float, time_s: npt.ArrayLike | None) -> FloatArray:
    if time_s is None:
        return frame_times(n, fps)
    t = np.asarray(time_s, dtype=np.float64)
    if t.shape != (n,):
        raise ValueError(f"time_s must have shape ({n},), got {t.shape}")
    return t


def side_view(
    pose: SidePose = SidePose(),
    *,
    n_frames: int | None = None,
    fps: float = 30.0,
    time_s: npt.ArrayLike | None = None,
    segments: Segments = Segments(),
    camera: Camera = Camera(),
    facing: Facing = "right",
    near: Side | None = None,
    far_pose: SidePose | None = None,
    near_visibility: float = 0.98,
    far_visibility: float = 0.4,
    visibility: Mapping[Landmark, Angle] | None = None,
    missing: npt.ArrayLike | None = None,
) -> PoseSequence:
    """A side-view sequence of a lifter facing ``facing`` on screen.

    ``near`` is the lifter's side nearer the camera; by default the physical one (a lifter
    facing right on screen shows the camera their right side). ``far_pose`` gives the far
    side its own pose (default: the same). ``visibility`` overrides chosen landmarks (value
    or (T,) array). ``missing`` (T,) bool makes whole frames "no pose" (NaN).
    """
    n = _frames([getattr(p, f.name) for p in (pose, far_pose or pose) for f in fields(p)], n_frames)
    near_side: Side = near or facing
    canon = np.zeros((n, NUM_LANDMARKS, 2))
    z = np.zeros((n, NUM_LANDMARKS))
    vis = np.zeros((n, NUM_LANDMARKS))
    depth = 0.5 * segments.hip_width * camera.scale
    for which, p in (("near", pose), ("far", far_pose or pose)):
        is_left = (near_side == "left") == (which == "near")
        for lm, xy in side_points(p, n, segments).items():
            if lm == L.NOSE and which == "far":
                continue
            idx = int(lm) if is_left else int(partner(lm))
            canon[:, idx] = xy
            z[:, idx] = 0.0 if which == "near" else depth
            vis[:, idx] = near_visibility if which == "near" else far_visibility
    image = _place(canon, camera, mirror=facing == "left")
    return _sequence(
        image,
        z,
        vis=_visibility(vis, visibility),
        time_s=_times(n, fps, time_s),
        camera=camera,
        missing=missing,
    )


def arms_forward_squat(depth: npt.ArrayLike, **kw: Any) -> PoseSequence:
    """A side-view squat with the arms held forward: per frame, ``depth`` 0 = standing,
    1 = thighs below parallel; ``kw`` go to :func:`side_view`."""
    d = np.asarray(depth, dtype=np.float64)
    pose = SidePose(
        shank_deg=35 * d, knee_flexion_deg=125 * d, hip_flexion_deg=115 * d, arm_deg=90.0
    )
    return side_view(pose, **kw)


def expected_side_metrics(
    pose: SidePose, n: int = 1, seg: Segments = Segments()
) -> dict[str, FloatArray]:
    """Exact metric values for a side-view figure, from the dialled angles (closed form).

    heel_rise_pct assumes the heel is flat in every frame with knee flexion ≤ 15° (the
    metric's standing baseline); bar_offset_pct is from the built positions. Only
    shoulder_protraction_offset allows a protracted shoulder (the rest assume none).
    """
    s, k, h, b, rise = (
        _arr(v, n)
        for v in (
            pose.shank_deg,
            pose.knee_flexion_deg,
            pose.hip_flexion_deg,
            pose.head_on_trunk_deg,
            pose.heel_rise_deg,
        )
    )
    thigh = s - k
    neck = s - k + h + b
    shoulder_fwd = -np.degrees(
        np.arctan2(seg.neck * np.sin(np.radians(b)), seg.trunk + seg.neck * np.cos(np.radians(b)))
    )
    pts = side_points(pose, n, seg)
    mid_foot = (pts[L.LEFT_HEEL] + pts[L.LEFT_FOOT_INDEX]) / 2
    return {
        "neck_cva_proxy_deg": _wrap(90.0 - neck),
        "head_on_trunk_deg": _wrap(b),
        "shoulder_forward_offset": np.sin(np.radians(shoulder_fwd)),
        "shoulder_forward_deg": shoulder_fwd,
        "shoulder_protraction_offset": protraction_offset(pose.shoulder_protraction, b, n),
        "thoracic_bend_deg": _wrap(b),
        "hip_flexion_deg": _wrap(h),
        "knee_flexion_deg": _wrap(k),
        "trunk_lean_deg": _wrap(s - k + h),
        "shank_angle_deg": _wrap(s),
        "heel_rise_pct": 100.0 * np.sin(np.radians(rise)),
        "depth_hip_minus_knee": np.cos(np.radians(thigh)),
        "thigh_angle_deg": 90.0 - np.abs(_wrap(thigh)),
        "bar_offset_pct": 100.0 * (pts[L.LEFT_WRIST][:, 0] - mid_foot[:, 0]) / seg.foot,
    }


def protraction_offset(protraction: Angle, head_on_trunk_deg: Angle, n: int = 1) -> FloatArray:
    """shoulder_protraction_offset of a figure whose shoulder is ``protraction`` trunk lengths
    ahead of the trunk's line, the head at ``head_on_trunk_deg``: p·cos(b) / √(1 + p²)."""
    p, b = _arr(protraction, n), _arr(head_on_trunk_deg, n)
    return np.asarray(p * np.cos(np.radians(b)) / np.sqrt(1.0 + p * p), dtype=np.float64)


def protraction_for(offset: float, head_on_trunk_deg: float) -> float:
    """The protraction (trunk lengths) that reads ``offset`` with the head at that angle."""
    c = math.cos(math.radians(head_on_trunk_deg))
    return offset / math.sqrt(c * c - offset * offset)


def _wrap(deg: FloatArray) -> FloatArray:
    """Degrees into (-180, 180]."""
    out = -((-np.asarray(deg, dtype=np.float64) + 180.0) % 360.0 - 180.0)
    return np.asarray(out, dtype=np.float64)


# --- front view -----------------------------------------------------------------------------


def front_points(pose: FrontPose, n: int, seg: Segments = Segments()) -> dict[Landmark, FloatArray]:
    """Canonical positions (x = towards the lifter's left, Y up) of every landmark."""
    stance, v_l, v_r, tilt, shift, height = (
        _arr(v, n)
        for v in (
            pose.stance,
            pose.knee_valgus_left,
            pose.knee_valgus_right,
            pose.pelvis_tilt_deg,
            pose.hip_shift,
            pose.hip_height,
        )
    )
    leg = seg.thigh + seg.shank
    half_gap = 0.5 * stance * seg.hip_width
    ankle_y = np.full(n, seg.ankle_height)
    ankle = {"left": np.stack([half_gap, ankle_y], -1), "right": np.stack([-half_gap, ankle_y], -1)}
    mid_hip = np.stack([shift * seg.hip_width, ankle_y + height * leg], -1)
    t = np.radians(tilt)
    half_pelvis = 0.5 * seg.hip_width * np.stack([np.cos(t), np.sin(t)], -1)
    hip = {"left": mid_hip + half_pelvis, "right": mid_hip - half_pelvis}
    pts: dict[Landmark, FloatArray] = {}
    for side, other, valgus in (("left", "right", v_l), ("right", "left", v_r)):
        d = ankle[side] - hip[side]
        length = np.hypot(d[:, 0], d[:, 1])[:, None]
        normal = np.stack([-d[:, 1], d[:, 0]], -1) / length
        inward = np.sign(np.sum(normal * (hip[other] - hip[side]), axis=1))[:, None]
        knee = hip[side] + seg.thigh / leg * d + valgus[:, None] * length * inward * normal
        out = 1.0 if side == "left" else -1.0
        i = 0 if side == "left" else 1
        pts[Landmark(L.LEFT_HIP + i)] = hip[side]
        pts[Landmark(L.LEFT_KNEE + i)] = knee
        pts[Landmark(L.LEFT_ANKLE + i)] = ankle[side]
        pts[Landmark(L.LEFT_HEEL + i)] = ankle[side] + _v(0.0, -0.8 * seg.ankle_height)
        toe = _v(out * 0.15 * seg.foot, -1.2 * seg.ankle_height)
        pts[Landmark(L.LEFT_FOOT_INDEX + i)] = ankle[side] + toe
    mid_shoulder = mid_hip + _v(0.0, seg.trunk)
    for i, out in ((0, 1.0), (1, -1.0)):
        shoulder = mid_shoulder + _v(out * 0.5 * seg.shoulder_width, 0.0)
        pts[Landmark(L.LEFT_SHOULDER + i)] = shoulder
        pts[Landmark(L.LEFT_ELBOW + i)] = shoulder + _v(out * 0.3, -0.7) * seg.upper_arm
        wrist = shoulder + _v(out * 0.25 * seg.upper_arm, 0.05 * seg.forearm)
        pts[Landmark(L.LEFT_WRIST + i)] = wrist
        for j, digit in enumerate((L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB)):
            pts[Landmark(digit + i)] = wrist + _v(
                out * 0.05 * seg.forearm, 0.1 * (j + 1) * seg.head
            )
        pts[Landmark(L.LEFT_EAR + i)] = mid_shoulder + _v(out * 0.3 * seg.hip_width, seg.neck)
        pts[Landmark(L.MOUTH_LEFT + i)] = mid_shoulder + _v(
            out * 0.1 * seg.hip_width, 0.8 * seg.neck
        )
        for j, eye in enumerate((L.LEFT_EYE_INNER, L.LEFT_EYE, L.LEFT_EYE_OUTER)):
            offset = _v(out * 0.08 * (j + 1) * seg.hip_width, 1.15 * seg.neck)
            pts[Landmark(eye + 3 * i)] = mid_shoulder + offset
    pts[L.NOSE] = mid_shoulder + _v(0.0, seg.neck)
    return pts


def front_view(
    pose: FrontPose = FrontPose(),
    *,
    n_frames: int | None = None,
    fps: float = 30.0,
    time_s: npt.ArrayLike | None = None,
    segments: Segments = Segments(),
    camera: Camera = Camera(),
    from_behind: bool = False,
    visibility_all: float = 0.98,
    visibility: Mapping[Landmark, Angle] | None = None,
    missing: npt.ArrayLike | None = None,
) -> PoseSequence:
    """A front-view (or, with ``from_behind``, back-view) sequence of a lifter.

    From the front the lifter's left appears on the image right.
    """
    n = _frames([getattr(pose, f.name) for f in fields(pose)], n_frames)
    canon = np.zeros((n, NUM_LANDMARKS, 2))
    for lm, xy in front_points(pose, n, segments).items():
        canon[:, int(lm)] = xy
    image = _place(canon, camera, mirror=from_behind)
    vis = _visibility(np.full((n, NUM_LANDMARKS), visibility_all), visibility)
    return _sequence(
        image,
        np.zeros((n, NUM_LANDMARKS)),
        vis=vis,
        time_s=_times(n, fps, time_s),
        camera=camera,
        missing=missing,
    )


# --- editing sequences --------------------------------------------------------------------


def with_missing(seq: PoseSequence, missing: npt.ArrayLike) -> PoseSequence:
    """A copy of ``seq`` with the frames where ``missing`` is True set to "no pose"."""
    gone = np.asarray(missing, dtype=bool)
    arrays = {
        name: getattr(seq, name).copy()
        for name in ("image_px", "world_m", "visibility", "presence")
    }
    for arr in arrays.values():
        arr[gone] = np.nan
    return PoseSequence(time_s=seq.time_s.copy(), width=seq.width, height=seq.height, **arrays)


def with_visibility(seq: PoseSequence, values: Mapping[Landmark, Angle]) -> PoseSequence:
    """A copy of ``seq`` with the visibility of chosen landmarks replaced (value or (T,))."""
    vis = _visibility(seq.visibility, values)
    return PoseSequence(
        time_s=seq.time_s.copy(),
        image_px=seq.image_px.copy(),
        world_m=seq.world_m.copy(),
        visibility=vis,
        presence=seq.presence.copy(),
        width=seq.width,
        height=seq.height,
    )
