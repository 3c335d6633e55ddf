"""The pose sequence: every frame's 33 landmarks, the value every later stage starts from.

Arrays are parallel over frames (T) and landmarks (33). A frame with no pose holds NaN in
every landmark array, never zeros. Saved losslessly to ``landmarks.npz`` so that metrics,
reps and findings can be recomputed without the model.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from posturecheck.atomic import atomic_open
from posturecheck.errors import InputError
from posturecheck.landmarks import NUM_LANDMARKS, Landmark

FloatArray = npt.NDArray[np.float64]

NPZ_SCHEMA = "posturecheck.landmarks/1"


def _check_shape(name: str, array: FloatArray, expected: tuple[int, ...]) -> None:
    if array.shape != expected:
        raise ValueError(f"{name} must have shape {expected}, got {array.shape}")


@dataclass(frozen=True)
class PoseFrame:
    """One person's landmarks in one frame, laid out as one row of a :class:`PoseSequence`."""

    image_px: FloatArray  # (33, 3)
    world_m: FloatArray  # (33, 3)
    visibility: FloatArray  # (33,)
    presence: FloatArray  # (33,)

    def __post_init__(self) -> None:
        _check_shape("image_px", self.image_px, (NUM_LANDMARKS, 3))
        _check_shape("world_m", self.world_m, (NUM_LANDMARKS, 3))
        _check_shape("visibility", self.visibility, (NUM_LANDMARKS,))
        _check_shape("presence", self.presence, (NUM_LANDMARKS,))

    def scaled(self, fx: float, fy: float) -> PoseFrame:
        """The same pose on a picture scaled by ``fx`` across and ``fy`` down (image pixels
        scale, z like x; world metres do not)."""
        if fx == fy == 1.0:
            return self
        return replace(self, image_px=self.image_px * (fx, fy, fx))


@dataclass(frozen=True)
class PoseSequence:
    """Landmarks of one person over a video.

    Attributes:
        time_s: (T,) presentation time of each frame in seconds, strictly increasing.
        image_px: (T, 33, 3) x and y in pixels of the upright frame, z in the model's
            relative depth units scaled like x (smaller = nearer the camera).
        world_m: (T, 33, 3) metric 3D coordinates in metres, origin between the hips.
        visibility: (T, 33) model's probability that the landmark is visible (not occluded).
        presence: (T, 33) model's probability that the landmark is inside the frame.
        width, height: size of the upright frame in pixels.
        source_frame_index: (T,) index of each frame in the decoded video.
        extras: name → (T,) per-frame measures taken beside the landmarks while the video
            was decoded (e.g. the back contour from the person mask), NaN where not measured.
    """

    time_s: FloatArray
    image_px: FloatArray
    world_m: FloatArray
    visibility: FloatArray
    presence: FloatArray
    width: int
    height: int
    source_frame_index: npt.NDArray[np.int64] = field(default_factory=lambda: np.empty(0, np.int64))
    extras: Mapping[str, FloatArray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        t = self.time_s.shape[0] if self.time_s.ndim == 1 else -1
        _check_shape("time_s", self.time_s, (max(t, 0),))
        _check_shape("image_px", self.image_px, (t, NUM_LANDMARKS, 3))
        _check_shape("world_m", self.world_m, (t, NUM_LANDMARKS, 3))
        _check_shape("visibility", self.visibility, (t, NUM_LANDMARKS))
        _check_shape("presence", self.presence, (t, NUM_LANDMARKS))
        if self.source_frame_index.size == 0 and t > 0:
            object.__setattr__(self, "source_frame_index", np.arange(t, dtype=np.int64))
        _check_shape("source_frame_index", self.source_frame_index.astype(np.float64), (t,))
        for name, values in self.extras.items():
            _check_shape(f"extras[{name!r}]", values, (t,))
        if t > 1 and not np.all(np.diff(self.time_s) > 0):
            raise ValueError("time_s must be strictly increasing")
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"frame size must be positive, got {self.width}x{self.height}")

    @classmethod
    def empty(cls, n_frames: int, width: int, height: int) -> PoseSequence:
        """A sequence of ``n_frames`` with no pose anywhere (all NaN), times 0..n-1 s."""
        nan3 = np.full((n_frames, NUM_LANDMARKS, 3), np.nan)
        nan1 = np.full((n_frames, NUM_LANDMARKS), np.nan)
        return cls(
            time_s=np.arange(n_frames, dtype=np.float64),
            image_px=nan3,
            world_m=nan3.copy(),
            visibility=nan1,
            presence=nan1.copy(),
            width=width,
            height=height,
        )

    def __len__(self) -> int:
        return int(self.time_s.shape[0])

    @property
    def has_pose(self) -> npt.NDArray[np.bool_]:
        """(T,) True where the model found a person."""
        return np.asarray(~np.isnan(self.image_px[:, :, 0]).all(axis=1), dtype=np.bool_)

    @property
    def frames_with_pose(self) -> int:
        return int(self.has_pose.sum())

    @property
    def detection_rate(self) -> float:
        return self.frames_with_pose / len(self) if len(self) else 0.0

    def frame(self, row: int) -> PoseFrame | None:
        """Row ``row`` as a :class:`PoseFrame` (``None`` where there is no pose)."""
        if not self.has_pose[row]:
            return None
        return PoseFrame(
            self.image_px[row], self.world_m[row], self.visibility[row], self.presence[row]
        )

    def xy(self, landmark: Landmark) -> FloatArray:
        """(T, 2) image position of one landmark in pixels."""
        return self.image_px[:, int(landmark), :2]

    def save(self, path: Path, meta: dict[str, Any] | None = None) -> None:
        """Write an ``.npz`` atomically (a crash never leaves half a file at ``path``)."""
        header = {
            "schema": NPZ_SCHEMA,
            "width": self.width,
            "height": self.height,
            "landmarks": [lm.name for lm in Landmark],
            **(meta or {}),
        }
        arrays: dict[str, Any] = {
            "meta": np.array(json.dumps(header)),
            "time_s": self.time_s,
            "image_px": self.image_px,
            "world_m": self.world_m,
            "visibility": self.visibility,
            "presence": self.presence,
            "source_frame_index": self.source_frame_index,
        }
        arrays.update({f"extra_{name}": values for name, values in self.extras.items()})
        with atomic_open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)

    @classmethod
    def load(cls, path: Path) -> PoseSequence:
        """Read a sequence written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["meta"]))
                if header.get("schema") != NPZ_SCHEMA:
                    raise InputError(
                        f"{path}: not a posturecheck landmarks file "
                        f"(schema {header.get('schema')!r}, expected {NPZ_SCHEMA!r})"
                    )
                return cls(
                    time_s=data["time_s"].astype(np.float64),
                    image_px=data["image_px"].astype(np.float64),
                    world_m=data["world_m"].astype(np.float64),
                    visibility=data["visibility"].astype(np.float64),
                    presence=data["presence"].astype(np.float64),
                    width=int(header["width"]),
                    height=int(header["height"]),
                    source_frame_index=data["source_frame_index"].astype(np.int64),
                    extras={
                        key.removeprefix("extra_"): data[key].astype(np.float64)
                        for key in data.files
                        if key.startswith("extra_")
                    },
                )
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"{path}: cannot read landmarks ({exc})") from exc

    @staticmethod
    def read_meta(path: Path) -> dict[str, Any]:
        with np.load(path, allow_pickle=False) as data:
            meta: dict[str, Any] = json.loads(str(data["meta"]))
            return meta


class SequenceBuilder:
    """Collects per-frame results into a :class:`PoseSequence` (``None`` = no pose: NaN row)."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._times: list[float] = []
        self._indices: list[int] = []
        self._frames: list[PoseFrame | None] = []
        self._extras: dict[str, list[float]] = {}

    def append(
        self,
        time_s: float,
        frame: PoseFrame | None,
        source_index: int,
        extras: Mapping[str, float] | None = None,
    ) -> None:
        """Add one frame; ``extras`` are per-frame measures (missing ones become NaN)."""
        i = len(self._times)
        self._times.append(time_s)
        self._indices.append(source_index)
        self._frames.append(frame)
        for name, value in (extras or {}).items():
            column = self._extras.setdefault(name, [])
            column.extend([np.nan] * (i - len(column)))
            column.append(value)

    def __len__(self) -> int:
        return len(self._times)

    def build(self) -> PoseSequence:
        seq = PoseSequence.empty(len(self._times), self.width, self.height)
        for i, frame in enumerate(self._frames):
            if frame is not None:
                seq.image_px[i] = frame.image_px
                seq.world_m[i] = frame.world_m
                seq.visibility[i] = frame.visibility
                seq.presence[i] = frame.presence
        return PoseSequence(
            time_s=np.asarray(self._times, dtype=np.float64),
            image_px=seq.image_px,
            world_m=seq.world_m,
            visibility=seq.visibility,
            presence=seq.presence,
            width=self.width,
            height=self.height,
            source_frame_index=np.asarray(self._indices, dtype=np.int64),
            extras={
                name: np.asarray(col + [np.nan] * (len(self._times) - len(col)), np.float64)
                for name, col in self._extras.items()
            },
        )
