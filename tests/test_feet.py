"""Planted feet: feet the model is unsure of go back to where they were seen."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posturecheck.defaults import DEFAULTS
from posturecheck.feet import FOOT_POINTS, plant_feet
from posturecheck.landmarks import Landmark as L  # noqa: N817

from builders import SidePose, side_view


def test_unsure_feet_return_to_where_they_were_seen() -> None:
    seq = side_view(SidePose(knee_flexion_deg=20.0), n_frames=90, near_visibility=0.95)
    true_xy = seq.image_px[:, L.RIGHT_ANKLE, :2].copy()
    image, vis = seq.image_px.copy(), seq.visibility.copy()
    # Frames 40-59: the plates hide the feet and the model draws the ankle 80 px up the shin.
    image[40:60, L.RIGHT_ANKLE, 1] -= 80
    vis[40:60, L.RIGHT_ANKLE] = 0.4
    planted = plant_feet(replace(seq, image_px=image, visibility=vis))
    np.testing.assert_allclose(planted.image_px[40:60, L.RIGHT_ANKLE, :2], true_xy[40:60])
    assert (planted.visibility[40:60, L.RIGHT_ANKLE] <= DEFAULTS.feet.inferred_visibility).all()
    np.testing.assert_array_equal(planted.image_px[:40], image[:40])  # seen feet untouched
    np.testing.assert_array_equal(planted.image_px[:, L.RIGHT_KNEE], image[:, L.RIGHT_KNEE])


def test_feet_never_seen_stay_as_they_are() -> None:
    seq = side_view(SidePose(), n_frames=30, far_visibility=0.2)
    planted = plant_feet(seq)
    far = [lm for lm in FOOT_POINTS if seq.visibility[0, lm] < DEFAULTS.feet.min_visibility]
    assert far, "the far foot is unsure in every frame"
    for lm in far:
        np.testing.assert_array_equal(planted.image_px[:, lm], seq.image_px[:, lm])
