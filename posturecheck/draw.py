"""Drawing on frames: the skeleton (shaded by visibility) and a caption with time and frame.

Annotators' ``annotate`` never modifies the frame it is given and returns a new image;
``draw`` draws onto the image it is given (one copy for all the layers of a frame).
Sizes scale with the frame so the overlay reads the same on a 480p webcam and a 4K phone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from posturecheck.frames import RGBImage
from posturecheck.landmarks import DRAWN_JOINTS, SKELETON, Landmark, is_left
from posturecheck.sequence import PoseFrame

Color = tuple[int, int, int]

#: RGB colours: the lifter's left side warm, right side cool, low visibility fades to grey.
LEFT_COLOR: Color = (255, 170, 40)
RIGHT_COLOR: Color = (40, 200, 255)
CENTRE_COLOR: Color = (235, 235, 235)
HIDDEN_COLOR: Color = (110, 110, 110)
FAULT_COLOR: Color = (235, 40, 40)


def _scale(image: RGBImage) -> float:
    """Overlay size relative to a 1280-px frame, floored so small frames stay legible."""
    return max(0.6, float(max(image.shape[0], image.shape[1])) / 1280.0)


def _shade(base: Color, visibility: float) -> Color:
    """Blend from grey (not visible) to ``base`` (fully visible); NaN counts as hidden."""
    v = min(max(visibility, 0.0), 1.0) if math.isfinite(visibility) else 0.0
    (r, g, b), (hr, hg, hb) = base, HIDDEN_COLOR
    return (round(hr + (r - hr) * v), round(hg + (g - hg) * v), round(hb + (b - hb) * v))


def _side_color(lm: Landmark) -> Color:
    if lm == Landmark.NOSE:
        return CENTRE_COLOR
    return LEFT_COLOR if is_left(lm) else RIGHT_COLOR


#: Each bone with its colour (a bone joining the two sides is drawn in the centre colour),
#: and each drawn joint with its colour, at full visibility.
_BONES: tuple[tuple[Landmark, Landmark, Color], ...] = tuple(
    (a, b, _side_color(a) if is_left(a) == is_left(b) else CENTRE_COLOR) for a, b in SKELETON
)
_JOINTS: tuple[tuple[Landmark, Color], ...] = tuple((lm, _side_color(lm)) for lm in DRAWN_JOINTS)


@dataclass(frozen=True)
class SkeletonAnnotator:
    """Draws bones and joints; bones in ``highlight`` are drawn thick in the fault colour."""

    thickness: int = 3
    radius: int = 5

    def annotate(
        self,
        scene: RGBImage,
        pose: PoseFrame | None,
        highlight: frozenset[tuple[Landmark, Landmark]] = frozenset(),
    ) -> RGBImage:
        out = scene.copy()
        self.draw(out, pose, highlight)
        return out

    def draw(
        self,
        out: RGBImage,
        pose: PoseFrame | None,
        highlight: frozenset[tuple[Landmark, Landmark]] = frozenset(),
    ) -> None:
        """Draw onto ``out`` itself (what :meth:`annotate` does on a copy)."""
        if pose is None:
            return
        s = _scale(out)
        thick = max(1, round(self.thickness * s))
        radius = max(2, round(self.radius * s))
        xy = pose.image_px[:, :2]
        # Python ints and floats once, not numpy scalars per bone (half the drawing time).
        finite = np.isfinite(xy)
        shown: list[bool] = (finite[:, 0] & finite[:, 1]).tolist()
        rounded: list[list[int]] = np.rint(np.where(finite, xy, 0.0)).astype(int).tolist()
        pts = [(x, y) for x, y in rounded]
        vis: list[float] = pose.visibility.tolist()
        for a, b, base in _BONES:
            if not (shown[a] and shown[b]):
                continue
            if (a, b) in highlight or (b, a) in highlight:
                color, width = FAULT_COLOR, thick * 2
            else:
                color, width = _shade(base, min(vis[a], vis[b])), thick
            cv2.line(out, pts[a], pts[b], color, width, cv2.LINE_AA)
        for lm, base in _JOINTS:
            if not shown[lm]:
                continue
            color = _shade(base, vis[lm])
            cv2.circle(out, pts[lm], radius, color, -1, cv2.LINE_AA)
            cv2.circle(out, pts[lm], radius, (20, 20, 20), max(1, thick // 2), cv2.LINE_AA)


@dataclass(frozen=True)
class CaptionAnnotator:
    """Writes lines of text in a box: top-left in a dark box (time, frame), or along the
    bottom (``bottom=True``) in a box of ``box`` colour (the cue for a flagged fault).

    Lines too wide for the frame are shrunk to fit.
    """

    font_scale: float = 0.8
    bottom: bool = False
    box: Color | None = None

    def annotate(
        self, scene: RGBImage, lines: list[str], color: Color = (255, 255, 255)
    ) -> RGBImage:
        out = scene.copy()
        self.draw(out, lines, color)
        return out

    def draw(self, out: RGBImage, lines: list[str], color: Color = (255, 255, 255)) -> None:
        """Draw onto ``out`` itself (what :meth:`annotate` does on a copy)."""
        if not lines:
            return
        s = _scale(out)
        scale = max(0.35, self.font_scale * s)
        thick = max(1, round(2 * s))
        font = cv2.FONT_HERSHEY_SIMPLEX
        pad = max(4, round(8 * s))
        widest = max(cv2.getTextSize(line, font, scale, thick)[0][0] for line in lines)
        if widest + 2 * pad > out.shape[1]:
            scale *= (out.shape[1] - 2 * pad) / (widest + 2 * pad)
        sizes = [cv2.getTextSize(line, font, scale, thick)[0] for line in lines]
        line_h = max(h for _, h in sizes) + pad
        box_w = min(out.shape[1], max(w for w, _ in sizes) + 2 * pad)
        box_h = min(out.shape[0], line_h * len(lines) + pad)
        top = out.shape[0] - box_h if self.bottom else 0
        roi = out[top : top + box_h, 0:box_w]
        if self.box is None:
            roi[:] = (roi * 0.35).astype(np.uint8)
        else:
            roi[:] = (roi * 0.3 + np.array(self.box) * 0.7).astype(np.uint8)
        for i, line in enumerate(lines):
            y = top + pad + line_h * (i + 1) - pad // 2
            cv2.putText(out, line, (pad, y), font, scale, color, thick, cv2.LINE_AA)


@dataclass(frozen=True)
class Marks:
    """What to draw on one frame beyond the skeleton: bones in red, and cue lines."""

    bones: frozenset[tuple[Landmark, Landmark]] = frozenset()
    cues: tuple[str, ...] = ()


def draw_frame(
    rgb: RGBImage, pose: PoseFrame | None, index: int, time_s: float, marks: Marks | None = None
) -> RGBImage:
    """The annotated frame: skeleton, time and frame number, and any fault marks."""
    marks = marks or Marks()
    out = rgb.copy()
    _SKELETON.draw(out, pose, highlight=marks.bones)
    _CAPTION.draw(out, [frame_caption(index, time_s)])
    _CUE.draw(out, list(marks.cues))
    return out


def frame_caption(index: int, time_s: float) -> str:
    """``t 12.34 s  frame 370``."""
    return f"t {time_s:6.2f} s  frame {index}"


_SKELETON = SkeletonAnnotator()
_CAPTION = CaptionAnnotator()
_CUE = CaptionAnnotator(font_scale=0.9, bottom=True, box=FAULT_COLOR)
