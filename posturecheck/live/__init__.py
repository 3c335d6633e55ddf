"""Live feedback from a camera, one frame at a time (no Streamlit here).

:class:`LiveSession` takes upright RGB frames with their times and, for each, runs the pose
model (one estimator in VIDEO mode, made once), smooths the landmarks causally (One Euro),
measures the key side-view angles, counts reps on the lifter's normalised hip height (a
causal twin of :mod:`posturecheck.reps`: good enough live; the full review re-detects),
checks the camera placement, and draws all of it on the frame. While recording, every
processed input frame (raw, not the overlay) goes to an H.264 file at its own time, encoded
on a background thread; the file is then analysed like an upload.

The modules, one job each:

* :mod:`~posturecheck.live.config`: :class:`LiveConfig`, the lifter's side and exercise;
* :mod:`~posturecheck.live.placement`: is the camera placed right, and what to change;
* :mod:`~posturecheck.live.reps`: angles, causal rep counting and the per-rep cues;
* :mod:`~posturecheck.live.overlay`: drawing it all on the frame;
* :mod:`~posturecheck.live.recording`: the raw frames to an H.264 file;
* :mod:`~posturecheck.live.session`: :class:`LiveSession`, which runs them per frame;
* :mod:`~posturecheck.live.bench`: a clip fed as webcam frames, timed per frame.
"""

from posturecheck.live.bench import benchmark_live, letterbox, webcam_frames
from posturecheck.live.config import LiveConfig, LiveExercise, Side
from posturecheck.live.overlay import CUE_COLOR, GUIDE_COLOR, draw_live
from posturecheck.live.placement import Placement, PlacementTracker, check_placement, near_side
from posturecheck.live.recording import Recording
from posturecheck.live.reps import (
    HipHeight,
    LiveAngles,
    LiveRep,
    RepCounter,
    live_angles,
    lockout_cue,
    rep_cues,
)
from posturecheck.live.session import LiveSession, LiveStats, PoseDetector, percentiles_ms

__all__ = [
    "CUE_COLOR",
    "GUIDE_COLOR",
    "HipHeight",
    "LiveAngles",
    "LiveConfig",
    "LiveExercise",
    "LiveRep",
    "LiveSession",
    "LiveStats",
    "Placement",
    "PlacementTracker",
    "PoseDetector",
    "Recording",
    "RepCounter",
    "Side",
    "benchmark_live",
    "check_placement",
    "draw_live",
    "letterbox",
    "live_angles",
    "lockout_cue",
    "near_side",
    "percentiles_ms",
    "rep_cues",
    "webcam_frames",
]
