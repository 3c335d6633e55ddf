"""CSV tables a spreadsheet opens: metrics per frame, findings per rep."""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

from posturecheck.atomic import atomic_open
from posturecheck.faults import FAULT_BY_ID
from posturecheck.metrics import MetricSeries
from posturecheck.rules import Finding, NotAssessable


def _cell(value: float, digits: int = 3) -> str:
    """Empty for NaN (spreadsheets read it as missing), rounded otherwise."""
    return "" if not math.isfinite(value) else f"{value:.{digits}f}"


def write_csv_atomic(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    with atomic_open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)


def metrics_header(metrics: MetricSeries) -> list[str]:
    """``frame, time_s``, then ``<metric>, <metric>_confidence`` for each metric (units and
    definitions: docs/metrics.md)."""
    columns = ["frame", "time_s"]
    for name in metrics.names:
        columns += [name, f"{name}_confidence"]
    return columns


def write_metrics_csv(
    path: Path, metrics: MetricSeries, frame_index: npt.NDArray[np.int64]
) -> None:
    """One row per frame: frame, time, then each metric and its confidence (0..1)."""
    names = metrics.names
    values = np.column_stack([metrics.values[n] for n in names]) if names else None
    conf = np.column_stack([metrics.confidence[n] for n in names]) if names else None

    def rows() -> Iterable[list[str]]:
        for i in range(len(metrics)):
            row = [str(int(frame_index[i])), f"{metrics.time_s[i]:.4f}"]
            if values is not None and conf is not None:
                for v, c in zip(values[i], conf[i], strict=True):
                    row += [_cell(float(v)), _cell(float(c), 2)]
            yield row

    write_csv_atomic(path, metrics_header(metrics), rows())


#: Columns of findings.csv. ``note`` says why a fault could not be judged.
FINDINGS_HEADER = (
    "rep",
    "fault",
    "title",
    "area",
    "severity",
    "start_s",
    "end_s",
    "worst_s",
    "worst_frame",
    "measured",
    "threshold",
    "unit",
    "fix",
    "cue",
    "note",
)
#: The ``severity`` of a row that says a fault could not be judged.
NOT_ASSESSABLE = "not_assessable"


def write_findings_csv(
    path: Path, findings: Sequence[Finding], not_assessable: Sequence[NotAssessable] = ()
) -> None:
    """One row per finding (rep, fault, severity, times, worst frame, measured vs the
    threshold it reached, unit, fix id, cue), then one row per fault that could not be
    judged: severity ``not_assessable``, the reps concerned (blank = the whole clip) and the
    reason in ``note``. NaN is an empty cell."""

    def title(fault: str) -> str:
        spec = FAULT_BY_ID.get(fault)
        return spec.title if spec is not None else fault

    def area(fault: str) -> str:
        spec = FAULT_BY_ID.get(fault)
        return str(spec.area) if spec is not None else ""

    def rows() -> Iterable[list[str]]:
        for f in findings:
            yield [
                str(f.rep),
                f.fault,
                title(f.fault),
                f.area,
                f.severity,
                _cell(f.start_s),
                _cell(f.end_s),
                _cell(f.worst_s),
                str(f.worst_frame),
                _cell(f.measured),
                _cell(f.threshold),
                f.unit,
                f.fix,
                f.cue,
                "",
            ]
        for n in not_assessable:
            reps = " ".join(str(r) for r in n.reps)
            empty = [""] * 9
            yield [reps, n.fault, title(n.fault), area(n.fault), NOT_ASSESSABLE, *empty, n.reason]

    write_csv_atomic(path, FINDINGS_HEADER, rows())
