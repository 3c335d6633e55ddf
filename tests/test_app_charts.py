"""Charts and the per-rep table (posturecheck.app.charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _report() -> dict[str, Any]:
    return {
        "view": {"name": "side"},
        "reps": [
            {"index": 1, "complete": True, "start_s": 0.0, "bottom_s": 1.0, "end_s": 2.0,
             "descent_s": 0.9, "pause_s": 0.1, "ascent_s": 1.0, "depth_leg_lengths": 0.51,
             "metrics": {"trunk_lean_deg": {"at_bottom": 41.26}, "thigh_angle_deg":
                         {"at_bottom": -3.0}, "knee_flexion_deg": {"at_bottom": 118.0}}},
            {"index": 2, "complete": False, "start_s": 2.5, "bottom_s": None, "end_s": 3.0},
        ],
        "findings": [
            {"fault": "excessive_forward_lean", "severity": "moderate", "rep": 1,
             "start_s": 0.8, "end_s": 1.2, "measured": 59.1, "unit": "deg"},
            {"fault": "forward_head", "severity": "mild", "rep": 1, "start_s": 1.5,
             "end_s": 1.5},
            {"fault": "lateral_shift", "severity": "mild", "rep": None, "start_s": None},
        ],
    }  # fmt: skip


def _rows(n: int = 90) -> list[dict[str, str]]:
    rows = []
    for i in range(n):
        t = i / 30
        rows.append({"frame": str(i), "time_s": f"{t:.4f}", "knee_flexion_deg": f"{60 + i:.1f}",
                     "hip_flexion_deg": "" if i % 10 == 0 else "40.0", "trunk_lean_deg": "30",
                     "thigh_angle_deg": "nan", "pelvis_tilt_deg": "1.0"})  # fmt: skip
    return rows


def test_rep_table_from_the_report() -> None:
    from posturecheck.app.charts import rep_table

    first, second = rep_table(_report())
    assert first["Rep"] == 1 and first["Depth (leg lengths)"] == 0.51
    assert first["Lean at bottom (°)"] == 41.3 and first["Thigh at bottom (°)"] == -3.0
    assert first["Knee at bottom (°)"] == 118.0
    assert (first["Descent (s)"], first["Pause (s)"], first["Ascent (s)"]) == (0.9, 0.1, 1.0)
    assert first["Flags"] == 2 and first["Complete"] == "yes"
    assert second["Lean at bottom (°)"] is None and second["Flags"] == 0
    extra = rep_table({"reps": [{"index": 1, "depth_deg": 95.0, "notes": {"x": 1}}]})[0]
    assert extra["depth_deg"] == 95.0 and "notes" not in extra
    assert rep_table({}) == []


def test_angle_series_skip_empty_cells_and_thin_long_clips() -> None:
    from posturecheck.app.charts import series_records

    records = series_records(_rows(), ["knee_flexion_deg", "hip_flexion_deg", "thigh_angle_deg"])
    measures = {r["measure"] for r in records}
    assert measures == {"Knee flexion", "Hip flexion"}  # all-NaN thigh column left out
    assert sum(r["measure"] == "Hip flexion" for r in records) == 81  # 9 empty cells skipped
    thinned = series_records(_rows(3000), ["knee_flexion_deg"], max_points=1000)
    assert len(thinned) == 1000 and thinned[1]["time_s"] == pytest.approx(3 / 30, abs=1e-4)


def test_angles_chart_layers_reps_and_flags() -> None:
    from posturecheck.app.charts import angles_chart, chart_spec, flag_records, rep_records

    reps = rep_records(_report()["reps"])
    assert [r["rep"] for r in reps] == ["Rep 1", "Rep 2"] and reps[1]["bottom"] is None
    flags = flag_records(_report()["findings"])
    assert [f["fault"] for f in flags] == ["Too much forward lean", "Forward head"]
    assert flags[1]["end"] == pytest.approx(1.55)  # a moment is widened to be seen
    assert flags[0]["measured"] == "59.1 deg" and flags[0]["rep"] == "Rep 1"
    chart = angles_chart(_rows(), _report())
    assert chart is not None
    spec = chart.to_dict()
    marks = [layer["mark"]["type"] for layer in spec["layer"]]
    assert marks == ["rect", "rule", "rect", "line", "point", "rule"]
    assert chart_spec(chart) == spec and chart_spec(None) is None
    assert angles_chart([], _report()) is None
    front = angles_chart(_rows(), {"view": {"name": "front"}})
    assert front is None  # none of the front-view measures in these rows


def test_history_chart_orders_sessions_and_counts_faults(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from posturecheck.app.charts import history_charts, history_records
    from posturecheck.history import Session

    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    sessions = [
        Session("b.mp4", "squat", "side", tmp_path, lifter="Ana", rep_count=3,
                finding_counts={"shallow_depth": 2}, key_numbers={"mean_depth_leg_lengths": 0.4},
                id=2, created_at=t0 + timedelta(days=7)),
        Session("a.mp4", "squat", "side", tmp_path, lifter="Ana", rep_count=5,
                finding_counts={"shallow_depth": 4, "heels_lift": 1},
                key_numbers={"mean_depth_leg_lengths": 0.3, "mean_ascent_s": 1.2},
                id=1, created_at=t0),
        Session("c.mp4", "unknown", "unknown", tmp_path, id=3, created_at=t0 + timedelta(days=9)),
    ]  # fmt: skip
    numbers, faults = history_records(sessions)
    assert [r["file"] for r in numbers if r["measure"] == "Reps"] == ["a.mp4", "b.mp4"]
    assert {(r["file"], r["measure"]): r["value"] for r in numbers}[("a.mp4", "Flags")] == 5
    assert ("c.mp4", "Flags") not in {(r["file"], r["measure"]) for r in numbers}
    assert sorted((r["file"], r["fault"], r["count"]) for r in faults) == [
        ("a.mp4", "Heels lift", 1), ("a.mp4", "Squat too shallow", 4),
        ("b.mp4", "Squat too shallow", 2),
    ]  # fmt: skip
    charts = [c.to_dict() for c in history_charts(sessions)]
    titles = [c["title"] for c in charts]
    assert titles[-1] == "Flags per session" and "Reps" in titles
    # As wide as the page (fits a phone), the plot keeping its height (not squeezed flat).
    assert all(c["width"] == "container" and c["autosize"]["type"] == "fit-x" for c in charts)
    assert history_charts([]) == []
