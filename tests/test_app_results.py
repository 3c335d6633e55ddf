"""posturecheck.app.results: a results folder read back for review (no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posturecheck.app.results import KEY_JOINTS, LoadedResult
from posturecheck.encode import H264Writer
from posturecheck.errors import InputError
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseSequence

FPS = 25.0
N = 30


def _frames(n: int, w: int = 64, h: int = 48) -> list[np.ndarray]:
    """Frames whose mean brightness encodes their index (so a decoded frame is identifiable)."""
    return [np.full((h, w, 3), 8 * i, np.uint8) for i in range(n)]


def _results(folder: Path, report_extra: dict[str, Any] | None = None) -> Path:
    folder.mkdir(parents=True)
    seq = PoseSequence.empty(N, 64, 48)
    times = np.arange(N) / FPS
    image_px = seq.image_px.copy()
    visibility = seq.visibility.copy()
    image_px[5:] = 10.0  # a person from frame 5 on
    visibility[5:] = 0.9
    visibility[5:, int(Landmark.LEFT_KNEE)] = 0.2  # one key joint hard to see
    PoseSequence(
        time_s=times,
        image_px=image_px,
        world_m=seq.world_m,
        visibility=visibility,
        presence=seq.presence,
        width=64,
        height=48,
    ).save(folder / "landmarks.npz")
    with H264Writer(folder / "annotated.mp4", 64, 48, FPS) as writer:
        for t, frame in zip(times, _frames(N), strict=True):
            writer.write(frame, float(t))
    report: dict[str, Any] = {
        "schema": "posturecheck.report/1",
        "pose": {"detection_rate": 25 / 30},
        "reps": [],
        "findings": [],
        "not_assessable": [],
        "thresholds": {},
    }
    report.update(report_extra or {})
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def test_before_coaching_stages_nothing_is_invented(tmp_path: Path) -> None:
    result = LoadedResult.load(_results(tmp_path / "r"))
    assert not result.coaching_ran
    assert result.findings_by_rep() == []
    assert result.flags() == []
    assert result.metrics_row(3) is None
    assert result.frame_count == N
    assert not result.is_image
    assert [d.path.name for d in result.downloads()] == [
        "annotated.mp4",
        "report.json",
        "landmarks.npz",
    ]


def test_frame_info(tmp_path: Path) -> None:
    result = LoadedResult.load(_results(tmp_path / "r"))
    empty = result.frame_info(2)
    assert not empty.has_pose
    assert empty.mean_visibility is None
    assert empty.hidden_joints == ()
    seen = result.frame_info(10)
    assert seen.has_pose
    assert seen.time_s == pytest.approx(10 / FPS)
    assert seen.key_total == len(KEY_JOINTS)
    assert seen.key_visible == len(KEY_JOINTS) - 1
    assert seen.hidden_joints == ("left knee",)
    assert result.frame_at(10 / FPS + 0.001) == 10


def test_findings_grouped_by_rep_with_flags(tmp_path: Path) -> None:
    reps = [
        {"index": 1, "start_s": 0.0, "bottom_s": 0.3, "end_s": 0.5},
        {"index": 2, "start_s": 0.5, "bottom_s": 0.8, "end_s": 1.1},
    ]
    findings = [
        {"fault": "knee_valgus", "severity": "mild", "rep": 2, "worst_s": 0.8, "fix": "f1"},
        {"fault": "butt_wink", "severity": "severe", "rep": 2, "worst_s": 0.84, "fix": "f2"},
        {"fault": "bar_drift", "severity": "moderate", "rep": None, "worst_s": 0.2, "fix": "f3"},
    ]
    not_assessable = [{"fault": "knee_valgus", "reason": "needs a front view"}]
    extra = {
        "reps": reps,
        "findings": findings,
        "not_assessable": not_assessable,
        "stages": ["pose", "reps", "findings"],
    }
    result = LoadedResult.load(_results(tmp_path / "r", extra))
    assert result.coaching_ran
    groups = result.findings_by_rep()
    assert [g.title for g in groups] == ["Rep 1", "Rep 2", "Whole set"]
    assert groups[0].findings == []
    assert [f["fault"] for f in groups[1].findings] == ["butt_wink", "knee_valgus"]  # severe first
    assert [f["fault"] for f in groups[2].findings] == ["bar_drift"]
    flags = result.flags()
    assert [f.frame for f in flags] == [5, 20, 21]
    assert flags[0].label == "bar drift (set, 0.20 s)"
    assert flags[1].severity == "mild"
    assert result.not_assessable == not_assessable


def test_metrics_csv_rows_by_frame(tmp_path: Path) -> None:
    folder = _results(tmp_path / "r")
    (folder / "metrics.csv").write_text("frame,time_s,knee_deg\n0,0.0,170\n1,0.04,165\n")
    result = LoadedResult.load(folder)
    assert result.metrics_row(1) == {"frame": "1", "time_s": "0.04", "knee_deg": "165"}
    assert result.metrics_row(7) is None
    assert "metrics.csv" in [d.path.name for d in result.downloads()]


def test_frame_metrics_take_units_from_the_metric_table(tmp_path: Path) -> None:
    folder = _results(tmp_path / "r")
    (folder / "metrics.csv").write_text(
        "frame,time_s,knee_flexion_deg,knee_flexion_deg_confidence,trunk_lean_deg,"
        "trunk_lean_deg_confidence,new_thing,new_thing_confidence\n"
        "0,0.0,35.5,0.91,,0.10,2.0,\n"
    )
    knee, lean, new = LoadedResult.load(folder).frame_metrics(0)
    assert (knee.name, knee.value, knee.confidence, knee.unit, knee.proxy) == (
        "knee_flexion_deg",
        35.5,
        0.91,
        "deg",
        False,
    )
    assert knee.views == ("side",)
    assert (lean.value, lean.confidence) == (None, 0.1)  # empty cell: not measurable
    assert (new.unit, new.confidence, new.views) == ("", None, ())  # unknown metric: shown plain


def test_missing_results_say_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="results of this session are gone"):
        LoadedResult.load(tmp_path / "nothing")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "report.json").write_text("{not json")
    with pytest.raises(InputError, match="cannot be read"):
        LoadedResult.load(tmp_path / "bad")
