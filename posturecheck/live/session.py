"""The live session: :class:`LiveSession` takes upright RGB frames with their times and, for
each, runs the pose model (one estimator in VIDEO mode, made once), smooths the landmarks
causally (One Euro), checks the camera placement, measures the angles, counts reps, records
while asked to, and returns the overlay; :class:`LiveStats` is its snapshot for the page.

Keeping up: :meth:`LiveSession.on_video_frames` is given every frame that arrived since its
last call and processes only the newest; the others are counted as dropped, never queued.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from posturecheck.frames import RGBImage
from posturecheck.landmarks import Landmark
from posturecheck.live.config import LiveConfig, LiveExercise, Side, side_landmark
from posturecheck.live.overlay import draw_live
from posturecheck.live.placement import PlacementTracker, check_placement, near_side
from posturecheck.live.recording import Recorder, Recording
from posturecheck.live.reps import (
    HipHeight,
    LiveAngles,
    RepCounter,
    live_angles,
    lockout_cue,
    rep_cues,
)
from posturecheck.pose import Detection, PoseEstimator
from posturecheck.sequence import PoseFrame
from posturecheck.signal import OneEuroFilter

log = logging.getLogger(__name__)

L = Landmark


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
        self._recorder: Recorder | None = None
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
        toe, heel = (
            pose.image_px[side_landmark("FOOT_INDEX", side), 0],
            pose.image_px[side_landmark("HEEL", side), 0],
        )
        nose, ear = pose.image_px[L.NOSE, 0], pose.image_px[side_landmark("EAR", side), 0]
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
            self._recorder = Recorder(path, size)
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
