"""The anny body: load once, pose with per-bone world rotations, read joints and keypoints.

anny's world is Z up, the body faces -Y and +X is the body's left. Poses are given as *world*
rotations of chosen bones relative to the rest pose; bones not named follow their parent.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from posturecheck.synth.spec import BodySpec

log = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: Joint centres used for ground truth and posing: name -> bone whose head is the joint.
JOINT_BONES: dict[str, str] = {
    "pelvis": "root",
    "left_hip": "upperleg01.L",
    "right_hip": "upperleg01.R",
    "left_knee": "lowerleg01.L",
    "right_knee": "lowerleg01.R",
    "left_ankle": "foot.L",
    "right_ankle": "foot.R",
    "left_ball": "toe3-1.L",
    "right_ball": "toe3-1.R",
    "left_shoulder": "upperarm01.L",
    "right_shoulder": "upperarm01.R",
    "left_elbow": "lowerarm01.L",
    "right_elbow": "lowerarm01.R",
    "left_wrist": "wrist.L",
    "right_wrist": "wrist.R",
    "left_middle_knuckle": "finger3-1.L",
    "right_middle_knuckle": "finger3-1.R",
    "spine_base": "spine05",
    "spine_mid": "spine03",
    "spine_top": "spine01",
    "neck_base": "neck01",
    "head_base": "head",
}

#: Body part of each bone prefix, used to colour the mesh (first match wins).
PART_OF_BONE: tuple[tuple[str, str], ...] = (
    ("eye.", "eye"),
    ("head", "head"),
    ("neck", "skin"),
    ("upperarm01", "shirt"),
    ("shoulder", "shirt"),
    ("clavicle", "shirt"),
    ("spine", "shirt"),
    ("upperarm", "skin"),
    ("lowerarm", "skin"),
    ("wrist", "skin"),
    ("finger", "skin"),
    ("metacarpal", "skin"),
    ("root", "shorts"),
    ("pelvis", "shorts"),
    ("upperleg", "shorts"),
    ("lowerleg", "skin"),
    ("foot", "shoes"),
    ("toe", "shoes"),
)


@functools.cache
def _anny_model():  # type: ignore[no-untyped-def]
    """The anny full-body model (first call builds anny's cache, ≈ 60 s; later ≈ 0.4 s)."""
    import anny  # type: ignore[import-untyped]
    import torch

    torch.set_num_threads(2)
    log.info("loading the anny body model")
    model = anny.Anny()
    regressor = anny.KeypointsRegressor.coco(model)
    return model, regressor


@dataclass(frozen=True)
class PosedBody:
    """A batch of posed frames: vertices (T,V,3), bone heads (T,B,3), COCO keypoints (T,K,3)."""

    vertices_m: NDArray[np.float32] | None
    heads_m: FloatArray
    coco_m: FloatArray | None

    def joint(self, name: str) -> FloatArray:
        """(T, 3) positions of a joint centre from ``JOINT_BONES``."""
        return self.heads_m[:, BodyModel.bone_index(JOINT_BONES[name])]


class BodyModel:
    """One body shape of anny, posed frame batch by frame batch."""

    _labels: tuple[str, ...] = ()

    def __init__(self, body: BodySpec) -> None:
        import torch

        self._model, self._regressor = _anny_model()
        BodyModel._labels = tuple(self._model.bone_labels)
        self._parents = [int(p) for p in self._model.bone_parents]
        self._phenotype = {
            k: torch.tensor([v], dtype=self._model.dtype) for k, v in body.as_phenotype().items()
        }
        rest = self.pose({}, batch=1, with_vertices=True)
        assert rest.vertices_m is not None and rest.coco_m is not None
        self.rest = rest
        self.faces = self._model.get_triangular_faces().cpu().numpy().astype(np.int64)
        weights = self._model.vertex_bone_weights.cpu().numpy()
        indices = self._model.vertex_bone_indices.cpu().numpy()
        self.vertex_bone = indices[np.arange(len(indices)), np.argmax(weights, axis=1)]
        self.coco_labels: tuple[str, ...] = tuple(self._regressor.labels)

    @classmethod
    def bone_index(cls, label: str) -> int:
        return cls._labels.index(label)

    @property
    def bone_labels(self) -> tuple[str, ...]:
        return self._labels

    def parent(self, label: str) -> str | None:
        p = self._parents[self.bone_index(label)]
        return None if p < 0 else self._labels[p]

    def vertex_parts(self) -> NDArray[np.str_]:
        """Body part name per vertex ("shirt", "skin", ...), by the bone that drives it most."""
        part_of = []
        for label in self._labels:
            part_of.append(
                next((part for prefix, part in PART_OF_BONE if label.startswith(prefix)), "skin")
            )
        parts: NDArray[np.str_] = np.asarray(part_of)[self.vertex_bone]
        return parts

    def _local_deltas(self, world: dict[str, FloatArray], batch: int):  # type: ignore[no-untyped-def]
        """anny 'local-ref' deltas: each bone's rotation relative to its nearest named ancestor."""
        import torch

        deltas = {}
        for label, rot in world.items():
            anc = self.parent(label)
            while anc is not None and anc not in world:
                anc = self.parent(anc)
            local = rot if anc is None else np.einsum("tji,tjk->tik", world[anc], rot)
            m = np.tile(np.eye(4), (batch, 1, 1))
            m[:, :3, :3] = local
            deltas[label] = torch.as_tensor(m, dtype=self._model.dtype)
        return deltas

    def pose(self, world: dict[str, FloatArray], batch: int, *, with_vertices: bool) -> PosedBody:
        """Pose ``batch`` frames; ``world`` maps bone label -> (batch, 3, 3) world rotations."""
        import torch

        deltas = self._local_deltas(world, batch) if world else None
        pheno = {k: v.expand(batch) for k, v in self._phenotype.items()}
        with torch.no_grad():
            if not with_vertices:
                coeffs = self._model._get_phenotype_blendshape_coefficients(
                    self._model._parse_parameter_kwargs(
                        pheno, self._model.phenotype_labels, 0.5, "p"
                    ),
                    torch.zeros((batch, 0), dtype=self._model.dtype),
                    torch.zeros((batch, 0), dtype=self._model.dtype),
                )
                rest = self._model.get_rest_model(coeffs)["rest_bone_poses"]
                params = self._model.parse_delta_transforms_dict(deltas)
                _, poses = self._model.get_bone_transforms(params, rest)
                return PosedBody(None, poses[:, :, :3, 3].double().numpy(), None)
            out = self._model(pose_parameters=deltas, phenotype_kwargs=pheno)
            coco = self._regressor(out)
        return PosedBody(
            out["vertices"].float().numpy(),
            out["bone_poses"][:, :, :3, 3].double().numpy(),
            coco.double().numpy(),
        )
