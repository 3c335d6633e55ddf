"""Planted feet: where the model loses the feet, put them back where they were last seen.

In a squat or a deadlift the feet stay where they are. The pose model, though, loses them
behind the plates or in shadow and then invents them — often well up the shin (seen on real
clips: the ankle drawn 100 px above the floor while the lifter is bent over the bar), which
wrecks knee angles, shank angles and every foot-based measure. Here each foot landmark that
the model is unsure of is replaced by the median of where it was seen clearly nearby in
time, and its visibility is capped, so that rules needing truly visible feet (heel lift)
still know it was inferred.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posturecheck.defaults import DEFAULTS, FeetDefaults
from posturecheck.landmarks import Landmark as L  # noqa: N817
from posturecheck.sequence import PoseSequence

FOOT_POINTS = (
    L.LEFT_ANKLE,
    L.RIGHT_ANKLE,
    L.LEFT_HEEL,
    L.RIGHT_HEEL,
    L.LEFT_FOOT_INDEX,
    L.RIGHT_FOOT_INDEX,
)


def plant_feet(seq: PoseSequence, settings: FeetDefaults = DEFAULTS.feet) -> PoseSequence:
    """``seq`` with unsure foot landmarks replaced by where they were seen clearly."""
    image = seq.image_px.copy()
    vis = seq.visibility.copy()
    t = seq.time_s
    for lm in FOOT_POINTS:
        seen = np.isfinite(image[:, lm, 0]) & (seq.visibility[:, lm] >= settings.min_visibility)
        unsure = ~seen & np.isfinite(image[:, lm, 0])
        if not seen.any() or not unsure.any():
            continue
        good_t = t[seen]
        good_xy = image[seen, lm]
        for i in np.flatnonzero(unsure):
            lo = np.searchsorted(good_t, t[i] - settings.window_s, side="left")
            hi = np.searchsorted(good_t, t[i] + settings.window_s, side="right")
            if hi - lo < settings.min_seen_frames:
                continue
            image[i, lm] = np.median(good_xy[lo:hi], axis=0)
            vis[i, lm] = min(vis[i, lm], settings.inferred_visibility)
    return replace(seq, image_px=image, visibility=vis)
