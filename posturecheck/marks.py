"""Which frames of the annotated video show a fault, and what is drawn on them.

Pure: from findings and frame times to per-frame :class:`~posturecheck.draw.Marks` (the
fault's bones in red while it happens, and its cue along the bottom, kept on screen long
enough to read).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from posturecheck.draw import Marks
from posturecheck.faults import FAULT_BY_ID, Bone
from posturecheck.rules import Finding
from posturecheck.sequence import FloatArray

#: A cue stays on screen at least this long after the fault starts.
CUE_MIN_S = 1.2


def cue_line(finding: Finding) -> str:
    """``Rep 2: Chin tuck (forward head, moderate)``."""
    title = FAULT_BY_ID[finding.fault].title.lower()
    return f"Rep {finding.rep}: {finding.cue} ({title}, {finding.severity})"


def marks_by_row(
    findings: Iterable[Finding], time_s: FloatArray, cue_min_s: float = CUE_MIN_S
) -> Mapping[int, Marks]:
    """Row → marks for every frame that shows at least one finding."""
    bones: dict[int, set[Bone]] = {}
    cues: dict[int, list[str]] = {}
    for finding in findings:
        spec = FAULT_BY_ID[finding.fault]
        red = np.flatnonzero((time_s >= finding.start_s) & (time_s <= finding.end_s))
        shown_until = max(finding.end_s, finding.start_s + cue_min_s)
        cued = np.flatnonzero((time_s >= finding.start_s) & (time_s <= shown_until))
        for row in red.tolist():
            bones.setdefault(row, set()).update(spec.bones)
        line = cue_line(finding)
        for row in cued.tolist():
            if line not in cues.setdefault(row, []):
                cues[row].append(line)
    rows = sorted(set(bones) | set(cues))
    return {row: Marks(frozenset(bones.get(row, set())), tuple(cues.get(row, ()))) for row in rows}
