"""Signal quality: landmark confidence, short-gap filling, zero-phase and live smoothing.

Signals are arrays whose first axis is time, ``(T,)`` or ``(T, ...)``; every trailing
element is treated as its own channel. NaN marks a missing sample and is never turned into 0:
only gaps up to ``max_gap_s`` are bridged, and the offline filter runs separately on each
NaN-free stretch, so a filter never smears a gap into good data.

Two smoothers:

* :func:`smooth_zero_phase`: offline, 2nd-order Butterworth low-pass run forwards and
  backwards (no phase shift: a peak stays at its frame). Variable frame timing is handled
  without resampling by designing the filter for the median frame interval.
* :class:`OneEuroFilter`: live, causal, frame by frame; an adaptive first-order low-pass
  whose cut-off rises with speed (little jitter when still, little lag when moving).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS
from posturecheck.sequence import PoseSequence

log = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# --- confidence -------------------------------------------------------------------------


def point_confidence(visibility: npt.ArrayLike, presence: npt.ArrayLike) -> FloatArray:
    """Per-landmark confidence in [0, 1]: the lower of visibility and presence.

    A missing value of one is ignored (the other is used); missing both gives 0.
    """
    vis = np.asarray(visibility, dtype=np.float64)
    pres = np.asarray(presence, dtype=np.float64)
    conf = np.fmin(vis, pres)
    return np.asarray(np.clip(np.nan_to_num(conf, nan=0.0), 0.0, 1.0), dtype=np.float64)


def combined_confidence(
    point_conf: FloatArray, all_of: Iterable[int], any_of: Iterable[int] = ()
) -> FloatArray:
    """Confidence of a quantity built from several landmarks, per frame.

    ``point_conf`` is ``(T, 33)``. The result is the minimum over the ``all_of`` landmarks
    (every one is needed), and, if ``any_of`` is given, also at most the best of those
    (one of them suffices).
    """
    all_idx = [int(i) for i in all_of]
    any_idx = [int(i) for i in any_of]
    conf = np.ones(point_conf.shape[0])
    if all_idx:
        conf = np.min(point_conf[:, all_idx], axis=1)
    if any_idx:
        conf = np.minimum(conf, np.max(point_conf[:, any_idx], axis=1))
    return np.asarray(conf, dtype=np.float64)


def sequence_confidence(seq: PoseSequence) -> FloatArray:
    """``(T, 33)`` point confidence of a pose sequence; 0 where there is no pose."""
    conf = point_confidence(seq.visibility, seq.presence)
    conf[np.isnan(seq.image_px[:, :, :2]).any(axis=2)] = 0.0
    return conf


# --- runs and gaps ----------------------------------------------------------------------


def true_runs(mask: npt.ArrayLike) -> list[tuple[int, int]]:
    """``[start, stop)`` index pairs of the stretches where a 1-D ``mask`` is True."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 1:
        raise ValueError(f"mask must be 1-D, got shape {m.shape}")
    edges = np.diff(np.concatenate(([0], m.astype(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    stops = np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _check_time(time_s: FloatArray, values: FloatArray) -> None:
    if time_s.ndim != 1 or values.shape[:1] != time_s.shape:
        raise ValueError(
            f"values must have time as first axis matching time_s {time_s.shape}, "
            f"got {values.shape}"
        )


def _channels(values: FloatArray) -> FloatArray:
    return values.reshape(values.shape[0], -1)


def fill_gaps(
    time_s: npt.ArrayLike, values: npt.ArrayLike, max_gap_s: float | None = None
) -> FloatArray:
    """Bridge short NaN gaps by linear interpolation in time; long gaps stay NaN.

    A gap is filled when the time from the last good sample before it to the first good one
    after it is at most ``max_gap_s`` (default ``DEFAULTS.signal.max_gap_s``). Gaps at the
    start or end are never filled (no extrapolation). Returns a new array.
    """
    t = np.asarray(time_s, dtype=np.float64)
    out = np.array(values, dtype=np.float64)
    _check_time(t, out)
    limit = DEFAULTS.signal.max_gap_s if max_gap_s is None else max_gap_s
    if limit < 0:
        raise ValueError(f"max_gap_s must be >= 0, got {limit}")
    flat = _channels(out)
    for col in range(flat.shape[1]):
        y = flat[:, col]
        for start, stop in true_runs(np.isnan(y)):
            if start == 0 or stop == len(y):
                continue
            t0, t1 = t[start - 1], t[stop]
            if t1 - t0 <= limit + 1e-9:
                w = (t[start:stop] - t0) / (t1 - t0)
                y[start:stop] = y[start - 1] + w * (y[stop] - y[start - 1])
    return out


# --- zero-phase Butterworth ---------------------------------------------------------------


@dataclass(frozen=True)
class Biquad:
    """A 2nd-order IIR section ``b0 + b1 z^-1 + b2 z^-2 / 1 + a1 z^-1 + a2 z^-2``."""

    b: tuple[float, float, float]
    a: tuple[float, float]

    @classmethod
    def butterworth_lowpass(cls, cutoff_hz: float, fs_hz: float, *, passes: int = 1) -> Biquad:
        """Bilinear-transform Butterworth low-pass, pre-warped so that after ``passes``
        passes (2 for :meth:`filtfilt`) the response is exactly -3 dB at ``cutoff_hz``."""
        if not 0 < cutoff_hz < fs_hz / 2:
            raise ValueError(
                f"cutoff_hz must be between 0 and the Nyquist frequency {fs_hz / 2:g} Hz, "
                f"got {cutoff_hz:g}"
            )
        if passes < 1:
            raise ValueError(f"passes must be >= 1, got {passes}")
        # Winter's correction, applied in the pre-warped domain so it is exact.
        k = np.tan(np.pi * cutoff_hz / fs_hz) / (2.0 ** (1.0 / passes) - 1.0) ** 0.25
        q = np.sqrt(2.0)
        norm = 1.0 + q * k + k * k
        b0 = k * k / norm
        return cls(
            b=(b0, 2.0 * b0, b0),
            a=(2.0 * (k * k - 1.0) / norm, (1.0 - q * k + k * k) / norm),
        )

    def run(self, x: FloatArray) -> FloatArray:
        """Filter ``(N, C)`` columns forwards from steady state at ``x[0]``."""
        b0, b1, b2 = self.b
        a1, a2 = self.a
        gain = (b0 + b1 + b2) / (1.0 + a1 + a2)
        z2 = (b2 - a2 * gain) * x[0]
        z1 = (b1 - a1 * gain) * x[0] + z2
        y = np.empty_like(x)
        for i in range(x.shape[0]):  # direct form II transposed
            xi = x[i]
            yi = b0 * xi + z1
            z1 = b1 * xi - a1 * yi + z2
            z2 = b2 * xi - a2 * yi
            y[i] = yi
        return y

    def filtfilt(self, x: FloatArray, padlen: int = 9) -> FloatArray:
        """Zero-phase forward-backward pass over ``(N, C)``.

        The ends are extended by ``padlen`` samples of odd reflection (a line continues as a
        line) and each pass starts from steady state, so edges do not droop or ring.
        """
        n = x.shape[0]
        pad = min(n - 1, padlen)
        if pad > 0:
            head = 2.0 * x[0] - x[pad:0:-1]
            tail = 2.0 * x[-1] - x[-2 : -pad - 2 : -1]
            x = np.concatenate([head, x, tail])
        y = self.run(x)
        y = self.run(y[::-1])[::-1]
        return y[pad : pad + n] if pad > 0 else y


def median_dt(time_s: npt.ArrayLike) -> float:
    """Median frame interval in seconds (NaN for fewer than two frames)."""
    t = np.asarray(time_s, dtype=np.float64)
    return float(np.median(np.diff(t))) if t.size > 1 else float("nan")


def smooth_zero_phase(
    time_s: npt.ArrayLike, values: npt.ArrayLike, cutoff_hz: float | None = None
) -> FloatArray:
    """Offline zero-phase low-pass (Butterworth, 2nd order, forward-backward).

    Applied to each NaN-free stretch of each channel on its own; NaN stays NaN. The sampling
    rate is taken from the median frame interval (variable timing is not resampled: at the
    small timing jitter of phone video this changes the response negligibly). If the cut-off
    is at or above what the frame rate can carry, the signal is returned unchanged.
    """
    t = np.asarray(time_s, dtype=np.float64)
    out = np.array(values, dtype=np.float64)
    _check_time(t, out)
    cutoff = DEFAULTS.signal.lowpass_cutoff_hz if cutoff_hz is None else cutoff_hz
    if cutoff <= 0:
        raise ValueError(f"cutoff_hz must be > 0, got {cutoff}")
    if t.size < 3:
        return out
    fs = 1.0 / median_dt(t)
    if cutoff >= 0.5 * fs:
        log.debug("cut-off %.2f Hz at or above Nyquist for %.2f fps: not smoothing", cutoff, fs)
        return out
    section = Biquad.butterworth_lowpass(cutoff, fs, passes=2)
    padlen = int(np.ceil(6.0 * fs / cutoff))  # ~1 s at 6 Hz: edge transients die out
    flat = _channels(out)
    finite = np.isfinite(flat)
    # Channels sharing the same NaN pattern (e.g. x, y of one landmark) are filtered together.
    patterns: dict[bytes, list[int]] = {}
    for col in range(flat.shape[1]):
        patterns.setdefault(finite[:, col].tobytes(), []).append(col)
    for cols in patterns.values():
        for start, stop in true_runs(finite[:, cols[0]]):
            if stop - start >= 2:
                flat[start:stop, cols] = section.filtfilt(flat[start:stop, cols], padlen)
    return out


def clean_sequence(
    seq: PoseSequence, *, max_gap_s: float | None = None, cutoff_hz: float | None = None
) -> PoseSequence:
    """The offline landmark clean-up: fill short gaps, then zero-phase smooth.

    Image and world coordinates are filled and smoothed; visibility and presence are filled
    (so a bridged frame keeps the confidence of its neighbours) but not smoothed.
    """
    t = seq.time_s

    def fix(a: FloatArray, smooth: bool) -> FloatArray:
        filled = fill_gaps(t, a, max_gap_s)
        return smooth_zero_phase(t, filled, cutoff_hz) if smooth else filled

    return replace(
        seq,
        image_px=fix(seq.image_px, True),
        world_m=fix(seq.world_m, True),
        visibility=fix(seq.visibility, False),
        presence=fix(seq.presence, False),
    )


# --- One Euro (live) ----------------------------------------------------------------------


def _alpha(cutoff_hz: FloatArray | float, dt: float) -> FloatArray:
    tau = 1.0 / (2.0 * np.pi * np.asarray(cutoff_hz, dtype=np.float64))
    return np.asarray(1.0 / (1.0 + tau / dt), dtype=np.float64)


class OneEuroFilter:
    """Causal adaptive low-pass for live use (Casiez, Roussel & Vogel, CHI 2012).

    Call it once per frame with the frame's time and values (any shape, fixed across calls);
    it returns the filtered values. Each element is filtered independently. A NaN element
    gives NaN and restarts that element's filter, so a landmark that comes back after a
    dropout starts from its new position instead of gliding from the old one.

    For a ramp of speed ``v`` the steady lag is ``1 / (2π (min_cutoff_hz + beta·|v|))``
    seconds.
    """

    def __init__(
        self,
        min_cutoff_hz: float | None = None,
        beta: float | None = None,
        d_cutoff_hz: float | None = None,
    ) -> None:
        d = DEFAULTS.signal
        self.min_cutoff_hz = d.one_euro_min_cutoff_hz if min_cutoff_hz is None else min_cutoff_hz
        self.beta = d.one_euro_beta if beta is None else beta
        self.d_cutoff_hz = d.one_euro_d_cutoff_hz if d_cutoff_hz is None else d_cutoff_hz
        if not self.min_cutoff_hz > 0:
            raise ValueError(f"min_cutoff_hz must be > 0, got {self.min_cutoff_hz}")
        if not self.d_cutoff_hz > 0:
            raise ValueError(f"d_cutoff_hz must be > 0, got {self.d_cutoff_hz}")
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        self._t: float | None = None
        self._x: FloatArray | None = None
        self._dx: FloatArray | None = None

    def reset(self) -> None:
        """Forget the past (e.g. when the person is lost)."""
        self._t, self._x, self._dx = None, None, None

    def __call__(self, time_s: float, values: npt.ArrayLike) -> FloatArray:
        x = np.array(values, dtype=np.float64)
        if self._t is None or self._x is None or self._dx is None:
            self._t, self._x, self._dx = time_s, x.copy(), np.zeros_like(x)
            return x
        if x.shape != self._x.shape:
            raise ValueError(f"values shape changed from {self._x.shape} to {x.shape}")
        dt = time_s - self._t
        if not dt > 0:
            raise ValueError(f"time must increase: {time_s} after {self._t}")
        fresh = np.isnan(self._x) & ~np.isnan(x)
        dx = np.where(fresh, 0.0, (x - self._x) / dt)
        dx_hat = self._dx + _alpha(self.d_cutoff_hz, dt) * (dx - self._dx)
        cutoff = self.min_cutoff_hz + self.beta * np.abs(dx_hat)
        x_hat = self._x + _alpha(cutoff, dt) * (x - self._x)
        x_hat = np.where(fresh, x, x_hat)
        self._t = time_s
        self._x = x_hat
        self._dx = np.where(np.isnan(x), 0.0, dx_hat)
        return x_hat.copy()


def one_euro(
    time_s: npt.ArrayLike,
    values: npt.ArrayLike,
    *,
    min_cutoff_hz: float | None = None,
    beta: float | None = None,
    d_cutoff_hz: float | None = None,
) -> FloatArray:
    """Run a fresh :class:`OneEuroFilter` over a whole signal, frame by frame (causal)."""
    t = np.asarray(time_s, dtype=np.float64)
    x = np.asarray(values, dtype=np.float64)
    _check_time(t, x)
    filt = OneEuroFilter(min_cutoff_hz, beta, d_cutoff_hz)
    out = np.empty_like(x)
    for i in range(t.size):
        out[i] = filt(float(t[i]), x[i])
    return out


__all__ = [
    "Biquad",
    "OneEuroFilter",
    "clean_sequence",
    "combined_confidence",
    "fill_gaps",
    "median_dt",
    "one_euro",
    "point_confidence",
    "sequence_confidence",
    "smooth_zero_phase",
    "true_runs",
]
