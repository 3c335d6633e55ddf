"""Drawing: bones where the landmarks are, shaded by visibility, faults in red, captions in
boxes, and the frame given never modified."""

from __future__ import annotations

import numpy as np
import pytest

from posturecheck.draw import (
    FAULT_COLOR,
    HIDDEN_COLOR,
    LEFT_COLOR,
    CaptionAnnotator,
    Marks,
    SkeletonAnnotator,
    _shade,
    draw_frame,
)
from posturecheck.landmarks import NUM_LANDMARKS, Landmark
from posturecheck.sequence import PoseFrame

W, H = 640, 480
THIGH = (Landmark.LEFT_HIP, Landmark.LEFT_KNEE)


def _pose(visibility: float = 1.0) -> PoseFrame:
    """Every landmark off-frame but a vertical left thigh in the middle of the picture."""
    xy = np.full((NUM_LANDMARKS, 3), np.nan)
    xy[Landmark.LEFT_HIP] = (320.0, 150.0, 0.0)
    xy[Landmark.LEFT_KNEE] = (320.0, 350.0, 0.0)
    vis = np.full(NUM_LANDMARKS, visibility)
    return PoseFrame(xy, np.zeros((NUM_LANDMARKS, 3)), vis, np.ones(NUM_LANDMARKS))


def _scene() -> np.ndarray:
    return np.full((H, W, 3), 60, np.uint8)


def _mid_thigh(img: np.ndarray) -> tuple[int, int, int]:
    r, g, b = img[250, 320]
    return int(r), int(g), int(b)


def test_shade_blends_from_grey_to_the_colour_and_treats_nan_as_hidden() -> None:
    assert _shade(LEFT_COLOR, 1.0) == LEFT_COLOR
    assert _shade(LEFT_COLOR, 0.0) == HIDDEN_COLOR
    assert _shade(LEFT_COLOR, float("nan")) == HIDDEN_COLOR
    assert _shade(LEFT_COLOR, 7.0) == LEFT_COLOR  # clipped
    half = _shade(LEFT_COLOR, 0.5)
    assert all(
        min(a, b) <= c <= max(a, b) for a, b, c in zip(LEFT_COLOR, HIDDEN_COLOR, half, strict=True)
    )


def test_bone_is_drawn_between_its_landmarks_in_its_side_colour() -> None:
    scene = _scene()
    out = SkeletonAnnotator().annotate(scene, _pose())
    assert _mid_thigh(out) == LEFT_COLOR
    assert tuple(out[250, 100]) == (60, 60, 60)  # away from the bone: untouched
    assert np.all(scene == 60)  # the frame given is not modified


def test_hidden_bone_is_grey_and_highlighted_bone_red_and_thicker() -> None:
    hidden = SkeletonAnnotator().annotate(_scene(), _pose(visibility=0.0))
    assert _mid_thigh(hidden) == HIDDEN_COLOR
    plain = SkeletonAnnotator().annotate(_scene(), _pose())
    marked = SkeletonAnnotator().annotate(_scene(), _pose(), highlight=frozenset({THIGH}))
    assert _mid_thigh(marked) == FAULT_COLOR

    def width(img: np.ndarray) -> int:
        return int(np.count_nonzero(np.any(img[250] != 60, axis=-1)))

    assert width(marked) > width(plain) >= 2


def test_no_pose_draws_nothing() -> None:
    scene = _scene()
    assert np.array_equal(SkeletonAnnotator().annotate(scene, None), scene)


def test_caption_darkens_a_box_top_left_and_cue_box_sits_at_the_bottom_in_red() -> None:
    top = CaptionAnnotator().annotate(_scene(), ["t 1.00 s  frame 30"])
    assert top[2, 2].max() < 60 and tuple(top[H - 3, 2]) == (60, 60, 60)
    cue = CaptionAnnotator(bottom=True, box=FAULT_COLOR).annotate(_scene(), ["Chest up"])
    r, g, b = (int(v) for v in cue[H - 3, 2])
    assert r > 150 and g < 100 and b < 100
    assert tuple(cue[2, 2]) == (60, 60, 60)


def test_a_line_too_wide_is_shrunk_to_fit_the_frame() -> None:
    out = CaptionAnnotator().annotate(_scene(), ["x" * 200])
    box = np.flatnonzero(out[2, :, 0] < 60)
    assert box[0] == 0 and 0.9 * W < box[-1] < W  # spans the frame, no wider
    assert out[H // 2 :, :].max() == 60  # and stays a single line at the top


@pytest.mark.parametrize("cues", [(), ("Push the floor away",)])
def test_draw_frame_layers_skeleton_caption_and_cues_on_one_copy(cues: tuple[str, ...]) -> None:
    scene = _scene()
    out = draw_frame(scene, _pose(), 30, 1.0, Marks(frozenset({THIGH}), cues))
    assert np.all(scene == 60)
    assert _mid_thigh(out) == FAULT_COLOR
    assert out[2, 2].max() < 60  # time and frame caption
    bottom_red = int(out[H - 3, 2, 0]) > 150
    assert bottom_red == bool(cues)
