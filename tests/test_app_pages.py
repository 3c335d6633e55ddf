"""The Streamlit pages' logic through AppTest (the real app script, headless, no browser)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest
from test_app_results import _results

from posturecheck.app.history_page import MIXED_MODELS
from posturecheck.app.state import HISTORY_PAGE, REVIEW_PAGE
from posturecheck.app.upload_page import ProgressBar
from posturecheck.faults import FAULT_BY_ID
from posturecheck.fixes import FIX_BY_ID
from posturecheck.history import History, NewSession
from posturecheck.pipeline import Progress

APP = Path(__file__).resolve().parents[1] / "streamlit_app.py"
TIMEOUT = 120


@pytest.fixture
def data_dir(app_env: Path) -> Path:
    """Fresh results, history and temp folders for one test."""
    return app_env / "data"


def _app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def _upload(at: AppTest, name: str, data: bytes, mime: str = "video/mp4") -> AppTest:
    at.get("file_uploader")[0].set_value((name, data, mime)).run()  # type: ignore[attr-defined]
    at.button(key="upload_go").click().run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts: list[Any] = [*at.markdown, *at.caption, *at.info, *at.error, *at.warning]
    return "\n".join(str(p.value) for p in parts).replace("\\", "")


def _button(at: AppTest, label: str) -> Any:
    matches = [b for b in at.button if b.label == label]
    assert matches, f"no button {label!r} in {[b.label for b in at.button]}"
    return matches[0]


def test_upload_page_renders(data_dir: Path) -> None:
    at = _app()
    assert at.title[0].value == "Analyse a lift"
    assert at.button(key="upload_go").disabled  # nothing chosen yet
    assert at.selectbox(key="upload_exercise").value == "auto"
    assert at.selectbox(key="upload_model").value == "full"


@pytest.mark.model
@pytest.mark.realdata
def test_upload_review_history_open_delete(data_dir: Path, realdata: Path) -> None:
    clip = realdata / "videos" / "deadlift_side_jeffchen_good.mp4"
    at = _app()
    at.text_input(key="upload_lifter").input("Jeff")
    _upload(at, clip.name, clip.read_bytes())

    # Review: summary, video, frame stepper with the decoded frame, honest placeholders.
    assert at.title[0].value == "Review"
    assert len(at.get("video")) == 1
    assert len(at.get("image")) == 1
    texts = _texts(at)
    assert "deadlift_side_jeffchen_good.mp4 · Jeff" in texts
    assert "not analysed yet" not in texts, "every stage ran"
    assert "**Reps**  \n1" in texts
    assert "Person found" in texts
    slider = at.slider(key="review_frame")
    assert (slider.value, slider.max) == (0, 61)
    _button(at, "Next frame ▶").click().run()
    assert at.slider(key="review_frame").value == 1
    assert "Time 0.033 s" in _texts(at).replace("*", "")
    at.slider(key="review_frame").set_value(40).run()
    assert "Frame 40 of 61" in _texts(at).replace("*", "")
    labels = [b.label for b in at.get("download_button")]  # type: ignore[attr-defined]
    assert {"Annotated video", "Report (JSON)", "Landmarks (NPZ)"} <= set(labels)
    if "Metrics (CSV)" in labels:  # the metrics stage ran: this frame's angles are listed
        assert any(e.label.startswith("Angles in this frame") for e in at.expander)

    # History lists it; open it again; delete it (with its results folder).
    at.switch_page(HISTORY_PAGE).run()
    assert at.title[0].value == "History"
    with History(data_dir / "history.sqlite3") as history:
        (session,) = history.sessions()
    assert session.source_name == clip.name
    assert session.lifter == "Jeff"
    assert session.results_dir.is_dir()
    table = at.dataframe[0].value
    assert list(table["File"]) == [clip.name]
    assert list(table["Reps"]) == [1]
    _button(at, "Open").click().run()
    assert at.title[0].value == "Review"

    at.switch_page(HISTORY_PAGE).run()
    _button(at, "Delete").click().run()
    _button(at, "Yes, delete").click().run()
    assert not at.exception
    assert "No sessions yet" in _texts(at)
    assert not session.results_dir.exists()
    at.switch_page(REVIEW_PAGE).run()
    assert "No analysis is open" in _texts(at)


def test_bad_file_shows_the_message_and_the_app_keeps_working(data_dir: Path) -> None:
    at = _upload(_app(), "my lift.mp4", b"definitely not a video " * 200)
    assert at.title[0].value == "Analyse a lift"
    (error,) = at.error
    assert "my lift.mp4: cannot be read as a video" in error.value.replace("\\", "")
    assert "Traceback" not in error.value
    assert "posturecheck-upload" not in error.value
    at.run()
    assert not at.exception
    at.switch_page(HISTORY_PAGE).run()
    assert "No sessions yet" in _texts(at)
    assert not any((data_dir / "results").iterdir())
    assert not any((data_dir.parent / "tmp").iterdir())


def test_upload_over_the_limit_states_the_limit(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POSTURECHECK_MAX_UPLOAD_MB", "1")
    at = _upload(_app(), "long.mov", b"\x00" * 1_200_000, "video/quicktime")
    (error,) = at.error
    assert "upload limit is 1 MB" in error.value


def test_review_without_an_analysis(data_dir: Path) -> None:
    at = _app()
    at.switch_page(REVIEW_PAGE).run()
    assert not at.exception
    assert "No analysis is open" in _texts(at)


def test_review_shows_findings_by_rep_and_jumps_to_flags(data_dir: Path, tmp_path: Path) -> None:
    fault = FAULT_BY_ID["forward_head"]
    fix = FIX_BY_ID[fault.fix]
    reps = [
        {"index": 1, "start_s": 0.0, "bottom_s": 0.3, "end_s": 0.5, "depth_deg": 95.0},
        {"index": 2, "start_s": 0.5, "bottom_s": 0.8, "end_s": 1.1, "depth_deg": 99.0},
    ]
    findings = [
        {
            "fault": fault.id,
            "severity": "severe",
            "rep": 2,
            "start_s": 0.7,
            "end_s": 0.9,
            "worst_s": 0.84,
            "measured": 37.2,
            "threshold": 35.0,
            "unit": "deg",
            "fix": fix.id,
            "cue": fault.cue,
        },
        {"fault": "future_fault", "severity": "mild", "rep": 1, "worst_s": 0.2, "fix": "x_y"},
    ]
    not_assessable = [{"fault": "knee_valgus", "reason": "needs a front view"}]
    folder = _results(
        tmp_path / "results" / "r1",
        {
            "reps": reps,
            "findings": findings,
            "not_assessable": not_assessable,
            "stages": ["pose", "reps", "findings"],
        },
    )
    at = _app()
    at.session_state["current_results_dir"] = str(folder)
    at.switch_page(REVIEW_PAGE).run()
    assert not at.exception
    texts = _texts(at)
    assert fault.title in texts
    assert "measured 37.2° (severe from 35.0°) · key frame 0.84 s" in texts
    assert fault.cue in texts
    assert fix.why in texts
    assert all(drill in texts for drill in fix.drills)
    assert "future fault" in texts  # ids the tables do not know yet are shown plainly
    assert "Fix: x y" in texts
    assert "needs a front view" in texts
    assert "not medical advice" in texts
    assert [e.label for e in at.expander][:2] == [
        "Rep 1 · 0.00 s to 0.50 s · 1 flag(s)",
        "Rep 2 · 0.50 s to 1.10 s · 1 flag(s)",
    ]
    _button(at, f"{fault.title} (rep 2, 0.84 s) · severe").click().run()
    assert at.slider(key="review_frame").value == 21  # 0.84 s at 25 fps
    _button(at, "future fault (rep 1, 0.20 s) · mild").click().run()
    assert at.slider(key="review_frame").value == 5
    assert at.dataframe[-1].value["depth_deg"].tolist() == [95.0, 99.0]


class _Bar:
    def __init__(self) -> None:
        self.calls: list[tuple[float, str]] = []

    def progress(self, value: float, text: str) -> None:
        self.calls.append((value, text))


def test_progress_bar_shows_frames_per_second_and_time_left() -> None:
    bar = _Bar()
    show = ProgressBar(bar)  # type: ignore[arg-type]
    show(Progress(done=30, total=120, elapsed_s=2.0))
    show(Progress(done=31, total=120, elapsed_s=2.05))  # throttled
    show(Progress(done=120, total=120, elapsed_s=8.0))  # the last one always shows
    assert bar.calls == [
        (0.25, "Analysing: 30/120 frames · 15.0 frames/s · 6 s left"),
        (1.0, "Analysing: 120/120 frames · 15.0 frames/s · 0 s left"),
    ]
    unknown = _Bar()
    ProgressBar(unknown)(Progress(done=10, total=0, elapsed_s=1.0))  # type: ignore[arg-type]
    assert unknown.calls == [(0.0, "Analysing: 10 frames · 10.0 frames/s")]


@pytest.mark.model
@pytest.mark.realdata
def test_upload_with_the_heavy_model_says_so_in_review(data_dir: Path, realdata: Path) -> None:
    clip = realdata / "videos" / "deadlift_side_jeffchen_good.mp4"
    at = _app()
    assert at.selectbox(key="upload_model").value == "full"
    at.selectbox(key="upload_model").set_value("heavy").run()
    _upload(at, clip.name, clip.read_bytes())
    assert at.title[0].value == "Review"
    assert "deadlift_side_jeffchen_good.mp4 · heavy pose model" in _texts(at)
    (report,) = (data_dir / "results").glob("*/report.json")
    model = json.loads(report.read_text())["model"]
    assert model["variant"] == "heavy"
    assert Path(model["path"]).name == "pose_landmarker_heavy.task"


def test_history_says_when_sessions_used_different_pose_models(data_dir: Path) -> None:
    with History(data_dir / "history.sqlite3") as history:
        for name, model in (("a.mp4", "full"), ("b.mp4", "full")):
            history.add(_new_session(name, model))
        at = _app()
        at.switch_page(HISTORY_PAGE).run()
        assert MIXED_MODELS not in _texts(at)
        assert "Pose model" not in at.dataframe[0].value.columns  # one model: no column
        history.add(_new_session("c.mp4", "heavy"))
    at.run()
    assert not at.exception
    assert any(w.value == MIXED_MODELS for w in at.warning)
    table = at.dataframe[0].value
    assert dict(zip(table["File"], table["Pose model"], strict=True)) == {
        "a.mp4": "full",
        "b.mp4": "full",
        "c.mp4": "heavy",
    }


def _new_session(name: str, model: str) -> NewSession:
    return NewSession(
        source_name=name,
        exercise="squat",
        view="side",
        results_dir=Path("/nowhere") / name,
        rep_count=3,
        pose_model=model,
    )
