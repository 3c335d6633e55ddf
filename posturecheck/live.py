"""Live feedback from a camera, one frame at a time (no Streamlit here).

:class:`LiveSession` takes upright RGB frames with their times and, for each, runs the pose
model (one estimator in VIDEO mode, made once), smooths the landmarks causally (One Euro),
measures the key side-view angles, counts reps on the lifter's normalised hip height (a
causal twin of :mod:`posturecheck.reps`: good enough live; the full review re-detects),
checks the camera placement, and draws all of it on the frame. While recording, every
processed input frame (raw, not the overlay) goes to an H.264 file at its own time, encoded
on a background thread; the file is then analysed like an upload.

Keeping up: :meth:`LiveSession.on_video_frames` is given every frame that arrived since its
last call and processes only the newest; the others are counted as dropped, never queued.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, Protocol

import cv2
import numpy as np

from posturecheck import geometry as g
from posturecheck.concurrency import BackgroundConsumer
from posturecheck.defaults import DEFAULTS
from posturecheck.draw import CaptionAnnotator, SkeletonAnnotator
from posturecheck.encode import H264Writer
from posturecheck.faults import FAULT_BY_ID
from posturecheck.landmarks import Landmark
from posturecheck.pose import Detection, PoseEstimator
from posturecheck.sequence import PoseFrame
from posturecheck.signal import OneEuroFilter, point_confidence
from posturecheck.video import RGBImage, probe, read_frames

log = logging.getLogger(__name__)

L = Landmark
Side = Literal["left", "right"]
LiveExercise = Literal["auto", "squat", "deadlift"]
GUIDE_COLOR = (230, 150, 20)
CUE_COLOR = (220, 40, 40)
_PARTS = ("EAR", "SHOULDER", "HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")


_SAY = {"FOOT_INDEX": "toes", "EAR": "head"}


def _lm(part: str, side: Side) -> Landmark:
    return Landmark[f"{side.upper()}_{part}"]


def _side_width_limit() -> float:
    """Shoulder/hip width ÷ trunk length of a lifter turned exactly to the review's side-view
    limit (:class:`~posturecheck.defaults.ViewDefaults`): one source for "side on"."""
    v = DEFAULTS.view
    return v.frontal_width * math.cos(math.radians(v.side_min_deg))


@dataclass(frozen=True)
class LiveConfig:
    """Live thresholds. Heights are fractions of the frame; rep depths are in leg lengths.

    ``head_factor`` turns the ear-to-heel span into stature (the crown is above the ear).
    A placement verdict must hold for ``guidance_hold_s`` before it changes (no flicker).
    """

    min_visibility: float = 0.5
    min_height_frac: float = 0.40
    max_height_frac: float = 0.95
    head_factor: float = 1.1
    edge_margin_frac: float = 0.01
    max_side_width: float = field(default_factory=_side_width_limit)
    guidance_hold_s: float = 0.7
    rep_min_depth: float = DEFAULTS.reps.min_depth
    min_point_confidence: float = DEFAULTS.reps.min_point_confidence
    floor_window_s: float = DEFAULTS.reps.floor_window_s
    leg_window_s: float = DEFAULTS.reps.leg_window_s
    lost_after_s: float = 1.0
    cue_hold_s: float = 2.5
    timing_window: int = 900

    def __post_init__(self) -> None:
        for name in ("min_visibility", "min_point_confidence", "edge_margin_frac"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"LiveConfig.{name} must be in [0, 1), got {getattr(self, name)}")
        if not 0.0 < self.min_height_frac < self.max_height_frac <= 1.0:
            raise ValueError(
                "LiveConfig: need 0 < min_height_frac < max_height_frac <= 1, got "
                f"{self.min_height_frac}, {self.max_height_frac}"
            )
        for name in ("rep_min_depth", "floor_window_s", "leg_window_s", "max_side_width"):
            if not getattr(self, name) > 0:
                raise ValueError(f"LiveConfig.{name} must be > 0, got {getattr(self, name)}")
        if self.timing_window < 1:
            raise ValueError(f"LiveConfig.timing_window must be >= 1, got {self.timing_window}")


# --- camera placement ------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One frame's placement verdict: ``messages`` say what to change, most important first."""

    messages: tuple[str, ...]
    height_frac: float | None = None
    side_width: float | None = None

    @property
    def ok(self) -> bool:
        return not self.messages


def near_side(pose: PoseFrame) -> Side:
    """The lifter's side that the camera sees better (higher summed visibility)."""
    score = {s: np.nansum([pose.visibility[_lm(p, s)] for p in _PARTS]) for s in ("left", "right")}
    return "left" if score["left"] >= score["right"] else "right"


def _cut_message(part: str, frac: float, config: LiveConfig) -> str:
    """What to do when the head (``part == "head"``) or the feet leave the frame."""
    verb = "is" if part == "head" else "are"
    if frac >= 0.8 * config.max_height_frac:
        return f"Step back: your {part} {verb} out of the frame."
    aim = "higher" if part == "head" else "lower"
    return f"Move into the frame: your {part} {verb} cut off; aim the camera {aim}."


def check_placement(
    pose: PoseFrame | None, width: int, height: int, config: LiveConfig
) -> Placement:
    """Is the camera placed for a side-view analysis? The near side's key landmarks and the
    nose inside the frame and seen, the body (ear-to-heel x ``head_factor``) filling
    ``min_height_frac``..``max_height_frac`` of the frame height, and the lifter side-on
    (mean shoulder and hip width ÷ trunk length at most ``max_side_width``)."""
    if pose is None:
        return Placement(("Move into the frame: the camera cannot see you.",))
    side = near_side(pose)
    parts = {p: int(_lm(p, side)) for p in _PARTS} | {"NOSE": int(L.NOSE)}
    xy = pose.image_px[:, :2]
    if not np.isfinite(xy[list(parts.values())]).all():
        return Placement(("Move into the frame: the camera cannot see all of you.",))
    head = [parts["EAR"], parts["NOSE"]]
    feet = [parts["ANKLE"], parts["HEEL"], parts["FOOT_INDEX"]]
    every = list(parts.values())
    frac = float(xy[feet, 1].max() - xy[head, 1].min()) * config.head_factor / height
    m = config.edge_margin_frac
    cut = {
        "head": bool((xy[head, 1] < m * height).any()),
        "feet": bool((xy[feet, 1] > (1 - m) * height).any()),
        "left": bool((xy[every, 0] < m * width).any()),
        "right": bool((xy[every, 0] > (1 - m) * width).any()),
    }
    msgs: list[str] = []
    if (cut["head"] and cut["feet"]) or frac > config.max_height_frac:
        msgs.append("Step back: your whole body, head to feet, must fit in the frame.")
    elif cut["head"] or cut["feet"]:
        msgs.append(_cut_message("head" if cut["head"] else "feet", frac, config))
    if cut["left"] or cut["right"]:
        edge = "left" if cut["left"] else "right"
        msgs.append(f"Move into the frame: you are cut off at the {edge} edge; move to the middle.")
    conf = point_confidence(pose.visibility, pose.presence)
    hidden = [_SAY.get(p, p.lower()) for p, i in parts.items() if conf[i] < config.min_visibility]
    if hidden and not msgs:
        msgs.append(f"Move into the frame so the camera sees your {', '.join(hidden)}.")
    if frac < config.min_height_frac:
        msgs.append(f"Step closer: you fill {frac:.0%} of the frame height (aim for 50-90%).")
    mid = [g.midpoint(xy[L.LEFT_HIP], xy[L.RIGHT_HIP])]
    mid.append(g.midpoint(xy[L.LEFT_SHOULDER], xy[L.RIGHT_SHOULDER]))
    trunk = float(g.distance(*mid))
    widths = g.distance(xy[[L.LEFT_SHOULDER, L.LEFT_HIP]], xy[[L.RIGHT_SHOULDER, L.RIGHT_HIP]])
    side_width = float(np.mean(widths)) / trunk if trunk > 0 else math.inf
    if side_width > config.max_side_width:
        msgs.append("Turn side-on to the camera: it should see your side, not your front or back.")
    return Placement(tuple(msgs), frac, side_width)


class PlacementTracker:
    """Debounces placement verdicts: a change must hold for ``hold_s`` before it shows.

    It starts "not placed"; while not placed it shows the latest problem's messages.
    """

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self.ok = False
        self.messages: tuple[str, ...] = ("Move into the frame: the camera cannot see you.",)
        self._since: float | None = None

    def update(self, time_s: float, placement: Placement) -> tuple[str, ...]:
        """The guidance to show now (empty once the placement has been right long enough)."""
        if placement.ok == self.ok:
            self._since = None
        else:
            self._since = time_s if self._since is None else self._since
            if time_s - self._since >= self.hold_s:
                self.ok, self._since = placement.ok, None
        if not placement.ok:
            self.messages = placement.messages
        return () if self.ok else self.messages


# --- angles and reps -------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveAngles:
    """Key side-view angles in degrees, as :mod:`posturecheck.metrics` defines them."""

    knee_deg: float | None = None
    hip_deg: float | None = None
    trunk_lean_deg: float | None = None
    thigh_deg: float | None = None


def _num(value: Any) -> float | None:
    v = float(value)
    return v if math.isfinite(v) else None


def live_angles(pose: PoseFrame, side: Side, faces_right: bool) -> LiveAngles:
    """Knee and hip flexion, trunk lean and thigh angle on ``side``, mirrored so that the
    lifter faces +x (the same signs as the review's metrics)."""
    xy = pose.image_px[:, :2].copy()
    if not faces_right:
        xy[:, 0] = -xy[:, 0]
    sh, hip, knee, ankle = (xy[_lm(p, side)] for p in ("SHOULDER", "HIP", "KNEE", "ANKLE"))
    return LiveAngles(
        knee_deg=_num(g.bend_deg(hip, knee, ankle)),
        hip_deg=_num(g.bend_deg(knee, hip, sh)),
        trunk_lean_deg=_num(g.inclination_deg(hip, sh)),
        thigh_deg=_num(g.elevation_deg(knee, hip)),
    )


class _Rolling:
    """Values of the last ``window_s`` seconds."""

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._items: deque[tuple[float, float]] = deque()

    def add(self, time_s: float, value: float) -> None:
        self._items.append((time_s, value))
        while self._items and self._items[0][0] < time_s - self.window_s:
            self._items.popleft()

    def percentile(self, q: float) -> float:
        return float(np.percentile([v for _, v in self._items], q)) if self._items else math.nan


class HipHeight:
    """Hip height above the floor (the ankles' rolling median) in leg lengths (a rolling
    high percentile of hip-knee-ankle length), causally; NaN when not measurable."""

    def __init__(self, config: LiveConfig) -> None:
        self.config = config
        self._floor = _Rolling(config.floor_window_s)
        self._leg = _Rolling(config.leg_window_s)

    def update(self, time_s: float, pose: PoseFrame | None) -> float:
        if pose is None:
            return math.nan
        conf = point_confidence(pose.visibility, pose.presence)
        c = self.config.min_point_confidence

        def y(a: Landmark, b: Landmark) -> float:
            w = np.array([conf[a] if conf[a] >= c else 0.0, conf[b] if conf[b] >= c else 0.0])
            ys = pose.image_px[[a, b], 1]
            ok = np.isfinite(ys) & (w > 0)
            return float(np.sum(ys[ok] * w[ok]) / np.sum(w[ok])) if ok.any() else math.nan

        legs = []
        for s in ("left", "right"):
            pts = [pose.image_px[_lm(p, s), :2] for p in ("HIP", "KNEE", "ANKLE")]
            if min(conf[_lm(p, s)] for p in ("HIP", "KNEE", "ANKLE")) >= c:
                legs.append(float(g.distance(pts[0], pts[1]) + g.distance(pts[1], pts[2])))
        ankle, hip = y(L.LEFT_ANKLE, L.RIGHT_ANKLE), y(L.LEFT_HIP, L.RIGHT_HIP)
        if math.isfinite(ankle):
            self._floor.add(time_s, ankle)
        if legs and math.isfinite(legs[0]):
            self._leg.add(time_s, max(legs))
        leg = self._leg.percentile(DEFAULTS.reps.leg_percentile)
        floor = self._floor.percentile(50.0)
        return (floor - hip) / leg if leg > 0 else math.nan


@dataclass(frozen=True)
class LiveRep:
    """A rep just completed: its number, depth (leg lengths) and angles at its lowest point."""

    number: int
    time_s: float
    depth: float
    bottom: LiveAngles


class RepCounter:
    """Counts reps on normalised hip height with hysteresis, causally.

    Down: ``depth`` below the highest point since the last rep. Up (a rep): ``depth`` above
    the lowest point and 70% of the dip recovered. A stream that opens low (a clip that
    starts in a deadlift set-up) counts its first rise of ``depth``. A gap over
    ``lost_after_s`` forgets the state, and a lifter who comes back low is not counted until
    they have been seen going down (a half-seen rep never counts).
    """

    def __init__(self, depth: float, lost_after_s: float = 1.0) -> None:
        self.depth, self.lost_after_s = depth, lost_after_s
        self.count = 0
        self.state: Literal["unknown", "up", "down"] = "unknown"
        self._peak = self._low = math.nan
        self._bottom = LiveAngles()
        self._seen_s = -math.inf
        self._opening = True  # the stream's first sighting: it may open low

    def reset_count(self) -> None:
        self.count = 0

    def update(self, time_s: float, height: float, angles: LiveAngles) -> LiveRep | None:
        if not math.isfinite(height):
            if time_s - self._seen_s > self.lost_after_s and math.isfinite(self._seen_s):
                self.state, self._peak, self._low = "unknown", math.nan, math.nan
                self._opening = False
            return None
        self._seen_s = time_s
        h = height
        if self.state == "unknown" and math.isnan(self._peak):
            self._peak = self._low = h
            self._bottom = angles
        if self.state in ("unknown", "down") and h < self._low:
            self._low, self._bottom = h, angles
        if self.state in ("unknown", "up"):
            self._peak = max(self._peak, h)
            if h < self._peak - self.depth:
                self.state, self._low, self._bottom = "down", h, angles
                return None
        recovered = h > self._peak - 0.3 * (self._peak - self._low)
        rose = self.state != "up" and h >= self._low + self.depth
        if rose and (self._opening if self.state == "unknown" else recovered):
            self.count += 1
            rep = LiveRep(self.count, time_s, max(self._peak, h) - self._low, self._bottom)
            self.state, self._peak = "up", h
            return rep
        return None


def rep_cues(rep: LiveRep, exercise: LiveExercise) -> tuple[str, ...]:
    """Cues for a finished rep from the fault table's cut-offs (squat depth and lean);
    ``auto`` calls a rep with the thigh near parallel (under 25°) a squat."""
    b = rep.bottom
    if exercise == "auto":
        exercise = "squat" if b.thigh_deg is not None and b.thigh_deg < 25.0 else "deadlift"
    if exercise != "squat":
        return ()
    cues = []
    for fault, value in (
        ("shallow_depth", b.thigh_deg),
        ("excessive_forward_lean", b.trunk_lean_deg),
    ):
        spec = FAULT_BY_ID[fault]
        if value is not None and value > spec.cutoffs.mild:
            cues.append(spec.cue)
    return tuple(cues)


def lockout_cue(angles: LiveAngles, standing: bool, exercise: LiveExercise) -> str | None:
    """The lean-back cue while standing tall in a deadlift (the fault table's mild cut-off)."""
    spec = FAULT_BY_ID["hyperextended_lockout"]
    lean = angles.trunk_lean_deg
    if exercise == "squat" or not standing or lean is None:
        return None
    return spec.cue if -lean > spec.cutoffs.mild else None


# --- drawing ---------------------------------------------------------------------------------

_SKELETON = SkeletonAnnotator()
_INFO = CaptionAnnotator(font_scale=1.1)
_GUIDE = CaptionAnnotator(font_scale=1.0, bottom=True, box=GUIDE_COLOR)
_CUE = CaptionAnnotator(font_scale=1.1, bottom=True, box=CUE_COLOR)


def _deg(value: float | None) -> str:
    return "--" if value is None else f"{value:.0f}"


def draw_live(
    rgb: RGBImage,
    pose: PoseFrame | None,
    *,
    side: Side,
    angles: LiveAngles,
    reps: int,
    guidance: tuple[str, ...],
    cues: tuple[str, ...],
    recording_s: float | None,
) -> RGBImage:
    """The live overlay: skeleton, angle labels at the joints, rep counter and angles
    (top left), REC and its time (top right), guidance (amber) or cues (red) along the bottom.
    Returns a new image."""
    out = _SKELETON.annotate(rgb, pose)
    font, s = cv2.FONT_HERSHEY_SIMPLEX, max(0.6, max(out.shape[:2]) / 960.0)
    if pose is not None:
        for part, value in (("KNEE", angles.knee_deg), ("HIP", angles.hip_deg)):
            x, y = pose.image_px[_lm(part, side), :2]
            if value is not None and math.isfinite(x) and math.isfinite(y):
                at = (round(x) + 10, round(y) - 6)
                cv2.putText(out, f"{value:.0f}", at, font, s, (0, 0, 0), 4, cv2.LINE_AA)
                cv2.putText(out, f"{value:.0f}", at, font, s, (255, 255, 255), 1, cv2.LINE_AA)
    lines = [
        f"Reps {reps}",
        f"knee {_deg(angles.knee_deg)}  hip {_deg(angles.hip_deg)}  "
        f"lean {_deg(angles.trunk_lean_deg)}",
    ]
    out = _INFO.annotate(out, lines)
    if recording_s is not None:
        text = f"REC {int(recording_s) // 60}:{int(recording_s) % 60:02d}"
        (w, h), _ = cv2.getTextSize(text, font, s, 2)
        x = out.shape[1] - w - 12
        cv2.circle(out, (x - 12, 12 + h // 2), max(4, h // 2), CUE_COLOR, -1, cv2.LINE_AA)
        cv2.putText(out, text, (x, 12 + h), font, s, (255, 255, 255), 2, cv2.LINE_AA)
    if guidance:
        return _GUIDE.annotate(out, list(guidance[:2]), color=(20, 20, 20))
    return _CUE.annotate(out, list(cues)) if cues else out


# --- recording -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recording:
    """A finished recording: an H.264 MP4 of the raw frames at their own times."""

    path: Path
    frames: int
    duration_s: float
    width: int
    height: int


class _Recorder:
    """Encodes raw frames on a background thread. The file takes ``size`` (default: the
    first frame's); its clock starts at the first frame."""

    def __init__(self, path: Path, size: tuple[int, int] | None) -> None:
        self.path, self.size = path, size
        self.frames, self.start_s, self.last_s = 0, 0.0, 0.0
        self._writer: H264Writer | None = None
        self._worker: BackgroundConsumer[tuple[RGBImage, float]] | None = None

    def submit(self, rgb: RGBImage, time_s: float) -> None:
        if self._writer is None:
            self.size = self.size or (rgb.shape[1], rgb.shape[0])
            writer = H264Writer(self.path, *self.size, 30.0, preset="veryfast", crf=20)
            self._writer, self.start_s = writer, time_s
            self._worker = BackgroundConsumer(
                lambda item: writer.write(*item), depth=8, name="live-record"
            )
        assert self.size is not None and self._worker is not None
        if (rgb.shape[1], rgb.shape[0]) != self.size:  # the browser changed resolution
            rgb = np.asarray(cv2.resize(rgb, self.size), dtype=np.uint8)
        self.last_s = time_s - self.start_s
        self.frames += 1
        self._worker.submit((rgb, self.last_s))

    def close(self) -> Recording:
        try:
            if self._worker is not None:
                self._worker.close()
        finally:
            if self._writer is not None:
                self._writer.close()
        width, height = self.size or (0, 0)
        return Recording(self.path, self.frames, self.last_s, width, height)


# --- the session -----------------------------------------------------------------------------


class PoseDetector(Protocol):
    """What the session needs from a pose model (:class:`~posturecheck.pose.PoseEstimator`)."""

    def detect(self, rgb: RGBImage, time_s: float) -> list[Detection]: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class LiveStats:
    """A snapshot for the page (taken under the session's lock)."""

    frames: int = 0
    dropped: int = 0
    reps: int = 0
    angles: LiveAngles = field(default_factory=LiveAngles)
    placement_ok: bool = False
    guidance: tuple[str, ...] = ()
    cues: tuple[str, ...] = ()
    recording: bool = False
    recorded_frames: int = 0
    recorded_s: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None


def percentiles_ms(times_ms: Sequence[float]) -> tuple[float | None, float | None]:
    """p50 and p95 of per-frame times (None, None when there are none)."""
    if len(times_ms) == 0:
        return None, None
    p50, p95 = np.percentile(np.asarray(times_ms, dtype=np.float64), [50, 95])
    return float(p50), float(p95)


class LiveSession:
    """Live analysis of one camera stream. Thread-safe: frames arrive on the stream's worker
    thread while the page reads :meth:`stats` and starts or stops recording.

    Args:
        detector: the pose model, made once (``LiveSession.open`` makes a VIDEO-mode one).
        exercise: which live cues apply (``auto`` guesses per rep).
        config: thresholds.
        clock: for per-frame timing (injectable in tests).
    """

    def __init__(
        self,
        detector: PoseDetector,
        *,
        exercise: LiveExercise = "auto",
        config: LiveConfig | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.config = config or LiveConfig()
        self.exercise: LiveExercise = exercise
        #: While True, :meth:`on_video_frames` passes frames through unprocessed.
        self.paused = False
        self._detector, self._clock = detector, clock
        self._lock = threading.Lock()
        self._filter = OneEuroFilter()
        self._placement = PlacementTracker(self.config.guidance_hold_s)
        self._height = HipHeight(self.config)
        self._reps = RepCounter(self.config.rep_min_depth, self.config.lost_after_s)
        self._side: Side = "right"
        self._facing = 0.0  # running vote: > 0 faces +x
        self._offset, self._last_in = 0.0, -math.inf
        self._cues: tuple[str, ...] = ()
        self._cue_until = -math.inf
        self._recorder: _Recorder | None = None
        self._times: deque[float] = deque(maxlen=self.config.timing_window)
        self._stats = LiveStats()

    @classmethod
    def open(cls, model_path: Path, **kwargs: Any) -> LiveSession:
        """A session with its own VIDEO-mode pose estimator."""
        return cls(PoseEstimator(model_path, mode="video"), **kwargs)

    # --- frames ----------------------------------------------------------------------------

    def on_video_frames(self, frames: Sequence[Any]) -> list[Any]:
        """streamlit-webrtc's queued-frames callback: process the newest ``av.VideoFrame``,
        drop the rest. Never raises (a failure logs and passes the frame through); while
        ``paused``, frames pass through unprocessed."""
        import av

        latest = frames[-1]
        if self.paused:
            return [latest]
        with self._lock:
            self._stats = replace(self._stats, dropped=self._stats.dropped + len(frames) - 1)
        try:
            rgb = latest.to_ndarray(format="rgb24")
            t = float(latest.time) if latest.time is not None else time.monotonic()
            out = av.VideoFrame.from_ndarray(self.process(rgb, t), format="rgb24")
        except Exception:
            log.exception("live frame failed; passing it through")
            return [latest]
        out.pts, out.time_base = latest.pts, latest.time_base
        return [out]

    def process(self, rgb: RGBImage, time_s: float) -> RGBImage:
        """Analyse one upright RGB frame shown at ``time_s``; return the overlay."""
        started = self._clock()
        if time_s + self._offset <= self._last_in:  # a new stream restarts its clock
            self._offset = self._last_in - time_s + 1.0 / 30.0
        t = time_s + self._offset
        self._last_in = t
        people = self._detector.detect(rgb, t)
        raw = people[0].pose if people else None
        pose = self._smooth(t, raw)
        height, width = rgb.shape[:2]
        guidance = self._placement.update(t, check_placement(raw, width, height, self.config))
        angles = self._angles(pose)
        rep = self._reps.update(t, self._height.update(t, pose), angles)
        if rep is not None:
            cues = tuple(f"Rep {rep.number}: {c}" for c in rep_cues(rep, self.exercise))
            if cues:
                self._cues, self._cue_until = cues, t + self.config.cue_hold_s
        cues = self._cues if t <= self._cue_until else ()
        standing = self._reps.state == "up"
        if not cues and (lock := lockout_cue(angles, standing, self.exercise)):
            cues = (lock,)
        with self._lock:
            recorder = self._recorder
            if recorder is not None:
                recorder.submit(rgb, t)
        rec_s = recorder.last_s if recorder is not None else None
        out = draw_live(rgb, pose, side=self._side, angles=angles, reps=self._reps.count,
                        guidance=guidance, cues=cues, recording_s=rec_s)  # fmt: skip
        elapsed_ms = (self._clock() - started) * 1000.0
        with self._lock:
            self._times.append(elapsed_ms)
            p50, p95 = percentiles_ms(self._times)
            self._stats = replace(
                self._stats, frames=self._stats.frames + 1, reps=self._reps.count,
                angles=angles, placement_ok=not guidance, guidance=guidance, cues=cues,
                recording=recorder is not None,
                recorded_frames=recorder.frames if recorder else self._stats.recorded_frames,
                recorded_s=rec_s if rec_s is not None else self._stats.recorded_s,
                p50_ms=p50, p95_ms=p95,
            )  # fmt: skip
        return out

    def _smooth(self, t: float, raw: PoseFrame | None) -> PoseFrame | None:
        if raw is None:
            self._filter.reset()
            return None
        return replace(raw, image_px=self._filter(t, raw.image_px))

    def _angles(self, pose: PoseFrame | None) -> LiveAngles:
        if pose is None:
            return LiveAngles()
        side = near_side(pose)
        self._side = side
        toe, heel = pose.image_px[_lm("FOOT_INDEX", side), 0], pose.image_px[_lm("HEEL", side), 0]
        nose, ear = pose.image_px[L.NOSE, 0], pose.image_px[_lm("EAR", side), 0]
        vote = toe - heel if math.isfinite(toe - heel) else nose - ear
        if math.isfinite(vote):
            self._facing = 0.9 * self._facing + 0.1 * float(np.sign(vote))
        return live_angles(pose, side, faces_right=self._facing >= 0)

    # --- recording and stats ----------------------------------------------------------------

    def start_recording(self, path: Path, size: tuple[int, int] | None = None) -> None:
        """Record from the next processed frame on, to ``path`` (the rep counter restarts).

        ``size``: the file's width and height (default: the first frame's); frames of
        another size are scaled to it. A recording that got no frame writes no file.
        """
        with self._lock:
            if self._recorder is not None:
                raise RuntimeError("already recording")
            self._recorder = _Recorder(path, size)
            self._reps.reset_count()
            self._stats = replace(self._stats, recording=True, recorded_frames=0, recorded_s=0.0)

    def stop_recording(self) -> Recording | None:
        """Finish the file (waits for the encoder); None if nothing was being recorded."""
        with self._lock:
            recorder, self._recorder = self._recorder, None
            self._stats = replace(self._stats, recording=False)
        return recorder.close() if recorder is not None else None

    @property
    def recording(self) -> bool:
        with self._lock:
            return self._recorder is not None

    def stats(self) -> LiveStats:
        with self._lock:
            return self._stats

    def frame_times_ms(self) -> list[float]:
        """Per-frame processing times of the last ``config.timing_window`` frames."""
        with self._lock:
            return list(self._times)

    def close(self) -> None:
        self.stop_recording()
        self._detector.close()


# --- benchmark hook ----------------------------------------------------------------------------


def letterbox(rgb: RGBImage, width: int, height: int) -> RGBImage:
    """Scale ``rgb`` to fit ``width`` x ``height`` and pad with black (a webcam-sized frame)."""
    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    small = cv2.resize(rgb, (nw, nh), interpolation=cv2.INTER_AREA)
    out = np.zeros((height, width, 3), dtype=np.uint8)
    y0, x0 = (height - nh) // 2, (width - nw) // 2
    out[y0 : y0 + nh, x0 : x0 + nw] = small
    return out


def webcam_frames(
    clip: Path, width: int = 640, height: int = 480, max_frames: int | None = None
) -> Iterator[tuple[RGBImage, float]]:
    """A recorded clip as a webcam would deliver it: letterboxed frames and their times."""
    for i, frame in enumerate(read_frames(clip, probe(clip))):
        if max_frames is not None and i >= max_frames:
            return
        yield letterbox(frame.rgb, width, height), frame.time_s


def benchmark_live(
    clip: Path,
    model_path: Path | None = None,
    *,
    size: tuple[int, int] = (640, 480),
    max_frames: int | None = None,
    record_to: Path | None = None,
) -> list[float]:
    """Feed ``clip`` frame by frame at ``size`` through a fresh :class:`LiveSession`; return
    each frame's processing time in ms (decoding and scaling not included). With
    ``record_to``, the frames are also recorded there."""
    from posturecheck.models import ensure_model

    session = LiveSession.open(model_path or ensure_model("full"))
    try:
        if record_to is not None:
            session.start_recording(record_to, size)
        times = []
        for rgb, t in webcam_frames(clip, *size, max_frames=max_frames):
            started = time.perf_counter()
            session.process(rgb, t)
            times.append((time.perf_counter() - started) * 1000.0)
        return times
    finally:
        session.close()
