"""Reps: where each squat or deadlift starts, bottoms out and ends, and its tempo.

Reps are found in the lifter's *normalised* body height (:func:`body_heights`): the height
of the hips (and, for a deadlift, the shoulders) above the floor in units of the lifter's
own leg length. The floor is the ankles' rolling median and the leg length a rolling high
percentile of hip-knee-ankle, so the signal reads the same for a lifter filling the frame
or a small one far away, and a few glitched landmark frames move neither.

A rep is one excursion of that height: down by at least ``min_depth`` leg lengths from the
standing (lockout) level, then back up (hysteresis: small movements such as a re-grip never
count). Its boundaries follow ``../shared/realdata/README.md``:

* **squat**: ``start`` = first frame of the descent, ``bottom`` = the lowest hip (middle of
  a pause), ``end`` = back to standing. A rep cut by the clip or by the lifter leaving the
  frame is partial.
* **deadlift**: a rep is a pull. ``bottom`` = the last frame before the bar leaves the floor
  (the wrists, which hold the bar, when they are seen), ``end`` = lockout, ``start`` = the
  lowering from the previous lockout, or the first frame when the clip opens in the set-up.
  The lowering after the last lockout belongs to that rep, not to a new one.

Gaps longer than ``max_gap_s`` (the lifter out of frame) split the signal: no rep spans them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, Defaults, RepDefaults
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseSequence
from posturecheck.signal import clean_sequence, fill_gaps, sequence_confidence, true_runs

FloatArray = npt.NDArray[np.float64]
Exercise = Literal["squat", "deadlift"]

L = Landmark

SQUAT_PHASES = ("idle", "descent", "bottom", "ascent")
DEADLIFT_PHASES = ("idle", "lower", "setup", "pull", "lockout")


@dataclass(frozen=True)
class BodyHeights:
    """Heights above the floor in leg lengths, per frame (NaN where not seen).

    Attributes:
        time_s: (T,) frame times.
        hip, shoulder, knee, wrist: (T,) mid-point heights (confidence-weighted between the
            lifter's two sides) above the floor ÷ leg length.
        leg_px: (T,) the leg length (hip-knee-ankle) used, in pixels.
        wrist_conf, knee_conf: (T,) confidence of the better-seen wrist / knee.
    """

    time_s: FloatArray
    hip: FloatArray
    shoulder: FloatArray
    knee: FloatArray
    wrist: FloatArray
    leg_px: FloatArray
    wrist_conf: FloatArray
    knee_conf: FloatArray

    def __post_init__(self) -> None:
        t = self.time_s.shape
        for name in ("hip", "shoulder", "knee", "wrist", "leg_px", "wrist_conf", "knee_conf"):
            if getattr(self, name).shape != t:
                raise ValueError(f"{name} must have shape {t}, got {getattr(self, name).shape}")

    def signal(self, exercise: Exercise) -> FloatArray:
        """The height reps are counted in: the hips for a squat; hips and shoulders together
        for a deadlift (the shoulders show a hinge, e.g. an RDL, that the hips barely do)."""
        if exercise == "squat":
            return self.hip
        return np.asarray((self.hip + self.shoulder) / 2.0, dtype=np.float64)


@dataclass(frozen=True)
class Rep:
    """One rep. Rows index the pose sequence; frames are the video's 0-based frame numbers.

    ``start``/``end`` are ``None`` when not in the clip (a partial rep); seconds are then NaN.
    ``descent_s`` (deadlift: lowering to the floor), ``pause_s`` (time at the bottom; for a
    deadlift the bar on the floor) and ``ascent_s`` (the pull) make the tempo.
    """

    index: int
    exercise: Exercise
    complete: bool
    start: int | None
    bottom: int
    end: int | None
    start_frame: int | None
    bottom_frame: int
    end_frame: int | None
    start_s: float
    bottom_s: float
    end_s: float
    descent_s: float
    pause_s: float
    ascent_s: float
    depth: float  # standing minus bottom height, leg lengths
    bottom_region: tuple[int, int]  # rows [first, last] at the bottom

    def __post_init__(self) -> None:
        if self.index < 1:
            raise ValueError(f"Rep.index is 1-based, got {self.index}")
        order = [r for r in (self.start, self.bottom, self.end) if r is not None]
        if order != sorted(order):
            raise ValueError(f"Rep rows must satisfy start <= bottom <= end, got {order}")

    def as_dict(self) -> dict[str, object]:
        def sec(x: float) -> float | None:
            return round(x, 3) if np.isfinite(x) else None

        return {
            "index": self.index,
            "complete": self.complete,
            "start_frame": self.start_frame,
            "bottom_frame": self.bottom_frame,
            "end_frame": self.end_frame,
            "start_s": sec(self.start_s),
            "bottom_s": sec(self.bottom_s),
            "end_s": sec(self.end_s),
            "descent_s": sec(self.descent_s),
            "pause_s": sec(self.pause_s),
            "ascent_s": sec(self.ascent_s),
            "depth_leg_lengths": sec(self.depth),
        }


# --- normalised heights ---------------------------------------------------------------------


#: Window samples :func:`_rolling` takes in one go (rows x window width).
_ROLLING_BLOCK = 1 << 18


def _window(time_s: FloatArray, window_s: float) -> int:
    dt = float(np.median(np.diff(time_s))) if time_s.size > 1 else 1.0
    return max(1, round(window_s / dt / 2))


def _rolling(values: FloatArray, half: int, q: float) -> FloatArray:
    """Centred rolling ``q``-th percentile over ``2 * half + 1`` samples, NaN ignored (NaN
    where a window has none), interpolated as :func:`numpy.percentile` does. Vectorised a
    block of rows at a time (sorted windows put NaN last), so memory stays small."""
    n = values.shape[0]
    padded = np.pad(values.astype(np.float64), half, constant_values=np.nan)
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1)
    out = np.full(n, np.nan)
    block = max(1, _ROLLING_BLOCK // (2 * half + 1))
    for lo in range(0, n, block):
        ordered = np.sort(windows[lo : lo + block], axis=1)
        count = np.isfinite(ordered).sum(axis=1)
        rows = np.flatnonzero(count)
        at = q / 100.0 * (count[rows] - 1)
        below = np.floor(at).astype(np.intp)
        above = np.minimum(below + 1, count[rows] - 1)
        a, b = ordered[rows, below], ordered[rows, above]
        out[lo + rows] = a + (b - a) * (at - below)
    return out


def rolling_percentile(
    time_s: FloatArray, values: FloatArray, window_s: float, q: float
) -> FloatArray:
    """Centred rolling ``q``-th percentile over ``window_s``, ignoring NaN (NaN if none; a
    frame with no value of its own gets one only when the window is wider than 3 frames)."""
    half = _window(time_s, window_s)
    out = _rolling(values, half, q)
    return out if half > 1 else np.where(np.isfinite(values), out, np.nan)


def _weighted_y(
    seq: PoseSequence, conf: FloatArray, pair: tuple[Landmark, Landmark], min_conf: float
) -> FloatArray:
    """Confidence-weighted mean image y of a left/right pair; NaN where neither is seen."""
    y = seq.image_px[:, [int(p) for p in pair], 1]
    w = conf[:, [int(p) for p in pair]]
    w = np.where((w >= min_conf) & np.isfinite(y), w, 0.0)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, np.nansum(y * w, axis=1) / total, np.nan)


def _leg_px(seq: PoseSequence, conf: FloatArray, min_conf: float) -> FloatArray:
    """Per-frame hip-knee-ankle length of the better-seen leg, pixels."""
    best = np.full(len(seq), np.nan)
    best_conf = np.full(len(seq), -1.0)
    for hip, knee, ankle in ((L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
                             (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE)):  # fmt: skip
        xy = seq.image_px[:, [int(hip), int(knee), int(ankle)], :2]
        length = np.linalg.norm(xy[:, 0] - xy[:, 1], axis=1) + np.linalg.norm(
            xy[:, 1] - xy[:, 2], axis=1
        )
        c = np.min(conf[:, [int(hip), int(knee), int(ankle)]], axis=1)
        better = np.isfinite(length) & (c >= min_conf) & (c > best_conf)
        best = np.where(better, length, best)
        best_conf = np.where(better, c, best_conf)
    return best


def despike(time_s: FloatArray, values: FloatArray, window_s: float) -> FloatArray:
    """Centred running median over ``window_s`` (NaN ignored; NaN stays NaN)."""
    out = _rolling(values, _window(time_s, window_s), 50.0)
    return np.where(np.isfinite(values), out, values)


def body_heights(
    seq: PoseSequence, *, clean: bool = True, settings: RepDefaults = DEFAULTS.reps
) -> BodyHeights:
    """Hip, shoulder, knee and wrist heights above the floor in leg lengths.

    ``clean`` first fills short gaps and smooths the landmarks
    (:func:`posturecheck.signal.clean_sequence`); pass False for an already cleaned one.
    """
    s = clean_sequence(seq) if clean else seq
    t = s.time_s
    conf = sequence_confidence(s)
    c = settings.min_point_confidence
    floor = _weighted_y(s, conf, (L.LEFT_ANKLE, L.RIGHT_ANKLE), c)
    floor = rolling_percentile(t, floor, settings.floor_window_s, 50.0)
    leg = rolling_percentile(t, _leg_px(s, conf, c), settings.leg_window_s, settings.leg_percentile)
    seen = s.has_pose

    def height(pair: tuple[Landmark, Landmark]) -> FloatArray:
        with np.errstate(invalid="ignore", divide="ignore"):
            h = (floor - _weighted_y(s, conf, pair, c)) / leg
        h = np.where(seen & (leg > 0), h, np.nan)
        return despike(t, h, settings.despike_s)

    return BodyHeights(
        time_s=t.copy(),
        hip=height((L.LEFT_HIP, L.RIGHT_HIP)),
        shoulder=height((L.LEFT_SHOULDER, L.RIGHT_SHOULDER)),
        knee=height((L.LEFT_KNEE, L.RIGHT_KNEE)),
        wrist=height((L.LEFT_WRIST, L.RIGHT_WRIST)),
        leg_px=np.where(seen, leg, np.nan),
        wrist_conf=np.max(conf[:, [int(L.LEFT_WRIST), int(L.RIGHT_WRIST)]], axis=1),
        knee_conf=np.max(conf[:, [int(L.LEFT_KNEE), int(L.RIGHT_KNEE)]], axis=1),
    )


# --- detection ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Excursion:
    """Rows of one dip below the standing level within a run of the signal."""

    down: int  # first row below the counting threshold (or the run's first row)
    up: int | None  # first row back up (None: the run ends low)
    opened_low: bool  # the run started below the threshold
    top: float  # standing level of the run


def _excursions(s: FloatArray, a: int, b: int, settings: RepDefaults) -> list[_Excursion]:
    """Dips of ``s[a:b]`` at least ``min_depth`` below the standing level, with hysteresis.

    Down: ``min_depth`` below both the run's standing level (its 95th percentile) and the
    highest point since the last rep. Up: at least ``min_depth`` above the dip's lowest point
    and 70% of the dip recovered. Smaller wiggles (re-grips, a bounce) never count.
    """
    top = float(np.percentile(s[a:b], 95))
    depth = settings.min_depth
    out: list[_Excursion] = []
    low = bool(s[a] < top - depth)
    start, lowest, peak, opened = a, float(s[a]), float(s[a]), low
    for i in range(a, b):
        v = float(s[i])
        if not low:
            peak = max(peak, v)
            if v < min(peak, top) - depth:
                low, start, lowest, opened = True, i, v, False
            continue
        lowest = min(lowest, v)
        if v >= lowest + depth and v > top - 0.3 * (top - lowest):
            out.append(_Excursion(start, i, opened, top))
            low, peak = False, v
    if low:
        out.append(_Excursion(start, None, opened, top))
    return out


def _region(q: FloatArray, lo: int, hi: int, anchor: int, band: float) -> tuple[int, int]:
    """The contiguous rows around ``anchor`` (within [lo, hi]) where q <= q[anchor] + band."""
    limit = q[anchor] + band
    first = anchor
    while first > lo and q[first - 1] <= limit:
        first -= 1
    last = anchor
    while last < hi and q[last + 1] <= limit:
        last += 1
    return first, last


def _usable(q: FloatArray, lo: int, hi: int) -> bool:
    return bool(np.isfinite(q[lo : hi + 1]).mean() >= 0.8)


def _rep_rows(
    *,
    h: BodyHeights,
    s: FloatArray,
    ex: _Excursion,
    prev_bottom: int,
    next_down: int,
    run: tuple[int, int],
    exercise: Exercise,
    settings: RepDefaults,
) -> tuple[int | None, tuple[int, int], int, int | None, float]:
    """start, bottom region, bottom, end and depth of one excursion."""
    a, b = run
    hi = ex.up if ex.up is not None else b - 1
    seg = s[ex.down : hi + 1]
    low = ex.down + int(np.nanargmin(seg))
    depth = ex.top - float(s[low])
    band = max(settings.min_bottom_band, settings.bottom_band * depth)
    if exercise == "squat":
        first, last = _region(s, ex.down, hi, low, band)
        bottom = (first + last) // 2
    else:
        # The bar leaves the floor when the wrists (on the bar) start to rise for good.
        q = h.wrist if _usable(h.wrist, ex.down, hi) else s
        q = fill_gaps(h.time_s, q, max_gap_s=float("inf"))
        qlow = ex.down + int(np.nanargmin(q[ex.down : hi + 1]))
        qtop = float(np.nanpercentile(q[a:b], 95))
        qband = max(settings.min_bottom_band, settings.bottom_band * (qtop - float(q[qlow])))
        first, last = _region(q, ex.down, hi, qlow, qband)
        # a later return to the floor in the same dip (re-set) moves the lift-off later
        later = np.flatnonzero(q[last + 1 : hi + 1] <= q[qlow] + qband)
        if later.size:
            first, last = _region(q, ex.down, hi, last + 1 + int(later[-1]), qband)
        bottom = last
    start: int | None = None
    if not ex.opened_low:
        before = s[prev_bottom : first + 1]
        top_before = float(np.nanmax(before))
        thresh = top_before - settings.top_band * (top_before - float(s[low]))
        start = prev_bottom + int(np.flatnonzero(before >= thresh)[-1])
    elif exercise == "deadlift":
        start = a
    end: int | None = None
    if ex.up is not None:
        after = s[last : next_down + 1]
        top_after = float(np.nanmax(after))
        thresh = top_after - settings.top_band * (top_after - float(s[low]))
        end = last + int(np.flatnonzero(after >= thresh)[0])
    return start, (first, last), bottom, end, depth


def _bottom_seen(
    h: BodyHeights,
    ex: _Excursion,
    region: tuple[int, int],
    first_row: int,
    exercise: Exercise,
    *,
    min_knee_height: float,
) -> bool:
    """Whether the rep's bottom is really in the clip (README: a rep is complete when its
    bottom and its whole concentric part are seen).

    A squat opening below standing is complete if the descent into the bottom is seen. A
    deadlift opening low is complete if the bar is below the knees at its lowest point in
    the bottom, not mid-pull (knees the model dropped onto the ankles are not compared).
    """
    if not ex.opened_low:
        return True
    if exercise == "squat":
        return region[0] > first_row
    rows = np.arange(region[0], region[1] + 1)
    seen = rows[np.minimum(h.wrist_conf[rows], h.knee_conf[rows]) >= 0.5]
    seen = seen[np.isfinite(h.wrist[seen]) & (h.knee[seen] >= min_knee_height)]
    if seen.size == 0:
        return True
    lowest = seen[np.argmin(h.wrist[seen])]  # the bar's lowest point in the bottom
    return not h.wrist[lowest] > h.knee[lowest]


def _runs(s: FloatArray, time_s: FloatArray, settings: RepDefaults) -> list[tuple[int, int]]:
    filled = fill_gaps(time_s, s, settings.max_gap_s)
    return [(a, b) for a, b in true_runs(np.isfinite(filled)) if b - a >= 3]


def detect_reps(
    seq: PoseSequence,
    exercise: Exercise,
    *,
    heights: BodyHeights | None = None,
    settings: Defaults = DEFAULTS,
) -> list[Rep]:
    """Every rep of ``exercise`` in ``seq``, in time order (complete and partial).

    ``heights`` may be given to skip recomputing :func:`body_heights` (then ``seq`` supplies
    only the frame numbers).
    """
    if exercise not in ("squat", "deadlift"):
        raise ValueError(f"exercise must be 'squat' or 'deadlift', got {exercise!r}")
    rs = settings.reps
    h = heights if heights is not None else body_heights(seq, settings=rs)
    t = h.time_s
    s = fill_gaps(t, h.signal(exercise), rs.max_gap_s)
    frames = seq.source_frame_index
    reps: list[Rep] = []
    for run in _runs(s, t, rs):
        exs = _excursions(s, run[0], run[1], rs)
        prev_bottom = run[0]
        for k, ex in enumerate(exs):
            next_down = exs[k + 1].down if k + 1 < len(exs) else run[1] - 1
            start, region, bottom, end, depth = _rep_rows(
                h=h, s=s, ex=ex, prev_bottom=prev_bottom, next_down=next_down, run=run,
                exercise=exercise, settings=rs,
            )  # fmt: skip
            prev_bottom = region[1]
            if exercise == "deadlift" and end is None:
                at_floor = (
                    s[run[1] - 1] <= s[region[0]] + rs.bottom_band * depth + rs.min_bottom_band
                )
                if reps and at_floor:
                    continue  # the lowering after the last lockout belongs to that rep
            complete = end is not None and _bottom_seen(
                h, ex, region, run[0], exercise, min_knee_height=rs.min_knee_height
            )
            reps.append(
                _make_rep(
                    index=len(reps) + 1,
                    exercise=exercise,
                    complete=complete,
                    start=start,
                    region=region,
                    bottom=bottom,
                    end=end,
                    depth=depth,
                    t=t,
                    frames=frames,
                )
            )
    return reps


def _make_rep(
    *,
    index: int,
    exercise: Exercise,
    complete: bool,
    start: int | None,
    region: tuple[int, int],
    bottom: int,
    end: int | None,
    depth: float,
    t: FloatArray,
    frames: npt.NDArray[np.int64],
) -> Rep:
    def sec(row: int | None) -> float:
        return float(t[row]) if row is not None else float("nan")

    def frame(row: int | None) -> int | None:
        return int(frames[row]) if row is not None else None

    first, last = region
    opened_in_setup = exercise == "deadlift" and start is not None and start == first
    return Rep(
        index=index,
        exercise=exercise,
        complete=complete,
        start=start,
        bottom=bottom,
        end=end,
        start_frame=frame(start),
        bottom_frame=int(frames[bottom]),
        end_frame=frame(end),
        start_s=sec(start),
        bottom_s=sec(bottom),
        end_s=sec(end),
        descent_s=float("nan") if opened_in_setup else sec(first) - sec(start),
        pause_s=sec(last) - sec(first),
        ascent_s=sec(end) - sec(last),
        depth=depth,
        bottom_region=region,
    )


def rep_phase(reps: list[Rep], n_frames: int, exercise: Exercise) -> npt.NDArray[np.str_]:
    """(T,) phase name per row: squat idle/descent/bottom/ascent; deadlift
    idle/lower/setup/pull/lockout (lockout lasts until the next lowering or the clip's end
    while the lifter holds it)."""
    names = SQUAT_PHASES if exercise == "squat" else DEADLIFT_PHASES
    out = np.full(n_frames, names[0], dtype="<U8")
    for rep in reps:
        first, last = rep.bottom_region
        start = rep.start if rep.start is not None else first
        out[start:first] = names[1]
        out[first : last + 1] = names[2]
        if rep.end is not None:
            out[last + 1 : rep.end + 1] = names[3]
        else:
            out[last + 1 :] = names[3]
    if exercise == "deadlift":
        for k, rep in enumerate(reps):
            if rep.end is None:
                continue
            stop = reps[k + 1].start if k + 1 < len(reps) and reps[k + 1].start else n_frames
            idle = out[rep.end + 1 : stop] == "idle"
            out[rep.end + 1 : stop][idle] = "lockout"
    return out


__all__ = [
    "DEADLIFT_PHASES",
    "SQUAT_PHASES",
    "BodyHeights",
    "Rep",
    "body_heights",
    "detect_reps",
    "rep_phase",
]
