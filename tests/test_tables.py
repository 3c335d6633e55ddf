"""metrics.csv: a row per frame, NaN as an empty cell, confidence beside each metric."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from posturecheck.metrics import compute_metrics
from posturecheck.tables import metrics_header, write_metrics_csv

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
