"""The web app in a real browser: upload → playable annotated video → frame stepping → history.

Drives Debian Chromium through Playwright against ``streamlit run`` (see conftest.py). Each
step saves a screenshot to test-artifacts/browser/. The 720p timing test writes
test-artifacts/browser/timings.json.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

UPLOAD_INPUT = '[data-testid="stFileUploaderDropzoneInput"]'
VIDEO = '[data-testid="stVideo"]'
ANALYSIS_TIMEOUT_MS = 120_000


def _choose_file(page: Any, files: Any) -> None:
    page.wait_for_selector(UPLOAD_INPUT, state="attached", timeout=30_000)
    page.locator(UPLOAD_INPUT).set_input_files(files)
    page.locator('[data-testid="stFileChip"]').wait_for(timeout=30_000)
    page.locator('[data-testid="stButton"] button:enabled', has_text="Analyse").wait_for(
        timeout=10_000
    )


def _analyse(page: Any) -> None:
    page.get_by_role("button", name="Analyse", exact=True).click()


def _wait_playable(page: Any) -> Any:
    page.wait_for_selector(VIDEO, timeout=ANALYSIS_TIMEOUT_MS)
    video = page.locator(VIDEO)
    video.evaluate(
        "v => new Promise((ok, fail) => {"
        "  if (v.readyState >= 2) return ok();"
        "  v.addEventListener('loadeddata', ok, {once: true});"
        "  v.addEventListener('error', () => fail(new Error('video error ' + v.error?.code)));"
        "  setTimeout(() => fail(new Error('video did not load')), 30000);"
        "})"
    )
    return video


def _frame_text(page: Any) -> str:
    return str(page.get_by_text(re.compile(r"^Frame \d+ of \d+")).first.inner_text())


def test_upload_play_step_and_history(
    page: Any, server: Any, realdata: Path, shoot: Any, overflow_at_phone_width: Any
) -> None:
    clip = realdata / "videos" / "deadlift_side_jeffchen_good.mp4"
    page.goto(server.url)
    page.get_by_role("heading", name="Analyse a lift").wait_for(timeout=30_000)
    shoot(page, "01-upload-page")

    _choose_file(page, str(clip))
    page.get_by_label("Lifter (optional)").fill("Jeff")
    page.get_by_label("Lifter (optional)").press("Enter")
    shoot(page, "02-file-chosen")
    _analyse(page)
    video = _wait_playable(page)

    # The annotated video plays: it has a duration and its clock advances after play().
    state = video.evaluate("v => ({ready: v.readyState, duration: v.duration, w: v.videoWidth})")
    assert state["ready"] >= 2
    assert state["duration"] == pytest.approx(62 / 30, abs=0.1)
    assert state["w"] == 600
    before = video.evaluate("v => v.currentTime")
    video.evaluate("v => { v.muted = true; return v.play(); }")
    page.wait_for_function(
        f"() => document.querySelector('{VIDEO}').currentTime > {before} + 0.3", timeout=15_000
    )
    video.evaluate("v => v.pause()")
    assert "deadlift_side_jeffchen_good.mp4 · Jeff" in page.locator("body").inner_text()
    body = page.locator("body").inner_text()
    assert "Reps and findings: not analysed yet" not in body and "Rep 1" in body
    shoot(page, "03-review")

    # Step the frame stepper: the button, then the slider by keyboard.
    assert _frame_text(page).startswith("Frame 0 of 61")
    page.get_by_role("button", name="Next frame").click()
    page.get_by_text(re.compile(r"^Frame 1 of 61")).wait_for(timeout=15_000)
    slider = page.get_by_role("slider", name="Frame")
    slider.focus()
    for _ in range(9):
        slider.press("ArrowRight")
    page.get_by_text(re.compile(r"^Frame 10 of 61")).wait_for(timeout=15_000)
    caption = page.locator('[data-testid="stImage"]').inner_text()
    assert "Frame 10 · 0.333 s" in caption
    shoot(page, "04-frame-10")

    # A download works (the file is read only when clicked).
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Report (JSON)").click()
    download = download_info.value
    assert download.suggested_filename == "report.json"
    report = json.loads(Path(download.path()).read_text())
    assert report["schema"] == "posturecheck.report/1"
    assert report["video"]["frames"] == 62

    # Phone width: everything fits, nothing scrolls sideways.
    assert overflow_at_phone_width(page) <= 1
    shoot(page, "05-review-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A reload keeps the review (the URL carries the session id) ...
    page.reload()
    _wait_playable(page)
    # ... and History lists the session, which opens back into the review.
    page.goto(f"{server.url}/history")
    page.get_by_role("heading", name="History").wait_for(timeout=30_000)
    card = page.locator("[class*='st-key-session-']", has_text=clip.name)
    card.first.wait_for(timeout=15_000)
    assert "Jeff" in card.first.inner_text()
    shoot(page, "06-history")
    card.first.get_by_role("button", name="Open", exact=True).click()
    _wait_playable(page)
    page.get_by_role("heading", name="Review").wait_for()


def test_bad_file_shows_a_message_and_the_app_still_works(
    page: Any, server: Any, shoot: Any
) -> None:
    page.goto(server.url)
    bad = {"name": "holiday.mp4", "mimeType": "video/mp4", "buffer": b"not a video " * 500}
    _choose_file(page, bad)
    _analyse(page)
    alert = page.locator('[data-testid="stAlertContentError"]')
    alert.wait_for(timeout=60_000)
    text = alert.inner_text()
    assert "holiday.mp4: cannot be read as a video" in text
    assert "Traceback" not in page.locator("body").inner_text()
    shoot(page, "07-bad-file")
    # The app keeps working: navigate to History and back.
    page.get_by_role("link", name="History").click()
    page.get_by_role("heading", name="History").wait_for(timeout=30_000)
    page.get_by_role("link", name="Analyse").first.click()
    page.get_by_role("heading", name="Analyse a lift").wait_for(timeout=30_000)


def test_step_to_a_flagged_frame(page: Any, server: Any, shoot: Any) -> None:
    """Findings arrive from the coaching stages; here a results folder carries synthetic ones."""
    from test_app_results import _results

    from posturecheck.faults import FAULT_BY_ID
    from posturecheck.history import History, NewSession

    fault = FAULT_BY_ID["forward_head"]
    extra = {
        "reps": [{"index": 1, "start_s": 0.0, "bottom_s": 0.5, "end_s": 1.1}],
        "findings": [
            {
                "fault": fault.id,
                "severity": "moderate",
                "rep": 1,
                "start_s": 0.6,
                "end_s": 0.9,
                "worst_s": 0.84,
                "measured": 27.0,
                "threshold": 25.0,
                "unit": "deg",
                "fix": fault.fix,
                "cue": fault.cue,
            }
        ],
        "not_assessable": [{"fault": "knee_valgus", "reason": "needs a front view"}],
        "stages": ["pose", "reps", "findings"],
    }
    folder = _results(server.data_dir / "results" / "synthetic-findings", extra)
    with History(server.data_dir / "history.sqlite3") as history:
        session = history.add(NewSession("synthetic.mp4", "squat", "side", folder, rep_count=1))
    page.goto(f"{server.url}/review?session={session.id}")
    _wait_playable(page)
    page.get_by_role("button", name=re.compile(f"^{fault.title} \\(rep 1, 0.84 s\\)")).click()
    page.get_by_text(re.compile(r"^Frame 21 of 29")).wait_for(timeout=15_000)
    assert fault.cue in page.locator("body").inner_text()
    shoot(page, "10-flagged-frame")


def test_time_from_upload_to_results_720p(
    page: Any, server: Any, realdata: Path, shoot: Any, artifacts: Path
) -> None:
    clip = realdata / "videos" / "deadlift_side_bichraix_good008.mp4"  # 327 frames, 1280x720
    page.goto(server.url)
    started = time.perf_counter()
    _choose_file(page, str(clip))
    uploaded = time.perf_counter()
    _analyse(page)
    page.locator('[data-testid="stProgress"]', has_text="frames/s").wait_for(timeout=60_000)
    progress_text = page.locator('[data-testid="stProgress"]').inner_text()
    page.screenshot(path=str(artifacts / "08-progress.png"))  # no resize: keep it quick
    video = _wait_playable(page)
    done = time.perf_counter()
    assert re.search(r"\d+/327 frames · [\d.]+ frames/s", progress_text), progress_text
    assert video.evaluate("v => v.duration") > 10
    timings = {
        "clip": clip.name,
        "frames": 327,
        "size": "1280x720",
        "upload_s": round(uploaded - started, 2),
        "analyse_to_playable_s": round(done - uploaded, 2),
        "upload_to_results_s": round(done - started, 2),
    }
    (artifacts / "timings.json").write_text(json.dumps(timings, indent=2) + "\n")
    print(timings)
    shoot(page, "09-review-720p")
