"""Named scenarios: the clips committed in ``sample_videos/`` and a tiny one for tests."""

from __future__ import annotations

from dataclasses import replace

from posturecheck.synth.spec import (
    BarbellSpec,
    BodySpec,
    CameraSpec,
    Clothing,
    Fault,
    FaultName,
    Scenario,
)

#: Small iron plates keep the head visible above the bar in a side-view back squat.
SMALL_PLATES = BarbellSpec(plate_radius_m=0.11)

PRESETS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            name="side_squat_clean",
            exercise="squat",
            camera=CameraSpec(view="side", side="left"),
            barbell=SMALL_PLATES,
            seed=11,
        ),
        Scenario(
            name="side_deadlift_clean",
            exercise="deadlift",
            camera=CameraSpec(view="side", side="right", height_m=0.8),
            body=BodySpec(gender=0.9, muscle=0.7, weight=0.6, height=0.6),
            clothing=Clothing(
                shirt=(0.55, 0.08, 0.08),
                shorts=(0.12, 0.14, 0.3),
                shoes=(0.1, 0.1, 0.1),
                skin=(0.55, 0.38, 0.28),
            ),
            seed=12,
        ),
        Scenario(
            name="side_squat_faults",
            exercise="squat",
            camera=CameraSpec(view="side", side="right", distance_m=3.1),
            body=BodySpec(gender=0.2, age=0.4, muscle=0.5, weight=0.45, height=0.45),
            clothing=Clothing(
                shirt=(0.1, 0.45, 0.35),
                shorts=(0.2, 0.2, 0.22),
                shoes=(0.9, 0.3, 0.1),
                skin=(0.9, 0.72, 0.6),
                hair=(0.45, 0.3, 0.12),
            ),
            barbell=SMALL_PLATES,
            faults=(
                Fault(FaultName.EXCESSIVE_FORWARD_LEAN, 0.8, reps=(0,)),
                Fault(FaultName.SHALLOW_DEPTH, 0.7, reps=(1,)),
                Fault(FaultName.HEELS_LIFT, 0.8),
            ),
            seed=13,
        ),
        Scenario(
            name="front_squat_valgus",
            exercise="squat",
            camera=CameraSpec(view="front", distance_m=3.1, height_m=1.0),
            body=BodySpec(gender=0.7, muscle=0.5, weight=0.7, height=0.55),
            clothing=Clothing(
                shirt=(0.75, 0.75, 0.72),
                shorts=(0.05, 0.2, 0.45),
                shoes=(0.15, 0.15, 0.15),
                skin=(0.35, 0.22, 0.15),
                hair=(0.03, 0.03, 0.03),
            ),
            faults=(Fault(FaultName.KNEE_VALGUS, 0.8),),
            seed=14,
        ),
        Scenario(
            name="side_deadlift_hips_rounded",
            exercise="deadlift",
            camera=CameraSpec(view="side", side="left", height_m=0.8),
            body=BodySpec(gender=1.0, age=0.6, muscle=0.55, weight=0.65, height=0.65),
            clothing=Clothing(
                shirt=(0.25, 0.25, 0.27),
                shorts=(0.05, 0.05, 0.05),
                shoes=(0.8, 0.8, 0.2),
                skin=(0.78, 0.6, 0.5),
                hair=(0.3, 0.22, 0.15),
            ),
            faults=(
                Fault(FaultName.HIPS_RISE_FIRST, 0.9),
                Fault(FaultName.ROUNDED_BACK, 0.9),
            ),
            seed=15,
        ),
    )
}

#: A few small frames for the render test.
TINY = replace(
    PRESETS["side_squat_clean"],
    name="tiny",
    width=160,
    height=96,
    fps=10.0,
    reps=1,
    degrade=replace(PRESETS["side_squat_clean"].degrade, x264_preset="ultrafast"),
)


def preset(name: str) -> Scenario:
    """The preset of this name; an unknown name lists the valid ones."""
    try:
        return PRESETS[name]
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}") from None
