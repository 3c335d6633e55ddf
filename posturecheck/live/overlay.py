"""The live overlay: :func:`draw_live` draws the skeleton, angles, rep count, recording
time and the guidance or cues on a copy of the frame."""

from __future__ import annotations

import math

import cv2

from posturecheck.draw import CaptionAnnotator, SkeletonAnnotator
from posturecheck.frames import RGBImage
from posturecheck.live.config import Side, side_landmark
from posturecheck.live.reps import LiveAngles
from posturecheck.sequence import PoseFrame

GUIDE_COLOR = (230, 150, 20)
CUE_COLOR = (220, 40, 40)

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
            x, y = pose.image_px[side_landmark(part, side), :2]
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
