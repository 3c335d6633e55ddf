"""The command line: usage, exit codes, one-line errors, and a real analysis."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from posturecheck.cli import main

from media import pattern_frames, real_frames, write_clip


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_config_prints_an_example_and_bad_config_exits_2(tmp_path: Path) -> None:
    code, out, _ = _run("config")
    assert code == 0 and "[thresholds.forward_head]" in out
    bad = tmp_path / "mine.toml"
    bad.write_text("[thresholds.elbow_flare]\nmild = 3\n")
    clip = tmp_path / "x.mp4"
    clip.write_bytes(b"0" * 100)
    code, _, err = _run("analyse", str(clip), "--config", str(bad), "--quiet")
    assert code == 2 and "elbow_flare" in err and "Traceback" not in err


def test_usage_error_exits_2() -> None:
    code, _, _ = _run("analyse")
    assert code == 2
    code, _, _ = _run("analyse", "x.mp4", "--exercise", "bench")
    assert code == 2
    code, _, _ = _run("analyse", "x.mp4", "--lanes", "0")
    assert code == 2


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mp4", None, "file not found"),
        ("notes.mov", b"not a video at all" * 20, "cannot be read as a video"),
        ("notes.txt", b"hello", "not supported"),
    ],
)
def test_bad_input_one_line_exit_2_nothing_written(
    tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    before = sorted(tmp_path.iterdir())
    code, _, err = _run("analyse", str(path), "--quiet")
    assert code == 2
    assert message in err and str(path) in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.model
def test_no_person_exit_2_nothing_written(tmp_path: Path, model_path: Path) -> None:
    clip = write_clip(tmp_path / "empty_room.mp4", pattern_frames(15, 320, 240))
    code, _, err = _run("analyse", str(clip), "--quiet")
    assert code == 2
    assert "no person found" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty_room.mp4"]


@pytest.mark.model
@pytest.mark.realdata
def test_analyse_real_clip_then_refuse_overwrite_then_force(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    frames, fps = real_frames(realdata / "videos/deadlift_side_jeffchen_good.mp4", 30)
    clip = write_clip(tmp_path / "pull.mp4", frames, fps=fps)
    out_dir = tmp_path / "results"
    code, out, err = _run("analyse", str(clip), "--out", str(out_dir), "--exercise", "deadlift")
    assert code == 0, err
    assert "fps" in err, "progress bar with frames/s on stderr"
    assert "results in" in out
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "annotated.mp4",
        "findings.csv",
        "landmarks.npz",
        "metrics.csv",
        "report.html",
        "report.json",
    ]
    report = json.loads((out_dir / "report.json").read_text())
    exercise = report["exercise"]
    assert (exercise["name"], exercise["confidence"], exercise["source"]) == ("deadlift", 1, "user")
    rows = (out_dir / "metrics.csv").read_text().splitlines()
    assert rows[0].startswith("frame,time_s,") and "knee_flexion_deg_confidence" in rows[0]
    assert len(rows) == 1 + report["video"]["frames"]
    first = (out_dir / "report.json").stat().st_mtime_ns

    code, _, err = _run("analyse", str(clip), "--out", str(out_dir), "--quiet")
    assert code == 2 and "--force" in err
    assert (out_dir / "report.json").stat().st_mtime_ns == first, "nothing overwritten"

    code, _, _ = _run(
        "analyse", str(clip), "--out", str(out_dir), "--quiet", "--force", "--lanes", "1"
    )
    assert code == 0
    assert (out_dir / "report.json").stat().st_mtime_ns != first
    assert json.loads((out_dir / "report.json").read_text())["processing"]["lanes"] == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")], "no staging left"


@pytest.mark.model
@pytest.mark.realdata
def test_default_out_dir_is_beside_the_video(
    tmp_path: Path, realdata: Path, model_path: Path
) -> None:
    image = tmp_path / "setup.jpg"
    image.write_bytes((realdata / "images/deadlift_side_camron_setup.jpg").read_bytes())
    code, _, err = _run("analyse", str(image), "--quiet")
    assert code == 0, err
    out_dir = tmp_path / "setup.posturecheck"
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "annotated.png",
        "findings.csv",
        "landmarks.npz",
        "metrics.csv",
        "report.html",
        "report.json",
    ]
    report = json.loads((out_dir / "report.json").read_text())
    assert report["pose"]["frames_with_pose"] == 1
