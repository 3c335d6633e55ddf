"""The 33 BlazePose landmarks, addressed by enum, and the skeleton drawn between them."""

from __future__ import annotations

from enum import IntEnum


class Landmark(IntEnum):
    """BlazePose GHUM landmark indices; names say the lifter's side (not the image's)."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = len(Landmark)

L = Landmark

#: Segments drawn for the skeleton (face detail left out: it clutters a lifting video).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (L.LEFT_EAR, L.LEFT_SHOULDER),
    (L.RIGHT_EAR, L.RIGHT_SHOULDER),
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
)

_HAND_DETAIL = frozenset(
    {L.LEFT_PINKY, L.RIGHT_PINKY, L.LEFT_INDEX, L.RIGHT_INDEX, L.LEFT_THUMB, L.RIGHT_THUMB}
)

#: Joints drawn as dots: nose, ears, and the body from the shoulders down without finger detail.
DRAWN_JOINTS: tuple[Landmark, ...] = (
    L.NOSE,
    L.LEFT_EAR,
    L.RIGHT_EAR,
    *(lm for lm in Landmark if lm >= L.LEFT_SHOULDER and lm not in _HAND_DETAIL),
)


def is_left(lm: Landmark) -> bool:
    """True for the lifter's left-side landmarks (by name: the eyes break odd/even)."""
    return "LEFT" in lm.name.split("_")
