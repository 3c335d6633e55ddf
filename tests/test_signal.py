"""Signal quality: confidence, gap filling limits, zero-phase filter, One Euro lag."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posturecheck.defaults import DEFAULTS
from posturecheck.landmarks import Landmark
from posturecheck.signal import (
    Biquad,
    OneEuroFilter,
    clean_sequence,
    combined_confidence,
    fill_gaps,
    one_euro,
    point_confidence,
    sequence_confidence,
    smooth_zero_phase,
    true_runs,
)

from builders import SidePose, frame_times, rep_wave, side_view, with_missing

NAN = math.nan


# --- confidence ----------------------------------------------------------------------------


def test_point_confidence_is_lower_of_visibility_and_presence() -> None:
    vis = np.array([0.9, 0.2, NAN, NAN, 1.5])
    pres = np.array([0.5, 0.8, 0.7, NAN, 1.0])
    np.testing.assert_allclose(point_confidence(vis, pres), [0.5, 0.2, 0.7, 0.0, 1.0])


def test_combined_confidence_min_of_all_and_best_of_any() -> None:
    conf = np.array([[0.9, 0.5, 0.8, 0.1], [0.3, 0.9, 0.95, 0.6]])
    np.testing.assert_allclose(combined_confidence(conf, [0, 1]), [0.5, 0.3])
    np.testing.assert_allclose(combined_confidence(conf, [0, 2], any_of=[1, 3]), [0.5, 0.3])
    np.testing.assert_allclose(combined_confidence(conf, [], any_of=[1, 3]), [0.5, 0.9])


def test_sequence_confidence_is_zero_where_no_pose() -> None:
    seq = with_missing(side_view(n_frames=4), [False, True, False, False])
    conf = sequence_confidence(seq)
    assert conf.shape == (4, 33)
    assert np.all(conf[1] == 0.0) and np.all(conf[[0, 2, 3]] > 0.3)


# --- runs and gap filling ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "runs"),
    [
        ([], []),
        ([0, 0], []),
        ([1, 1, 1], [(0, 3)]),
        ([0, 1, 1, 0, 1], [(1, 3), (4, 5)]),
    ],
)
def test_true_runs(mask, runs) -> None:
    assert true_runs(np.array(mask, dtype=bool)) == runs


def test_fill_gaps_short_filled_linearly_long_left_edges_kept() -> None:
    t = np.arange(20) / 10.0  # 10 fps
    y = 3.0 * t + 1.0
    y[[0, 4, 5, 10, 11, 12, 13, 19]] = NAN
    out = fill_gaps(t, y, max_gap_s=0.3)
    np.testing.assert_allclose(out[[4, 5]], 3.0 * t[[4, 5]] + 1.0)  # spans 0.3 s: filled
    assert np.isnan(out[10:14]).all()  # spans 0.5 s: left
    assert np.isnan(out[0]) and np.isnan(out[19])  # never extrapolated
    assert np.isnan(y[4]), "input must not be changed"


def test_fill_gaps_limit_is_measured_in_time_not_frames() -> None:
    t = np.array([0.0, 0.1, 0.2, 0.6, 0.7])  # a dropped stretch in the timestamps too
    y = np.array([0.0, 1.0, NAN, 6.0, 7.0])
    assert np.isnan(fill_gaps(t, y, max_gap_s=0.45)[2])  # 0.1 → 0.6 is 0.5 s
    assert fill_gaps(t, y, max_gap_s=0.5)[2] == pytest.approx(1.0 + 5.0 * 0.1 / 0.5)


def test_fill_gaps_per_channel_and_default() -> None:
    t = frame_times(10)
    y = np.tile(np.arange(10.0)[:, None, None], (1, 2, 2))
    y[3, 0, 1] = NAN
    y[2:9, 1, 0] = NAN
    out = fill_gaps(t, y)  # default 0.25 s at 30 fps bridges up to 6 missing frames
    assert DEFAULTS.signal.max_gap_s == 0.25
    assert out[3, 0, 1] == pytest.approx(3.0)
    assert np.isnan(out[2:9, 1, 0]).all()


def test_fill_gaps_checks_shapes() -> None:
    with pytest.raises(ValueError, match="first axis"):
        fill_gaps(np.arange(3.0), np.zeros(4))
    with pytest.raises(ValueError, match="max_gap_s"):
        fill_gaps(np.arange(3.0), np.zeros(3), max_gap_s=-1)


# --- zero-phase Butterworth ----------------------------------------------------------------


def _amplitude_after(freq: float, fs: float = 30.0, cutoff: float = 6.0) -> float:
    """Gain of the whole forward-backward filter at ``freq`` (RMS out ÷ RMS in, mid-signal)."""
    t = np.arange(int(20 * fs)) / fs
    x = np.sin(2 * np.pi * freq * t + 0.3)
    y = smooth_zero_phase(t, x, cutoff)
    mid = slice(len(t) // 4, 3 * len(t) // 4)
    return float(np.sqrt(np.mean(y[mid] ** 2) / np.mean(x[mid] ** 2)))


def test_butterworth_is_minus_3db_at_cutoff_after_both_passes() -> None:
    assert _amplitude_after(6.0) == pytest.approx(1 / math.sqrt(2), abs=0.01)
    assert _amplitude_after(1.0) == pytest.approx(1.0, abs=0.005)
    assert _amplitude_after(13.0) < 0.1


def test_biquad_has_unit_dc_gain_and_checks_cutoff() -> None:
    q = Biquad.butterworth_lowpass(6.0, 30.0)
    assert sum(q.b) / (1 + sum(q.a)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="Nyquist"):
        Biquad.butterworth_lowpass(15.0, 30.0)


@pytest.mark.parametrize("jitter_s", [0.0, 0.004])
def test_zero_phase_peak_does_not_move(jitter_s: float) -> None:
    t = frame_times(240, 30.0, jitter_s=jitter_s, seed=3)
    y = np.sin(2 * np.pi * 0.8 * t) + 0.05 * np.random.default_rng(0).normal(size=t.size)
    clean = np.sin(2 * np.pi * 0.8 * t)
    out = smooth_zero_phase(t, y)
    for lo, hi in ((30, 90), (105, 165), (180, 230)):
        assert abs(int(np.argmax(out[lo:hi])) - int(np.argmax(clean[lo:hi]))) <= 1
    lag = np.argmax(np.correlate(out - out.mean(), clean - clean.mean(), "full")) - (t.size - 1)
    assert lag == 0
    assert np.std(out - clean) < 0.75 * np.std(y - clean)  # white noise: ~40% of band kept


def test_constant_and_ramp_pass_unchanged_including_edges() -> None:
    t = frame_times(50)
    np.testing.assert_allclose(smooth_zero_phase(t, np.full(50, 7.0)), 7.0, atol=1e-9)
    np.testing.assert_allclose(smooth_zero_phase(t, 4.0 * t), 4.0 * t, atol=1e-8)


def test_filter_runs_only_on_nan_free_stretches() -> None:
    t = frame_times(60)
    y = np.sin(2 * np.pi * t)
    y[20:25] = NAN
    y[39] = NAN
    y[40:] += 100.0  # a jump behind a gap must not leak into the stretch before it
    out = smooth_zero_phase(t, y)
    assert np.isnan(out[20:25]).all() and np.isnan(out[39])
    np.testing.assert_allclose(out[:20], smooth_zero_phase(t[:20], y[:20]))
    np.testing.assert_allclose(out[40:], smooth_zero_phase(t[40:], y[40:]))


def test_high_cutoff_for_frame_rate_returns_signal_unchanged() -> None:
    t = frame_times(30, fps=10.0)
    y = np.random.default_rng(0).normal(size=30)
    np.testing.assert_array_equal(smooth_zero_phase(t, y, cutoff_hz=6.0), y)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=40), st.floats(0.0, 20.0))
def test_smoothing_keeps_nan_layout_and_shape(values, offset) -> None:
    y = np.array(values) + offset
    y[::7] = NAN
    t = frame_times(len(y))
    out = smooth_zero_phase(t, y)
    assert out.shape == y.shape
    np.testing.assert_array_equal(np.isnan(out), np.isnan(y))


def test_clean_sequence_fills_short_gaps_and_smooths() -> None:
    t = frame_times(90)
    knee = 90.0 * rep_wave(t, start_s=0.5, rep_s=2.0)
    seq = side_view(SidePose(knee_flexion_deg=knee, hip_flexion_deg=knee))
    missing = np.zeros(90, dtype=bool)
    missing[[30, 31]] = True  # 0.1 s: bridged
    missing[60:75] = True  # 0.5 s: stays missing
    cleaned = clean_sequence(with_missing(seq, missing))
    assert cleaned.has_pose[30:32].all() and not cleaned.has_pose[60:75].any()
    knee_xy = cleaned.xy(Landmark.RIGHT_KNEE)
    np.testing.assert_allclose(knee_xy[28:34], seq.xy(Landmark.RIGHT_KNEE)[28:34], atol=1.0)
    assert cleaned.visibility[30, 0] == pytest.approx(seq.visibility[30, 0])


# --- One Euro ------------------------------------------------------------------------------


def test_one_euro_passes_constant_and_smooths_jitter() -> None:
    t = frame_times(300)
    noisy = 5.0 + np.random.default_rng(0).normal(scale=1.0, size=300)
    out = one_euro(t, noisy, min_cutoff_hz=1.0, beta=0.0)
    assert np.std(out[30:]) < 0.4 * np.std(noisy[30:])
    np.testing.assert_allclose(one_euro(t, np.full(300, 5.0)), 5.0)


@pytest.mark.parametrize(("speed", "beta"), [(100.0, 0.0), (100.0, 0.01), (500.0, 0.01)])
def test_one_euro_ramp_lag_is_bounded(speed: float, beta: float) -> None:
    fs, min_cutoff = 30.0, 1.0
    t = frame_times(300, fs)
    out = one_euro(t, speed * t, min_cutoff_hz=min_cutoff, beta=beta, d_cutoff_hz=1.0)
    lag_s = (speed * t[-1] - out[-1]) / speed
    # First-order low-pass: steady lag tau = 1/(2 pi fc); discretisation adds under a frame.
    bound = 1.0 / (2 * np.pi * (min_cutoff + beta * speed))
    assert 0.0 < lag_s <= bound + 1.0 / fs
    assert lag_s >= bound - 1.0 / fs


def test_one_euro_is_causal() -> None:
    t = frame_times(60)
    a = np.sin(t * 3)
    b = a.copy()
    b[40:] += 50.0
    np.testing.assert_array_equal(one_euro(t, a)[:40], one_euro(t, b)[:40])


def test_one_euro_nan_restarts_element_and_checks_input() -> None:
    f = OneEuroFilter(min_cutoff_hz=1.0, beta=0.0)
    f(0.0, [0.0, 0.0])
    f(0.1, [1.0, 1.0])
    out = f(0.2, [NAN, 2.0])
    assert np.isnan(out[0]) and 0.0 < out[1] < 2.0, out
    out = f(0.3, [100.0, 3.0])
    assert out[0] == 100.0, "a landmark that returns starts from its new position"
    with pytest.raises(ValueError, match="time must increase"):
        f(0.3, [1.0, 1.0])
    with pytest.raises(ValueError, match="shape changed"):
        f(0.4, [1.0])
    with pytest.raises(ValueError, match="min_cutoff_hz"):
        OneEuroFilter(min_cutoff_hz=0.0)
    f.reset()
    np.testing.assert_array_equal(f(0.0, [7.0]), [7.0])
