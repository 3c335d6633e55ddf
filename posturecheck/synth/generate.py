"""Render one scenario: pose the body, place the camera, render on both cores, degrade,
encode, and write the ground truth beside the video.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posturecheck.landmarks import Landmark
from posturecheck.synth import camera as cam
from posturecheck.synth.body import JOINT_BONES, BodyModel
from posturecheck.synth.degrade import encode
from posturecheck.synth.kinematics import (
    PLATE_RADIUS_M,
    Segments,
    deadlift_bar,
    plan_arms,
    plan_pose,
    squat_bar,
)
from posturecheck.synth.motion import Motion, build_motion
from posturecheck.synth.spec import Clothing, Scenario
from posturecheck.synth.truth import SCHEMA, body_angles, landmarks_from, write_truth

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
#: Frames posed per anny forward pass (memory vs speed).
POSE_BATCH = 32


@dataclass(frozen=True)
class Posed:
    """The whole clip posed and placed in the room (floor z = 0, mid-foot at the origin)."""

    vertices_m: NDArray[np.float32]  # (T, V, 3)
    joints_m: dict[str, FloatArray]  # name -> (T, 3)
    coco_m: dict[str, FloatArray]  # label -> (T, 3)
    bar_m: FloatArray | None  # (T, 3)


def vertex_colours(body: BodyModel, clothing: Clothing) -> NDArray[np.float32]:
    """Per-vertex RGB from the part each vertex belongs to; hair on the top and back of the head."""
    parts = body.vertex_parts()
    rest = body.rest.vertices_m
    assert rest is not None
    v = rest[0]
    head_base = body.rest.joint("head_base")[0]
    colours = {
        "shirt": clothing.shirt,
        "shorts": clothing.shorts,
        "shoes": clothing.shoes,
        "skin": clothing.skin,
        "head": clothing.skin,
        "eye": (0.05, 0.05, 0.05),
    }
    rgb = np.array([colours[p] for p in parts], dtype=np.float32)
    top = v[:, 2] - head_base[2]
    hair = (parts == "head") & ((top > 0.13) | ((top > 0.06) & (v[:, 1] > head_base[1] + 0.01)))
    rgb[hair] = clothing.hair
    return rgb


def pose_clip(scn: Scenario, body: BodyModel, motion: Motion) -> Posed:
    """Pose every frame and place the body so the balls of the feet stay put on the floor."""
    seg = Segments.from_rest(body)
    plate = scn.barbell.plate_radius_m if scn.barbell else PLATE_RADIUS_M
    world = plan_pose(body, seg, motion, scn.exercise, plate)
    world = plan_arms(body, world, scn.exercise, motion.n_frames)
    n = motion.n_frames
    verts, heads, coco = [], [], []
    for a in range(0, n, POSE_BATCH):
        sl = slice(a, min(n, a + POSE_BATCH))
        posed = body.pose(
            {k: v[sl] for k, v in world.items()}, sl.stop - sl.start, with_vertices=True
        )
        assert posed.vertices_m is not None and posed.coco_m is not None
        verts.append(posed.vertices_m)
        heads.append(posed.heads_m)
        coco.append(posed.coco_m)
    v = np.concatenate(verts)
    h = np.concatenate(heads)
    c = np.concatenate(coco)
    ball = [BodyModel.bone_index(JOINT_BONES[f"{s}_ball"]) for s in ("left", "right")]
    rest = body.rest
    assert rest.vertices_m is not None
    rest_ball = rest.heads_m[0, ball].mean(axis=0)
    floor = float(rest.vertices_m[0, :, 2].min())
    coco_rest = (
        dict(zip(body.coco_labels, rest.coco_m[0], strict=True)) if rest.coco_m is not None else {}
    )
    midfoot = (
        coco_rest["left_heel"]
        + coco_rest["right_heel"]
        + coco_rest["left_big_toe"]
        + coco_rest["right_big_toe"]
    ) / 4
    origin = np.array([midfoot[0], midfoot[1], floor])
    shift = (rest_ball - h[:, ball].mean(axis=1)) - origin  # (T, 3)
    v = v + shift[:, None, :].astype(np.float32)
    h = h + shift[:, None, :]
    c = c + shift[:, None, :]
    joints = {name: h[:, BodyModel.bone_index(bone)] for name, bone in JOINT_BONES.items()}
    coco_named = {label: c[:, k] for k, label in enumerate(body.coco_labels)}
    bar = None
    if scn.barbell is not None:
        if scn.exercise == "squat":
            mid_sh = (joints["left_shoulder"] + joints["right_shoulder"]) / 2
            bar = squat_bar(mid_sh, world["spine01"])
        else:
            bar = deadlift_bar((joints["left_wrist"] + joints["right_wrist"]) / 2)
    return Posed(v, joints, coco_named, bar)


# --- rendering on both cores: workers are forked, so they share the posed clip read-only ------

_JOB: dict[str, Any] = {}


def _render_chunk(indices: list[int]) -> list[NDArray[np.uint8]]:
    from posturecheck.synth.scene import Stage, random_room

    job = _JOB
    scn: Scenario = job["scenario"]
    stage = Stage(
        scn.width,
        scn.height,
        yfov_deg=scn.camera.yfov_deg,
        style=random_room(np.random.default_rng(scn.seed)),
        faces=job["faces"],
        vertex_rgb=job["colours"],
        plate_radius_m=scn.barbell.plate_radius_m if scn.barbell else None,
    )
    posed: Posed = job["posed"]
    frames = []
    for i in indices:
        bar = None if posed.bar_m is None else posed.bar_m[i]
        frames.append(stage.render(posed.vertices_m[i], job["cameras"][i], bar))
    stage.close()
    return frames


def render_frames(
    scn: Scenario,
    *,
    posed: Posed,
    cameras: FloatArray,
    faces: NDArray[np.int64],
    colours: NDArray[np.float32],
    workers: int,
) -> list[NDArray[np.uint8]]:
    """Render every frame, split over ``workers`` forked processes (EGL context each)."""
    n = len(cameras)
    _JOB.update(scenario=scn, posed=posed, cameras=cameras, faces=faces, colours=colours)
    try:
        if workers <= 1:
            return _render_chunk(list(range(n)))
        chunks = [list(range(k, n, workers)) for k in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_render_chunk, chunks)
    finally:
        _JOB.clear()
    frames: list[NDArray[np.uint8]] = [np.empty(0, np.uint8)] * n
    for chunk, rendered in zip(chunks, parts, strict=True):
        for i, img in zip(chunk, rendered, strict=True):
            frames[i] = img
    return frames


def _facing(heel_px: FloatArray, toe_px: FloatArray, view: str) -> str:
    """Which way the lifter faces in the image: 'left', 'right' or 'camera'."""
    if view == "front":
        return "camera"
    return "left" if np.nanmean(toe_px[..., 0] - heel_px[..., 0]) < 0 else "right"


def truth_document(
    scn: Scenario, motion: Motion, posed: Posed, cameras: FloatArray, video_name: str
) -> dict[str, Any]:
    """Everything the benchmark needs, JSON-ready apart from NaN/arrays (see ``truth``)."""
    n, w, h = motion.n_frames, scn.width, scn.height
    lm_m = landmarks_from(posed.joints_m, posed.coco_m, n)
    lm_px = cam.project(lm_m, cameras, scn.camera, w, h)
    coco_m = np.stack(list(posed.coco_m.values()), axis=1)
    coco_px = cam.project(coco_m, cameras, scn.camera, w, h)
    joints_m = np.stack(list(posed.joints_m.values()), axis=1)
    joints_px = cam.project(joints_m, cameras, scn.camera, w, h)
    facing = _facing(
        lm_px[:, [Landmark.LEFT_HEEL, Landmark.RIGHT_HEEL]],
        lm_px[:, [Landmark.LEFT_FOOT_INDEX, Landmark.RIGHT_FOOT_INDEX]],
        scn.camera.view,
    )
    fps = scn.fps
    return {
        "schema": SCHEMA,
        "scenario": scn.to_dict(),
        "video": {"file": video_name, "frames": n, "fps": fps, "width": w, "height": h},
        "camera": {
            "view": scn.camera.view,
            "side": scn.camera.side,
            "facing": facing,
            "focal_px": cam.focal_px(scn.camera, h),
            "principal_point_px": [w / 2, h / 2],
            "pixel_convention": "continuous; pixel (i, j) covers [i, i+1) x [j, j+1), y down",
        },
        "exercise": scn.exercise,
        "reps": [
            {
                "start_frame": r.start,
                "bottom_frame": r.bottom,
                "end_frame": r.end,
                "start_s": r.start / fps,
                "bottom_s": r.bottom / fps,
                "end_s": r.end / fps,
            }
            for r in motion.reps
        ],
        "faults": [
            {
                "fault": s.fault.value,
                "severity": s.severity,
                "rep": s.rep,
                "start_frame": s.start,
                "end_frame": s.end,
                "peak_frame": s.peak_frame,
                "start_s": s.start / fps,
                "end_s": s.end / fps,
                "quantity": s.quantity,
                "full_severity_value": s.peak_value,
            }
            for s in motion.fault_spans
        ],
        "landmark_names": [lm.name for lm in Landmark],
        "coco_names": list(posed.coco_m),
        "joint_names": list(posed.joints_m),
        "frames": {
            "time_s": motion.time_s,
            "landmarks_px": lm_px,
            "landmarks_m": lm_m,
            "coco_px": coco_px,
            "joints_px": joints_px,
            "bar_px": None
            if posed.bar_m is None
            else cam.project(posed.bar_m[:, None], cameras, scn.camera, w, h)[:, 0],
            "angles": body_angles(posed.joints_m, posed.coco_m),
        },
    }


def generate(scn: Scenario, out_dir: Path, *, workers: int | None = None) -> tuple[Path, Path]:
    """Render ``scn`` to ``out_dir/<name>.mp4`` with ``out_dir/<name>.json``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or min(2, os.cpu_count() or 1)
    t0 = time.perf_counter()
    motion = build_motion(scn)
    body = BodyModel(scn.body)
    posed = pose_clip(scn, body, motion)
    rng = np.random.default_rng(scn.seed)
    cameras = cam.camera_poses(scn.camera, motion.n_frames, scn.fps, scn.height, rng)
    t1 = time.perf_counter()
    colours = vertex_colours(body, scn.clothing)
    frames = render_frames(
        scn, posed=posed, cameras=cameras, faces=body.faces, colours=colours, workers=workers
    )
    t2 = time.perf_counter()
    video = out_dir / f"{scn.name}.mp4"
    truth = out_dir / f"{scn.name}.json"
    noise_rng = np.random.default_rng([scn.seed, 1])
    size = {"width": scn.width, "height": scn.height}
    encode(video, frames=frames, fps=scn.fps, **size, spec=scn.degrade, rng=noise_rng)
    write_truth(truth, truth_document(scn, motion, posed, cameras, video.name))
    log.info(
        "%s: %d frames, posed in %.1f s, rendered in %.1f s (%.2f s/frame), total %.1f s",
        scn.name,
        motion.n_frames,
        t1 - t0,
        t2 - t1,
        (t2 - t1) / max(1, motion.n_frames),
        time.perf_counter() - t0,
    )
    return video, truth
