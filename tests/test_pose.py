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


def test_estimators_starting_at_once_leave_stderr_working() -> None:
    # Two lanes' start-ups overlap; each redirecting fd 2 on its own left it pointing at the
    # other's closed sink, and every later error message vanished (a silent exit 1).
    script = textwrap.dedent(
        """
        import sys, threading
        from posturecheck.pose import _native_stderr_to_log

        first_in, second_in = threading.Event(), threading.Event()

        def a():
            with _native_stderr_to_log():
                first_in.set()
                second_in.wait(5)

        def b():
            first_in.wait(5)
            with _native_stderr_to_log():
                second_in.set()

        threads = [threading.Thread(target=a), threading.Thread(target=b)]
        for t in threads: t.start()
        for t in threads: t.join()
        print("still heard", file=sys.stderr, flush=True)
        """
    )
    run = subprocess.run(
        [sys.executable, "-c", script], check=False, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "still heard" in run.stderr
