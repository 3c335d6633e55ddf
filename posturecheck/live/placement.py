"""Camera placement: is the lifter side-on, whole and big enough in the frame for a
side-view analysis? :func:`check_placement` judges one frame and says what to change;
:class:`PlacementTracker` debounces its verdicts so the guidance does not flicker."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from posturecheck import geometry as g
from posturecheck.landmarks import Landmark
from posturecheck.live.config import LiveConfig, Side, side_landmark
from posturecheck.sequence import PoseFrame
from posturecheck.signal import point_confidence

L = Landmark
_PARTS = ("EAR", "SHOULDER", "HIP", "KNEE", "ANKLE", "HEEL", "FOOT_INDEX")
_SAY = {"FOOT_INDEX": "toes", "EAR": "head"}


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
    score = {
        s: np.nansum([pose.visibility[side_landmark(p, s)] for p in _PARTS])
        for s in ("left", "right")
    }
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
    parts = {p: int(side_landmark(p, side)) for p in _PARTS} | {"NOSE": int(L.NOSE)}
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
