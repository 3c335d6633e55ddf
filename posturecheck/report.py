"""report.json: the stable contract other tools read (schema ``posturecheck.report/1``).

Parts that no stage has computed yet hold "unknown" or empty lists, never invented values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from posturecheck import __version__
from posturecheck.atomic import atomic_open
from posturecheck.frames import VideoInfo
from posturecheck.sequence import PoseSequence

REPORT_SCHEMA = "posturecheck.report/1"

ExerciseChoice = Literal["auto", "squat", "deadlift"]
EXERCISE_CHOICES: tuple[ExerciseChoice, ...] = ("auto", "squat", "deadlift")
VIEW_NAMES = ("side", "front", "oblique", "back", "unknown")
SEVERITIES = ("mild", "moderate", "severe")

#: What the report says before (or without) exercise and view detection: nothing invented.
UNKNOWN_EXERCISE: dict[str, Any] = {"name": "unknown", "confidence": None, "source": "auto"}
UNKNOWN_VIEW: dict[str, Any] = {"name": "unknown", "facing": None, "confidence": None}


@dataclass(frozen=True)
class ReportInputs:
    """Everything the report is made from; later stages add reps, findings and thresholds."""

    info: VideoInfo
    sequence: PoseSequence
    exercise: dict[str, Any] = field(default_factory=lambda: dict(UNKNOWN_EXERCISE))
    view: dict[str, Any] = field(default_factory=lambda: dict(UNKNOWN_VIEW))
    stages: tuple[str, ...] = ("pose",)
    reps: list[dict[str, Any]] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    not_assessable: list[dict[str, Any]] = field(default_factory=list)
    thresholds: dict[str, Any] = field(default_factory=dict)
    person: dict[str, Any] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    model: dict[str, Any] = field(default_factory=dict)
    processing: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def _round(x: float, digits: int = 4) -> float:
    return float(round(x, digits))


def build_report(inputs: ReportInputs) -> dict[str, Any]:
    info, seq = inputs.info, inputs.sequence
    n = len(seq)
    duration = float(seq.time_s[-1] + (1.0 / info.fps if info.fps else 0.0)) if n else 0.0
    return {
        "schema": REPORT_SCHEMA,
        "version": __version__,
        "video": {
            "path": str(info.path),
            "fps": _round(info.fps if info.fps else 0.0),
            "frames": n,
            "width": seq.width,
            "height": seq.height,
            "rotation": info.rotation,
            "duration_s": _round(info.duration_s or duration),
            "codec": info.codec,
        },
        "pose": {
            "frames_with_pose": seq.frames_with_pose,
            "detection_rate": _round(seq.detection_rate),
        },
        "stages": list(inputs.stages),
        "exercise": inputs.exercise,
        "view": inputs.view,
        "person": inputs.person,
        "warnings": inputs.warnings,
        "reps": inputs.reps,
        "findings": inputs.findings,
        "not_assessable": inputs.not_assessable,
        "thresholds": inputs.thresholds,
        "config": inputs.config,
        "model": inputs.model,
        "processing": inputs.processing,
        "outputs": inputs.outputs,
    }


def validate_report(report: dict[str, Any]) -> list[str]:
    """Problems with a report against the contract (an empty list means it conforms)."""
    problems: list[str] = []

    def need(obj: Any, key: str, where: str, kinds: tuple[type, ...]) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            problems.append(f"{where}: missing '{key}'")
            return None
        if not isinstance(obj[key], kinds):
            problems.append(f"{where}.{key}: expected {kinds}, got {type(obj[key]).__name__}")
        return obj[key]

    num = (int, float)
    opt_num = (int, float, type(None))
    if report.get("schema") != REPORT_SCHEMA:
        problems.append(f"schema: expected {REPORT_SCHEMA!r}, got {report.get('schema')!r}")
    need(report, "version", "report", (str,))
    video = need(report, "video", "report", (dict,))
    for key, kinds in (
        ("path", (str,)),
        ("fps", num),
        ("frames", (int,)),
        ("width", (int,)),
        ("height", (int,)),
        ("rotation", (int,)),
        ("duration_s", num),
    ):
        need(video, key, "video", kinds)
    pose = need(report, "pose", "report", (dict,))
    need(pose, "frames_with_pose", "pose", (int,))
    need(pose, "detection_rate", "pose", num)
    exercise = need(report, "exercise", "report", (dict,))
    if need(exercise, "name", "exercise", (str,)) not in ("squat", "deadlift", "unknown"):
        problems.append(f"exercise.name: {exercise and exercise.get('name')!r} is not allowed")
    need(exercise, "confidence", "exercise", opt_num)
    if need(exercise, "source", "exercise", (str,)) not in ("auto", "user"):
        problems.append("exercise.source: must be 'auto' or 'user'")
    view = need(report, "view", "report", (dict,))
    if need(view, "name", "view", (str,)) not in VIEW_NAMES:
        problems.append(f"view.name: {view and view.get('name')!r} is not allowed")
    if need(view, "facing", "view", (str, type(None))) not in ("left", "right", None):
        problems.append("view.facing: must be 'left', 'right' or null")
    need(view, "confidence", "view", opt_num)
    for i, rep in enumerate(need(report, "reps", "report", (list,)) or []):
        for key in ("index", "start_s", "bottom_s", "end_s"):
            need(rep, key, f"reps[{i}]", num)
    for i, finding in enumerate(need(report, "findings", "report", (list,)) or []):
        for key in ("fault", "fix"):
            need(finding, key, f"findings[{i}]", (str,))
        if need(finding, "severity", f"findings[{i}]", (str,)) not in SEVERITIES:
            problems.append(f"findings[{i}].severity: must be one of {SEVERITIES}")
        for key in ("start_s", "end_s", "worst_s"):
            need(finding, key, f"findings[{i}]", num)
        need(finding, "rep", f"findings[{i}]", (int, type(None)))
    for i, item in enumerate(need(report, "not_assessable", "report", (list,)) or []):
        need(item, "fault", f"not_assessable[{i}]", (str,))
        need(item, "reason", f"not_assessable[{i}]", (str,))
    need(report, "thresholds", "report", (dict,))
    return problems


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write JSON atomically: readers never see half a file."""
    with atomic_open(path, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, allow_nan=False)
        fh.write("\n")
