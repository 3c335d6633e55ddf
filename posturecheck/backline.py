"""Back rounding from the person segmentation mask, seen from the side.

The 33 landmarks have no spine points, so a rounded back only shows up as more trunk lean.
The person mask does show it: the outline of the back between the hip and the shoulder is
nearly straight when the spine is neutral and bulges when it flexes.

Per frame (:func:`back_profile`): the trunk axis runs from mid-hip to mid-shoulder (length
L). Rays are cast out of the back, perpendicular to the axis, from ``below_hip`` L below the
hip up to the shoulder; where each leaves the mask (threshold, the blob under the trunk, holes
filled) is a point of the back outline. Two numbers describe the outline:

* ``sag``: its largest bulge outwards from the chord joining its ends ÷ the chord's length
  (0 for a straight back; a circular arc bent by θ has sag ≈ θ/8 in radians).
* ``bend_deg``: the angle between straight lines fitted to its lower and upper thirds,
  positive when the back is convex (rounded), negative when it is arched.

Only bent-over frames are measured (trunk lean at least ``min_lean_deg``): upright, the plates
merge into the mask and rounding fades. :func:`summarise_back` takes the median over a stretch
of frames (e.g. one rep). The work is done on a crop around the trunk (well under 1 ms per
720p frame), so it can run inside the pose thread on every frame.

Which way the back points follows from the trunk lean (a bent-over lifter's shoulders are
ahead of the hips); the feet (toe vs heel) are a cross-check, and frames where they disagree,
where the lifter is not side-on, or where the landmarks are missing or unsure, are not
measured and say why (:class:`BackReason`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from posturecheck.defaults import DEFAULTS, BacklineDefaults
from posturecheck.landmarks import Landmark
from posturecheck.sequence import PoseFrame
from posturecheck.signal import point_confidence

FloatArray = npt.NDArray[np.float64]
MaskArray = npt.NDArray[np.floating] | npt.NDArray[np.uint8]

L = Landmark

#: Per-frame values under these names in :attr:`PoseSequence.extras`.
EXTRA_SAG = "back_sag"
EXTRA_BEND = "back_bend_deg"
EXTRA_LEAN = "back_trunk_lean_deg"


class BackReason(StrEnum):
    """Why a frame's back was not measured."""

    NO_MASK = "no person mask for this frame"
    NO_LANDMARKS = "hip or shoulder landmarks missing"
    LOW_CONFIDENCE = "hip or shoulder landmarks uncertain"
    TRUNK_TOO_SMALL = "trunk too small in the frame"
    UPRIGHT = "trunk not bent over far enough"
    NOT_SIDE_ON = "lifter not side-on to the camera"
    FACING_CONFLICT = "feet and trunk disagree on which way the lifter faces"
    TRUNK_OUTSIDE_MASK = "trunk not inside the person mask"
    BLOB_TOO_SMALL = "person mask too small around the trunk"
    OUTLINE_NOT_FOUND = "back outline not found (out of frame or merged with the background)"
    NOT_MEASURED = "not measured"


BackLevel = Literal["rounded", "possible", "neutral", "unmeasured"]

_EMPTY_CONTOUR = np.empty((0, 2), dtype=np.float64)

#: A trunk longer than this (pixels) is measured on a coarser grid.
_WORK_PX = 160.0


@dataclass(frozen=True)
class BackProfile:
    """The back outline of one frame.

    Attributes:
        sag: largest outward bulge of the back outline from its chord ÷ chord length (NaN when
            not measured).
        bend_deg: angle between line fits to the outline's lower and upper thirds; + = convex
            (rounded), - = arched (NaN when not measured).
        trunk_lean_deg: mid-hip→mid-shoulder from vertical, 0 upright, 90 horizontal (NaN when
            the landmarks are missing; set even when the back is not measured).
        valid: True when ``sag`` and ``bend_deg`` were measured.
        reason: why not, when not valid.
        contour_px: (N, 2) image points of the back outline, hip end first (NaN rows where a
            ray found no outline; empty when not measured), for drawing.
    """

    sag: float
    bend_deg: float
    trunk_lean_deg: float
    valid: bool
    reason: BackReason | None = None
    contour_px: FloatArray = field(default_factory=lambda: _EMPTY_CONTOUR)

    def __post_init__(self) -> None:
        if self.valid != (self.reason is None):
            raise ValueError(f"BackProfile: valid={self.valid} needs reason=None iff valid")
        if self.contour_px.ndim != 2 or self.contour_px.shape[1] != 2:
            raise ValueError(f"contour_px must have shape (N, 2), got {self.contour_px.shape}")

    @classmethod
    def unmeasured(cls, reason: BackReason, trunk_lean_deg: float = math.nan) -> BackProfile:
        return cls(math.nan, math.nan, trunk_lean_deg, False, reason)

    def extras(self) -> dict[str, float]:
        """Per-frame values to keep beside the landmarks (``PoseSequence.extras``)."""
        return {EXTRA_SAG: self.sag, EXTRA_BEND: self.bend_deg, EXTRA_LEAN: self.trunk_lean_deg}


def profiles_from_extras(extras: Mapping[str, npt.ArrayLike]) -> list[BackProfile]:
    """Rebuild per-frame profiles (without outlines or reasons) from saved extras."""
    sag = np.asarray(extras[EXTRA_SAG], dtype=np.float64)
    bend = np.asarray(extras[EXTRA_BEND], dtype=np.float64)
    lean = np.asarray(extras[EXTRA_LEAN], dtype=np.float64)
    return [
        BackProfile(float(s), float(b), float(a), True)
        if np.isfinite(s) and np.isfinite(b)
        else BackProfile.unmeasured(BackReason.NOT_MEASURED, float(a))
        for s, b, a in zip(sag, bend, lean, strict=True)
    ]


# --- per frame --------------------------------------------------------------------------


def _pair_mid(
    pose: PoseFrame, conf: FloatArray, a: Landmark, b: Landmark
) -> tuple[FloatArray, float]:
    """Midpoint of a left/right pair and the better of their confidences."""
    return (pose.image_px[a, :2] + pose.image_px[b, :2]) / 2.0, float(max(conf[a], conf[b]))


def _feet_direction(pose: PoseFrame, conf: FloatArray, min_conf: float) -> float:
    """Confidence-weighted (toe.x - heel.x) / foot length over both feet; NaN if unseen."""
    total = weight = 0.0
    for toe, heel in ((L.LEFT_FOOT_INDEX, L.LEFT_HEEL), (L.RIGHT_FOOT_INDEX, L.RIGHT_HEEL)):
        d = pose.image_px[toe, :2] - pose.image_px[heel, :2]
        length = float(np.hypot(d[0], d[1]))
        w = float(min(conf[toe], conf[heel]))
        if w >= min_conf and math.isfinite(length) and length > 0:
            total += w * float(d[0]) / length
            weight += w
    return total / weight if weight > 0 else math.nan


def _blob_under(
    binary: npt.NDArray[np.uint8], seeds: npt.NDArray[np.intp]
) -> tuple[npt.NDArray[np.uint8], int]:
    """The connected blob under most ``seeds`` ((K, 2) x, y crop pixels), holes filled.

    Returns the filled blob (0/1) and its area, or an empty mask and 0 when no seed is on the
    mask.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    hits = labels[seeds[:, 1], seeds[:, 0]]
    hits = hits[hits > 0]
    if count < 2 or hits.size == 0:
        return np.zeros_like(binary), 0
    votes = np.bincount(hits, minlength=count)
    label = int(np.argmax(votes))
    blob = (labels == label).astype(np.uint8)
    outlines, _ = cv2.findContours(blob, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(blob, outlines, -1, 1, thickness=cv2.FILLED)
    return blob, int(stats[label, cv2.CC_STAT_AREA])


def _line_angle(u: FloatArray, v: FloatArray) -> float:
    """Direction (radians) of the least-squares line v = a u + b."""
    slope = float(np.polyfit(u, v, 1)[0])
    return math.atan(slope)


def outline_shape(u: FloatArray, v: FloatArray) -> tuple[float, float]:
    """``(sag, bend_deg)`` of an outline given along the trunk axis (``u``, rising) and
    outwards from it (``v``), both in pixels; NaN rows are skipped.

    ``sag`` = largest outward distance from the chord between the first and last points ÷
    chord length (0 for a straight or concave outline); ``bend_deg`` = angle of the line fitted
    to the lower third minus that of the upper third (+ = convex).
    """
    ok = np.isfinite(u) & np.isfinite(v)
    u, v = u[ok], v[ok]
    if u.size < 6:
        return math.nan, math.nan
    cu, cv = u[-1] - u[0], v[-1] - v[0]
    chord = math.hypot(cu, cv)
    if chord <= 0:
        return math.nan, math.nan
    # Unit normal of the chord pointing outwards (+v side, since the chord runs along +u).
    nu, nv = -cv / chord, cu / chord
    bulge = float(np.max((u - u[0]) * nu + (v - v[0]) * nv))
    third = max(3, u.size // 3)
    bend = _line_angle(u[:third], v[:third]) - _line_angle(u[-third:], v[-third:])
    return max(bulge, 0.0) / chord, math.degrees(bend)


def _median3(values: FloatArray) -> FloatArray:
    """Running median over 3 neighbours (ends kept); removes single-ray spikes."""
    if values.size < 3:
        return values.copy()
    stacked = np.stack([values[:-2], values[1:-1], values[2:]])
    out = values.copy()
    out[1:-1] = np.median(stacked, axis=0)
    return out


def back_profile(
    mask: MaskArray | None, pose: PoseFrame, settings: BacklineDefaults = DEFAULTS.backline
) -> BackProfile:
    """Measure the back outline in one frame from the person mask and the landmarks.

    Args:
        mask: (H, W) person probability in [0, 1] (float) or 0-255 (uint8), the size of the
            frame the landmarks are in; ``None`` when the model gave no mask.
        pose: the same person's landmarks in that frame (image pixels).
        settings: thresholds; see :class:`~posturecheck.defaults.BacklineDefaults`.
    """
    s = settings
    if mask is not None and mask.ndim != 2:
        raise ValueError(f"mask must have shape (H, W), got {mask.shape}")
    conf = point_confidence(pose.visibility, pose.presence)
    hip, hip_conf = _pair_mid(pose, conf, L.LEFT_HIP, L.RIGHT_HIP)
    shoulder, shoulder_conf = _pair_mid(pose, conf, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    if not (np.isfinite(hip).all() and np.isfinite(shoulder).all()):
        return BackProfile.unmeasured(BackReason.NO_LANDMARKS)
    axis = shoulder - hip
    length = float(np.hypot(axis[0], axis[1]))
    if length <= 0:
        return BackProfile.unmeasured(BackReason.NO_LANDMARKS)
    d = axis / length
    lean = math.degrees(math.acos(max(-1.0, min(1.0, -float(d[1])))))  # up is -y
    if min(hip_conf, shoulder_conf) < s.min_point_confidence:
        return BackProfile.unmeasured(BackReason.LOW_CONFIDENCE, lean)
    if length < s.min_trunk_px:
        return BackProfile.unmeasured(BackReason.TRUNK_TOO_SMALL, lean)
    if lean < s.min_lean_deg:
        return BackProfile.unmeasured(BackReason.UPRIGHT, lean)
    widths = [
        float(np.hypot(*(pose.image_px[a, :2] - pose.image_px[b, :2])))
        for a, b in ((L.LEFT_SHOULDER, L.RIGHT_SHOULDER), (L.LEFT_HIP, L.RIGHT_HIP))
    ]
    if max(widths) > s.max_width * length:
        return BackProfile.unmeasured(BackReason.NOT_SIDE_ON, lean)
    faces_right = d[0] > 0  # bent over: the shoulders lead the hips
    feet = _feet_direction(pose, conf, s.min_point_confidence)
    if math.isfinite(feet) and abs(feet) >= s.facing_min_score and (feet > 0) != faces_right:
        return BackProfile.unmeasured(BackReason.FACING_CONFLICT, lean)
    if mask is None:
        return BackProfile.unmeasured(BackReason.NO_MASK, lean)
    # The back's outward normal: perpendicular to the axis, pointing away from the facing.
    normal = np.array([d[1], -d[0]]) if faces_right else np.array([-d[1], d[0]])
    return _measure(mask, hip, d, normal, length=length, lean=lean, s=s)


def _measure(
    mask: MaskArray,
    hip: FloatArray,
    d: FloatArray,
    normal: FloatArray,
    *,
    length: float,
    lean: float,
    s: BacklineDefaults,
) -> BackProfile:
    """Cast the rays in a crop around the trunk and shape the outline they find.

    A large trunk is measured on every k-th pixel of the crop (k = trunk length ÷
    ``_WORK_PX``, rounded down), so the cost does not grow with the resolution.
    """
    height, width = mask.shape[:2]
    k = max(1, int(length // _WORK_PX))
    t = np.linspace(-s.below_hip, 1.0, s.rays)
    reach = np.arange(0.0, s.max_reach * length + k, float(k))
    origins = hip[None, :] + (t * length)[:, None] * d[None, :]  # (R, 2)
    pts = origins[:, None, :] + reach[None, :, None] * normal[None, None, :]  # (R, S, 2)
    x0 = max(int(np.floor(pts[..., 0].min())) - k, 0)
    y0 = max(int(np.floor(pts[..., 1].min())) - k, 0)
    x1 = min(int(np.ceil(pts[..., 0].max())) + 2 * k, width)
    y1 = min(int(np.ceil(pts[..., 1].max())) + 2 * k, height)
    if x1 - x0 < 3 * k or y1 - y0 < 3 * k:
        return BackProfile.unmeasured(BackReason.OUTLINE_NOT_FOUND, lean)
    crop = np.ascontiguousarray(mask[y0:y1:k, x0:x1:k])
    limit = s.mask_threshold * (255.0 if crop.dtype == np.uint8 else 1.0)
    binary = (crop > limit).astype(np.uint8)
    ix = np.rint((pts[..., 0] - x0) / k).astype(np.intp)
    iy = np.rint((pts[..., 1] - y0) / k).astype(np.intp)
    in_crop = (ix >= 0) & (ix < crop.shape[1]) & (iy >= 0) & (iy < crop.shape[0])
    seeds = np.stack([ix[:, 0], iy[:, 0]], axis=1)[in_crop[:, 0]]
    blob, area = _blob_under(binary, seeds)
    if area == 0:
        return BackProfile.unmeasured(BackReason.TRUNK_OUTSIDE_MASK, lean)
    if area * k * k < s.min_blob_area * length * length:
        return BackProfile.unmeasured(BackReason.BLOB_TOO_SMALL, lean)
    inside = np.zeros(ix.shape, dtype=bool)
    inside[in_crop] = blob[iy[in_crop], ix[in_crop]] > 0
    # Each ray must start on the blob; its first sample off the blob is where it leaves.
    rows = np.arange(s.rays)
    first_out = np.argmax(~inside, axis=1)
    found = inside[:, 0] & (~inside).any(axis=1) & in_crop[rows, first_out]
    enough = found.mean() >= s.min_ray_share
    ends = max(1, s.rays // 6)
    if not (enough and found[:ends].any() and found[-ends:].any()):
        return BackProfile.unmeasured(BackReason.OUTLINE_NOT_FOUND, lean)
    # Sub-sample: where between the last sample on and the first off the mask probability
    # crosses the threshold.
    j_out = np.maximum(first_out, 1)
    j_in = j_out - 1
    p_in = _sample(crop, iy[rows, j_in], ix[rows, j_in], in_crop[rows, j_in])
    p_out = _sample(crop, iy[rows, j_out], ix[rows, j_out], in_crop[rows, j_out])
    drop = p_in - p_out
    frac = np.where(drop > 0, (p_in - limit) / np.where(drop > 0, drop, 1.0), 1.0)
    offset = np.where(found, (j_in + np.clip(frac, 0.0, 1.0)) * k, np.nan)
    offset = _median3(offset)
    sag, bend = outline_shape(t * length, offset)
    if not math.isfinite(sag):
        return BackProfile.unmeasured(BackReason.OUTLINE_NOT_FOUND, lean)
    contour = origins + offset[:, None] * normal[None, :]
    return BackProfile(sag, bend, lean, True, None, contour)


def _sample(
    crop: npt.NDArray[np.generic],
    iy: npt.NDArray[np.intp],
    ix: npt.NDArray[np.intp],
    ok: npt.NDArray[np.bool_],
) -> FloatArray:
    """Mask values at crop pixels (0 where ``ok`` is False, i.e. outside the frame)."""
    out = np.zeros(iy.shape, dtype=np.float64)
    out[ok] = crop[iy[ok], ix[ok]]
    return out


# --- over a stretch of frames -----------------------------------------------------------


@dataclass(frozen=True)
class BackSummary:
    """The back over a stretch of frames (e.g. one rep).

    Attributes:
        sag, bend_deg: medians over the measured bent-over frames (NaN when fewer than
            ``min_frames``).
        trunk_lean_deg: median trunk lean over those frames.
        frames_used: frames measured (bent over, valid).
        frames_bent: frames bent over far enough (lean ≥ ``min_lean_deg``), measured or not.
        confidence: 0..1, how far to trust the numbers: enough frames (twice ``min_frames``
            = full) times the share of bent-over frames that could be measured.
        level: ``rounded`` (sag ≥ ``rounded_sag``), ``possible`` (≥ ``possible_sag``, or
            rounded by sag but not confirmed by bend), ``neutral``, or ``unmeasured``.
        peak_time_s: time of the frame with the largest sag among those used (NaN if none).
        reason: why unmeasured (the most common reason among the bent-over frames), else
            None.
    """

    sag: float
    bend_deg: float
    trunk_lean_deg: float
    frames_used: int
    frames_bent: int
    confidence: float
    level: BackLevel
    peak_time_s: float
    reason: str | None = None


def back_level(
    sag: float, bend_deg: float, settings: BacklineDefaults = DEFAULTS.backline
) -> BackLevel:
    """Grade a (median) sag and bend against the thresholds."""
    if not math.isfinite(sag):
        return "unmeasured"
    if sag >= settings.rounded_sag:
        return "rounded" if not bend_deg < settings.rounded_bend_deg else "possible"
    if sag >= settings.possible_sag:
        return "possible"
    return "neutral"


def summarise_back(
    profiles: Sequence[BackProfile],
    time_s: npt.ArrayLike,
    *,
    start_s: float = -math.inf,
    end_s: float = math.inf,
    settings: BacklineDefaults = DEFAULTS.backline,
) -> BackSummary:
    """Median back shape over the frames with ``start_s <= time_s <= end_s``.

    ``profiles`` and ``time_s`` are parallel (one profile per frame).
    """
    times = np.asarray(time_s, dtype=np.float64)
    if times.shape != (len(profiles),):
        raise ValueError(
            f"time_s must have shape ({len(profiles)},) like profiles, got {times.shape}"
        )
    window = [i for i, t in enumerate(times) if start_s <= t <= end_s]
    lean = np.array([profiles[i].trunk_lean_deg for i in window], dtype=np.float64)
    bent = [i for i, a in zip(window, lean, strict=True) if a >= settings.min_lean_deg]
    used = [i for i in bent if profiles[i].valid]
    n = len(used)
    if n < settings.min_frames or n < settings.min_coverage * len(bent):
        reasons = [str(profiles[i].reason) for i in bent if profiles[i].reason is not None]
        if not bent:
            reason = str(BackReason.UPRIGHT) if window else "no frames"
        elif reasons:
            reason = max(sorted(set(reasons)), key=reasons.count)
        else:
            reason = "too few frames"
        reason = f"{n} of {len(bent)} bent-over frames measured ({reason})"
        return BackSummary(
            math.nan, math.nan, math.nan, n, len(bent), 0.0, "unmeasured", math.nan, reason
        )
    sags = np.array([profiles[i].sag for i in used])
    sag = float(np.median(sags))
    bend = float(np.median([profiles[i].bend_deg for i in used]))
    confidence = min(1.0, n / (2.0 * settings.min_frames)) * n / len(bent)
    return BackSummary(
        sag=sag,
        bend_deg=bend,
        trunk_lean_deg=float(np.median([profiles[i].trunk_lean_deg for i in used])),
        frames_used=n,
        frames_bent=len(bent),
        confidence=float(confidence),
        level=back_level(sag, bend, settings),
        peak_time_s=float(times[used[int(np.argmax(sags))]]),
    )
