"""Rendered lifters with exact ground truth (optional extra ``posturecheck[synth]``).

Poses the anny body model through squat and deadlift reps from a seeded ``Scenario``, injects
faults at chosen severities, renders with pyrender (EGL), degrades like a phone camera, and
writes an H.264 clip plus per-frame ground truth (see ``truth``). Heavy dependencies (torch,
anny, pyrender) are imported only when rendering.
"""

from posturecheck.synth.spec import (
    BarbellSpec,
    BodySpec,
    CameraSpec,
    Clothing,
    DegradeSpec,
    Fault,
    FaultName,
    Scenario,
    Tempo,
)

__all__ = [
    "BarbellSpec",
    "BodySpec",
    "CameraSpec",
    "Clothing",
    "DegradeSpec",
    "Fault",
    "FaultName",
    "Scenario",
    "Tempo",
]
