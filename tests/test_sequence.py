"""PoseSequence: shape checks, NaN for missing poses, lossless save/load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posturecheck.errors import InputError
from posturecheck.landmarks import NUM_LANDMARKS, Landmark
from posturecheck.sequence import PoseFrame, PoseSequence, SequenceBuilder


def _frame(rng: np.random.Generator) -> PoseFrame:
    return PoseFrame(
        image_px=rng.uniform(0, 500, (NUM_LANDMARKS, 3)),
        world_m=rng.uniform(-1, 1, (NUM_LANDMARKS, 3)),
        visibility=rng.uniform(0, 1, NUM_LANDMARKS),
        presence=rng.uniform(0, 1, NUM_LANDMARKS),
    )


def _sequence() -> PoseSequence:
    rng = np.random.default_rng(0)
    builder = SequenceBuilder(640, 480)
    for i in range(6):
        extras = {"back_sag": 0.1 * i} if i in (2, 3) else None
        builder.append(i / 30, None if i in (0, 3) else _frame(rng), source_index=i, extras=extras)
    return builder.build()


def test_missing_pose_is_nan_not_zero() -> None:
    seq = _sequence()
    assert len(seq) == 6
    assert seq.has_pose.tolist() == [False, True, True, False, True, True]
    assert np.isnan(seq.image_px[0]).all() and np.isnan(seq.visibility[3]).all()
    assert seq.frames_with_pose == 4 and seq.detection_rate == pytest.approx(4 / 6)
    assert seq.xy(Landmark.LEFT_KNEE).shape == (6, 2)
    np.testing.assert_allclose(seq.extras["back_sag"], [np.nan, np.nan, 0.2, 0.3, np.nan, np.nan])


def test_save_load_is_lossless(tmp_path: Path) -> None:
    seq = _sequence()
    path = tmp_path / "landmarks.npz"
    seq.save(path, meta={"video": "clip.mp4"})
    back = PoseSequence.load(path)
    for name in ("time_s", "image_px", "world_m", "visibility", "presence", "source_frame_index"):
        np.testing.assert_array_equal(getattr(back, name), getattr(seq, name))
    np.testing.assert_array_equal(back.extras["back_sag"], seq.extras["back_sag"])
    assert (back.width, back.height) == (640, 480)
    assert PoseSequence.read_meta(path)["video"] == "clip.mp4"
    assert not list(tmp_path.glob(".*.tmp")), "no temporary file left behind"


def test_load_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "other.npz"
    np.savez(path, meta=np.array('{"schema": "something/1"}'))
    with pytest.raises(InputError, match="not a posturecheck landmarks file"):
        PoseSequence.load(path)
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="cannot read landmarks"):
        PoseSequence.load(garbage)


@pytest.mark.parametrize(
    ("field", "bad", "message"),
    [
        ("image_px", np.zeros((3, 33, 2)), r"image_px must have shape \(3, 33, 3\)"),
        ("visibility", np.zeros((3, 32)), r"visibility must have shape \(3, 33\)"),
        ("time_s", np.array([0.0, 0.0, 1.0]), "strictly increasing"),
    ],
)
def test_shape_and_time_checks(field: str, bad: np.ndarray, message: str) -> None:
    seq = PoseSequence.empty(3, 10, 10)
    kwargs = {
        name: getattr(seq, name)
        for name in ("time_s", "image_px", "world_m", "visibility", "presence", "width", "height")
    }
    kwargs[field] = bad
    with pytest.raises(ValueError, match=message):
        PoseSequence(**kwargs)


def test_landmark_sides_by_name() -> None:
    from posturecheck.landmarks import is_left

    assert is_left(Landmark.LEFT_EYE) and not is_left(Landmark.RIGHT_EYE)
    assert is_left(Landmark.LEFT_KNEE) and not is_left(Landmark.NOSE)
    assert sum(is_left(lm) for lm in Landmark) == 16


def test_pose_scaled_to_another_picture_size() -> None:
    rng = np.random.default_rng(3)
    pose = PoseFrame(rng.random((33, 3)) * 100, rng.random((33, 3)), np.ones(33), np.ones(33))
    big = pose.scaled(2.0, 1.5)
    np.testing.assert_allclose(big.image_px, pose.image_px * (2.0, 1.5, 2.0))
    np.testing.assert_array_equal(big.world_m, pose.world_m)
    assert pose.scaled(1.0, 1.0) is pose
