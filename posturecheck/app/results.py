"""A results folder read back for review: report, landmarks, per-frame facts, flags, files.

Plain Python (no Streamlit). Nothing here computes coaching values: reps, findings and
per-frame metrics are shown only when the analysis wrote them.
"""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck.errors import InputError
from posturecheck.faults import FAULT_BY_ID
from posturecheck.fixes import FIX_BY_ID
from posturecheck.landmarks import Landmark
from posturecheck.metrics import METRICS
from posturecheck.pipeline import ANNOTATED_IMAGE, ANNOTATED_VIDEO, LANDMARKS, REPORT
from posturecheck.pipeline import METRICS as METRICS_CSV
from posturecheck.sequence import PoseSequence

REPORT_HTML = "report.html"
#: A landmark counts as visible at or above this model visibility.
VISIBLE = 0.5
SEVERITY_ORDER = {"severe": 0, "moderate": 1, "mild": 2}

#: The joints a lifting analysis leans on, reported in the per-frame visibility summary.
KEY_JOINTS: tuple[Landmark, ...] = (
    Landmark.LEFT_EAR,
    Landmark.RIGHT_EAR,
    Landmark.LEFT_SHOULDER,
    Landmark.RIGHT_SHOULDER,
    Landmark.LEFT_HIP,
    Landmark.RIGHT_HIP,
    Landmark.LEFT_KNEE,
    Landmark.RIGHT_KNEE,
    Landmark.LEFT_ANKLE,
    Landmark.RIGHT_ANKLE,
    Landmark.LEFT_HEEL,
    Landmark.RIGHT_HEEL,
    Landmark.LEFT_FOOT_INDEX,
    Landmark.RIGHT_FOOT_INDEX,
)

_MIME = {
    ".mp4": "video/mp4",
    ".png": "image/png",
    ".json": "application/json",
    ".npz": "application/octet-stream",
    ".csv": "text/csv",
    ".html": "text/html",
}


@dataclass(frozen=True)
class FrameInfo:
    """What the review page says about one frame."""

    index: int
    time_s: float
    has_pose: bool
    mean_visibility: float | None
    key_visible: int
    key_total: int
    hidden_joints: tuple[str, ...]


@dataclass(frozen=True)
class FrameMetric:
    """One metric's value in one frame, as metrics.csv holds it (None where not measurable)."""

    name: str
    value: float | None
    confidence: float | None
    unit: str
    proxy: bool
    views: tuple[str, ...]
    description: str


@dataclass(frozen=True)
class Flag:
    """A jump target: a finding's key (worst) frame."""

    label: str
    time_s: float
    frame: int
    severity: str


@dataclass(frozen=True)
class RepGroup:
    """One rep (None: findings not tied to a rep) and its findings, most severe first."""

    rep: dict[str, Any] | None
    findings: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        if self.rep is None:
            return "Whole set"
        return f"Rep {_rep_number(self.rep)}"


@dataclass(frozen=True)
class Download:
    label: str
    path: Path
    mime: str


def _rep_number(rep: dict[str, Any]) -> int:
    """Reps are numbered from 1 in report.json, as a lifter counts them."""
    index = rep.get("index")
    return int(index) if isinstance(index, int) else 0


def _nice(name: str) -> str:
    return name.replace("_", " ")


@dataclass(frozen=True)
class LoadedResult:
    """A results folder written by :func:`posturecheck.pipeline.analyse`."""

    out_dir: Path
    report: dict[str, Any]
    sequence: PoseSequence | None
    metrics: list[dict[str, str]] | None = None

    @classmethod
    def load(cls, out_dir: Path) -> LoadedResult:
        """Read report.json, landmarks.npz and metrics.csv (when present).

        Raises:
            InputError: the folder or its report is missing or unreadable.
        """
        out_dir = Path(out_dir)
        report_path = out_dir / REPORT
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise InputError(
                f"the results of this session are gone ({out_dir.name} has no {REPORT}). "
                "Delete the session and analyse the video again."
            ) from exc
        except (OSError, ValueError) as exc:
            raise InputError(f"{REPORT} of this session cannot be read ({exc}).") from exc
        if not isinstance(report, dict):
            raise InputError(f"{REPORT} of this session is not a report.")
        landmarks = out_dir / LANDMARKS
        sequence = PoseSequence.load(landmarks) if landmarks.is_file() else None
        return cls(out_dir, report, sequence, _read_metrics(out_dir / METRICS_CSV))

    # --- the clip ---------------------------------------------------------------------------

    @property
    def annotated(self) -> Path | None:
        for name in (ANNOTATED_VIDEO, ANNOTATED_IMAGE):
            if (self.out_dir / name).is_file():
                return self.out_dir / name
        return None

    @property
    def is_image(self) -> bool:
        return self.annotated is not None and self.annotated.name == ANNOTATED_IMAGE

    @property
    def frame_count(self) -> int:
        return len(self.sequence) if self.sequence is not None else 0

    def frame_time(self, index: int) -> float:
        assert self.sequence is not None
        return float(self.sequence.time_s[index])

    def frame_at(self, time_s: float) -> int:
        """The frame nearest ``time_s``."""
        if self.sequence is None or len(self.sequence) == 0:
            return 0
        return int(np.argmin(np.abs(self.sequence.time_s - time_s)))

    def frame_info(self, index: int) -> FrameInfo:
        """Time, whether a person was found, and how visible the key joints were."""
        assert self.sequence is not None
        seq = self.sequence
        vis = seq.visibility[index]
        has_pose = bool(seq.has_pose[index])
        key = np.array([vis[int(j)] for j in KEY_JOINTS])
        shown = key >= VISIBLE
        hidden = tuple(
            _nice(j.name.lower()) for j, ok in zip(KEY_JOINTS, shown, strict=True) if not ok
        )
        mean = float(np.nanmean(vis)) if has_pose else None
        return FrameInfo(
            index=index,
            time_s=float(seq.time_s[index]),
            has_pose=has_pose,
            mean_visibility=mean,
            key_visible=int(shown.sum()),
            key_total=len(KEY_JOINTS),
            hidden_joints=hidden if has_pose else (),
        )

    def metrics_row(self, index: int) -> dict[str, str] | None:
        """This frame's row of metrics.csv (matched on its ``frame`` column if it has one)."""
        if not self.metrics:
            return None
        if "frame" in self.metrics[0]:
            wanted = str(index)
            if self.sequence is not None and index < len(self.sequence):
                wanted = str(int(self.sequence.source_frame_index[index]))
            return next((r for r in self.metrics if r.get("frame") == wanted), None)
        return self.metrics[index] if index < len(self.metrics) else None

    def frame_metrics(self, index: int) -> list[FrameMetric]:
        """This frame's metrics with units from the metric table; empty without metrics.csv."""
        row = self.metrics_row(index)
        if row is None:
            return []
        specs = {spec.name: spec for spec in METRICS}
        out = []
        for name, raw in row.items():
            if name in ("frame", "time_s") or name.endswith("_confidence"):
                continue
            spec = specs.get(name)
            out.append(
                FrameMetric(
                    name=name,
                    value=_float(raw),
                    confidence=_float(row.get(f"{name}_confidence", "")),
                    unit=spec.unit if spec else "",
                    proxy=spec.proxy if spec else False,
                    views=tuple(spec.views) if spec else (),
                    description=spec.description if spec else "",
                )
            )
        return out

    # --- the coaching parts (shown only when present) --------------------------------------

    @property
    def reps(self) -> list[dict[str, Any]]:
        return [r for r in self.report.get("reps") or [] if isinstance(r, dict)]

    @property
    def findings(self) -> list[dict[str, Any]]:
        return [f for f in self.report.get("findings") or [] if isinstance(f, dict)]

    @property
    def not_assessable(self) -> list[dict[str, Any]]:
        return [n for n in self.report.get("not_assessable") or [] if isinstance(n, dict)]

    @property
    def coaching_ran(self) -> bool:
        """Whether the fault stage ran (``stages`` in report.json lists what ran)."""
        return "findings" in (self.report.get("stages") or [])

    def findings_by_rep(self) -> list[RepGroup]:
        """Findings grouped under their rep in rep order; findings with no rep come last."""
        by_index: dict[int | None, list[dict[str, Any]]] = {}
        for finding in self.findings:
            rep = finding.get("rep")
            by_index.setdefault(rep if isinstance(rep, int) else None, []).append(finding)
        for items in by_index.values():
            items.sort(key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 9), _t(f)))
        groups = [RepGroup(rep, by_index.pop(rep.get("index"), [])) for rep in self.reps]
        for index in sorted(k for k in by_index if k is not None):
            groups.append(RepGroup({"index": index}, by_index[index]))
        if None in by_index:
            groups.append(RepGroup(None, by_index[None]))
        return groups

    def flags(self) -> list[Flag]:
        """Every finding's key frame, in time order."""
        flags = []
        for finding in self.findings:
            t = _t(finding)
            if math.isnan(t):
                continue
            rep = finding.get("rep")
            where = f"rep {rep}" if isinstance(rep, int) else "set"
            label = f"{fault_title(str(finding.get('fault', 'flag')))} ({where}, {t:.2f} s)"
            flags.append(Flag(label, t, self.frame_at(t), str(finding.get("severity", ""))))
        return sorted(flags, key=lambda f: f.time_s)

    # --- files --------------------------------------------------------------------------------

    def downloads(self) -> list[Download]:
        """The files worth downloading that exist in the folder."""
        wanted = (
            ("Annotated video", ANNOTATED_VIDEO),
            ("Annotated photo", ANNOTATED_IMAGE),
            ("Report (JSON)", REPORT),
            ("Landmarks (NPZ)", LANDMARKS),
            ("Metrics (CSV)", METRICS_CSV),
            ("Report (HTML)", REPORT_HTML),
        )
        found = []
        for label, name in wanted:
            path = self.out_dir / name
            if path.is_file():
                mime = _MIME.get(path.suffix, "application/octet-stream")
                found.append(Download(label, path, mime))
        return found


@dataclass(frozen=True)
class Coaching:
    """The words for one finding, from the fault and fix tables (ids shown if unknown)."""

    title: str
    what: str
    fix_title: str
    area: str
    why: str
    cue: str
    drills: tuple[str, ...]


def coaching_for(finding: dict[str, Any]) -> Coaching:
    """Title, explanation, and the fix (why, cue, drills) for a finding."""
    fault_id = str(finding.get("fault", ""))
    fix_id = str(finding.get("fix", ""))
    fault = FAULT_BY_ID.get(fault_id)
    fix = FIX_BY_ID.get(fix_id)
    return Coaching(
        title=fault.title if fault else _nice(fault_id or "unknown fault"),
        what=fault.what if fault else "",
        fix_title=fix.title if fix else _nice(fix_id),
        area=str(fix.area) if fix else str(finding.get("area", "")),
        why=fix.why if fix else "",
        cue=str(finding.get("cue") or (fix.cue if fix else "")),
        drills=fix.drills if fix else (),
    )


def fault_title(fault_id: str) -> str:
    fault = FAULT_BY_ID.get(fault_id)
    return fault.title if fault else _nice(fault_id)


def _t(finding: dict[str, Any]) -> float:
    for key in ("worst_s", "start_s"):
        value = finding.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return math.nan


def _float(raw: str | None) -> float | None:
    try:
        value = float(raw) if raw not in (None, "") else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _read_metrics(path: Path) -> list[dict[str, str]] | None:
    if not path.is_file():
        return None
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            return list(csv.DictReader(fh))
    except (OSError, csv.Error, UnicodeDecodeError):
        return None
