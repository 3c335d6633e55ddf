"""Vectorised 2D geometry in image coordinates, over any leading shape (usually time).

Points are arrays of shape ``(..., 2)`` holding image x (pixels, to the right) and y (pixels,
**downwards**). Every function broadcasts over the leading axes and returns float64.

Sign conventions (all stated as seen on the screen, so no one has to flip y in their head):

* **clockwise** means clockwise on the screen, as a clock hand turns from 12 to 3. Because
  image y points down, this is the *positive* mathematical direction in image coordinates.
* "up" is ``-y``; "right" is ``+x``. Heights are measured upwards: ``up = -y``.

NaN in any input coordinate gives NaN out, never 0. A zero-length segment has no direction,
so angles built on one are NaN too.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def _xy(points: ArrayLike) -> FloatArray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.ndim == 0 or arr.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {arr.shape}")
    return arr


def _nan_where_zero(value: FloatArray, *lengths: FloatArray) -> FloatArray:
    bad = np.zeros(np.shape(value), dtype=bool)
    for length in lengths:
        bad |= length == 0
    return np.where(bad, np.nan, value)


def vector(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """The segment ``a → b`` as a vector, ``(..., 2)``."""
    return _xy(b) - _xy(a)


def norm(v: ArrayLike) -> FloatArray:
    """Length of vectors ``(..., 2)`` → ``(...)``."""
    arr = _xy(v)
    return np.asarray(np.hypot(arr[..., 0], arr[..., 1]), dtype=np.float64)


def distance(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Distance between points ``a`` and ``b``."""
    return norm(vector(a, b))


def midpoint(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Midpoint of ``a`` and ``b``."""
    return (_xy(a) + _xy(b)) / 2.0


def cross(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """2D cross product ``u.x*v.y - u.y*v.x``: positive when ``v`` is clockwise of ``u``."""
    uu, vv = _xy(u), _xy(v)
    return np.asarray(uu[..., 0] * vv[..., 1] - uu[..., 1] * vv[..., 0], dtype=np.float64)


def dot(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Dot product of vectors ``(..., 2)``."""
    uu, vv = _xy(u), _xy(v)
    return np.asarray(uu[..., 0] * vv[..., 0] + uu[..., 1] * vv[..., 1], dtype=np.float64)


def angle_between_deg(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Unsigned angle between vectors, in [0, 180] degrees."""
    deg = np.degrees(np.arctan2(np.abs(cross(u, v)), dot(u, v)))
    return _nan_where_zero(deg, norm(u), norm(v))


def signed_angle_deg(u: ArrayLike, v: ArrayLike) -> FloatArray:
    """Angle turning ``u`` onto ``v``, in (-180, 180]; positive = clockwise on screen."""
    deg = np.degrees(np.arctan2(cross(u, v), dot(u, v)))
    deg = np.where(deg == -180.0, 180.0, deg)
    return _nan_where_zero(deg, norm(u), norm(v))


def joint_angle_deg(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """Interior angle ``a-b-c`` at ``b``, in [0, 180] (180 = straight)."""
    return angle_between_deg(vector(b, a), vector(b, c))


def bend_deg(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> FloatArray:
    """How far the chain ``a → b → c`` turns at ``b``, in (-180, 180].

    0 when the three points are in line; positive when the chain turns clockwise on screen at
    ``b`` (the direction ``b → c`` is clockwise of ``a → b``). Equals
    ``±(180 - joint_angle_deg(a, b, c))``. This is a flexion angle with 0 at full extension:
    with the lifter facing right (+x), knee flexion is ``bend(hip, knee, ankle)`` and hip
    flexion ``bend(knee, hip, shoulder)``.
    """
    return signed_angle_deg(vector(a, b), vector(b, c))


def inclination_deg(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Angle of segment ``a → b`` from the upward vertical, in (-180, 180].

    0 when ``b`` is straight above ``a``; positive when ``b`` leans to the right of ``a``
    (clockwise on screen); ±180 when ``b`` is straight below.
    """
    v = vector(a, b)
    deg = np.degrees(np.arctan2(v[..., 0], -v[..., 1]))
    deg = np.where(deg == -180.0, 180.0, deg)
    return _nan_where_zero(deg, norm(v))


def direction_deg(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Angle of segment ``a → b`` from the rightward horizontal, in (-180, 180].

    0 when ``b`` is straight right of ``a``, +90 straight above (counter-clockwise on screen
    is positive, as on a protractor), 180 straight left.
    """
    v = vector(a, b)
    deg = np.degrees(np.arctan2(-v[..., 1], v[..., 0]))
    deg = np.where(deg == -180.0, 180.0, deg)
    return _nan_where_zero(deg, norm(v))


def elevation_deg(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """How far ``b`` rises above ``a`` as an angle from the horizontal, in [-90, 90].

    Positive when ``b`` is higher on screen than ``a``; independent of which side ``b`` is on
    (mirroring x does not change it).
    """
    v = vector(a, b)
    deg = np.degrees(np.arctan2(-v[..., 1], np.abs(v[..., 0])))
    return _nan_where_zero(deg, norm(v))


def signed_distance(p: ArrayLike, a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Perpendicular distance of ``p`` from the line through ``a → b``, in pixels.

    Positive when ``p`` is clockwise of the line's direction, i.e. on its right-hand side
    as seen on screen when walking from ``a`` to ``b`` (for an upward line: to the right).
    """
    ab = vector(a, b)
    length = norm(ab)
    return _nan_where_zero(cross(ab, vector(a, p)) / np.where(length == 0, 1.0, length), length)


def perpendicular_offset(p: ArrayLike, a: ArrayLike, b: ArrayLike, toward: ArrayLike) -> FloatArray:
    """Distance of ``p`` from line ``a-b``, positive on the side where ``toward`` lies.

    Use it when the meaningful sign is anatomical (e.g. "towards the other leg"), so it does
    not depend on the camera or on mirroring. NaN when ``toward`` lies on the line.
    """
    side = np.sign(signed_distance(toward, a, b))
    return np.where(side == 0, np.nan, signed_distance(p, a, b) * side)


def mirror_x(points: ArrayLike) -> FloatArray:
    """Reflect points about x = 0 (image x → -x); y unchanged."""
    arr = _xy(points).copy()
    arr[..., 0] = -arr[..., 0]
    return arr


def rotate_deg(points: ArrayLike, angle_deg: float, about: ArrayLike = (0.0, 0.0)) -> FloatArray:
    """Rotate points clockwise on screen by ``angle_deg`` about ``about``."""
    arr, centre = _xy(points), _xy(about)
    rad = np.radians(angle_deg)
    c, s = np.cos(rad), np.sin(rad)
    rel = arr - centre
    # In image coordinates (y down) the positive mathematical rotation is clockwise on screen.
    x = c * rel[..., 0] - s * rel[..., 1]
    y = s * rel[..., 0] + c * rel[..., 1]
    return np.stack([x, y], axis=-1) + centre
