"""Batch: every video in a folder, resumable, failures isolated, a summary table."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from posturecheck.batch import find_videos, run_batch, summary_table
from posturecheck.cli import main
from posturecheck.errors import PostureCheckError
from posturecheck.pipeline import AnalysisOptions

from media import real_frames, write_clip


def test_find_videos_ignores_other_files(tmp_path: Path) -> None:
    for name in ("b.mov", "a.MP4", ".hidden.mp4", "notes.txt", "c.jpg"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.mp4").mkdir()
    assert [p.name for p in find_videos(tmp_path)] == ["a.MP4", "b.mov", "c.jpg"]


def test_empty_or_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PostureCheckError, match="holds no videos"):
        run_batch(tmp_path, options=AnalysisOptions(model_path=tmp_path / "unused.task"))
    with pytest.raises(PostureCheckError, match="not a folder"):
        run_batch(tmp_path / "nope")


@pytest.mark.model
@pytest.mark.realdata
def test_batch_resumes_and_isolates_failures(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    for name in ("deadlift_side_jeffchen_good.mp4", "squat_side_spotter_man_arms.mp4"):
        frames, fps = real_frames(realdata / "videos" / name, 20, (320, 320))
        write_clip(folder / name, frames, fps=fps)
    (folder / "broken.mp4").write_bytes(b"\x00" * 5000)
    out = tmp_path / "out"
    options = AnalysisOptions(model_path=model_path)

    items = run_batch(folder, out, options=options, jobs=2)
    assert [(i.video.name, i.status) for i in items] == [
        ("broken.mp4", "failed"),
        ("deadlift_side_jeffchen_good.mp4", "done"),
        ("squat_side_spotter_man_arms.mp4", "done"),
    ]
    assert "cannot be read as a video" in items[0].message
    assert all(
        (out / v / "report.json").is_file()
        for v in ("deadlift_side_jeffchen_good", "squat_side_spotter_man_arms")
    )

    again = run_batch(folder, out, options=options, jobs=2)
    assert [i.status for i in again] == ["failed", "skipped", "skipped"]
    table = summary_table(again)
    assert "3 videos: 0 analysed, 2 already done, 1 failed" in table

    stdout, stderr = io.StringIO(), io.StringIO()
    code = main(["batch", str(folder), "--out", str(out), "--quiet"], stdout=stdout, stderr=stderr)
    assert code == 2, "a failure in the batch gives exit 2"
    assert "already done" in stdout.getvalue()


@pytest.mark.model
@pytest.mark.realdata
def test_batch_analyses_with_the_model_asked_for(tmp_path: Path, realdata: Path) -> None:
    folder, out = tmp_path / "videos", tmp_path / "out"
    folder.mkdir()
    frames, fps = real_frames(
        realdata / "videos" / "squat_side_spotter_man_arms.mp4", 20, (320, 320)
    )
    write_clip(folder / "squat.mp4", frames, fps=fps)
    stdout, stderr = io.StringIO(), io.StringIO()
    args = ["batch", str(folder), "--out", str(out), "--model-variant", "lite", "--quiet"]
    assert main(args, stdout=stdout, stderr=stderr) == 0, stderr.getvalue()
    model = json.loads((out / "squat" / "report.json").read_text())["model"]
    assert model["variant"] == "lite"
    assert Path(model["path"]).name == "pose_landmarker_lite.task"
