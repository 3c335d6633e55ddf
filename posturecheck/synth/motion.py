"""Rep timing and per-frame movement targets (pure numpy, no body model).

A rep is described by a progress variable ``p``: 0 standing (squat) or at lockout (deadlift),
1 at the bottom (squat) or with the bar on the floor (deadlift). Targets such as trunk lean or
knee flexion are functions of ``p``; faults add to them with an envelope that is largest at the
bottom. These are *targets* handed to the pose solver: ground-truth angles are measured later
on the posed body, never taken from here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from posturecheck.synth.spec import FaultName, Scenario

FloatArray = NDArray[np.float64]

#: Squat: knee flexion standing and at a full-depth bottom; trunk lean (chord hip→shoulder
#: from vertical) standing and at that bottom.
SQUAT_KNEE_DEG = (4.0, 118.0)
SQUAT_LEAN_DEG = (6.0, 36.0)
#: Deadlift: trunk lean at lockout and with the bar on the floor.
DEADLIFT_LEAN_DEG = (2.0, 58.0)
#: Neutral head: the head pitches back this fraction of the trunk lean (gaze ahead and down).
HEAD_COUNTER_PITCH = 0.35
#: A fault's frame span is where its effect is at least this fraction of the rep's peak.
SPAN_FRACTION = 0.5


@dataclass(frozen=True)
class RepTiming:
    """One rep in frames: ``start`` (leaves the top), ``bottom`` (mid bottom hold), ``end``."""

    start: int
    bottom: int
    end: int


@dataclass(frozen=True)
class FaultSpan:
    """Where an injected fault shows: frames [start, end] of one rep, and its peak size."""

    fault: FaultName
    severity: float
    rep: int
    start: int
    end: int
    peak_frame: int
    quantity: str
    peak_value: float


@dataclass(frozen=True)
class Motion:
    """Per-frame targets, each shaped (T,)."""

    time_s: FloatArray
    progress: FloatArray
    ascending: NDArray[np.bool_]
    knee_flexion_deg: FloatArray
    trunk_lean_deg: FloatArray
    bar_fraction: FloatArray
    spine_flexion_deg: FloatArray
    neck_flexion_deg: FloatArray
    head_pitch_deg: FloatArray
    heel_rise_m: FloatArray
    valgus_deg: FloatArray
    reps: tuple[RepTiming, ...]
    fault_spans: tuple[FaultSpan, ...]

    def __post_init__(self) -> None:
        n = self.time_s.shape
        for name in (
            "progress",
            "knee_flexion_deg",
            "trunk_lean_deg",
            "bar_fraction",
            "spine_flexion_deg",
            "neck_flexion_deg",
            "head_pitch_deg",
            "heel_rise_m",
            "valgus_deg",
            "ascending",
        ):
            shape = getattr(self, name).shape
            if shape != n:
                raise ValueError(f"Motion.{name} has shape {shape}, expected {n}")

    @property
    def n_frames(self) -> int:
        return int(self.time_s.shape[0])


def _ease(x: FloatArray) -> FloatArray:
    """Smooth 0→1 (cosine), clipped."""
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def _progress(
    scn: Scenario, t: FloatArray
) -> tuple[FloatArray, FloatArray, NDArray[np.bool_], FloatArray, list[RepTiming]]:
    """Progress p, rep index (-1 outside reps), ascending flag, ascent fraction u, rep timings."""
    tempo, fps = scn.tempo, scn.fps
    p = np.zeros_like(t)
    rep_of = np.full(t.shape, -1.0)
    asc = np.zeros(t.shape, dtype=bool)
    u = np.zeros_like(t)
    reps = []
    for r in range(scn.reps):
        t0 = tempo.lead_in_s + r * (tempo.rep_s + tempo.rest_s)
        t1 = t0 + tempo.descent_s
        t2 = t1 + tempo.bottom_s
        t3 = t2 + tempo.ascent_s
        inside = (t >= t0) & (t < t3)
        rep_of[inside] = r
        down = (t >= t0) & (t < t1)
        p[down] = _ease((t[down] - t0) / tempo.descent_s)
        p[(t >= t1) & (t < t2)] = 1.0
        up = (t >= t2) & (t < t3)
        u[up] = (t[up] - t2) / tempo.ascent_s
        p[up] = 1.0 - _ease(u[up])
        asc[up] = True
        reps.append(
            RepTiming(round(t0 * fps), round((t1 + t2) / 2 * fps), min(round(t3 * fps), len(t) - 1))
        )
    return p, rep_of, asc, u, reps


def _fault_weight(scn: Scenario, name: FaultName, rep_of: FloatArray) -> FloatArray:
    """Per-frame magnitude at full envelope: the fault's size on affected reps, else 0."""
    fault = scn.fault(name)
    w = np.zeros_like(rep_of)
    if fault is None:
        return w
    reps = range(scn.reps) if fault.reps is None else fault.reps
    for r in reps:
        w[rep_of == r] = fault.magnitude[1]
    return w


def build_motion(scn: Scenario) -> Motion:
    """Targets for every frame of ``scn``, with its faults injected."""
    t = np.arange(scn.n_frames) / scn.fps
    p, rep_of, asc, u, reps = _progress(scn, t)
    fw = {name: _fault_weight(scn, name, rep_of) for name in FaultName}

    knee = np.zeros_like(t)
    bar = np.zeros_like(t)
    hips_first = np.zeros_like(t)
    if scn.exercise == "squat":
        k0, k1 = SQUAT_KNEE_DEG
        knee = k0 + (k1 - fw[FaultName.SHALLOW_DEPTH] - k0) * p
        depth = (knee - k0) / (k1 - k0)
        lean = SQUAT_LEAN_DEG[0] + (SQUAT_LEAN_DEG[1] - SQUAT_LEAN_DEG[0]) * depth
        lean = lean + fw[FaultName.EXCESSIVE_FORWARD_LEAN] * p
    else:
        # Hips rise first: early in the pull the bar lags and the trunk tips further forward,
        # so the hips rise while the shoulders stay; it peaks a quarter of the way up.
        bump = np.where(asc, np.sin(np.pi * np.sqrt(np.clip(u, 0, 1))) ** 2, 0.0)
        lag = fw[FaultName.HIPS_RISE_FIRST] * bump
        hips_first = lag
        p_bar = 1.0 - (1.0 - p) * (1.0 - lag)
        bar = p_bar
        l0, l1 = DEADLIFT_LEAN_DEG
        lean = l0 + (l1 - l0) * (1.0 - (1.0 - p_bar) ** 2) + 25.0 * lag
        lean = lean + fw[FaultName.EXCESSIVE_FORWARD_LEAN] * p
    spine = fw[FaultName.ROUNDED_BACK] * p
    neck = fw[FaultName.FORWARD_HEAD] * p
    heel = fw[FaultName.HEELS_LIFT] * p
    valgus = fw[FaultName.KNEE_VALGUS] * p
    head = -HEAD_COUNTER_PITCH * lean - 0.5 * neck

    effects: dict[FaultName, FloatArray] = {
        FaultName.EXCESSIVE_FORWARD_LEAN: fw[FaultName.EXCESSIVE_FORWARD_LEAN] * p,
        FaultName.SHALLOW_DEPTH: fw[FaultName.SHALLOW_DEPTH] * p,
        FaultName.HIPS_RISE_FIRST: hips_first,
        FaultName.HEELS_LIFT: heel,
        FaultName.KNEE_VALGUS: valgus,
        FaultName.ROUNDED_BACK: spine,
        FaultName.FORWARD_HEAD: neck,
    }
    spans = []
    for fault in scn.faults:
        effect = effects[fault.name]
        for r, rep in enumerate(reps):
            seg = effect[rep.start : rep.end + 1]
            if seg.size == 0 or seg.max() <= 0:
                continue
            on = np.flatnonzero(seg >= SPAN_FRACTION * seg.max())
            peak = int(np.argmax(seg))
            quantity, full = fault.magnitude
            spans.append(
                FaultSpan(
                    fault.name,
                    fault.severity,
                    r,
                    rep.start + int(on[0]),
                    rep.start + int(on[-1]),
                    rep.start + peak,
                    quantity,
                    full,
                )
            )
    return Motion(
        time_s=t,
        progress=p,
        ascending=asc,
        knee_flexion_deg=knee,
        trunk_lean_deg=lean,
        bar_fraction=bar,
        spine_flexion_deg=spine,
        neck_flexion_deg=neck,
        head_pitch_deg=head,
        heel_rise_m=heel,
        valgus_deg=valgus,
        reps=tuple(reps),
        fault_spans=tuple(spans),
    )
