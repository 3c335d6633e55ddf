"""The Live page (posturecheck.app.live_page) through AppTest: streamlit-webrtc is replaced
by a fake camera; and the ICE servers from the environment."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from posturecheck.errors import ConfigError


def _live_script(playing: bool, frames_per_run: int) -> None:
    """The Live page with a fake camera that "streams" blank frames into the session."""
    import numpy as np
    import streamlit as st

    from posturecheck.app import live_page
    from posturecheck.live import LiveSession

    class Nobody:
        def detect(self, rgb: object, time_s: float) -> list[object]:
            return []

        def close(self) -> None:
            pass

    def camera(session: LiveSession, servers: list[object]) -> bool:
        st.session_state["seen_servers"] = servers
        clock = float(st.session_state.get("clock", 0.0))
        for _ in range(frames_per_run if playing else 0):
            clock += 1 / 30
            session.process(np.zeros((48, 64, 3), dtype=np.uint8), clock)
        st.session_state["clock"] = clock
        return playing

    live_page.render(camera=camera, open_session=lambda: LiveSession(Nobody()))  # type: ignore[arg-type]


def _live_app(playing: bool, frames_per_run: int = 0) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_live_script, args=(playing, frames_per_run), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def test_live_page_before_the_camera_starts(app_env: Path) -> None:
    at = _live_app(playing=False)
    assert at.title[0].value == "Live"
    assert at.button(key="live_record").disabled and at.button(key="live_stop").disabled
    assert "Press START" in at.info[0].value
    assert [m.label for m in at.metric] == ["Reps", "Knee", "Hip", "Trunk lean"]
    assert at.session_state["seen_servers"] == []


def test_live_page_streaming_record_then_stop_without_frames(app_env: Path) -> None:
    at = _live_app(playing=True, frames_per_run=0)
    assert not at.button(key="live_record").disabled
    at.button(key="live_record").click().run()
    session = at.session_state["live_session"]
    assert session.recording and at.button(key="live_record").disabled
    assert not at.button(key="live_stop").disabled
    folders = list((app_env / "tmp").glob("posturecheck-upload-live-*"))
    assert len(folders) == 1  # swept like an upload's if the server dies
    at.button(key="live_stop").click().run()
    assert not session.recording
    assert "Nothing was recorded" in at.info[0].value
    assert not list((app_env / "tmp").glob("posturecheck-upload-live-*"))


def test_live_page_shows_guidance_while_streaming(app_env: Path) -> None:
    at = _live_app(playing=True, frames_per_run=3)
    at.run()
    warning = at.warning[0].value.replace("\\", "")
    assert "Move into the frame: the camera cannot see you." in warning
    assert any("Processed 6 frames · dropped 0" in c.value for c in at.caption)


@pytest.mark.model
def test_a_recording_with_nobody_in_it_says_so_and_leaves_nothing(app_env: Path) -> None:
    at = _live_app(playing=True, frames_per_run=10)
    at.button(key="live_record").click().run()  # the fake camera streams 10 frames per run
    at.button(key="live_stop").click().run()
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert "no person found" in errors
    assert not at.session_state["live_session"].paused  # live processing resumed
    assert not list((app_env / "tmp").glob("posturecheck-upload-*"))
    assert not (app_env / "data" / "results").exists() or not any(
        (app_env / "data" / "results").iterdir()
    )


def test_a_bad_ice_setting_is_explained(app_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTURECHECK_ICE_SERVERS", "stun:nowhere")
    at = _live_app(playing=False)
    assert "POSTURECHECK_ICE_SERVERS is not valid JSON" in at.error[0].value.replace("\\", "")


ICE = [
    ("", []),
    ("  ", []),
    ('[{"urls": ["stun:stun.example.org:3478"]}]', [{"urls": ["stun:stun.example.org:3478"]}]),
    ('{"urls": "turn:t.example.org", "username": "u", "credential": "p"}',
     [{"urls": "turn:t.example.org", "username": "u", "credential": "p"}]),
    ("nope", ConfigError),
    ('[{"url": "stun:x"}]', ConfigError),
    ("[1, 2]", ConfigError),
    ('"stun:x"', ConfigError),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), ICE)
def test_ice_servers_from_the_environment(raw: str, expected: Any) -> None:
    from posturecheck.app.live_page import ICE_ENV, ice_servers

    if isinstance(expected, list):
        assert ice_servers({ICE_ENV: raw}) == expected
    else:
        with pytest.raises(expected, match=ICE_ENV):
            ice_servers({ICE_ENV: raw})
    assert ice_servers({}) == []
