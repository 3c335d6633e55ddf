"""The pose model's edge: what PoseEstimator hands back stays valid on its own."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = [pytest.mark.model, pytest.mark.realdata]


def test_person_masks_outlive_the_estimator(realdata: Path, model_path: Path) -> None:
    # In a child process: reading memory the landmarker freed crashes the interpreter.
    clip = realdata / "videos" / "deadlift_side_bichraix_good008.mp4"
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from itertools import islice
        from posturecheck.pose import PoseEstimator
        from posturecheck.video import read_frames

        frames = list(islice(read_frames(Path({str(clip)!r})), 20))
        with PoseEstimator(Path({str(model_path)!r}), segmentation=True) as estimator:
            found = [estimator.detect(f.rgb, f.time_s) for f in frames]
        masks = [people[0].mask for people in found if people]
        print(len(masks), sum(float((m > 0.5).mean()) for m in masks) / len(masks))
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    count, share = run.stdout.split()
    assert int(count) == 20
    assert 0.02 < float(share) < 0.5  # a person's share of the frame, read after close()
