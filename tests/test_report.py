"""report.json: the contract's shape, and honesty about what is not known yet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posturecheck.frames import VideoInfo
from posturecheck.report import (
    ReportInputs,
    build_report,
    validate_report,
    write_json,
)
from posturecheck.sequence import PoseSequence


def _report(choice: str = "auto") -> dict:  # type: ignore[type-arg]
    info = VideoInfo(Path("lift.mov"), 64, 48, 30.0, 3, 90, 0.1, "h264")
    seq = PoseSequence.empty(3, 64, 48)
    if choice == "auto":
        return build_report(ReportInputs(info, seq))
    exercise = {"name": choice, "confidence": 1.0, "source": "user"}
    return build_report(ReportInputs(info, seq, exercise=exercise))


def test_fresh_report_conforms_and_invents_nothing() -> None:
    report = _report()
    assert validate_report(report) == []
    assert report["exercise"] == {"name": "unknown", "confidence": None, "source": "auto"}
    assert report["view"] == {"name": "unknown", "facing": None, "confidence": None}
    assert report["reps"] == [] and report["findings"] == [] and report["not_assessable"] == []
    assert report["video"]["rotation"] == 90 and report["pose"]["frames_with_pose"] == 0


@pytest.mark.parametrize("choice", ["squat", "deadlift"])
def test_user_choice_of_exercise_is_recorded(choice: str) -> None:
    assert _report(choice)["exercise"] == {"name": choice, "confidence": 1.0, "source": "user"}


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda r: r.pop("video"), "missing 'video'"),
        (lambda r: r.update(schema="other/2"), "schema"),
        (lambda r: r["view"].update(name="top"), "view.name"),
        (lambda r: r["exercise"].update(name="bench"), "exercise.name"),
        (
            lambda r: r["findings"].append(
                {
                    "fault": "x",
                    "severity": "awful",
                    "rep": 1,
                    "start_s": 0,
                    "end_s": 1,
                    "worst_s": 0.5,
                    "fix": "f",
                }
            ),
            "severity",
        ),
        (lambda r: r["reps"].append({"index": 1, "start_s": 0}), "bottom_s"),
    ],
)
def test_validator_catches_broken_reports(mutate, problem: str) -> None:  # type: ignore[no-untyped-def]
    report = _report()
    mutate(report)
    assert any(problem in p for p in validate_report(report))


def test_write_json_is_strict_and_atomic(tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    write_json(path, _report())
    assert json.loads(path.read_text())["schema"] == "posturecheck.report/1"
    with pytest.raises(ValueError):
        write_json(path, {"bad": float("nan")})
    assert json.loads(path.read_text())["schema"] == "posturecheck.report/1", "old file intact"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]
