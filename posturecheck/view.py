"""Camera view (side / front / oblique / back) and facing direction, per clip and per stretch.

The main cue is the lifter's **yaw**: the direction of the right→left shoulder and hip lines
in MediaPipe's world landmarks, seen from above (x to the image right, z away from the
camera). 0° = facing the camera (left shoulder on the image right, both at one depth),
±90° = side on (+90 = facing image right: the right shoulder is nearer), 180° = back to the
camera. Yaw is averaged over shoulders and hips and over ``smooth_s`` (on the unit circle,
so ±180° do not cancel), then cut into bands. Two cross-checks lower the confidence where
they disagree: the image width of shoulders and hips ÷ trunk length (near 0 side on, large
face on), and toe vs heel for the facing direction.

Edited clips that change camera get one segment per stretch; the clip's view is the one
seen longest. :func:`metric_supported` says whether a metric of
:data:`posturecheck.metrics.METRICS` can be measured from a view.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, ViewDefaults
from posturecheck.landmarks import Landmark
from posturecheck.metrics import METRIC_BY_NAME, MetricSpec
from posturecheck.sequence import PoseSequence
from posturecheck.sides import facing_score, moving_mean
from posturecheck.signal import sequence_confidence, true_runs

FloatArray = npt.NDArray[np.float64]
ViewName = Literal["side", "front", "oblique", "back", "unknown"]
Facing = Literal["left", "right"]

L = Landmark
VIEW_NAMES: tuple[ViewName, ...] = ("side", "front", "oblique", "back", "unknown")
_PAIRS = ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))


@dataclass(frozen=True)
class ViewSegment:
    """One stretch of frames seen from one view. Rows are ``[start, stop)`` of the sequence."""

    start: int
    stop: int
    start_s: float
    end_s: float
    name: ViewName
    facing: Facing | None
    confidence: float

    def as_dict(self) -> dict[str, object]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "name": self.name,
            "facing": self.facing,
            "confidence": round(self.confidence, 3),
        }


@dataclass(frozen=True)
class ViewResult:
    """The view of a clip.

    Attributes:
        name: the view seen longest ("unknown" when no frame could be told).
        facing: which way the lifter faces on screen in a side or oblique view, else None.
        confidence: 0..1, share of frames agreeing times how clearly they agree.
        segments: stretches of one view, in time order (several for edited clips).
        yaw_deg: (T,) smoothed yaw per frame (NaN where not measurable).
        turn_deg: (T,) how far the lifter is turned from the camera axis, 0..90°.
        per_frame: (T,) view name per frame.
    """

    name: ViewName
    facing: Facing | None
    confidence: float
    segments: tuple[ViewSegment, ...]
    yaw_deg: FloatArray
    turn_deg: FloatArray
    per_frame: npt.NDArray[np.str_]

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            raise ValueError(f"confidence must be in [0, 1], got {self.confidence}")
        if self.yaw_deg.shape != self.per_frame.shape:
            raise ValueError(
                f"yaw_deg {self.yaw_deg.shape} and per_frame {self.per_frame.shape} must match"
            )

    @property
    def mixed(self) -> bool:
        """True when the clip shows more than one view (an edited clip)."""
        return len({s.name for s in self.segments if s.name != "unknown"}) > 1

    def at(self, row: int) -> ViewSegment | None:
        """The segment holding sequence row ``row``."""
        for seg in self.segments:
            if seg.start <= row < seg.stop:
                return seg
        return None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "facing": self.facing,
            "confidence": round(self.confidence, 3),
            "segments": [s.as_dict() for s in self.segments],
        }


def body_yaw(seq: PoseSequence, settings: ViewDefaults = DEFAULTS.view) -> FloatArray:
    """(T,) lifter yaw in degrees (-180, 180] from world shoulders and hips, smoothed."""
    conf = sequence_confidence(seq)
    cx = np.zeros(len(seq))
    sx = np.zeros(len(seq))
    for left, right in _PAIRS:
        d = seq.world_m[:, int(left)] - seq.world_m[:, int(right)]
        length = np.hypot(d[:, 0], d[:, 2])
        w = np.minimum(conf[:, int(left)], conf[:, int(right)])
        ok = np.isfinite(length) & (length > 0) & (w >= settings.min_point_confidence)
        safe = np.where(ok, length, 1.0)
        cx += np.where(ok, d[:, 0] / safe, 0.0)
        sx += np.where(ok, d[:, 2] / safe, 0.0)
    seen = (cx != 0) | (sx != 0)
    cx = moving_mean(seq.time_s, np.where(seen, cx, np.nan), settings.smooth_s)
    sx = moving_mean(seq.time_s, np.where(seen, sx, np.nan), settings.smooth_s)
    return np.asarray(np.degrees(np.arctan2(sx, cx)), dtype=np.float64)


def image_width_ratio(seq: PoseSequence) -> FloatArray:
    """(T,) mean image x-width of shoulders and hips ÷ 2D trunk length (≈0 side on)."""
    xy = seq.image_px[:, :, :2]
    mid_sh = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    mid_hip = (xy[:, L.LEFT_HIP] + xy[:, L.RIGHT_HIP]) / 2
    trunk = np.linalg.norm(mid_sh - mid_hip, axis=1)
    width = (
        np.abs(xy[:, L.LEFT_SHOULDER, 0] - xy[:, L.RIGHT_SHOULDER, 0])
        + np.abs(xy[:, L.LEFT_HIP, 0] - xy[:, L.RIGHT_HIP, 0])
    ) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(np.where(trunk > 0, width / trunk, np.nan), dtype=np.float64)


def turn_deg(
    yaw_deg: FloatArray, width: FloatArray, settings: ViewDefaults = DEFAULTS.view
) -> FloatArray:
    """(T,) how far the lifter is turned from the camera axis, 0..90° (90 = side on).

    Mean of the world-yaw estimate and the image-width estimate
    (``arccos(width / frontal_width)``); either alone where the other is missing.
    """
    world = 90.0 - np.abs(np.abs(yaw_deg) - 90.0)
    ratio = np.clip(width / settings.frontal_width, 0.0, 1.0)
    image = np.degrees(np.arccos(ratio))
    both = np.stack([world, image])
    count = np.isfinite(both).sum(axis=0)
    total = np.nansum(both, axis=0)
    return np.asarray(np.where(count > 0, total / np.maximum(count, 1), np.nan), dtype=np.float64)


def view_of(
    turn: npt.ArrayLike, yaw_deg: npt.ArrayLike, settings: ViewDefaults = DEFAULTS.view
) -> npt.NDArray[np.str_]:
    """View per frame from the turn (front/oblique/side) and the yaw's hemisphere (front
    vs back: |yaw| > 90° means the lifter's back is to the camera). NaN → "unknown"."""
    t = np.asarray(turn, dtype=np.float64)
    yaw = np.asarray(yaw_deg, dtype=np.float64)
    out = np.full(t.shape, "unknown", dtype="<U8")
    ok = np.isfinite(t)
    out[ok] = "oblique"
    facing_away = np.isfinite(yaw) & (np.abs(yaw) > 90.0)
    frontal = ok & (t < settings.front_max_deg)
    out[frontal] = "front"
    out[frontal & facing_away] = "back"
    out[ok & (t >= settings.side_min_deg)] = "side"
    return out


def _certainty(turn: FloatArray, s: ViewDefaults) -> FloatArray:
    """Per frame 0.5..1 from the turn's distance to the nearest band edge (10° = sure)."""
    edges = np.array([s.front_max_deg, s.side_min_deg])
    margin = np.min(np.abs(turn[:, None] - edges[None, :]), axis=1)
    return np.asarray(0.5 + 0.5 * np.clip(np.nan_to_num(margin) / 10.0, 0.0, 1.0))


def _merge_short(names: npt.NDArray[np.str_], min_len: int) -> npt.NDArray[np.str_]:
    """Merge runs shorter than ``min_len`` frames into a neighbour, shortest first.

    A short run joins its longer neighbour, preferring one with a known view; frames with no
    view ("unknown") take the view of a known run they join, so a brief dropout does not
    split a segment.
    """
    runs = _label_runs(names)

    def size(r: tuple[int, int, str]) -> int:
        return r[1] - r[0]

    while len(runs) > 1:
        short = [k for k, r in enumerate(runs) if size(r) < min_len]
        if not short:
            break
        k = min(short, key=lambda i: size(runs[i]))
        near = [j for j in (k - 1, k + 1) if 0 <= j < len(runs)]
        j = max(near, key=lambda i: (runs[i][2] != "unknown", size(runs[i])))
        label = runs[k][2] if runs[j][2] == "unknown" else runs[j][2]
        lo, hi = min(k, j), max(k, j)
        runs[lo : hi + 1] = [(runs[lo][0], runs[hi][1], label)]
        merged: list[tuple[int, int, str]] = []
        for r in runs:  # coalesce neighbours that now share a label
            if merged and merged[-1][2] == r[2]:
                merged[-1] = (merged[-1][0], r[1], r[2])
            else:
                merged.append(r)
        runs = merged
    out = names.copy()
    for start, stop, label in runs:
        out[start:stop] = label
    return out


def _label_runs(names: npt.NDArray[np.str_]) -> list[tuple[int, int, str]]:
    runs: list[tuple[int, int, str]] = []
    for label in np.unique(names):
        runs.extend((a, b, str(label)) for a, b in true_runs(names == label))
    return sorted(runs)


def _facing(yaw: FloatArray, feet: FloatArray, name: str) -> Facing | None:
    """Facing in a side or oblique stretch: toe vs heel (with nose vs ears) where seen, which
    is read straight from the image; else the sign of the world yaw."""
    if name not in ("side", "oblique"):
        return None
    vote = np.nanmedian(feet) if np.isfinite(feet).any() else np.nan
    if not np.isfinite(vote) or vote == 0:
        vote = np.nanmedian(np.sin(np.radians(yaw))) if np.isfinite(yaw).any() else np.nan
    if not np.isfinite(vote) or vote == 0:
        return None
    return "right" if vote > 0 else "left"


def classify_view(seq: PoseSequence, *, settings: ViewDefaults = DEFAULTS.view) -> ViewResult:
    """The camera view of ``seq``, per stretch and for the clip."""
    yaw = body_yaw(seq, settings)
    width = moving_mean(seq.time_s, image_width_ratio(seq), settings.smooth_s)
    turn = turn_deg(yaw, width, settings)
    raw = view_of(turn, yaw, settings)
    cert = _certainty(turn, settings)
    feet = facing_score(seq)
    dt = float(np.median(np.diff(seq.time_s))) if len(seq) > 1 else 1.0
    names = _merge_short(raw, max(1, round(settings.min_segment_s / dt)))
    segments: list[ViewSegment] = []
    for a, b, label in _label_runs(names):
        name: ViewName = label  # type: ignore[assignment]
        agree = raw[a:b] == label
        conf = float(np.mean(np.where(agree, cert[a:b], 0.0))) if label != "unknown" else 0.0
        end_s = float(seq.time_s[b - 1] + dt)
        facing = _facing(yaw[a:b], feet[a:b], label)
        segments.append(ViewSegment(a, b, float(seq.time_s[a]), end_s, name, facing, conf))
    known = [s for s in segments if s.name != "unknown"]
    if not known:
        return ViewResult("unknown", None, 0.0, tuple(segments), yaw, turn, names)
    totals: dict[str, int] = {}
    for s in known:
        totals[s.name] = totals.get(s.name, 0) + s.stop - s.start
    best = max(totals, key=lambda k: totals[k])
    share = totals[best] / sum(totals.values())
    main = [s for s in known if s.name == best]
    conf = share * sum(s.confidence * (s.stop - s.start) for s in main) / totals[best]
    rows = np.zeros(len(seq), dtype=bool)
    for s in main:
        rows[s.start : s.stop] = True
    name_best: ViewName = best  # type: ignore[assignment]
    facing_best = _facing(yaw[rows], feet[rows], best)
    return ViewResult(
        name_best, facing_best, float(np.clip(conf, 0, 1)), tuple(segments), yaw, turn, names
    )


def metric_supported(metric: str | MetricSpec, view: str) -> bool:
    """Whether ``metric`` (a name or a row of :data:`~posturecheck.metrics.METRICS`) can be
    measured from ``view``. Oblique and unknown views support none: report them as "not
    supported from this view" instead of computing them."""
    spec = METRIC_BY_NAME[metric] if isinstance(metric, str) else metric
    return view in spec.views


def supported_metrics(view: str) -> tuple[str, ...]:
    """Names of the metrics a view supports, in table order."""
    return tuple(name for name, spec in METRIC_BY_NAME.items() if view in spec.views)


__all__ = [
    "VIEW_NAMES",
    "ViewResult",
    "ViewSegment",
    "body_yaw",
    "classify_view",
    "image_width_ratio",
    "metric_supported",
    "supported_metrics",
    "turn_deg",
    "view_of",
]
