"""report.html: self-contained (nothing fetched), every finding with its key frame, why, cue
and drills, all text escaped; key frames decoded from the source video at the worst frame."""

from __future__ import annotations

import base64
import copy
import html
import re
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from posturecheck.faults import FAULT_BY_ID
from posturecheck.fixes import DISCLAIMER, FIX_BY_ID
from posturecheck.html_report import encode_jpeg, key_frame_images, write_html_report
from posturecheck.report import validate_report

from builders import SidePose, side_view
from media import write_clip

REPO_ROOT = Path(__file__).resolve().parents[1]
EVIL = '<script>alert("x")</script>&'


def finding(fault: str, severity: str, rep: int, worst_frame: int, **extra: Any) -> dict[str, Any]:
    spec = FAULT_BY_ID[fault]
    return {
        "fault": fault,
        "severity": severity,
        "rep": rep,
        "start_s": worst_frame / 30 - 0.1,
        "end_s": worst_frame / 30 + 0.2,
        "worst_s": worst_frame / 30,
        "worst_frame": worst_frame,
        "measured": 30.033,
        "threshold": float(getattr(spec.cutoffs, severity)),
        "unit": spec.unit,
        "fix": spec.fix,
        "cue": spec.cue,
        "area": str(spec.area),
        "confidence": 0.96,
        **extra,
    }


def sample_report() -> dict[str, Any]:
    """A report.json dict shaped like the pipeline's (two squats, side view)."""
    rep_metrics = {
        "knee_flexion_deg": {"min": 27.0, "max": 107.1, "at_bottom": 85.4},
        "trunk_lean_deg": {"min": 12.2, "max": 56.1, "at_bottom": 49.4},
        "heel_rise_pct": {"min": -2.1, "max": 24.4, "at_bottom": None},
    }
    reps = [
        {
            "index": i,
            "complete": True,
            "start_s": s,
            "bottom_s": s + 0.7,
            "end_s": s + 1.3,
            "descent_s": 0.667,
            "pause_s": 0.3,
            "ascent_s": 0.433,
            "view": "side",
            "metrics": rep_metrics,
        }
        for i, s in ((1, 0.9), (2, 3.5))
    ]
    return {
        "schema": "posturecheck.report/1",
        "version": "0.1.0",
        "video": {"path": "clips/squat.mp4", "fps": 30.0, "frames": 165, "duration_s": 5.5},
        "pose": {"frames_with_pose": 165, "detection_rate": 1.0},
        "exercise": {"name": "squat", "confidence": 0.7, "source": "auto"},
        "view": {"name": "side", "facing": "right", "confidence": 1.0},
        "reps": reps,
        "findings": [
            finding("forward_head", "moderate", 1, 34),
            finding("heels_lift", "severe", 1, 62),
            finding("shallow_depth", "mild", 2, 129),
        ],
        "not_assessable": [
            {"fault": "knee_valgus", "reason": "knees cave in needs a front (or back) view"},
            {"fault": "lateral_shift", "reason": "hips hidden in reps 1-2", "reps": [1, 2]},
        ],
        "thresholds": {"forward_head": {"mild": 15.0, "moderate": 25.0, "severe": 35.0}},
        "config": {"source": "mine.toml", "overrides": {}},
    }


def tiny_jpeg(level: int = 120) -> bytes:
    return encode_jpeg(np.full((24, 32, 3), level, np.uint8))


def render(tmp_path: Path, report: dict[str, Any], frames: dict[int, bytes]) -> str:
    path = tmp_path / "report.html"
    write_html_report(path, report, frames)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    return path.read_text(encoding="utf-8")


def assert_self_contained(page: str) -> None:
    for attr in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page, flags=re.IGNORECASE):
        assert not re.match(r"(?i)(https?:)?//", attr), f"external reference {attr!r}"
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page


def assert_every_finding_explained(page: str, report: dict[str, Any]) -> None:
    for item in report["findings"]:
        spec = FAULT_BY_ID[item["fault"]]
        fix = FIX_BY_ID[item["fix"]]
        assert html.escape(spec.title) in page
        assert html.escape(item["cue"]) in page
        assert html.escape(fix.why) in page
        assert 2 <= len(fix.drills) <= 4
        for drill in fix.drills:
            assert html.escape(drill) in page
    for item in report["not_assessable"]:
        assert html.escape(item["reason"]) in page
    assert html.escape(DISCLAIMER) in page


def embedded_jpegs(page: str) -> list[bytes]:
    return [
        base64.b64decode(data)
        for data in re.findall(r'src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_page_is_self_contained_and_explains_every_finding(tmp_path: Path) -> None:
    report = sample_report()
    frames = {0: tiny_jpeg(60), 1: tiny_jpeg(120), 2: tiny_jpeg(180)}
    page = render(tmp_path, report, frames)
    assert page.startswith("<!doctype html>")
    assert '<meta name="viewport"' in page, "readable on a phone"
    assert_self_contained(page)
    assert_every_finding_explained(page, report)
    jpegs = embedded_jpegs(page)
    assert jpegs == [frames[0], frames[1], frames[2]], "one key frame per finding, in order"
    assert page.index("Rep 1") < page.index("Forward head") < page.index("Rep 2")
    assert page.index("Rep 2") < page.index(html.escape(FAULT_BY_ID["shallow_depth"].title))
    for text in ("squat", "side", "100% of frames", "What one camera can and cannot see"):
        assert text in page
    assert "mine.toml" in page, "where the thresholds came from"
    for number in ("85", "56", "0.67", "0.43"):  # per-rep table: knee at bottom, lean, tempo
        assert f"<td>{number}</td>" in page
    assert "hips hidden in reps 1-2" in page and "(reps 1, 2)" in page


def test_every_text_is_escaped(tmp_path: Path) -> None:
    report = sample_report()
    report["video"]["path"] = f"clips/{EVIL}.mp4"
    report["findings"][0]["cue"] = EVIL
    report["findings"][0]["severity"] = EVIL
    report["not_assessable"][0]["reason"] = EVIL
    report["exercise"]["name"] = EVIL
    report["config"]["source"] = EVIL
    page = render(tmp_path, report, {})
    assert "<script>" not in page
    assert EVIL not in page
    assert html.escape(EVIL) in page
    assert page.count(html.escape(EVIL)) >= 6


def test_missing_key_frames_and_no_findings(tmp_path: Path) -> None:
    report = sample_report()
    page = render(tmp_path, report, {1: tiny_jpeg()})
    assert len(embedded_jpegs(page)) == 1
    assert page.count("No picture of this moment is available") == 2
    clean = copy.deepcopy(report)
    clean["findings"] = []
    page = render(tmp_path, clean, {})
    assert "Nothing was flagged" in page
    assert embedded_jpegs(page) == []
    assert html.escape(DISCLAIMER) in page


def test_front_view_says_what_it_cannot_judge(tmp_path: Path) -> None:
    report = sample_report()
    report["view"] = {"name": "front", "facing": None, "confidence": 0.9}
    report["reps"] = []
    page = render(tmp_path, report, {})
    assert "those need a side view" in page
    assert "No complete rep was found" in page


# --- key frames from the source video -------------------------------------------------------


def grey_clip(path: Path, n: int, width: int = 320, height: int = 240) -> Path:
    """Frame ``i`` is a flat grey of level ``10 * i`` (so a decoded frame tells its index)."""
    return write_clip(path, [np.full((height, width, 3), 10 * i, np.uint8) for i in range(n)])


def decode(jpeg: bytes) -> npt.NDArray[np.uint8]:
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert bgr is not None, "not a JPEG"
    return np.asarray(bgr, dtype=np.uint8)


def corner_level(jpeg: bytes) -> float:
    """Mean grey of the top-right corner, where nothing is drawn."""
    bgr = decode(jpeg)
    h, w = bgr.shape[:2]
    return float(bgr[: h // 8, w - w // 8 :].mean())


def test_key_frames_are_the_worst_frames_drawn_with_the_fault(tmp_path: Path) -> None:
    clip = grey_clip(tmp_path / "clip.mp4", 20)
    sequence = side_view(SidePose(knee_flexion_deg=60.0, hip_flexion_deg=70.0), n_frames=20)
    findings = [
        finding("heels_lift", "mild", 1, 5),
        finding("forward_head", "severe", 1, 5),
        finding("shallow_depth", "moderate", 1, 12),
        finding("shallow_depth", "moderate", 2, 99),  # past the end of the video
    ]
    frames = key_frame_images(clip, sequence, findings)
    assert sorted(frames) == [0, 1, 2]
    for i in (0, 1, 2):
        assert frames[i][:2] == b"\xff\xd8", "JPEG"
    assert abs(corner_level(frames[0]) - 50) < 6
    assert abs(corner_level(frames[2]) - 120) < 6
    assert frames[0] != frames[1], "same frame, each finding with its own bones and cue"
    image = decode(frames[0])
    assert image.shape == (240, 320, 3)
    bottom = image[-30:, :60].astype(int)
    assert (bottom[..., 2] - bottom[..., 1]).mean() > 60, "the cue in a red box at the bottom"
    small = key_frame_images(clip, sequence, findings[:1], max_width=160)
    assert decode(small[0]).shape[:2] == (
        120,
        160,
    )
    assert key_frame_images(clip, sequence, []) == {}


@pytest.mark.model
def test_report_of_the_real_sample_clip(tmp_path: Path, model_path: Path) -> None:
    from posturecheck.pipeline import AnalysisOptions, analyse

    video = REPO_ROOT / "sample_videos" / "side_squat_faults.mp4"
    result = analyse(video, tmp_path / "out", options=AnalysisOptions(model_path=model_path))
    report = result.report
    assert validate_report(report) == []
    assert report["findings"], "the sample clip has faults"
    frames = key_frame_images(video, result.sequence, report["findings"])
    assert sorted(frames) == list(range(len(report["findings"])))
    page = render(tmp_path, report, frames)
    assert_self_contained(page)
    assert_every_finding_explained(page, report)
    assert embedded_jpegs(page) == [frames[i] for i in range(len(frames))]
    for jpeg in frames.values():
        image = decode(jpeg)
        assert image.shape[1] == report["video"]["width"]
    for rep in report["reps"]:
        assert f"<td>{rep['index']}</td>" in page
    assert len(page) < 2_000_000, "small enough to share"
