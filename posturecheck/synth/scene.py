"""pyrender scene: a gym room (tiled floor, walls with clutter), lights, the body and a barbell.

Rendering uses EGL on Mesa's software renderer (no display needed). Importing this module sets
``PYOPENGL_PLATFORM=egl`` unless it is already set (e.g. to ``osmesa``).
"""

from __future__ import annotations

import os

os.environ.setdefault("PYOPENGL_PLATFORM", "egl")

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

if not hasattr(np, "infty"):  # pyrender 0.1.45 still uses np.infty, removed in numpy 2
    np.infty = np.inf  # type: ignore[attr-defined]

import pyrender  # type: ignore[import-untyped]
import trimesh

FloatArray = NDArray[np.float64]

ROOM_HALF_M = 5.0
ROOM_HEIGHT_M = 3.2
BAR_LENGTH_M = 2.2
BAR_RADIUS_M = 0.014
PLATE_THICKNESS_M = 0.05
PLATE_INNER_X_M = 0.55


@dataclass(frozen=True)
class RoomStyle:
    """Colours of the room, drawn from the scenario's seed."""

    floor_a: tuple[float, float, float]
    floor_b: tuple[float, float, float]
    walls: tuple[tuple[float, float, float], ...]
    clutter_seed: int


def random_room(rng: np.random.Generator) -> RoomStyle:
    """A plausible gym: dark rubber floor tiles, muted walls."""
    base = rng.uniform(0.08, 0.2)
    floor_a = (base, base, base * 1.05)
    floor_b = (base * 1.25, base * 1.2, base * 1.2)
    walls = tuple(
        tuple(float(c) for c in rng.uniform(0.35, 0.8) * rng.uniform(0.8, 1.0, 3)) for _ in range(4)
    )
    return RoomStyle(floor_a, floor_b, walls, int(rng.integers(1 << 30)))  # type: ignore[arg-type]


def _coloured(mesh: trimesh.Trimesh, rgb: tuple[float, float, float]) -> pyrender.Mesh:
    mat = pyrender.MetallicRoughnessMaterial(
        baseColorFactor=(*rgb, 1.0), metallicFactor=0.0, roughnessFactor=0.9
    )
    return pyrender.Mesh.from_trimesh(mesh, material=mat, smooth=False)


def _floor(style: RoomStyle, tile_m: float = 1.0) -> pyrender.Mesh:
    n = int(2 * ROOM_HALF_M / tile_m)
    verts: list[tuple[float, float, float]] = []
    faces: list[tuple[int, int, int]] = []
    colours: list[tuple[float, ...]] = []
    for i in range(n):
        for j in range(n):
            x0, y0 = -ROOM_HALF_M + i * tile_m, -ROOM_HALF_M + j * tile_m
            k = len(verts)
            verts += [
                (x0, y0, 0),
                (x0 + tile_m, y0, 0),
                (x0 + tile_m, y0 + tile_m, 0),
                (x0, y0 + tile_m, 0),
            ]
            faces += [(k, k + 1, k + 2), (k, k + 2, k + 3)]
            c = style.floor_a if (i + j) % 2 else style.floor_b
            colours += [(*c, 1.0)] * 4
    mesh = trimesh.Trimesh(
        np.array(verts), np.array(faces), vertex_colors=np.array(colours), process=False
    )
    return pyrender.Mesh.from_trimesh(mesh, smooth=False)


def _add_room(scene: pyrender.Scene, style: RoomStyle) -> None:
    """Floor, four walls and posters/racks on them (something for the detector to ignore).

    Posters on one wall stick out by different amounts: coplanar faces would z-fight, and
    pyrender draws nodes in set order, so the frames would not be reproducible."""
    scene.add(_floor(style))
    rng = np.random.default_rng(style.clutter_seed)
    h, r, t = ROOM_HEIGHT_M, ROOM_HALF_M, 0.1
    for k, (axis, sign) in enumerate(((0, 1.0), (0, -1.0), (1, 1.0), (1, -1.0))):
        size = np.array([2 * r, 2 * r, h])
        size[axis] = t
        centre = np.zeros(3)
        centre[axis], centre[2] = sign * r, h / 2
        wall = trimesh.creation.box(size)
        wall.apply_translation(centre)
        scene.add(_coloured(wall, style.walls[k]))
        along = 1 - axis
        for j in range(5):
            width, height = rng.uniform(0.3, 1.2), rng.uniform(0.3, 1.5)
            depth = 0.02 + 0.015 * j
            box_size = np.array([0.0, 0.0, height])
            box_size[axis], box_size[along] = depth, width
            pos = np.zeros(3)
            pos[axis] = sign * (r - t / 2 - depth / 2)
            pos[along] = rng.uniform(-r + 1, r - 1)
            pos[2] = rng.uniform(0.3 + height / 2, h - 0.3 - height / 2)
            box = trimesh.creation.box(box_size)
            box.apply_translation(pos)
            colour = tuple(float(c) for c in rng.uniform(0.05, 0.95, 3))
            scene.add(_coloured(box, colour))  # type: ignore[arg-type]


def _rotation(angle: float, axis: tuple[float, float, float]) -> FloatArray:
    m: FloatArray = trimesh.transformations.rotation_matrix(angle, axis)  # type: ignore[no-untyped-call]
    return m


def _barbell(plate_radius_m: float) -> pyrender.Mesh:
    """Bar along X centred at the origin, 20 kg-sized plates and collars on both ends."""
    parts = []
    bar = trimesh.creation.cylinder(BAR_RADIUS_M, BAR_LENGTH_M, sections=16)
    bar.apply_transform(_rotation(np.pi / 2, (0, 1, 0)))
    bar.visual.vertex_colors = (170, 170, 175, 255)
    parts.append(bar)
    for sign in (-1, 1):
        for k, (radius, colour) in enumerate(
            ((plate_radius_m, (25, 25, 28, 255)), (0.7 * plate_radius_m, (150, 20, 20, 255)))
        ):
            plate = trimesh.creation.cylinder(radius, PLATE_THICKNESS_M, sections=40)
            plate.apply_transform(_rotation(np.pi / 2, (0, 1, 0)))
            plate.apply_translation(
                (sign * (PLATE_INNER_X_M + (k + 0.5) * PLATE_THICKNESS_M), 0, 0)
            )
            plate.visual.vertex_colors = colour
            parts.append(plate)
        collar = trimesh.creation.cylinder(0.03, 0.04, sections=16)
        collar.apply_transform(_rotation(np.pi / 2, (0, 1, 0)))
        collar.apply_translation((sign * (PLATE_INNER_X_M + 2.2 * PLATE_THICKNESS_M), 0, 0))
        collar.visual.vertex_colors = (200, 200, 205, 255)
        parts.append(collar)
    return pyrender.Mesh.from_trimesh(trimesh.util.concatenate(parts), smooth=False)


_Z_UP = np.array([0.0, 0.0, 1.0])


def look_at(eye: FloatArray, target: FloatArray, up: FloatArray = _Z_UP) -> FloatArray:
    """Camera-to-world 4x4 for an OpenGL camera (looks down its -Z, +Y up)."""
    back = eye - target
    back = back / np.linalg.norm(back)
    right = np.cross(up, back)
    right = right / np.linalg.norm(right)
    true_up = np.cross(back, right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, back, eye
    return pose


def vertex_normals(vertices: NDArray[np.float32], faces: NDArray[np.int64]) -> NDArray[np.float32]:
    """Area-weighted vertex normals."""
    tri = vertices[faces]
    fn = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, faces[:, k], fn)
    length = np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    unit: NDArray[np.float32] = (normals / length).astype(np.float32)
    return unit


class Stage:
    """A room, lights, camera and (optionally) a barbell; ``render`` draws one body pose."""

    def __init__(
        self,
        width: int,
        height: int,
        *,
        yfov_deg: float,
        style: RoomStyle,
        faces: NDArray[np.int64],
        vertex_rgb: NDArray[np.float32],
        plate_radius_m: float | None,
    ) -> None:
        self.scene = pyrender.Scene(ambient_light=(0.35, 0.35, 0.35), bg_color=(0.5, 0.5, 0.5, 1.0))
        _add_room(self.scene, style)
        self.camera = pyrender.PerspectiveCamera(
            yfov=np.radians(yfov_deg), aspectRatio=width / height, znear=0.05, zfar=30.0
        )
        self.cam_node = self.scene.add(self.camera, pose=np.eye(4))
        sun = pyrender.DirectionalLight(color=(1.0, 0.97, 0.92), intensity=3.0)
        self.scene.add(sun, pose=look_at(np.array([1.5, -2.5, 4.0]), np.zeros(3)))
        fill = pyrender.PointLight(color=(0.9, 0.95, 1.0), intensity=12.0)
        self.scene.add(fill, pose=look_at(np.array([-2.0, 2.0, 2.8]), np.zeros(3)))
        self.bar_node = (
            None
            if plate_radius_m is None
            else self.scene.add(_barbell(plate_radius_m), pose=np.eye(4))
        )
        self.faces = faces
        self.colours = np.concatenate([vertex_rgb, np.ones((len(vertex_rgb), 1), np.float32)], 1)
        self.body_node: pyrender.Node | None = None
        self.renderer = pyrender.OffscreenRenderer(width, height)

    def render(
        self, vertices: NDArray[np.float32], camera_pose: FloatArray, bar_centre: FloatArray | None
    ) -> NDArray[np.uint8]:
        """RGB uint8 (H, W, 3) of the body at ``vertices`` seen from ``camera_pose``."""
        if self.body_node is not None:
            self.scene.remove_node(self.body_node)
        prim = pyrender.Primitive(
            positions=vertices,
            normals=vertex_normals(vertices, self.faces),
            indices=self.faces,
            color_0=self.colours,
            mode=4,
        )
        self.body_node = self.scene.add(pyrender.Mesh([prim]))
        self.scene.set_pose(self.cam_node, camera_pose)
        if self.bar_node is not None and bar_centre is not None:
            pose = np.eye(4)
            pose[:3, 3] = bar_centre
            self.scene.set_pose(self.bar_node, pose)
        colour, _ = self.renderer.render(self.scene, flags=pyrender.RenderFlags.SHADOWS_DIRECTIONAL)
        return np.ascontiguousarray(colour[..., :3])

    def close(self) -> None:
        self.renderer.delete()
