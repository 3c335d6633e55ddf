"""Geometry: exact values with stated sign conventions, invariances, NaN propagation, ranges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from posturecheck import geometry as g

NAN = math.nan
coord = st.floats(-1e3, 1e3, allow_nan=False)
point = st.tuples(coord, coord)
angle = st.floats(-360, 360, allow_nan=False)
scale = st.floats(0.05, 20, allow_nan=False)
transform = st.tuples(angle, scale, point)  # rotate (clockwise), scale, then translate


def _separated(*pts: tuple[float, float], min_dist: float = 1.0) -> bool:
    return all(math.dist(p, q) >= min_dist for i, p in enumerate(pts) for q in pts[i + 1 :])


def _wrap(deg: float | np.ndarray) -> np.ndarray:
    return np.asarray((np.asarray(deg) + 180.0) % 360.0 - 180.0)


def _transform(pts: list[tuple[float, float]], rot: float, k: float, shift: tuple[float, float]):
    return [g.rotate_deg(np.array(p) * k, rot) + np.array(shift) for p in pts]


# --- exact values and sign conventions (image y points down) --------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0), (0, -1), 0.0),  # b straight above a
        ((0, 0), (1, -1), 45.0),  # up and to the right: clockwise = +
        ((0, 0), (-1, -1), -45.0),
        ((0, 0), (1, 0), 90.0),
        ((0, 0), (0, 1), 180.0),  # straight below: +180, never -180
        ((5, 5), (5 + math.sqrt(3), 4), 60.0),
    ],
)
def test_inclination_from_vertical(a, b, expected) -> None:
    assert g.inclination_deg(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0), (1, 0), 0.0),
        ((0, 0), (0, -1), 90.0),  # up on screen = +90 (protractor sense)
        ((0, 0), (-1, 0), 180.0),
        ((0, 0), (0, 1), -90.0),
        ((0, 0), (1, -1), 45.0),
    ],
)
def test_direction_from_horizontal(a, b, expected) -> None:
    assert g.direction_deg(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0), (1, 0), 0.0),
        ((0, 0), (-1, 0), 0.0),  # side does not matter
        ((0, 0), (1, -1), 45.0),
        ((0, 0), (-1, -1), 45.0),
        ((0, 0), (-1, 1), -45.0),
        ((0, 0), (0, -3), 90.0),
        ((0, 0), (0, 3), -90.0),
    ],
)
def test_elevation(a, b, expected) -> None:
    assert g.elevation_deg(a, b) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize(
    ("a", "b", "c", "bend", "joint"),
    [
        ((0, 0), (0, 1), (0, 2), 0.0, 180.0),  # straight
        ((0, 0), (1, 0), (1, 1), 90.0, 90.0),  # right then down: turns clockwise
        ((0, 0), (1, 0), (1, -1), -90.0, 90.0),  # right then up: counter-clockwise
        ((0, 0), (1, 0), (0, 0), 180.0, 0.0),  # folded back: +180
        ((0, 0), (1, 0), (2, 1), 45.0, 135.0),
    ],
)
def test_bend_and_joint_angle(a, b, c, bend, joint) -> None:
    assert g.bend_deg(a, b, c) == pytest.approx(bend, abs=1e-12)
    assert g.joint_angle_deg(a, b, c) == pytest.approx(joint, abs=1e-12)


def test_signed_distance_is_positive_right_of_direction_on_screen() -> None:
    up = ((0, 0), (0, -10))
    assert g.signed_distance((3, -5), *up) == pytest.approx(3.0)
    assert g.signed_distance((-3, -5), *up) == pytest.approx(-3.0)
    # Reversing the line flips the sign; the anatomical offset does not.
    assert g.signed_distance((3, -5), up[1], up[0]) == pytest.approx(-3.0)
    for a, b in (up, up[::-1]):
        assert g.perpendicular_offset((3, -5), a, b, toward=(1, 0)) == pytest.approx(3.0)
        assert g.perpendicular_offset((3, -5), a, b, toward=(-1, 0)) == pytest.approx(-3.0)
    assert np.isnan(g.perpendicular_offset((3, -5), *up, toward=(0, -20)))


def test_rotate_is_clockwise_on_screen() -> None:
    np.testing.assert_allclose(g.rotate_deg((0, -1), 90), (1, 0), atol=1e-15)
    np.testing.assert_allclose(g.rotate_deg((2, 1), 180, about=(1, 1)), (0, 1), atol=1e-15)


def test_vectorised_over_leading_axes() -> None:
    rng = np.random.default_rng(1)
    a, b, c = (rng.normal(size=(7, 4, 2)) for _ in range(3))
    out = g.bend_deg(a, b, c)
    assert out.shape == (7, 4)
    assert out[3, 2] == pytest.approx(float(g.bend_deg(a[3, 2], b[3, 2], c[3, 2])))
    with pytest.raises(ValueError, match=r"shape \(\.\.\., 2\)"):
        g.norm(np.zeros((3, 3)))


# --- NaN in, NaN out; degenerate segments --------------------------------------------------

TWO_POINT = [g.inclination_deg, g.direction_deg, g.elevation_deg, g.distance]
THREE_POINT = [g.bend_deg, g.joint_angle_deg, g.signed_distance]


@pytest.mark.parametrize("fn", TWO_POINT)
@pytest.mark.parametrize("where", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_nan_propagates_two_points(fn, where) -> None:
    pts = [[1.0, 2.0], [4.0, -3.0]]
    pts[where[0]][where[1]] = NAN
    assert np.isnan(fn(*pts))


@pytest.mark.parametrize("fn", THREE_POINT)
@pytest.mark.parametrize("which", [0, 1, 2])
def test_nan_propagates_three_points(fn, which) -> None:
    pts = [[1.0, 2.0], [4.0, -3.0], [0.5, 7.0]]
    pts[which][1] = NAN
    assert np.isnan(fn(*pts))


def test_nan_only_where_missing_in_a_series() -> None:
    a = np.array([[0, 0], [NAN, 0], [0, 0]], dtype=float)
    b = np.array([[1, -1], [1, -1], [1, -1]], dtype=float)
    out = g.inclination_deg(a, b)
    assert np.isnan(out[1]) and np.allclose(out[[0, 2]], 45.0)


@pytest.mark.parametrize(
    "fn",
    [
        lambda p: g.inclination_deg(p, p),
        lambda p: g.direction_deg(p, p),
        lambda p: g.elevation_deg(p, p),
        lambda p: g.bend_deg(p, p, (3.0, 4.0)),
        lambda p: g.joint_angle_deg((3.0, 4.0), p, p),
        lambda p: g.signed_distance((3.0, 4.0), p, p),
        lambda p: g.angle_between_deg((0.0, 0.0), (1.0, 0.0)),
    ],
)
def test_zero_length_segment_gives_nan_not_zero(fn) -> None:
    assert np.isnan(fn((1.0, 1.0)))


# --- properties ----------------------------------------------------------------------------


@given(point, point, point, transform)
def test_joint_angles_invariant_to_rotation_translation_scale(a, b, c, move) -> None:
    assume(_separated(a, b, c))
    a2, b2, c2 = _transform([a, b, c], *move)
    assert float(g.joint_angle_deg(a2, b2, c2)) == pytest.approx(
        float(g.joint_angle_deg(a, b, c)), abs=1e-6
    )
    d = float(_wrap(g.bend_deg(a2, b2, c2) - g.bend_deg(a, b, c)))
    assert abs(d) < 1e-6


@given(point, point, point)
def test_mirroring_flips_bend_not_joint_angle(a, b, c) -> None:
    assume(_separated(a, b, c))
    m = [g.mirror_x(p) for p in (a, b, c)]
    assert float(g.joint_angle_deg(*m)) == pytest.approx(
        float(g.joint_angle_deg(a, b, c)), abs=1e-9
    )
    assert abs(float(_wrap(g.bend_deg(*m) + g.bend_deg(a, b, c)))) < 1e-9


@given(point, point, angle, scale, point)
def test_inclination_turns_with_rotation_and_ignores_translation_scale(a, b, rot, k, shift) -> None:
    assume(_separated(a, b))
    a2, b2 = _transform([a, b], rot, k, shift)
    d = float(_wrap(g.inclination_deg(a2, b2) - g.inclination_deg(a, b) - rot))
    assert abs(d) < 1e-6
    d = float(_wrap(g.direction_deg(a2, b2) - g.direction_deg(a, b) + rot))
    assert abs(d) < 1e-6


@given(point, point, point, transform)
def test_distance_ratios_invariant(p, a, b, move) -> None:
    assume(_separated(p, a, b))
    p2, a2, b2 = _transform([p, a, b], *move)
    before = g.signed_distance(p, a, b) / g.distance(a, b)
    after = g.signed_distance(p2, a2, b2) / g.distance(a2, b2)
    assert float(after) == pytest.approx(float(before), abs=1e-6)


@given(point, point, point)
def test_ranges(a, b, c) -> None:
    assume(_separated(a, b, c))
    assert 0.0 <= float(g.joint_angle_deg(a, b, c)) <= 180.0
    assert -180.0 < float(g.bend_deg(a, b, c)) <= 180.0
    assert -180.0 < float(g.inclination_deg(a, b)) <= 180.0
    assert -180.0 < float(g.direction_deg(a, b)) <= 180.0
    assert -90.0 <= float(g.elevation_deg(a, b)) <= 90.0
    assert float(g.elevation_deg(a, b)) == pytest.approx(
        float(g.elevation_deg(*map(g.mirror_x, (a, b))))
    )
    bend, joint = float(g.bend_deg(a, b, c)), float(g.joint_angle_deg(a, b, c))
    assert abs(bend) == pytest.approx(180.0 - joint, abs=1e-9)
