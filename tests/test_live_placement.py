"""Camera placement guidance (posturecheck.live.placement), alone and in the session."""

from __future__ import annotations

import numpy as np
import pytest

from posturecheck.landmarks import Landmark
from posturecheck.live import LiveConfig, LiveSession, Placement, PlacementTracker, check_placement
from posturecheck.sequence import PoseSequence

from builders import Camera, frame_times, front_view, side_view
from live_fakes import FPS, GOOD, FakeDetector, H, W, blank, first

L = Landmark


def _seen_knee(vis: float) -> PoseSequence:
    return side_view(camera=GOOD, visibility={L.RIGHT_KNEE: vis})


PLACEMENTS = [
    # (what, pose sequence or None, expected first message (prefix), or None for OK)
    ("nobody", None, "Move into the frame: the camera cannot see you."),
    ("side-on, whole body, 80% of the height", side_view(camera=GOOD), None),
    ("side-on facing left", side_view(camera=GOOD, facing="left"), None),
    ("far away", side_view(camera=Camera(scale=0.3)), "Step closer: you fill 30%"),
    ("too close", side_view(camera=Camera(scale=1.3, origin_px=(320, 470))), "Step back:"),
    ("facing the camera", front_view(camera=GOOD), "Turn side-on to the camera"),
    ("cut at the left edge", side_view(camera=Camera(0.8, origin_px=(5, 440))), "Move into"),
    ("feet out, large", side_view(camera=Camera(0.8, origin_px=(320, 500))), "Step back: your f"),
    ("feet out, small", side_view(camera=Camera(0.5, origin_px=(320, 520))), "Move into the f"),
    ("head out, small", side_view(camera=Camera(0.5, origin_px=(320, 200))), "Move into the f"),
    ("knee hidden", _seen_knee(0.1), "Move into the frame so the camera sees your knee"),
]


@pytest.mark.parametrize(("what", "seq", "expected"), PLACEMENTS, ids=[p[0] for p in PLACEMENTS])
def test_placement_guidance(what: str, seq: PoseSequence | None, expected: str | None) -> None:
    placement = check_placement(first(seq) if seq else None, W, H, LiveConfig())
    if expected is None:
        assert placement.ok, placement.messages
    else:
        assert not placement.ok
        assert placement.messages[0].startswith(expected), placement.messages


def test_placement_names_the_cut_edge_and_the_aim() -> None:
    left = check_placement(
        first(side_view(camera=Camera(0.8, origin_px=(5, 440)))), W, H, LiveConfig()
    )
    assert any("cut off at the left edge" in m for m in left.messages)
    low = side_view(camera=Camera(0.5, origin_px=(320, 520)))
    assert "aim the camera lower" in check_placement(first(low), W, H, LiveConfig()).messages[0]
    high = side_view(camera=Camera(0.5, origin_px=(320, 200)))
    assert (
        "head is cut off; aim the camera higher"
        in check_placement(first(high), W, H, LiveConfig()).messages[0]
    )


def test_placement_measures_height_and_turn() -> None:
    side = check_placement(first(side_view(camera=GOOD)), W, H, LiveConfig())
    front = check_placement(first(front_view(camera=GOOD)), W, H, LiveConfig())
    assert side.height_frac == pytest.approx(0.8, abs=0.05)
    assert side.side_width is not None and side.side_width < 0.05
    assert front.side_width is not None and front.side_width > 0.5


def test_placement_tracker_debounces() -> None:
    bad, good = Placement(("Step back: x",)), Placement(())
    tracker = PlacementTracker(hold_s=0.5)
    assert tracker.update(0.0, bad) == ("Step back: x",)
    assert tracker.update(0.1, good) == ("Step back: x",)  # not held long enough yet
    assert tracker.update(0.5, good) == ("Step back: x",)
    assert tracker.update(0.61, good) == ()  # right for 0.51 s: guidance goes
    assert tracker.update(0.7, bad) == ()  # a glitch does not bring it back
    assert tracker.update(0.8, good) == ()
    assert tracker.update(0.9, bad) == ()
    assert tracker.update(1.45, bad) == ("Step back: x",)


def test_guidance_in_the_session_until_placed_then_gone() -> None:
    n = int(2 * FPS)
    missing = np.arange(n) < 15  # nobody for half a second, then placed well
    session = LiveSession(FakeDetector(side_view(camera=GOOD, n_frames=n, missing=missing)))
    shown = []
    for t in frame_times(n, FPS):
        session.process(blank(), float(t))
        shown.append(session.stats().guidance)
    assert shown[0] == ("Move into the frame: the camera cannot see you.",)
    assert shown[20] == shown[0]  # placed for 0.17 s: still shown
    assert shown[-1] == () and session.stats().placement_ok
