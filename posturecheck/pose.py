"""Pose estimation: the only module that runs MediaPipe.

One :class:`PoseEstimator` is created per video (or per live session) and reused for every
frame; in VIDEO mode it tracks between frames and needs strictly rising timestamps in whole
milliseconds, which :meth:`PoseEstimator.detect` guarantees.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import mediapipe as mp
import numpy as np
import numpy.typing as npt
from mediapipe.tasks.python import BaseOptions
from mediapipe.tasks.python.vision import (
    PoseLandmarker,
    PoseLandmarkerOptions,
    RunningMode,
)

from posturecheck.concurrency import SharedSwitch
from posturecheck.errors import ModelError
from posturecheck.frames import RGBImage
from posturecheck.sequence import PoseFrame

log = logging.getLogger(__name__)

Mode = Literal["video", "image"]


class _Sink:
    """fd 2 pointed at a temporary file; what landed there goes to the debug log on undo."""

    def __init__(self, fd: int) -> None:
        sys.stderr.flush()
        self.fd, self.saved = fd, os.dup(fd)
        self.file = tempfile.TemporaryFile()  # noqa: SIM115 (closed in undo)
        os.dup2(self.file.fileno(), fd)

    def undo(self) -> None:
        os.dup2(self.saved, self.fd)
        os.close(self.saved)
        with self.file:
            self.file.seek(0)
            chatter = self.file.read().decode(errors="replace").strip()
        if chatter:
            log.debug("MediaPipe: %s", chatter)


def _quiet() -> _Sink | None:
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # stderr replaced (tests, notebooks)
        return None
    return _Sink(fd)


def _speak(sink: _Sink | None) -> None:
    if sink is not None:
        sink.undo()


#: Shared by the lanes' estimators starting at once: redirected by the first, restored by the
#: last (each on its own could leave fd 2 pointing at another's sink: stderr lost for good).
_QUIET = SharedSwitch(_quiet, _speak)


def _native_stderr_to_log() -> contextlib.AbstractContextManager[None]:
    """Send what MediaPipe's C++ prints straight to fd 2 (start-up chatter) to the log.

    Loading the model prints a dozen INFO/WARNING lines ("Sparsity tensors may not yet be
    fully supported", accelerator registration) that mean nothing to a lifter.
    """
    return _QUIET.held()


@dataclass(frozen=True)
class Detection:
    """One person found in a frame: landmarks, and the person mask when asked for.

    ``mask`` is (H, W) float32 in [0, 1] (probability that the pixel is this person), the
    size of the frame; ``None`` unless the estimator was made with ``segmentation=True``.
    """

    pose: PoseFrame
    mask: npt.NDArray[np.float32] | None = None


def _to_pose_frame(image_lms: Any, world_lms: Any, width: int, height: int) -> PoseFrame:
    img = np.array([(p.x, p.y, p.z) for p in image_lms], dtype=np.float64)
    img *= (width, height, width)  # MediaPipe's z is scaled like x
    world = np.array([(p.x, p.y, p.z) for p in world_lms], dtype=np.float64)
    vis = np.array([p.visibility if p.visibility is not None else np.nan for p in image_lms])
    pres = np.array([p.presence if p.presence is not None else np.nan for p in image_lms])
    return PoseFrame(img, world, vis.astype(np.float64), pres.astype(np.float64))


class PoseEstimator:
    """MediaPipe PoseLandmarker, created once and reused.

    Args:
        model_path: a ``.task`` bundle (see :func:`posturecheck.models.ensure_model`).
        mode: ``"video"`` tracks across frames (fast, needs rising timestamps);
            ``"image"`` runs the detector on every frame (stills).
        num_poses: how many people to look for.
        min_detection_confidence, min_presence_confidence, min_tracking_confidence:
            MediaPipe's thresholds, each in [0, 1].
        segmentation: also return each person's mask (about 40% more time per frame).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        mode: Mode = "video",
        num_poses: int = 1,
        min_detection_confidence: float = 0.5,
        min_presence_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        segmentation: bool = False,
    ) -> None:
        for name, value in (
            ("min_detection_confidence", min_detection_confidence),
            ("min_presence_confidence", min_presence_confidence),
            ("min_tracking_confidence", min_tracking_confidence),
        ):
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value}")
        if num_poses < 1:
            raise ValueError(f"num_poses must be at least 1, got {num_poses}")
        if mode not in ("video", "image"):
            raise ValueError(f"mode must be 'video' or 'image', got {mode!r}")
        self.mode: Mode = mode
        options = PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(model_path)),
            running_mode=RunningMode.VIDEO if mode == "video" else RunningMode.IMAGE,
            num_poses=num_poses,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence,
            output_segmentation_masks=segmentation,
        )
        try:
            with _native_stderr_to_log():
                self._landmarker: PoseLandmarker | None = PoseLandmarker.create_from_options(
                    options
                )
        except (RuntimeError, ValueError, FileNotFoundError, OSError) as exc:
            raise ModelError(
                f"The pose model {model_path} could not be loaded ({exc}). "
                "Run `posturecheck models --force` to rebuild it."
            ) from exc
        self._last_ms = -1
        self._first = True

    def detect(self, rgb: RGBImage, time_s: float) -> list[Detection]:
        """People found in one upright RGB frame (an empty list when there is nobody)."""
        if self._landmarker is None:
            raise RuntimeError("PoseEstimator is closed")
        height, width = rgb.shape[:2]
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        # The first inference prints more native warnings; later ones are silent.
        quiet = _native_stderr_to_log() if self._first else contextlib.nullcontext()
        self._first = False
        with quiet:
            if self.mode == "video":
                ms = max(round(time_s * 1000), self._last_ms + 1)
                self._last_ms = ms
                result = self._landmarker.detect_for_video(image, ms)
            else:
                result = self._landmarker.detect(image)
        # A copy: the view's memory belongs to the landmarker and goes with it (reading a
        # mask after close() crashed the interpreter).
        masks: list[npt.NDArray[np.float32] | None] = [
            np.array(m.numpy_view(), dtype=np.float32).reshape(height, width)
            for m in (result.segmentation_masks or [])
        ]
        poses = zip(result.pose_landmarks, result.pose_world_landmarks, strict=True)
        return [
            Detection(
                _to_pose_frame(img, world, width, height), masks[i] if i < len(masks) else None
            )
            for i, (img, world) in enumerate(poses)
        ]

    def close(self) -> None:
        if self._landmarker is not None:
            with _native_stderr_to_log():
                self._landmarker.close()
            self._landmarker = None

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
