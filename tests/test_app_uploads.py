"""posturecheck.app.uploads and settings: safe staging, size limit, no half sessions, delete."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posturecheck.app.settings import AppSettings
from posturecheck.app.uploads import (
    accepted_suffix,
    analyse_upload,
    delete_session,
    display_name,
    key_numbers,
    session_from_report,
    staged_upload,
    sweep_leftovers,
    within,
)
from posturecheck.errors import ConfigError, InputError, NoPoseError
from posturecheck.history import History, HistoryError, NewSession

from media import write_clip


@pytest.fixture
def settings(tmp_path: Path) -> AppSettings:
    return AppSettings(
        data_dir=tmp_path / "data",
        history_path=tmp_path / "data" / "history.sqlite3",
        max_upload_mb=5,
        tmp_dir=tmp_path / "tmp",
    )


def _leftovers(settings: AppSettings) -> list[Path]:
    """Anything left in the temp folder or half-written in the results folder."""
    found = (
        list(settings.tmp_dir.iterdir()) if settings.tmp_dir and settings.tmp_dir.exists() else []
    )
    if settings.results_dir.exists():
        found += list(settings.results_dir.iterdir())
    return found


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("squat.mov", "squat.mov"),
        ("../../etc/passwd.mp4", "passwd.mp4"),
        ("C:\\Users\\me\\Videos\\pull.MOV", "pull.MOV"),
        ("a\x00b\nc.mp4", "abc.mp4"),
        ("", "upload"),
        ("..", "upload"),
        ("x" * 300 + ".mp4", "x" * 115 + "….mp4"),
    ],
)
def test_display_name(raw: str, shown: str) -> None:
    assert display_name(raw) == shown


def test_accepted_suffix() -> None:
    assert accepted_suffix("a.MOV") == ".mov"
    assert accepted_suffix("photo.jpeg") == ".jpeg"
    for bad in ("notes.txt", "run.exe", "noext", "video.mp4.sh"):
        with pytest.raises(InputError, match="not supported"):
            accepted_suffix(bad)


def test_staged_upload_uses_a_server_name_and_cleans_up(settings: AppSettings) -> None:
    payload = b"\x00\x01" * 1000
    with staged_upload(io.BytesIO(payload), "../../evil.mp4", settings) as path:
        assert path.name == "upload.mp4"
        assert settings.tmp_dir is not None
        assert path.parent.parent == settings.tmp_dir
        assert path.read_bytes() == payload
    assert not path.exists()
    assert _leftovers(settings) == []

    with pytest.raises(RuntimeError), staged_upload(io.BytesIO(payload), "a.mp4", settings):
        raise RuntimeError("analysis failed")
    assert _leftovers(settings) == []


def test_upload_over_the_limit_is_refused_with_the_limit(settings: AppSettings) -> None:
    big = io.BytesIO(b"\x00" * (settings.max_upload_bytes + 1))
    with (
        pytest.raises(InputError, match=r"upload limit is 5 MB"),
        staged_upload(big, "huge.mp4", settings),
    ):
        pass  # pragma: no cover
    assert _leftovers(settings) == []


def test_settings_from_env(tmp_path: Path) -> None:
    s = AppSettings.from_env(
        {"POSTURECHECK_DATA_DIR": str(tmp_path), "POSTURECHECK_MAX_UPLOAD_MB": "20"}
    )
    assert s.results_dir == tmp_path / "results"
    assert s.history_path == tmp_path / "history.sqlite3"
    assert s.max_upload_bytes == 20_000_000
    s = AppSettings.from_env(
        {"POSTURECHECK_DATA_DIR": str(tmp_path), "POSTURECHECK_HISTORY": str(tmp_path / "h.db")}
    )
    assert s.history_path == tmp_path / "h.db"
    with pytest.raises(ConfigError, match="positive whole number"):
        AppSettings.from_env({"POSTURECHECK_MAX_UPLOAD_MB": "lots"})


def test_bad_bytes_give_a_message_naming_the_users_file(settings: AppSettings) -> None:
    with History(settings.history_path) as history:
        with pytest.raises(InputError) as caught:
            analyse_upload(
                io.BytesIO(b"not a video at all " * 50),
                "my squat.mp4",
                settings=settings,
                history=history,
            )
        message = str(caught.value)
        assert message.startswith("my squat.mp4: cannot be read as a video")
        assert "posturecheck-upload" not in message
        assert "/" not in message.split(":", maxsplit=1)[0]
        assert history.sessions() == []
    assert _leftovers(settings) == []


@pytest.mark.model
def test_no_person_saves_nothing(settings: AppSettings, tmp_path: Path, model_path: Path) -> None:
    clip = write_clip(tmp_path / "empty.mp4", [np.full((96, 128, 3), 90, np.uint8)] * 8)
    with History(settings.history_path) as history, clip.open("rb") as fh:
        with pytest.raises(NoPoseError, match=r"^empty room\.mp4: no person found"):
            analyse_upload(
                fh, "empty room.mp4", settings=settings, history=history, model_path=model_path
            )
        assert history.sessions() == []
    assert _leftovers(settings) == []


@pytest.mark.model
@pytest.mark.realdata
def test_real_clip_is_analysed_and_saved(
    settings: AppSettings, realdata: Path, model_path: Path
) -> None:
    clip = realdata / "videos" / "deadlift_side_jeffchen_good.mp4"
    seen: list[int] = []
    with History(settings.history_path) as history, clip.open("rb") as fh:
        session = analyse_upload(
            fh,
            clip.name,
            settings=settings,
            history=history,
            exercise="deadlift",
            lifter="  jeff ",
            model_path=model_path,
            progress=lambda p: seen.append(p.done),
        )
        assert history.sessions() == [session]
    assert seen[-1] == 62
    assert session.source_name == clip.name
    assert session.lifter == "jeff"
    assert session.exercise == "deadlift"
    assert within(session.results_dir, settings.results_dir)
    for name in ("annotated.mp4", "landmarks.npz", "report.json"):
        assert (session.results_dir / name).is_file()
    assert session.detection_rate is not None
    assert session.detection_rate > 0.9
    assert session.key_numbers["frames"] == 62
    assert settings.tmp_dir is not None
    assert list(settings.tmp_dir.iterdir()) == []
    assert list(settings.results_dir.iterdir()) == [session.results_dir]


@pytest.mark.model
@pytest.mark.realdata
def test_history_failure_removes_the_results(
    settings: AppSettings, realdata: Path, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_add(self: History, session: NewSession, **kw: Any) -> None:
        raise HistoryError("disk full")

    clip = realdata / "videos" / "deadlift_side_jeffchen_bad.mp4"
    with History(settings.history_path) as history, clip.open("rb") as fh:
        monkeypatch.setattr(History, "add", broken_add)
        with pytest.raises(HistoryError, match="disk full"):
            analyse_upload(fh, clip.name, settings=settings, history=history, model_path=model_path)
        monkeypatch.undo()
        assert history.sessions() == []
    assert _leftovers(settings) == []


def test_delete_session_removes_its_folder_only_inside_the_data_folder(
    settings: AppSettings, tmp_path: Path
) -> None:
    inside = settings.results_dir / "r1"
    inside.mkdir(parents=True)
    (inside / "report.json").write_text("{}")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    with History(settings.history_path) as history:
        a = history.add(NewSession("a.mp4", "squat", "side", inside))
        b = history.add(NewSession("b.mp4", "squat", "side", outside))
        c = history.add(NewSession("c.mp4", "squat", "side", settings.results_dir))
        assert delete_session(history, a.id, settings) == a
        assert not inside.exists()
        assert delete_session(history, b.id, settings) == b
        assert outside.exists()
        assert delete_session(history, c.id, settings) == c
        assert settings.results_dir.exists()  # never the results root itself
        assert delete_session(history, a.id, settings) is None
        assert history.sessions() == []


def _report(**parts: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "video": {"duration_s": 4.0, "frames": 120, "fps": 30.0},
        "pose": {"frames_with_pose": 118, "detection_rate": 0.983},
        "exercise": {"name": "squat"},
        "view": {"name": "side"},
        "reps": [],
        "findings": [],
        "not_assessable": [],
        "thresholds": {},
        "processing": {"seconds": 3.2},
    }
    report.update(parts)
    return report


def test_session_from_report_before_reps_exist() -> None:
    s = session_from_report(_report(), Path("/r"), "a.mp4", "")
    assert s.rep_count is None  # not analysed: unknown, not zero
    assert s.lifter is None
    assert s.finding_counts == {}
    assert s.key_numbers == {
        "duration_s": 4.0,
        "frames": 120,
        "fps": 30.0,
        "frames_with_pose": 118,
        "processing_s": 3.2,
    }


def test_session_from_report_with_reps_and_findings() -> None:
    reps = [
        {"index": 1, "start_s": 0.0, "bottom_s": 1.0, "end_s": 2.0, "depth_deg": 100.0},
        {"index": 2, "start_s": 2.0, "bottom_s": 3.0, "end_s": 4.0, "depth_deg": 110.0},
    ]
    findings = [
        {"fault": "knee_valgus", "severity": "mild", "rep": 1},
        {"fault": "knee_valgus", "severity": "severe", "rep": 2},
        {"fault": "butt_wink", "severity": "moderate", "rep": 2},
    ]
    ran = {"stages": ["pose", "reps", "findings"]}
    s = session_from_report(
        _report(reps=reps, findings=findings, **ran), Path("/r"), "a.mp4", "ana"
    )
    assert s.rep_count == 2
    assert s.finding_counts == {"knee_valgus": 2, "butt_wink": 1}
    assert key_numbers(_report(reps=reps))["mean_depth_deg"] == 105.0
    no_reps_found = session_from_report(_report(**ran), Path("/r"), "a.mp4", None)
    assert no_reps_found.rep_count == 0
    assert no_reps_found.pose_model == "full"  # a report without a model block: the default
    heavy = _report(model={"variant": "heavy", "path": "/m/pose_landmarker_heavy.task"})
    assert session_from_report(heavy, Path("/r"), "a.mp4", None).pose_model == "heavy"


def test_sweep_removes_only_old_unreferenced_leftovers(settings: AppSettings) -> None:
    assert settings.tmp_dir is not None
    old = time.time() - 7200
    kept_session = settings.results_dir / "20260101T000000Z-aaaa"
    orphan = settings.results_dir / "20260101T000000Z-bbbb"
    partial = settings.results_dir / ".20260101T000000Z-cccc.partial-x1"
    running = settings.results_dir / ".20260101T000000Z-dddd.partial-x2"
    upload = settings.tmp_dir / "posturecheck-upload-abc"
    other = settings.tmp_dir / "someone-elses"
    for folder in (kept_session, orphan, partial, running, upload, other):
        folder.mkdir(parents=True)
        (folder / "f").write_bytes(b"x")
        if folder is not running:
            for p in (folder / "f", folder):
                os.utime(p, (old, old))
    with History(settings.history_path) as history:
        history.add(NewSession("a.mp4", "squat", "side", kept_session))
        removed = sweep_leftovers(history, settings)
    assert sorted(removed) == sorted([orphan, partial, upload])
    assert kept_session.exists()
    assert running.exists()  # touched recently: an analysis still in progress
    assert other.exists()


@pytest.mark.model
@pytest.mark.realdata
def test_analysis_killed_midway_leaves_no_session(
    settings: AppSettings, realdata: Path, model_path: Path
) -> None:
    """SIGKILL during an analysis: no session, a sound database, leftovers swept later."""
    clip = realdata / "videos" / "deadlift_side_bichraix_good008.mp4"
    script = f"""
import sys
from pathlib import Path
from posturecheck.app.settings import AppSettings
from posturecheck.app.uploads import analyse_upload
from posturecheck.history import History

settings = AppSettings(Path({str(settings.data_dir)!r}), Path({str(settings.history_path)!r}),
                       tmp_dir=Path({str(settings.tmp_dir)!r}))
said = []
def progress(p):  # called a few times a second with the frames done so far
    if p.done >= 40 and not said:
        said.append(True)
        print("midway", flush=True)
with History(settings.history_path) as history, open({str(clip)!r}, "rb") as fh:
    analyse_upload(fh, "set.mp4", settings=settings, history=history,
                   model_path=Path({str(model_path)!r}), progress=progress)
print("finished", flush=True)
"""
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "midway"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    with History(settings.history_path) as history:
        assert history.sessions() == []
        assert history.integrity_ok()
        assert _leftovers(settings)  # the staging and upload folders of the dead analysis
        sweep_leftovers(history, settings, older_than_s=0)
    assert _leftovers(settings) == []
