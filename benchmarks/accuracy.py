"""How right is posturecheck? Scores the full pipeline against exact ground truth and real clips.

    PYOPENGL_PLATFORM=egl .venv/bin/python benchmarks/accuracy.py [--truth sample_videos]
        [--render N] [--realdata ../shared/realdata] [--realdata-cache DIR] [--no-realdata]
        [--model-variant full] [--out docs/accuracy.md]

Ground-truth set: every ``NAME.json`` in ``--truth`` (default ``sample_videos/``, rendered by
:mod:`posturecheck.synth`) with its video, plus ``--render N`` extra seeded clips rendered into a
temporary folder (~50 s each; needs the ``synth`` extra). Each video goes through the whole
pipeline with the real pose model, and the report says:

* **metrics**: bias / MAE / RMSE of every metric measured from the video against the *same*
  metric computed by :func:`posturecheck.metrics.compute_metrics` on a pose sequence built from
  the ground-truth pixels, so the definitions live in one place. Two references: skeletal
  *joint centres* (the anatomical truth) and the body model's *surface keypoints* (COCO-style,
  closer to what a pose model is trained to mark). Side-view metrics on side clips, front-view
  metrics on front clips, over the frames where both values are finite.
* **faults**: precision / recall / F1 per fault and camera view. A finding is a hit when its
  fault and rep match an injected fault (the finding's rep is matched to the ground-truth rep
  whose start..end holds its bottom frame). Counted at two levels: any finding (mild and up)
  and moderate or severe only. Every injected fault is also listed with what the rule
  measured, and clean clips with a moderate or severe finding are counted.
* **clips**: exercise, view and exact rep count.
* **real clips** of ``../shared/realdata``: the reports of ``realdata_eval.py`` (exercise, view,
  reps against the hand labels) and ``findings_eval.py`` (good/bad labels), both reused as they
  are. Landmarks come from ``--realdata-cache`` (``<stem>/landmarks.npz``; missing ones are
  computed and written there) or, without it, from the model into a temporary folder.

Everything printed is also written to ``--out`` (default ``docs/accuracy.md``, or
``docs/accuracy-<variant>.md`` for another ``--model-variant``) with the command and the date;
the default model's run also updates README's summary table.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a fresh clone without installing
    sys.path.insert(0, str(REPO))

from posturecheck.analysis import Analysis, analyse_sequence  # noqa: E402
from posturecheck.errors import NoPoseError  # noqa: E402
from posturecheck.faults import FAULT_BY_ID, FAULTS, FaultSpec, Severity  # noqa: E402
from posturecheck.landmarks import NUM_LANDMARKS, Landmark  # noqa: E402
from posturecheck.metrics import (  # noqa: E402
    FRONT,
    METRICS,
    SIDE,
    MetricSeries,
    MetricSpec,
    compute_metrics,
)
from posturecheck.models import DEFAULT_VARIANT, VARIANTS  # noqa: E402
from posturecheck.reps import Rep  # noqa: E402
from posturecheck.rules import Finding, Judgement, judge  # noqa: E402
from posturecheck.sequence import PoseSequence  # noqa: E402
from posturecheck.synth.presets import SMALL_PLATES  # noqa: E402
from posturecheck.synth.spec import (  # noqa: E402
    BarbellSpec,
    BodySpec,
    CameraSpec,
    Clothing,
    Fault,
    FaultName,
    Scenario,
)
from posturecheck.synth.truth import GroundTruth, load_truth  # noqa: E402

FloatArray = npt.NDArray[np.float64]
Reference = Literal["joints", "surface"]
REFERENCES: tuple[Reference, ...] = ("joints", "surface")
SERIOUS = ("moderate", "severe")
NA = "n/a"
LEVELS: dict[str, tuple[str, ...]] = {
    "mild+": ("mild", "moderate", "severe"),
    "moderate+": SERIOUS,
}
DEFAULT_TRUTH = REPO / "sample_videos"
DEFAULT_REALDATA = REPO.parent / "shared" / "realdata"
DEFAULT_OUT = REPO / "docs" / "accuracy.md"
README = REPO / "README.md"
README_START = "<!-- accuracy table: written by benchmarks/accuracy.py -->"
README_END = "<!-- end of accuracy table -->"

_COCO_PARTS = ("eye", "ear", "shoulder", "elbow", "wrist", "hip", "knee", "ankle", "heel")
#: BlazePose landmark → keypoint of the body model's COCO surface regressor.
SURFACE_SOURCE: dict[Landmark, str] = {
    Landmark.NOSE: "nose",
    **{
        Landmark[f"{side.upper()}_{part.upper()}"]: f"{side}_{part}"
        for side in ("left", "right")
        for part in _COCO_PARTS
    },
    **{Landmark[f"{side.upper()}_FOOT_INDEX"]: f"{side}_big_toe" for side in ("left", "right")},
}


# --- running the pipeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class ClipRun:
    """One ground-truth clip through the pipeline.

    Attributes:
        name: the clip's stem.
        truth: its ground truth.
        sequence: the landmarks the pose model gave for the video.
        auto: the analysis as the app does it (exercise detected).
        given: the analysis with the true exercise given (as with ``--exercise``).
        probe: ``given`` judged with every cut-off far below zero, so each judged rep has a
            finding whose ``measured`` is the rule's value even when it is below mild.
        error: why the pipeline gave no result (then the analyses are of an empty sequence).
    """

    name: str
    truth: GroundTruth
    sequence: PoseSequence
    auto: Analysis
    given: Analysis
    probe: Analysis
    error: str | None = None

    @property
    def view(self) -> str:
        return str(self.truth.doc["camera"]["view"])

    @property
    def exercise(self) -> str:
        return str(self.truth.doc["exercise"])

    @property
    def clean(self) -> bool:
        return not self.truth.doc["faults"]

    @property
    def reps_right(self) -> bool:
        """The number of complete reps found is the true number."""
        return len(self.truth.doc["reps"]) == rep_count(self.auto)


#: Cut-offs so low that every judged rep gets a finding (its ``measured`` is what we want).
_PROBE_CUTOFFS = Severity(-1e9, -1e9 + 1, -1e9 + 2)
PROBE_FAULTS: tuple[FaultSpec, ...] = tuple(replace(f, cutoffs=_PROBE_CUTOFFS) for f in FAULTS)


def analyse_clip(sequence: PoseSequence, truth: GroundTruth, name: str) -> ClipRun:
    """The core's three analyses of one clip's landmarks (see :class:`ClipRun`)."""
    exercise = truth.doc["exercise"]
    return ClipRun(
        name=name,
        truth=truth,
        sequence=sequence,
        auto=analyse_sequence(sequence),
        given=analyse_sequence(sequence, exercise=exercise),
        probe=analyse_sequence(sequence, exercise=exercise, faults=PROBE_FAULTS),
    )


def run_clip(truth_path: Path, work: Path, model_path: Path | None = None) -> ClipRun:
    """Run the whole pipeline (real pose model) on the video beside ``truth_path``."""
    from posturecheck.pipeline import AnalysisOptions, analyse

    truth = load_truth(truth_path)
    try:
        result = analyse(
            truth.video_path,
            work / truth_path.stem,
            options=AnalysisOptions(model_path=model_path),
            force=True,
        )
    except NoPoseError:
        # Scored like the app's answer: nothing measured, found or flagged.
        n, (width, height) = truth.n_frames, truth.size
        nothing = replace(
            PoseSequence.empty(n, width, height),
            time_s=np.asarray(truth.doc["frames"]["time_s"], dtype=np.float64),
        )
        return replace(analyse_clip(nothing, truth, truth_path.stem), error="no pose found")
    return analyse_clip(result.sequence, truth, truth_path.stem)


# --- ground-truth pose sequences --------------------------------------------------------------


def truth_sequence(truth: GroundTruth, reference: Reference) -> PoseSequence:
    """A pose sequence holding the ground-truth pixels, visibility 1 where defined, NaN elsewhere.

    ``joints``: the ground truth's BlazePose landmarks (joint centres for shoulders … ankles,
    surface points for face, heels and toes). ``surface``: the body model's COCO surface
    keypoints wherever COCO has the point (hands and mouth stay NaN).
    """
    n = truth.n_frames
    xy = np.full((n, NUM_LANDMARKS, 2), np.nan)
    if reference == "joints":
        xy[:] = truth.landmarks_px
    else:
        names = list(truth.doc["coco_names"])
        for lm, label in SURFACE_SOURCE.items():
            xy[:, lm] = truth.coco_px[:, names.index(label)]
    defined = np.isfinite(xy).all(axis=2)
    image = np.concatenate([xy, np.where(defined, 0.0, np.nan)[..., None]], axis=2)
    ones = np.where(defined, 1.0, np.nan)
    width, height = truth.size
    return PoseSequence(
        time_s=np.asarray(truth.doc["frames"]["time_s"], dtype=np.float64),
        image_px=image,
        world_m=np.full((n, NUM_LANDMARKS, 3), np.nan),
        visibility=ones,
        presence=ones.copy(),
        width=width,
        height=height,
    )


def truth_metrics(truth: GroundTruth, reference: Reference) -> MetricSeries:
    """posturecheck's metrics on the ground-truth pixels, with the true facing and near side
    (a side camera films the lifter's ``camera.side``; front views need neither)."""
    cam = truth.doc["camera"]
    if cam["view"] == "side":
        return compute_metrics(
            truth_sequence(truth, reference), facing=cam["facing"], side=cam["side"]
        )
    return compute_metrics(truth_sequence(truth, reference), facing="right", side="left")


def from_mask(spec: MetricSpec) -> bool:
    """The metric is measured from the person mask during extraction, not from landmarks, so
    ground-truth pixels cannot give it."""
    return getattr(spec, "extra", None) is not None


def metric_views(view: str) -> tuple[str, ...]:
    """Landmark metrics scored on a clip filmed from ``view`` (none for oblique)."""
    views = SIDE if view == "side" else FRONT if view == "front" else ()
    return tuple(m.name for m in METRICS if set(m.views) & set(views) and not from_mask(m))


def metric_pairs(run: ClipRun, reference: Reference) -> dict[str, tuple[FloatArray, FloatArray]]:
    """Metric name → (video, ground truth) over the frames where both are finite."""
    ref = truth_metrics(run.truth, reference)
    frames = run.auto.clean.source_frame_index
    ok_rows = (frames >= 0) & (frames < run.truth.n_frames)
    out: dict[str, tuple[FloatArray, FloatArray]] = {}
    for name in metric_views(run.view):
        video = run.auto.metrics[name][ok_rows]
        truth = ref[name][frames[ok_rows]]
        both = np.isfinite(video) & np.isfinite(truth)
        out[name] = (
            np.asarray(video[both], dtype=np.float64),
            np.asarray(truth[both], dtype=np.float64),
        )
    return out


def metric_differences(run: ClipRun, reference: Reference) -> dict[str, FloatArray]:
    """Metric name → video minus ground truth over the frames where both are finite."""
    return {name: video - truth for name, (video, truth) in metric_pairs(run, reference).items()}


@dataclass(frozen=True)
class ErrorStats:
    """Error of a measured value against its reference."""

    n: int
    bias: float
    mae: float
    rmse: float

    @classmethod
    def of(cls, diffs: FloatArray) -> ErrorStats:
        if diffs.size == 0:
            return cls(0, float("nan"), float("nan"), float("nan"))
        return cls(
            int(diffs.size),
            float(np.mean(diffs)),
            float(np.mean(np.abs(diffs))),
            float(np.sqrt(np.mean(diffs**2))),
        )


def metric_errors(runs: Sequence[ClipRun], reference: Reference) -> dict[str, ErrorStats]:
    """Pooled errors per metric over all frames of the clips where it is scored."""
    pooled: dict[str, list[FloatArray]] = {}
    for run in runs:
        for name, diffs in metric_differences(run, reference).items():
            pooled.setdefault(name, []).append(diffs)
    return {name: ErrorStats.of(np.concatenate(parts)) for name, parts in pooled.items()}


# --- faults -------------------------------------------------------------------------------


def truth_rep_of(rep: Rep, truth: GroundTruth) -> int | None:
    """0-based ground-truth rep whose start..end frames hold ``rep``'s bottom (None: none)."""
    for k, gt in enumerate(truth.doc["reps"]):
        if gt["start_frame"] <= rep.bottom_frame <= gt["end_frame"]:
            return k
    return None


def injected(truth: GroundTruth) -> set[tuple[str, int]]:
    """(fault id, 0-based rep) of every injected fault."""
    return {(str(f["fault"]), int(f["rep"])) for f in truth.doc["faults"]}


def finding_key(finding: Finding, analysis: Analysis, truth: GroundTruth) -> tuple[str, int | None]:
    """(fault id, 0-based ground-truth rep or None) of a finding."""
    rep = next((r for r in analysis.reps if r.index == finding.rep), None)
    return finding.fault, None if rep is None else truth_rep_of(rep, truth)


def flagged(
    analysis: Analysis, truth: GroundTruth, severities: Iterable[str]
) -> dict[tuple[str, int | None], Finding]:
    """The findings at one of ``severities``, keyed like :func:`injected`."""
    keep = set(severities)
    out: dict[tuple[str, int | None], Finding] = {}
    for f in analysis.judgement.findings:
        if f.severity in keep:
            out.setdefault(finding_key(f, analysis, truth), f)
    return out


@dataclass
class Counts:
    """True positives, false positives and false negatives of one fault."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else float("nan")

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else float("nan")

    @property
    def f1(self) -> float:
        d = 2 * self.tp + self.fp + self.fn
        return 2 * self.tp / d if d else float("nan")


def fault_counts(
    runs: Sequence[ClipRun], severities: Iterable[str], *, given: bool = False
) -> dict[tuple[str, str], Counts]:
    """(fault id, view) → counts over the clips, from the auto analysis (or ``given``)."""
    levels = tuple(severities)
    out: dict[tuple[str, str], Counts] = {}
    for run in runs:
        truth_keys = injected(run.truth)
        found = flagged(run.given if given else run.auto, run.truth, levels)
        for fault, rep in truth_keys:
            c = out.setdefault((fault, run.view), Counts())
            if (fault, rep) in found:
                c.tp += 1
            else:
                c.fn += 1
        for key in found:
            if key not in truth_keys:
                out.setdefault((key[0], run.view), Counts()).fp += 1
    return out


def truth_judgement(run: ClipRun, reference: Reference) -> Judgement | None:
    """The rules (probe cut-offs) on metrics from the ground-truth pixels, with the reps, view
    and exercise of the video's analysis (exercise given): what the rules would measure with a
    perfect pose model. ``None`` when the video's rows are not its frames one to one."""
    rows = run.given.clean.source_frame_index
    if not np.array_equal(rows, np.arange(run.truth.n_frames)):
        return None
    return judge(
        truth_metrics(run.truth, reference),
        run.given.reps,
        exercise=run.exercise,
        view=run.view,
        frame_index=rows,
        faults=PROBE_FAULTS,
    )


def measured(run: ClipRun, judgement: Judgement | None, fault: str, rep: int | None) -> str:
    """What a probe judgement measured for a fault on a ground-truth rep, or why it could not."""
    if judgement is None:
        return NA
    for f in judgement.findings:
        if finding_key(f, run.given, run.truth) == (fault, rep):
            return f"{f.measured:.3g}"
    for na in judgement.not_assessable:
        if na.fault == fault:
            return "not judged" if "measured" in na.reason or "hidden" in na.reason else NA
    return "no rep"


def measured_cells(run: ClipRun, fault: str, rep: int | None) -> str:
    """'video | truth joints / truth surface | mild cut-off' cells for one fault and rep."""
    truth = " / ".join(measured(run, truth_judgement(run, ref), fault, rep) for ref in REFERENCES)
    cut = FAULT_BY_ID[fault].cutoffs.mild if fault in FAULT_BY_ID else float("nan")
    return f"{measured(run, run.probe.judgement, fault, rep)} | {truth} | {cut:.3g}"


# --- clip-level calls ---------------------------------------------------------------------


def rep_count(analysis: Analysis) -> int:
    """Complete reps found."""
    return sum(r.complete for r in analysis.reps)


def bottom_errors(run: ClipRun) -> list[int]:
    """Per ground-truth rep: found bottom frame minus true bottom frame (nearest found rep)."""
    found = [r for r in run.auto.reps if r.complete]
    if not found:
        return []
    out = []
    for gt in run.truth.doc["reps"]:
        near = min(found, key=lambda r: abs(r.bottom_frame - gt["bottom_frame"]))
        out.append(near.bottom_frame - int(gt["bottom_frame"]))
    return out


# --- markdown -------------------------------------------------------------------------------


def _num(x: float, digits: int = 2) -> str:
    return NA if not np.isfinite(x) else f"{x:.{digits}f}"


def _signed(x: float, digits: int = 2) -> str:
    return NA if not np.isfinite(x) else f"{x:+.{digits}f}"


def _versus(true: object, found: object) -> str:
    """'true / found', with a cross when they differ."""
    return f"{true} / {found}" + ("" if true == found else " ✗")


def _names(runs: Sequence[ClipRun]) -> str:
    return f" ({', '.join(r.name for r in runs)})" if runs else ""


def _pct(ok: int, n: int) -> str:
    return f"{ok}/{n} ({100 * ok / n:.0f}%)" if n else NA


def metrics_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: per metric, errors against both references."""
    stats = {ref: metric_errors(runs, ref) for ref in REFERENCES}
    clips = {name: sum(name in metric_views(r.view) for r in runs) for name in stats["joints"]}
    lines = [
        "| metric | unit | clips | frames | bias vs joint centres | MAE | RMSE "
        "| bias vs surface keypoints | MAE | RMSE |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in METRICS:
        if m.name not in stats["joints"]:
            continue
        j, s = stats["joints"][m.name], stats["surface"][m.name]
        digits = 1 if m.unit in ("deg", "% foot") else 3
        lines.append(
            f"| `{m.name}` | {m.unit} | {clips[m.name]} | {j.n} | {_signed(j.bias, digits)} | "
            f"{_num(j.mae, digits)} | {_num(j.rmse, digits)} | {_signed(s.bias, digits)} | "
            f"{_num(s.mae, digits)} | {_num(s.rmse, digits)} |"
        )
    return lines


def _mask_note() -> list[str]:
    names = [f"`{m.name}`" for m in METRICS if from_mask(m)]
    if not names:
        return []
    return [
        "",
        f"Not in the table: {', '.join(names)}, measured from the person mask's outline, "
        "for which ground-truth pixels give no reference (the rounded-back rows below score "
        "them through the fault they feed).",
    ]


def per_clip_angle_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: knee, hip and trunk MAE per side clip (the issue's ≤ 5° threshold)."""
    names = ("knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg")
    lines = [
        "| clip | " + " | ".join(f"{n} MAE joints / surface" for n in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for run in runs:
        if run.view != "side":
            continue
        diffs = {ref: metric_differences(run, ref) for ref in REFERENCES}
        cells = [
            " / ".join(f"{ErrorStats.of(diffs[ref][n]).mae:.1f}" for ref in REFERENCES)
            for n in names
        ]
        lines.append(f"| {run.name} | " + " | ".join(cells) + " |")
    return lines


#: Bands of the true angle (label, from, below; degrees) for :func:`angle_band_table`.
ANGLE_BANDS = (
    ("< 30°", -np.inf, 30.0),
    ("30-60°", 30.0, 60.0),
    ("60-90°", 60.0, 90.0),
    ("≥ 90°", 90.0, np.inf),
)


def angle_band_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: where the side-view angle error comes from. Per lift and metric, bias and
    MAE against joint centres by band of the true angle, pooled over the side clips."""
    names = ("knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg")
    lines = [
        "| lift | metric | "
        + " | ".join(f"true {label}: bias / MAE (frames)" for label, _, _ in ANGLE_BANDS)
        + " |",
        "|---|---|" + "---:|" * len(ANGLE_BANDS),
    ]
    for lift in sorted({r.exercise for r in runs if r.view == "side"}):
        pairs = [metric_pairs(r, "joints") for r in runs if r.view == "side" and r.exercise == lift]
        for name in names:
            video = np.concatenate([p[name][0] for p in pairs])
            truth = np.concatenate([p[name][1] for p in pairs])
            cells = []
            for _, lo, hi in ANGLE_BANDS:
                band = (truth >= lo) & (truth < hi)
                e = ErrorStats.of(video[band] - truth[band])
                cells.append("-" if e.n == 0 else f"{_signed(e.bias, 1)} / {e.mae:.1f} ({e.n})")
            lines.append(f"| {lift} | `{name}` | " + " | ".join(cells) + " |")
    return lines


def faults_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: precision / recall / F1 per fault and view, at both severity levels."""
    counts = {level: fault_counts(runs, sev) for level, sev in LEVELS.items()}
    keys = sorted(set().union(*counts.values()), key=lambda k: (k[1], k[0]))
    lines = [
        "| fault | view | injected | found / false flags (mild+) | P / R / F1 (mild+) "
        "| found / false flags (moderate+) | P / R / F1 (moderate+) |",
        "|---|---|---:|---:|---|---:|---|",
    ]
    for key in keys:
        cells = []
        for level in LEVELS:
            c = counts[level].get(key, Counts())
            cells += [
                f"{c.tp} / {c.fp}",
                f"{_num(c.precision)} / {_num(c.recall)} / {_num(c.f1)}",
            ]
        n = counts["mild+"].get(key, Counts())
        lines.append(f"| `{key[0]}` | {key[1]} | {n.tp + n.fn} | " + " | ".join(cells) + " |")
    return lines


def _finding_cell(found: Finding | None) -> str:
    return "missed" if found is None else f"{found.severity} ({found.measured:.3g})"


def injected_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: every injected fault, what the rule measured, and what was flagged."""
    lines = [
        "| clip | fault | rep | injected (severity, size) | rule on video "
        "| rule on truth joints / surface | mild cut-off "
        "| flagged (exercise detected) | flagged (exercise given) |",
        "|---|---|---:|---|---:|---:|---:|---|---|",
    ]
    for run in runs:
        auto = flagged(run.auto, run.truth, LEVELS["mild+"])
        given = flagged(run.given, run.truth, LEVELS["mild+"])
        for f in run.truth.doc["faults"]:
            key = (str(f["fault"]), int(f["rep"]))
            size = f"{f['severity']:.2f}, {f['full_severity_value']:.3g} {f['quantity']}"
            lines.append(
                f"| {run.name} | `{key[0]}` | {key[1] + 1} | {size} | "
                f"{measured_cells(run, *key)} | "
                f"{_finding_cell(auto.get(key))} | {_finding_cell(given.get(key))} |"
            )
    return lines


def false_flags_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: every finding (as the app gives them) that matches no injected fault."""
    lines = [
        "| clip | fault | rep | severity | rule on video | rule on truth joints / surface "
        "| mild cut-off |",
        "|---|---|---:|---|---:|---:|---:|",
    ]
    for run in runs:
        truth_keys = injected(run.truth)
        for (fault, rep), f in flagged(run.auto, run.truth, LEVELS["mild+"]).items():
            if (fault, rep) in truth_keys:
                continue
            shown = NA if rep is None else str(rep + 1)
            lines.append(
                f"| {run.name} | `{fault}` | {shown} | {f.severity} | "
                f"{measured_cells(run, fault, rep)} |"
            )
    return lines if len(lines) > 2 else ["None."]


def clips_table(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown: per clip, the clip-level calls, the injected faults and every finding."""
    lines = [
        "| clip | exercise true / found | view true / found | reps true / found "
        "| bottom frame error per rep | injected (rep: fault) | findings (rep: fault severity) |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        a = run.auto
        ex = _versus(run.exercise, a.exercise.name)
        view = _versus(run.view, a.view.name)
        reps = _versus(len(run.truth.doc["reps"]), rep_count(a))
        errs = ", ".join(f"{e:+d}" for e in bottom_errors(run)) or NA
        found = (
            ", ".join(f"{f.rep}: {f.fault} {f.severity}" for f in a.judgement.findings) or "none"
        )
        by_rep = sorted(injected(run.truth), key=lambda k: (k[1], k[0]))
        faults = ", ".join(f"{r + 1}: {f}" for f, r in by_rep) or "none"
        name = run.name + (f" ({run.error})" if run.error else "")
        lines.append(f"| {name} | {ex} | {view} | {reps} | {errs} | {faults} | {found} |")
    return lines


def summary_lines(runs: Sequence[ClipRun]) -> list[str]:
    """Markdown bullets: exercise, view, rep count, clean clips flagged."""
    n = len(runs)
    clean = [r for r in runs if r.clean]
    clean_serious = [r for r in clean if flagged(r.auto, r.truth, SERIOUS)]
    clean_any = [r for r in clean if r.auto.judgement.findings]
    errs = np.abs([e for r in runs for e in bottom_errors(r)])
    faulty = [r for r in runs if not r.clean]
    all_found = [
        r for r in faulty if injected(r.truth) <= set(flagged(r.auto, r.truth, LEVELS["mild+"]))
    ]
    return [
        f"- exercise right: {_pct(sum(r.exercise == r.auto.exercise.name for r in runs), n)}",
        f"- view right: {_pct(sum(r.view == r.auto.view.name for r in runs), n)}",
        f"- rep count exactly right: {_pct(sum(r.reps_right for r in runs), n)}",
        f"- rep bottom frame |error|: median {np.median(errs):.0f}, max {np.max(errs):.0f} frames"
        if errs.size
        else f"- rep bottom frame |error|: {NA}",
        f"- clean clips flagged (a moderate or severe finding): {len(clean_serious)} of "
        f"{len(clean)}{_names(clean_serious)}",
        f"- clean clips with any finding, mild included: {len(clean_any)} of {len(clean)}",
        f"- fault clips where every injected fault was flagged at its rep (mild+): "
        f"{len(all_found)} of {len(faulty)}",
    ]


def truth_report(runs: Sequence[ClipRun], source: str) -> list[str]:
    """The ground-truth half of the report, in markdown."""
    return [
        f"## Rendered clips with exact ground truth ({len(runs)} clips: {source})",
        "",
        *summary_lines(runs),
        "",
        "### Clips",
        "",
        *clips_table(runs),
        "",
        "### Metrics: video vs ground truth",
        "",
        "Error = posturecheck's metric from the video (pose model, cleaned) minus the same "
        "metric computed by `compute_metrics` on the ground-truth pixels. *Joint centres*: "
        "the body model's skeletal joints (anatomical truth); *surface keypoints*: its COCO "
        "surface keypoints (what 2-D pose models are trained to mark). Face, heels and toes "
        "are surface points in both. Side metrics on side clips, front metrics on front clips; "
        "all frames where both are finite.",
        "",
        *metrics_table(runs),
        *_mask_note(),
        "",
        "Knee, hip and trunk per side clip (MAE in degrees, vs joint centres / vs surface "
        "keypoints; issue 3 asks ≤ 5°):",
        "",
        *per_clip_angle_table(runs),
        "",
        "Where that error comes from: bias and MAE against joint centres by band of the true "
        "angle, pooled per lift over the side clips. In the squats the model's hip point sits "
        "ahead of the hip joint, more so as the hip flexes, so hip flexion and trunk lean read "
        "low, and the knee is under-read at depth. In the deadlifts the plates hide the knees "
        "(and, at lockout, the hips, with the hands and bar in front of them): as the bar "
        "passes the knees the model draws the legs straighter than they are, and the standing "
        "hip reads extended. The errors are in where the model puts the points, not in timing: "
        "shifting the video's angles by 1-3 frames against the truth does not lower them.",
        "",
        *angle_band_table(runs),
        "",
        "### Faults: injected vs flagged",
        "",
        "A finding is a hit when its fault and its rep match an injected fault; any other "
        "finding is a false flag. Findings as the app gives them (exercise detected).",
        "",
        *faults_table(runs),
        "",
        "Every injected fault (rep 1-based). *Rule on video*: the rule's value on that rep "
        "(exercise given), to compare with the mild cut-off. *Rule on truth*: the same rule, "
        "reps and view on metrics from the ground-truth pixels (what a perfect pose model "
        "would give; mask-based metrics have no pixel truth: not judged).",
        "",
        *injected_table(runs),
        "",
        "Every false flag, with what the same rule measures on the ground-truth pixels (a "
        "perfect pose model): a value past the cut-off there means the rule's definition, "
        "not the pose model, raises the flag.",
        "",
        *false_flags_table(runs),
    ]


# --- rendering extra clips ------------------------------------------------------------------


def random_scenarios(n: int, seed: int = 1000) -> list[Scenario]:
    """``n`` seeded scenarios: random lift, view, body, clothing, camera, and faults a camera
    in that view can see (a third clean), at severities 0.6-1.0."""
    out: list[Scenario] = []
    for i in range(n):
        rng = np.random.default_rng(seed + i)
        exercise = str(rng.choice(["squat", "deadlift"]))
        view = str(rng.choice(["side", "side", "front", "oblique"]))
        visible = [
            name
            for name in FaultName
            if name.value in FAULT_BY_ID
            and exercise in FAULT_BY_ID[name.value].exercises
            and view in FAULT_BY_ID[name.value].views
        ]
        faults: list[Fault] = []
        if visible and rng.random() > 1 / 3:
            k = min(len(visible), int(rng.integers(1, 3)))
            for name in rng.choice(np.array(visible, dtype=object), size=k, replace=False):
                reps = None if rng.random() < 0.5 else (int(rng.integers(0, 2)),)
                faults.append(Fault(FaultName(name), float(rng.uniform(0.6, 1.0)), reps=reps))

        out.append(
            Scenario(
                name=f"render_{seed + i}_{exercise}_{view}",
                exercise=exercise,  # type: ignore[arg-type]
                camera=CameraSpec(
                    view=view,  # type: ignore[arg-type]
                    side=str(rng.choice(["left", "right"])),  # type: ignore[arg-type]
                    distance_m=float(rng.uniform(2.8, 3.4)),
                    height_m=float(rng.uniform(0.75, 1.1)),
                ),
                body=BodySpec(*(float(x) for x in rng.uniform(0.25, 0.85, 6))),
                clothing=Clothing(
                    shirt=_colour(rng),
                    shorts=_colour(rng),
                    shoes=_colour(rng),
                    skin=_blend(SKIN_TONES, float(rng.random())),
                    hair=_blend(HAIR_TONES, float(rng.random())),
                ),
                barbell=SMALL_PLATES if exercise == "squat" else BarbellSpec(),
                faults=tuple(faults),
                seed=seed + i,
            )
        )
    return out


#: Light to dark (linear RGB), as in the presets; a random clip blends two neighbours.
SKIN_TONES = ((0.9, 0.72, 0.6), (0.8, 0.58, 0.45), (0.55, 0.38, 0.28), (0.35, 0.22, 0.15))
HAIR_TONES = ((0.6, 0.48, 0.25), (0.45, 0.3, 0.12), (0.15, 0.1, 0.06), (0.03, 0.03, 0.03))


def _colour(rng: np.random.Generator) -> tuple[float, float, float]:
    r, g, b = (float(c) for c in rng.uniform(0.05, 0.9, 3))
    return r, g, b


def _blend(tones: tuple[tuple[float, float, float], ...], x: float) -> tuple[float, float, float]:
    """A colour along the ``tones`` ramp at ``x`` in [0, 1]."""
    pos = x * (len(tones) - 1)
    i = min(int(pos), len(tones) - 2)
    f = pos - i
    r, g, b = (a + f * (b - a) for a, b in zip(tones[i], tones[i + 1], strict=True))
    return r, g, b


def render_clips(n: int, out_dir: Path, seed: int) -> list[Path]:
    """Render ``n`` random seeded clips into ``out_dir``; returns their ground-truth paths."""
    os.environ.setdefault("PYOPENGL_PLATFORM", "egl")
    from posturecheck.synth.generate import generate

    paths = []
    for scn in random_scenarios(n, seed):
        started = time.perf_counter()
        _, truth = generate(scn, out_dir)
        _log(f"rendered {scn.name} in {time.perf_counter() - started:.0f} s")
        paths.append(truth)
    return paths


# --- real clips -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RealSummary:
    """(right, total) per figure on the usable real clips."""

    exercise: tuple[int, int]
    view: tuple[int, int]
    reps: tuple[int, int]
    good: tuple[int, int]
    bad: tuple[int, int]


def _tally(flags: Sequence[bool]) -> tuple[int, int]:
    return sum(flags), len(flags)


def realdata_report(
    realdata: Path, cache: Path | None, variant: str = DEFAULT_VARIANT
) -> tuple[list[str], RealSummary | None]:
    """The reports of ``realdata_eval.py`` and ``findings_eval.py`` on the usable real clips.

    Landmarks are read from ``cache`` (``<stem>/landmarks.npz``), and those missing are
    computed with the real model and written there (a temporary folder without ``cache``),
    so the model runs once per clip for both reports.
    """
    import findings_eval
    import realdata_eval

    ann = realdata / "annotations.json"
    if not ann.is_file():
        return [f"_No real clips: {ann} not found._"], None
    clips = [c for c in json.loads(ann.read_text()) if c["usable_for_eval"]["usable"] == "yes"]
    with contextlib.ExitStack() as stack:
        if cache is None:
            cache = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="realdata-")))
        results = []
        for i, clip in enumerate(clips, 1):
            stem = Path(clip["file"]).stem
            started = time.perf_counter()
            seq = realdata_eval.load_or_analyse(stem, realdata / clip["file"], cache, True, variant)
            _log(f"real clip {i}/{len(clips)} {stem}: {time.perf_counter() - started:.0f} s")
            assert seq is not None
            results.append(realdata_eval.evaluate(clip, seq))
        detection = realdata_eval.report(results, show_all=False)
        findings = findings_eval.score(realdata, cache)
    used = [r for r in results if r.usable]
    summary = RealSummary(
        exercise=_tally([r.exercise_true == r.exercise_pred for r in used]),
        view=_tally([bool(r.view_ok) for r in used if r.view_ok is not None]),
        reps=_tally([r.reps_true == r.reps_pred for r in used]),
        good=findings.good,
        bad=findings.bad,
    )
    return [
        f"## Real clips ({realdata.name}: {len(clips)} usable clips, hand labels)",
        "",
        "Exercise, view and reps against the annotations (`benchmarks/realdata_eval.py`; "
        "issue 4 asks exercise ≥ 95%, view ≥ 90%, exact rep count ≥ 90%):",
        "",
        "```",
        detection,
        "```",
        "",
        "Findings against the sources' good/bad labels (`benchmarks/findings_eval.py`; issue 5 "
        "asks ≥ 80% for both):",
        "",
        findings.text(),
    ], summary


# --- the README's summary table -------------------------------------------------------------


def _frac(ok_n: tuple[int, int]) -> str:
    ok, n = ok_n
    return f"{ok}/{n}" if n else NA


def readme_table(runs: Sequence[ClipRun], real: RealSummary | None, details: str) -> list[str]:
    """The headline figures: rendered clips (exact truth) beside the real clips (hand labels)."""
    clean = [r for r in runs if r.clean]
    hits = [
        key in flagged(r.auto, r.truth, LEVELS["mild+"])
        for r in runs
        for key in sorted(injected(r.truth), key=str)
    ]
    side = [r for r in runs if r.view == "side"]
    angles = metric_errors(side, "joints")
    surface = metric_errors(side, "surface")

    def mae(name: str) -> str:
        return f"{angles[name].mae:.1f}° / {surface[name].mae:.1f}°" if name in angles else NA

    def real_cell(name: str) -> str:
        return _frac(getattr(real, name)) if real is not None else NA

    rows = [
        ("exercise right", _tally([r.exercise == r.auto.exercise.name for r in runs]), "exercise"),
        ("view right", _tally([r.view == r.auto.view.name for r in runs]), "view"),
        ("rep count exactly right", _tally([r.reps_right for r in runs]), "reps"),
        (
            "clean (rendered) / good (real) clips with no moderate or severe flag",
            _tally([not flagged(r.auto, r.truth, SERIOUS) for r in clean]),
            "good",
        ),
        (
            "injected faults flagged at their rep (rendered) / bad clips flagged (real)",
            _tally(hits),
            "bad",
        ),
    ]
    return [
        README_START,
        "",
        f"| | rendered clips, exact truth ({len(runs)}) | real development clips, hand labels |",
        "|---|---:|---:|",
        *(f"| {label} | {_frac(ours)} | {real_cell(name)} |" for label, ours, name in rows),
        f"| side view MAE vs joint centres / surface keypoints: knee | "
        f"{mae('knee_flexion_deg')} | n/a |",
        f"| hip | {mae('hip_flexion_deg')} | n/a |",
        f"| trunk lean | {mae('trunk_lean_deg')} | n/a |",
        "",
        f"Written by `benchmarks/accuracy.py` on {dt.date.today().isoformat()} (revision "
        f"`{_git_revision()}`); every table behind these figures is in [{details}]({details}).",
        "",
        README_END,
    ]


def update_readme(path: Path, table: Sequence[str]) -> None:
    """Replace the lines between the table's markers in ``path`` (which must hold them)."""
    text = path.read_text(encoding="utf-8")
    start, end = text.find(README_START), text.find(README_END)
    if start < 0 or end < start:
        raise SystemExit(f"{path}: no '{README_START}' ... '{README_END}' block to update")
    new = text[:start] + "\n".join(table) + text[end + len(README_END) :]
    path.write_text(new, encoding="utf-8")


# --- main -----------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return rev


def run_truth_set(paths: Sequence[Path], model_path: Path | None = None) -> list[ClipRun]:
    """The pipeline on every ground-truth clip (outputs in a temporary folder)."""
    runs = []
    with tempfile.TemporaryDirectory(prefix="accuracy-") as tmp:
        for path in paths:
            started = time.perf_counter()
            runs.append(run_clip(path, Path(tmp), model_path))
            _log(f"analysed {path.stem} in {time.perf_counter() - started:.1f} s")
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--truth", type=Path, default=DEFAULT_TRUTH, help="folder of NAME.json")
    parser.add_argument("--render", type=int, default=0, metavar="N", help="render N more clips")
    parser.add_argument("--render-seed", type=int, default=1000, help="seed of the first one")
    parser.add_argument("--render-dir", type=Path, default=None, help="keep rendered clips here")
    parser.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    parser.add_argument(
        "--realdata-cache", type=Path, default=None, help="folder of <stem>/landmarks.npz"
    )
    parser.add_argument("--no-realdata", action="store_true", help="skip the real clips")
    parser.add_argument(
        "--model-variant", choices=VARIANTS, default=DEFAULT_VARIANT, help="pose model"
    )
    parser.add_argument("--out", type=Path, default=None, help="markdown copy ('-': none)")
    parser.add_argument(
        "--readme",
        type=Path,
        default=None,
        help="README with the summary table ('-': none; default: README.md for the full model)",
    )
    args = parser.parse_args(argv)
    variant = args.model_variant
    if args.out is None:
        stem = "accuracy" if variant == DEFAULT_VARIANT else f"accuracy-{variant}"
        args.out = DEFAULT_OUT.with_stem(stem)
    if args.readme is None:
        args.readme = README if variant == DEFAULT_VARIANT else Path("-")

    started = time.perf_counter()
    paths = sorted(args.truth.glob("*.json"))
    source = f"`{_rel(args.truth)}/`"
    with contextlib.ExitStack() as stack:
        if args.render:
            render_dir = args.render_dir or Path(
                stack.enter_context(tempfile.TemporaryDirectory(prefix="render-"))
            )
            paths += render_clips(args.render, render_dir, args.render_seed)
            source += f" + {args.render} rendered (seeds {args.render_seed}…)"
        from posturecheck.models import ensure_model

        runs = run_truth_set(paths, ensure_model(variant))
    lines = [
        "# Accuracy",
        "",
        f"Command: `{_command(argv)}` · {dt.date.today().isoformat()} · "
        f"revision `{_git_revision()}` · pose model MediaPipe `{variant}`",
        "",
        *truth_report(runs, source),
    ]
    real: RealSummary | None = None
    if not args.no_realdata:
        cache = args.realdata_cache
        if cache is not None:
            cache.mkdir(parents=True, exist_ok=True)
        real_lines, real = realdata_report(args.realdata, cache, variant)
        lines += ["", *real_lines]
    lines += ["", f"_Took {time.perf_counter() - started:.0f} s._"]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if str(args.out) != "-":
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        _log(f"wrote {args.out}")
    if str(args.readme) != "-":
        update_readme(args.readme, readme_table(runs, real, _rel(args.out)))
        _log(f"updated the table in {args.readme}")
    return 0


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(REPO))
    except ValueError:
        return str(path)


def _command(argv: list[str] | None) -> str:
    args = sys.argv[1:] if argv is None else argv
    return " ".join([".venv/bin/python benchmarks/accuracy.py", *args])


if __name__ == "__main__":
    raise SystemExit(main())
