"""metrics.csv: a row per frame, NaN as an empty cell, confidence beside each metric;
findings.csv: a row per finding, then a row per fault that could not be judged."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from posturecheck.faults import FAULT_BY_ID
from posturecheck.metrics import compute_metrics
from posturecheck.rules import Finding, NotAssessable
from posturecheck.tables import (
    FINDINGS_HEADER,
    NOT_ASSESSABLE,
    metrics_header,
    write_findings_csv,
    write_metrics_csv,
)

from builders import SidePose, side_view


def test_metrics_csv_rows_and_values(tmp_path: Path) -> None:
    missing = np.zeros(5, bool)
    missing[2] = True
    seq = side_view(SidePose(knee_flexion_deg=40.0), n_frames=5, missing=missing)
    metrics = compute_metrics(seq)
    path = tmp_path / "metrics.csv"
    write_metrics_csv(path, metrics, seq.source_frame_index)
    with path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == metrics_header(metrics)
    assert [r["frame"] for r in rows] == ["0", "1", "2", "3", "4"]
    assert float(rows[0]["knee_flexion_deg"]) == np.round(metrics["knee_flexion_deg"][0], 3)
    assert abs(float(rows[0]["knee_flexion_deg"]) - 40.0) < 1e-3
    assert rows[2]["knee_flexion_deg"] == "", "no pose: empty cell, not 0"
    assert 0.0 <= float(rows[0]["knee_flexion_deg_confidence"]) <= 1.0


# --- findings.csv ---------------------------------------------------------------------------


def _finding(**changes: object) -> Finding:
    values: dict[str, object] = {
        "fault": "heels_lift",
        "severity": "moderate",
        "rep": 2,
        "start_s": 3.6,
        "end_s": 4.6667,
        "worst_s": 3.8667,
        "worst_frame": 116,
        "measured": 23.3214,
        "threshold": 18.0,
        "unit": "% foot",
        "fix": "ankle_mobility",
        "cue": "Whole foot down",
        "area": "ankles",
        "confidence": 0.93,
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def test_findings_csv_one_row_per_finding_then_what_was_not_judged(tmp_path: Path) -> None:
    findings = [
        _finding(),
        _finding(
            fault="forward_head",
            severity="mild",
            rep=3,
            unit="deg",
            fix="chin_tuck",
            cue="Chin tuck",
            area="neck",
            measured=float("nan"),
        ),
    ]
    unjudged = [
        NotAssessable("knee_valgus", "knees cave in needs a front (or back) view"),
        NotAssessable("bar_far_from_body", "the points it needs were hidden", (1, 3)),
    ]
    path = tmp_path / "findings.csv"
    write_findings_csv(path, findings, unjudged)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == list(FINDINGS_HEADER)
    assert [r["fault"] for r in rows] == [
        "heels_lift",
        "forward_head",
        "knee_valgus",
        "bar_far_from_body",
    ]
    first = rows[0]
    assert first["rep"] == "2"
    assert first["title"] == FAULT_BY_ID["heels_lift"].title
    assert (first["area"], first["severity"], first["unit"]) == ("ankles", "moderate", "% foot")
    assert (first["start_s"], first["end_s"], first["worst_s"]) == ("3.600", "4.667", "3.867")
    assert (first["worst_frame"], first["measured"], first["threshold"]) == (
        "116",
        "23.321",
        "18.000",
    )
    assert (first["fix"], first["cue"], first["note"]) == ("ankle_mobility", "Whole foot down", "")
    assert rows[1]["measured"] == "", "NaN is an empty cell"
    whole_clip, some_reps = rows[2], rows[3]
    assert whole_clip["severity"] == some_reps["severity"] == NOT_ASSESSABLE
    assert whole_clip["rep"] == "" and some_reps["rep"] == "1 3"
    assert whole_clip["note"] == "knees cave in needs a front (or back) view"
    assert whole_clip["title"] == FAULT_BY_ID["knee_valgus"].title
    assert all(whole_clip[c] == "" for c in ("start_s", "worst_frame", "measured", "fix"))


def test_findings_csv_without_findings_has_the_header(tmp_path: Path) -> None:
    path = tmp_path / "findings.csv"
    write_findings_csv(path, [], [])
    assert path.read_text(encoding="utf-8").strip() == ",".join(FINDINGS_HEADER)
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"], "no temporary file left"
