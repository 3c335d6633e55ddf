"""The Live page in a real browser: a fake camera fed from a real clip → START → processed
frames come back with the overlay and live stats → Record → Stop → the review of the set.

Chromium gets its own profile here, launched with the fake-camera flags and a .y4m made from
``deadlift_side_formfit_1.mp4`` (two side-view pulls, letterboxed to 640x480). Screenshots:
test-artifacts/browser/live-01-streaming.png and live-02-review.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import pytest

from posturecheck.live import webcam_frames

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.model]

CLIP = "deadlift_side_formfit_1.mp4"
CLIP_FRAMES = 200  # both pulls (frames 0-48 and 90-186), then the camera loops
FPS = 24
CAMERA = 'iframe[title*="webrtc"]'


def make_y4m(clip: Path, out: Path, frames: int = CLIP_FRAMES) -> Path:
    """A 640x480 yuv420p .y4m of the clip's first ``frames`` frames (what the fake camera
    plays, looping)."""
    with av.open(str(out), mode="w", format="yuv4mpegpipe") as container:
        stream = container.add_stream("rawvideo", rate=Fraction(FPS))
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for rgb, _ in webcam_frames(clip, max_frames=frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out


@pytest.fixture(scope="module")
def camera_page(
    realdata: Path, tmp_path_factory: pytest.TempPathFactory, launch_chromium: Any
) -> Iterator[Any]:
    """Chromium whose camera plays the clip, at desktop width."""
    root = tmp_path_factory.mktemp("live-camera")
    y4m = make_y4m(realdata / "videos" / CLIP, root / "camera.y4m")
    camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]
    with launch_chromium(root / "profile", camera) as context:
        yield context.new_page()


def _number(page: Any, pattern: str) -> int:
    match = re.search(pattern, page.locator("body").inner_text())
    return int(match.group(1)) if match else -1


def _wait_number(page: Any, pattern: str, at_least: int, timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    value = -1
    while time.monotonic() < deadline:
        value = _number(page, pattern)
        if value >= at_least:
            return value
        page.wait_for_timeout(250)
    raise AssertionError(f"{pattern!r} stayed at {value} (wanted >= {at_least})")


@contextmanager
def _explained(page: Any, server: Any, shoot: Any) -> Iterator[None]:
    """On failure: a screenshot (live-99-failure.png) and the server log's tail."""
    try:
        yield
    except BaseException:
        shoot(page, "live-99-failure")
        print(server.log.read_text()[-5000:])
        raise


def test_fake_camera_live_then_record_to_review(camera_page: Any, server: Any, shoot: Any) -> None:
    with _explained(camera_page, server, shoot):
        _live_then_review(camera_page, server, shoot)


def _live_then_review(page: Any, server: Any, shoot: Any) -> None:
    started = time.monotonic()
    page.goto(f"{server.url}/live")
    page.get_by_role("heading", name="Live").wait_for(timeout=30_000)
    record = page.get_by_role("button", name="Record")
    assert record.is_disabled()  # no camera yet

    page.frame_locator(CAMERA).get_by_role("button", name="START").click(timeout=30_000)
    video = page.frame_locator(CAMERA).locator("video").first
    video.wait_for(timeout=30_000)
    # Processed frames come back: the output video has a size and its clock advances.
    video.evaluate(
        "v => new Promise((ok, fail) => {"
        "  const t = setTimeout(() => fail(new Error('no video frames')), 30000);"
        "  const check = () => (v.videoWidth >= 160 && v.currentTime > 0.2)"
        "    ? (clearTimeout(t), ok()) : setTimeout(check, 100);"
        "  check();"
        "})"
    )
    # WebRTC may scale the stream down on a busy machine: check the shape, not the exact size.
    width, height = video.evaluate("v => [v.videoWidth, v.videoHeight]")
    assert 160 <= width <= 640 and abs(width / height - 4 / 3) < 0.05, (width, height)
    before = video.evaluate("v => v.currentTime")
    page.wait_for_timeout(1000)
    assert video.evaluate("v => v.currentTime") > before + 0.5

    # The stats poll from the session: frames processed grow, a pull is counted, and the
    # placement verdict is shown (the clip is a full-body side view).
    first = _wait_number(page, r"Processed (\d+) frames", 10, 20)
    _wait_number(page, r"Processed (\d+) frames", first + 20, 20)
    _wait_number(page, r"Reps\s+(\d+)", 1, 30)
    page.get_by_text("Camera placement OK").wait_for(timeout=20_000)
    shoot(page, "live-01-streaming")

    # Record at least one whole pull, then Stop: the review of the recording opens.
    page.get_by_role("button", name="Record").click()
    page.get_by_text(re.compile(r"Recording")).first.wait_for(timeout=15_000)
    _wait_number(page, r"Recording\D+[\d.]+ s · (\d+) frames", 45, 30)
    _wait_number(page, r"Reps\s+(\d+)", 1, 20)  # the counter restarted at Record: one pull
    page.wait_for_timeout(1000)  # and its lockout
    page.get_by_role("button", name="Stop").click()
    player = page.locator('[data-testid="stVideo"]')
    player.wait_for(timeout=60_000)
    page.get_by_role("heading", name="Review").wait_for(timeout=10_000)
    page.wait_for_function(  # polled: Streamlit may swap the element while it loads
        "() => { const v = document.querySelector('[data-testid=stVideo]');"
        " return v !== null && v.readyState >= 2; }",
        timeout=30_000,
    )
    assert player.evaluate("v => v.duration") > 1.0
    # The charts and the per-rep table of the review are there for the recorded set too.
    page.get_by_role("heading", name="Key angles over time").wait_for(timeout=30_000)
    page.locator('[data-testid="stVegaLiteChart"]').first.wait_for(timeout=30_000)
    page.get_by_role("heading", name="Findings by rep").wait_for(timeout=30_000)
    page.locator('[data-testid="stImage"]').first.wait_for(timeout=30_000)
    body = page.locator("body").inner_text()
    assert re.search(r"live-\d{8}-\d{6}\.mp4", body), body[:500]
    assert "Traceback" not in body
    shoot(page, "live-02-review")
    elapsed = time.monotonic() - started
    print(f"live browser test: {elapsed:.1f} s")
    assert elapsed < 90


def test_history_charts_a_lifters_sessions(
    camera_page: Any, server: Any, shoot: Any, overflow_at_phone_width: Any
) -> None:
    """History with a few saved sessions of one lifter: the progress chart is drawn."""
    from datetime import UTC, datetime, timedelta

    from posturecheck.history import History, NewSession

    with History(server.data_dir / "history.sqlite3") as history:
        for week, (reps, depth, faults) in enumerate(
            [(5, 0.32, {"shallow_depth": 4}), (5, 0.38, {"shallow_depth": 2}),
             (6, 0.45, {"shallow_depth": 1, "heels_lift": 1})]
        ):  # fmt: skip
            history.add(
                NewSession(
                    f"week{week + 1}.mp4", "squat", "side", server.data_dir / "results" / "x",
                    lifter="Ana", rep_count=reps, detection_rate=1.0, finding_counts=faults,
                    key_numbers={"mean_depth_leg_lengths": depth, "duration_s": 12.0},
                ),
                created_at=datetime(2025, 1, 6, tzinfo=UTC) + timedelta(weeks=week),
            )  # fmt: skip
    page = camera_page
    page.goto(f"{server.url}/history")
    page.get_by_role("heading", name="History").wait_for(timeout=30_000)
    page.get_by_role("combobox", name="Lifter").click()
    page.get_by_role("option", name="Ana").click()
    page.get_by_role("heading", name="Progress: Ana").wait_for(timeout=30_000)
    chart = page.locator('[data-testid="stVegaLiteChart"]').first
    chart.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('[data-testid=stVegaLiteChart] svg, "
        "[data-testid=stVegaLiteChart] canvas') !== null",
        timeout=30_000,
    )
    charts = page.locator('[data-testid="stVegaLiteChart"]')
    assert charts.count() == 4  # reps, depth, flags in all, flags by fault
    shoot(page, "live-03-history-progress")
    # Phone width: the charts shrink with the page; nothing scrolls sideways.
    assert overflow_at_phone_width(page) <= 1
    shoot(page, "live-04-history-phone")
