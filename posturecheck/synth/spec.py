"""The scenario spec: one frozen, validated value that fully determines a rendered clip.

Everything random in a clip (camera shake, sensor noise) is drawn from ``Scenario.seed``, so the
same spec always renders the same frames and the same ground truth.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Literal

Exercise = Literal["squat", "deadlift"]
View = Literal["side", "front", "oblique"]
CameraSide = Literal["left", "right"]
RGB = tuple[float, float, float]

EXERCISES: tuple[Exercise, ...] = ("squat", "deadlift")
VIEWS: tuple[View, ...] = ("side", "front", "oblique")


class FaultName(StrEnum):
    """Faults the generator can inject; severity 1.0 gives the magnitude in ``FAULT_MAGNITUDE``."""

    EXCESSIVE_FORWARD_LEAN = "excessive_forward_lean"
    SHALLOW_DEPTH = "shallow_depth"
    HIPS_RISE_FIRST = "hips_rise_first"
    HEELS_LIFT = "heels_lift"
    KNEE_VALGUS = "knee_valgus"
    ROUNDED_BACK = "rounded_back"
    FORWARD_HEAD = "forward_head"


#: What severity 1.0 means for each fault (unit in the name); the effect scales linearly.
FAULT_MAGNITUDE: dict[FaultName, tuple[str, float]] = {
    FaultName.EXCESSIVE_FORWARD_LEAN: ("extra_trunk_lean_deg", 25.0),
    FaultName.SHALLOW_DEPTH: ("knee_flexion_lost_deg", 55.0),
    FaultName.HIPS_RISE_FIRST: ("bar_lag_fraction", 0.6),
    FaultName.HEELS_LIFT: ("heel_rise_m", 0.05),
    FaultName.KNEE_VALGUS: ("leg_rotation_deg", 14.0),
    # Total bend of the spine bones, pelvis to neck (the truth angle ``spine_flexion_deg``,
    # between the lower and upper half of the spine, reads about 0.6 of it). The skinned back
    # surface flattens the bones' arc: 40 deg left the rendered back outline as straight as a
    # clean lift's; 0.9 of 120 gives the clear convex arc of a filmed rounded back.
    FaultName.ROUNDED_BACK: ("spine_flexion_deg", 120.0),
    FaultName.FORWARD_HEAD: ("neck_flexion_deg", 30.0),
}

#: Faults that only make sense for one exercise.
FAULT_EXERCISES: dict[FaultName, tuple[Exercise, ...]] = {
    FaultName.SHALLOW_DEPTH: ("squat",),
    FaultName.HIPS_RISE_FIRST: ("deadlift",),
}


def _check_range(owner: str, name: str, value: float, low: float, high: float) -> None:
    if not (low <= value <= high) or math.isnan(value):
        raise ValueError(f"{owner}.{name} must be in [{low}, {high}], got {value!r}")


def _check_rgb(owner: str, name: str, value: RGB) -> None:
    if len(value) != 3 or not all(0.0 <= c <= 1.0 for c in value):
        raise ValueError(f"{owner}.{name} must be 3 floats in [0, 1], got {value!r}")


@dataclass(frozen=True)
class Fault:
    """One injected fault: ``severity`` in (0, 1]; ``reps`` = 0-based reps affected (None: all)."""

    name: FaultName
    severity: float = 1.0
    reps: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", FaultName(self.name))
        if not (0.0 < self.severity <= 1.0):
            raise ValueError(f"Fault.severity must be in (0, 1], got {self.severity!r}")

    @property
    def magnitude(self) -> tuple[str, float]:
        """(quantity name, value at this severity)."""
        unit, full = FAULT_MAGNITUDE[self.name]
        return unit, full * self.severity


@dataclass(frozen=True)
class CameraSpec:
    """Where the camera stands. ``side`` = which side of the lifter it films (side/oblique views).

    For a side view from the lifter's left the lifter faces image-left... see ``facing`` in the
    ground truth: it is computed from the projected geometry, not assumed.
    """

    view: View = "side"
    side: CameraSide = "left"
    distance_m: float = 2.9
    height_m: float = 0.9
    yfov_deg: float = 40.0
    shake_px: float = 1.5

    def __post_init__(self) -> None:
        if self.view not in VIEWS:
            raise ValueError(f"CameraSpec.view must be one of {VIEWS}, got {self.view!r}")
        if self.side not in ("left", "right"):
            raise ValueError(f"CameraSpec.side must be 'left' or 'right', got {self.side!r}")
        _check_range("CameraSpec", "distance_m", self.distance_m, 1.5, 10.0)
        _check_range("CameraSpec", "height_m", self.height_m, 0.2, 2.5)
        _check_range("CameraSpec", "yfov_deg", self.yfov_deg, 20.0, 90.0)
        _check_range("CameraSpec", "shake_px", self.shake_px, 0.0, 10.0)


@dataclass(frozen=True)
class BodySpec:
    """anny phenotype parameters, each in [0, 1] (0.5 = average)."""

    gender: float = 1.0
    age: float = 0.5
    muscle: float = 0.6
    weight: float = 0.5
    height: float = 0.7
    proportions: float = 0.5

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_range("BodySpec", f.name, getattr(self, f.name), 0.0, 1.0)

    def as_phenotype(self) -> dict[str, float]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Clothing:
    """Linear-RGB colours in [0, 1] for each part of the body."""

    shirt: RGB = (0.08, 0.20, 0.55)
    shorts: RGB = (0.10, 0.10, 0.12)
    shoes: RGB = (0.85, 0.85, 0.85)
    skin: RGB = (0.80, 0.58, 0.45)
    hair: RGB = (0.15, 0.10, 0.06)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_rgb("Clothing", f.name, getattr(self, f.name))


@dataclass(frozen=True)
class Tempo:
    """Seconds per phase: standing lead-in, descent, pause at the bottom, ascent, rest between."""

    lead_in_s: float = 0.5
    descent_s: float = 1.1
    bottom_s: float = 0.15
    ascent_s: float = 0.9
    rest_s: float = 0.35

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            _check_range("Tempo", f.name, getattr(self, f.name), 0.0, 10.0)
        if self.descent_s <= 0.1 or self.ascent_s <= 0.1:
            raise ValueError("Tempo.descent_s and Tempo.ascent_s must be > 0.1 s")

    @property
    def rep_s(self) -> float:
        return self.descent_s + self.bottom_s + self.ascent_s


@dataclass(frozen=True)
class DegradeSpec:
    """Camera-pipeline realism: sensor noise (std, 0-255), blur (Gaussian sigma px), H.264 CRF."""

    noise_std: float = 3.0
    blur_sigma_px: float = 0.7
    crf: int = 26
    x264_preset: str = "medium"

    def __post_init__(self) -> None:
        _check_range("DegradeSpec", "noise_std", self.noise_std, 0.0, 30.0)
        _check_range("DegradeSpec", "blur_sigma_px", self.blur_sigma_px, 0.0, 5.0)
        _check_range("DegradeSpec", "crf", self.crf, 0, 51)


@dataclass(frozen=True)
class BarbellSpec:
    """A barbell with plates; in a squat it rests on the upper back, in a deadlift in the hands.

    Full 20 kg plates (radius 0.225 m) hide the head in a side-view back squat, as they do on
    real footage; smaller plates keep the head visible."""

    plate_radius_m: float = 0.225

    def __post_init__(self) -> None:
        _check_range("BarbellSpec", "plate_radius_m", self.plate_radius_m, 0.05, 0.3)


@dataclass(frozen=True)
class Scenario:
    """Everything that determines one clip. ``duration_s`` follows from reps and tempo."""

    name: str
    exercise: Exercise = "squat"
    reps: int = 2
    tempo: Tempo = field(default_factory=Tempo)
    fps: float = 30.0
    width: int = 640
    height: int = 360
    camera: CameraSpec = field(default_factory=CameraSpec)
    body: BodySpec = field(default_factory=BodySpec)
    clothing: Clothing = field(default_factory=Clothing)
    faults: tuple[Fault, ...] = ()
    barbell: BarbellSpec | None = field(default_factory=BarbellSpec)
    degrade: DegradeSpec = field(default_factory=DegradeSpec)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.exercise not in EXERCISES:
            raise ValueError(f"Scenario.exercise must be one of {EXERCISES}, got {self.exercise!r}")
        if not 1 <= self.reps <= 20:
            raise ValueError(f"Scenario.reps must be in [1, 20], got {self.reps!r}")
        _check_range("Scenario", "fps", self.fps, 5.0, 120.0)
        for dim in ("width", "height"):
            value = getattr(self, dim)
            if not (32 <= value <= 3840) or value % 2:
                raise ValueError(f"Scenario.{dim} must be even and in [32, 3840], got {value!r}")
        names = [f.name for f in self.faults]
        if len(set(names)) != len(names):
            raise ValueError(f"Scenario.faults names a fault twice: {names}")
        for fault in self.faults:
            allowed = FAULT_EXERCISES.get(fault.name, EXERCISES)
            if self.exercise not in allowed:
                raise ValueError(
                    f"fault {fault.name.value!r} applies to {allowed}, not {self.exercise!r}"
                )
            if fault.reps is not None and any(not 0 <= r < self.reps for r in fault.reps):
                raise ValueError(
                    f"fault {fault.name.value!r} reps {fault.reps} outside 0..{self.reps - 1}"
                )

    @property
    def duration_s(self) -> float:
        t = self.tempo
        return t.lead_in_s + self.reps * (t.rep_s + t.rest_s)

    @property
    def n_frames(self) -> int:
        return round(self.duration_s * self.fps)

    def fault(self, name: FaultName) -> Fault | None:
        """The injected fault of this name, if any."""
        return next((f for f in self.faults if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples become lists, enums their values)."""
        d = dataclasses.asdict(self)
        d["faults"] = [
            {"name": f.name.value, "severity": f.severity, "reps": list(f.reps) if f.reps else None}
            for f in self.faults
        ]
        d["duration_s"] = self.duration_s
        return d
