"""Fault rules: per rep and phase, which compensations happened, how badly, and when.

Each row of :data:`posturecheck.faults.FAULTS` is judged on every rep: the fault's metric
over the fault's phase, minus its baseline, turned so that larger is worse; the worst value
held for the minimum duration (or the best value reached, for goals such as depth) is
compared with the mild / moderate / severe cut-offs. What cannot be judged — wrong view,
wrong exercise, landmarks hidden in a rep, no standing frames for a baseline — goes to
``not_assessable`` with the reason, never to a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from posturecheck.defaults import DEFAULTS, CoachingDefaults
from posturecheck.faults import FAULTS, FaultSpec, Phase, Severity
from posturecheck.metrics import MetricSeries
from posturecheck.reps import Rep
from posturecheck.sequence import FloatArray

SEVERITY_NAMES = ("mild", "moderate", "severe")


@dataclass(frozen=True)
class Finding:
    """One fault in one rep (``report.json``'s ``findings`` item)."""

    fault: str
    severity: str
    rep: int
    start_s: float
    end_s: float
    worst_s: float
    worst_frame: int
    measured: float
    threshold: float
    unit: str
    fix: str
    cue: str
    area: str
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "fault": self.fault,
            "severity": self.severity,
            "rep": self.rep,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "worst_s": round(self.worst_s, 3),
            "worst_frame": self.worst_frame,
            "measured": round(self.measured, 3),
            "threshold": self.threshold,
            "unit": self.unit,
            "fix": self.fix,
            "cue": self.cue,
            "area": self.area,
            "confidence": round(self.confidence, 2),
        }


@dataclass(frozen=True)
class NotAssessable:
    """A fault that could not be judged, and why (``reps`` empty = the whole clip)."""

    fault: str
    reason: str
    reps: tuple[int, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, object]:
        return {"fault": self.fault, "reason": self.reason, "reps": list(self.reps)}


@dataclass(frozen=True)
class Judgement:
    findings: tuple[Finding, ...]
    not_assessable: tuple[NotAssessable, ...]
    baselines: Mapping[str, float]


def severity_of(value: float, cutoffs: Severity) -> str | None:
    """The severity a measured value reaches (``None`` below the mild cut-off)."""
    if not np.isfinite(value):
        return None
    for name, cut in zip(
        reversed(SEVERITY_NAMES), (cutoffs.severe, cutoffs.moderate, cutoffs.mild), strict=True
    ):
        if value >= cut:
            return name
    return None


def _frames(seconds: float, dt: float) -> int:
    return max(1, round(seconds / dt))


def phase_rows(
    rep: Rep, phase: Phase, n: int, dt: float, settings: CoachingDefaults
) -> tuple[int, int] | None:
    """Rows [lo, hi) of a rep's phase, or ``None`` when that part is not in the clip."""
    first, last = rep.bottom_region
    if phase == "rep":
        lo = rep.start if rep.start is not None else first
        hi = rep.end if rep.end is not None else last
    elif phase == "descent":
        if rep.start is None:
            return None
        lo, hi = rep.start, rep.bottom
    elif phase == "bottom":
        pad = _frames(settings.bottom_pad_s, dt)
        lo, hi = first - pad, last + pad
    elif phase in ("ascent", "pull"):
        if rep.end is None:
            return None
        lo, hi = rep.bottom, rep.end
    elif phase == "liftoff":
        if rep.end is None:
            return None
        lo = rep.bottom - _frames(settings.setup_window_s, dt)
        if rep.start is not None:
            lo = max(lo, rep.start)
        hi = rep.bottom + max(2, (rep.end - rep.bottom) // 2)
    elif phase == "pull_early":
        if rep.end is None:
            return None
        lo, hi = rep.bottom, rep.bottom + max(2, (rep.end - rep.bottom) // 2)
    elif phase == "setup":
        lo = rep.bottom - _frames(settings.setup_window_s, dt)
        if rep.start is not None:
            lo = max(lo, rep.start)
        hi = rep.bottom
    else:  # lockout
        if rep.end is None:
            return None
        lo = rep.end - _frames(settings.lockout_before_s, dt)
        hi = rep.end + _frames(settings.lockout_after_s, dt)
    lo, hi = max(0, lo), min(n, hi + 1)
    return (lo, hi) if hi > lo else None


def standing_rows(
    metrics: MetricSeries,
    reps: Sequence[Rep],
    *,
    exercise: str,
    view: str,
    settings: CoachingDefaults,
) -> np.ndarray:
    """Frames where the lifter stands tall: the lifter's own baseline.

    Outside the reps, plus the top of each rep (a squat starts and ends standing; a
    deadlift ends standing, at lockout). From the side, knee and hip angles must also be
    nearly straight; from other views those angles are not measurable, so timing decides.
    For a deadlift the frames before the first pull (walking up, looking down at the bar)
    are left out when the lockouts give enough standing: mixing the two made the baseline
    swing with where a rep's end was placed.
    """
    n = len(metrics)
    pad = _frames(settings.bottom_pad_s, _dt(metrics.time_s))
    candidate = np.ones(n, dtype=bool)
    for rep in reps:
        lo = 0 if rep.start is None else rep.start
        hi = n - 1 if rep.end is None else rep.end
        keep_start = exercise == "squat" and rep.start is not None
        candidate[lo + (pad if keep_start else 0) : max(lo, hi - pad) + 1] = False
    if view != "side":
        return _from_lockout(candidate, reps, exercise, metrics, settings)
    knee = metrics.values.get("knee_flexion_deg")
    hip = metrics.values.get("hip_flexion_deg")
    if knee is None or hip is None:
        return np.zeros(n, dtype=bool)
    with np.errstate(invalid="ignore"):
        straight = (knee <= settings.standing_knee_max_deg) & (hip <= settings.standing_hip_max_deg)
    return _from_lockout(np.asarray(candidate & straight), reps, exercise, metrics, settings)


def _from_lockout(
    standing: np.ndarray,
    reps: Sequence[Rep],
    exercise: str,
    metrics: MetricSeries,
    settings: CoachingDefaults,
) -> np.ndarray:
    """A deadlift's ``standing`` frames from its first pull on, if they are enough."""
    starts = [rep.start for rep in reps if rep.start is not None]
    if exercise != "deadlift" or not starts:
        return standing
    after = standing.copy()
    after[: min(starts)] = False
    enough = after.sum() * _dt(metrics.time_s) >= settings.min_standing_s
    return after if enough else standing


def baselines(
    metrics: MetricSeries,
    faults: Iterable[FaultSpec],
    standing: np.ndarray,
    settings: CoachingDefaults,
) -> dict[str, float]:
    """The lifter's own standing value of every metric a fault compares against."""
    dt = _dt(metrics.time_s)
    out: dict[str, float] = {}
    for fault in faults:
        if fault.baseline != "standing" or fault.metric in out:
            continue
        values = metrics[fault.metric][standing]
        values = values[np.isfinite(values)]
        enough = values.size * dt >= settings.min_standing_s
        out[fault.metric] = float(np.median(values)) if enough else float("nan")
    return out


def _dt(time_s: FloatArray) -> float:
    return float(np.median(np.diff(time_s))) if time_s.size > 1 else 1.0 / 30.0


def _held(y: FloatArray, k: int) -> FloatArray:
    """For each window of ``k`` frames, the least-bad value in it (NaN if any is NaN)."""
    if y.size < k:
        return np.full(1, np.nanmin(y) if np.isfinite(y).all() else np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(y, k)
    return np.asarray(windows.min(axis=1), dtype=np.float64)


def _measure(fault: FaultSpec, values: FloatArray, base: float) -> FloatArray:
    delta = values - base
    if fault.direction == "up":
        return delta
    if fault.direction == "down":
        return -delta
    return np.abs(delta)


@dataclass(frozen=True)
class _Context:
    metrics: MetricSeries
    frame_index: np.ndarray
    dt: float
    settings: CoachingDefaults


def _judge_rep(fault: FaultSpec, rep: Rep, base: float, ctx: _Context) -> Finding | str | None:
    """A finding, a reason it cannot be judged in this rep (str), or ``None`` (fine)."""
    rows = phase_rows(rep, fault.phase, len(ctx.metrics), ctx.dt, ctx.settings)
    if rows is None:
        return f"rep {rep.index} is only partly in the video (judged on whole reps)"
    lo, hi = rows
    confidence = ctx.metrics.confidence[fault.metric][lo:hi]
    values = np.where(confidence >= fault.min_confidence, ctx.metrics[fault.metric][lo:hi], np.nan)
    valid = np.isfinite(values)
    if fault.measure == "typical":
        if valid.sum() < ctx.settings.min_typical_frames:
            return f"it could not be measured for long enough in rep {rep.index}"
    elif valid.mean() < ctx.settings.min_valid_share:
        return f"the points it needs were hidden or out of view in rep {rep.index}"
    if fault.min_setup_value is not None:
        setup = values[: max(1, rep.bottom - lo + 1)]
        setup = setup[np.isfinite(setup)]
        if setup.size and float(np.median(setup)) < fault.min_setup_value:
            return (
                f"the landmarks do not fit the set-up of rep {rep.index} ({fault.metric} "
                f"{float(np.median(setup)):.0f}, below {fault.min_setup_value:g}): a joint was "
                "probably placed on the bar or the plates"
            )
    if fault.baseline == "phase_start":
        base = float(values[valid][0])
    y = _measure(fault, values, base)
    if fault.measure == "rise":  # above its own lowest value so far in the phase
        y = y - np.fmin.accumulate(np.where(np.isfinite(y), y, np.inf))
    if fault.measure == "best":
        score = float(np.nanmin(y))
        worst = int(np.nanargmin(y))
    elif fault.measure == "typical":
        score = float(np.nanmedian(y))
        worst = int(np.nanargmin(np.abs(y - score)))
    else:
        k = min(_frames(ctx.settings.min_duration_s, ctx.dt), int(valid.sum()))
        held = _held(np.where(valid, y, np.nan), max(1, k))
        if not np.isfinite(held).any():
            return f"rep {rep.index} was not measured for long enough"
        start = int(np.nanargmax(held))
        score = float(held[start])
        worst = start + int(np.nanargmax(y[start : start + max(1, k)]))
    severity = severity_of(score, fault.cutoffs)
    if severity is None:
        return None
    span = _span(y, worst, fault.cutoffs.mild)
    t = ctx.metrics.time_s
    return Finding(
        fault=fault.id,
        severity=severity,
        rep=rep.index,
        start_s=float(t[lo + span[0]]),
        end_s=float(t[lo + span[1]]),
        worst_s=float(t[lo + worst]),
        worst_frame=int(ctx.frame_index[lo + worst]),
        measured=score,
        threshold=float(getattr(fault.cutoffs, severity)),
        unit=fault.unit,
        fix=fault.fix,
        cue=fault.cue,
        area=str(fault.area),
        confidence=float(np.nanmean(confidence[valid])) if valid.any() else 0.0,
    )


def _span(y: FloatArray, worst: int, cut: float) -> tuple[int, int]:
    """The run of frames around ``worst`` at or past the mild cut-off."""
    bad = np.nan_to_num(y, nan=-np.inf) >= cut
    lo = hi = worst
    while lo > 0 and bad[lo - 1]:
        lo -= 1
    while hi < y.size - 1 and bad[hi + 1]:
        hi += 1
    return lo, hi


def _rep_list(reps: Sequence[int]) -> str:
    return ", ".join(str(r) for r in reps)


def judge(
    metrics: MetricSeries,
    reps: Sequence[Rep],
    *,
    exercise: str,
    view: str,
    rep_views: Mapping[int, str] | None = None,
    frame_index: np.ndarray | None = None,
    faults: Sequence[FaultSpec] = FAULTS,
    settings: CoachingDefaults = DEFAULTS.coaching,
    hint: str | None = None,
) -> Judgement:
    """Judge every fault on every rep; say what cannot be judged and why.

    ``view`` is the clip's view; ``rep_views`` (rep index → view) overrides it per rep for
    edited clips that change camera. ``hint`` (e.g. "the legs are out of the frame") is
    added to the reasons when nothing could be judged at all.
    """
    extra = f"; {hint}" if hint else ""
    findings: list[Finding] = []
    unjudged: list[NotAssessable] = []
    frames = frame_index if frame_index is not None else np.arange(len(metrics))
    ctx = _Context(metrics, frames, _dt(metrics.time_s), settings)
    if exercise not in ("squat", "deadlift"):
        reason = (
            "the exercise was not recognised as a squat or a deadlift; choose it with "
            f"--exercise (or in the app) and analyse again{extra}"
        )
        return Judgement((), tuple(NotAssessable(f.id, reason) for f in faults), {})
    relevant = [f for f in faults if exercise in f.exercises]
    views = rep_views or {}
    standing = standing_rows(metrics, reps, exercise=exercise, view=view, settings=settings)
    bases = baselines(metrics, relevant, standing, settings)
    for fault in relevant:
        seen = {views.get(rep.index, view) for rep in reps} or {view}
        if not seen & fault.views:
            unjudged.append(NotAssessable(fault.id, _view_reason(fault, _one_view(seen))))
            continue
        if not reps:
            unjudged.append(
                NotAssessable(fault.id, f"no complete rep was found in the video{extra}")
            )
            continue
        base = bases.get(fault.metric, 0.0) if fault.baseline == "standing" else 0.0
        if not np.isfinite(base):
            unjudged.append(
                NotAssessable(
                    fault.id,
                    "it is judged against how you stand, and the video shows no standing "
                    "frames; start filming while standing tall",
                )
            )
            continue
        reasons: dict[str, list[int]] = {}
        for rep in reps:
            rep_view = views.get(rep.index, view)
            outcome = (
                _judge_rep(fault, rep, base, ctx)
                if rep_view in fault.views
                else _view_reason(fault, rep_view)
            )
            if isinstance(outcome, Finding):
                findings.append(outcome)
            elif isinstance(outcome, str):
                key = outcome.replace(f"rep {rep.index}", "reps {}")
                reasons.setdefault(key, []).append(rep.index)
        for template, rep_ids in reasons.items():
            word = "rep" if len(rep_ids) == 1 else "reps"
            text = template.replace("reps {}", f"{word} {_rep_list(rep_ids)}")
            covers_all = len(rep_ids) == len(reps)
            unjudged.append(NotAssessable(fault.id, text, () if covers_all else tuple(rep_ids)))
    findings.sort(key=lambda f: (f.rep, f.start_s, f.fault))
    return Judgement(tuple(findings), tuple(unjudged), bases)


def _one_view(views: set[str]) -> str:
    return next(iter(views)) if len(views) == 1 else "several angles, none of them right"


_SEEN_FROM = {
    "unknown": "the camera angle could not be worked out",
    "oblique": "this video is filmed at an angle (oblique)",
    "several angles, none of them right": "this video is filmed from other angles",
}


def _view_reason(fault: FaultSpec, view: str) -> str:
    need = "a side view" if "side" in fault.views else "a front (or back) view"
    seen = _SEEN_FROM.get(view, f"this video is filmed from the {view}")
    return f"{fault.title.lower()} needs {need}; {seen}"
