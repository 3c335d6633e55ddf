"""Live page: the webcam through streamlit-webrtc with the live overlay; Record → Stop turns
the set into the same review as an upload.

The frame callback runs on streamlit-webrtc's worker thread and only talks to the
:class:`~posturecheck.live.LiveSession` (never to ``st.*``); the page polls the session's
stats from a fragment that reruns twice a second.

Environment: ``POSTURECHECK_ICE_SERVERS``, a JSON list of ICE servers for WebRTC (e.g.
``[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]``);
unset means none, which is all a browser on the same machine needs.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import streamlit as st

from posturecheck.app import state
from posturecheck.app.text import escape_markdown
from posturecheck.app.upload_page import ProgressBar
from posturecheck.app.uploads import UPLOAD_PREFIX, analyse_upload
from posturecheck.errors import ConfigError, PostureCheckError
from posturecheck.history import Session
from posturecheck.live import LiveExercise, LiveSession, LiveStats, Recording
from posturecheck.report import EXERCISE_CHOICES

log = logging.getLogger(__name__)

#: This page's script, relative to streamlit_app.py.
LIVE_PAGE = "posturecheck/app/pages/live.py"
ICE_ENV = "POSTURECHECK_ICE_SERVERS"
STATS_EVERY_S = 0.5
CAMERA_KEY = "live-camera"
#: What the page asks the browser for: a webcam-sized stream.
CONSTRAINTS: dict[str, Any] = {
    "video": {"width": {"ideal": 640}, "height": {"ideal": 480}, "frameRate": {"ideal": 30}},
    "audio": False,
}
_SESSION = "live_session"
_FOLDER = "live_record_folder"
_PENDING = "live_pending"
_NOTICE = "live_notice"
_LABELS: dict[str, str] = {"auto": "Detect automatically", "squat": "Squat", "deadlift": "Deadlift"}
_ICE_EXAMPLE = '[{"urls": ["turn:turn.example.org:3478"], "username": "u", "credential": "p"}]'


def ice_servers(env: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """ICE servers from ``POSTURECHECK_ICE_SERVERS`` (a JSON list, or one server object).

    Raises:
        ConfigError: the value is not JSON, or not servers with ``urls``.
    """
    raw = (os.environ if env is None else env).get(ICE_ENV, "").strip()
    if not raw:
        return []
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise ConfigError(f"{ICE_ENV} is not valid JSON ({exc}). Example: {_ICE_EXAMPLE}") from exc
    servers = [value] if isinstance(value, dict) else value
    if not isinstance(servers, list) or not all(
        isinstance(s, dict) and isinstance(s.get("urls"), str | list) for s in servers
    ):
        raise ConfigError(
            f"{ICE_ENV} must be a list of servers, each with urls. Example: {_ICE_EXAMPLE}"
        )
    return servers


def _open_session() -> LiveSession:
    return LiveSession.open(state.model_path())


def live_session(
    exercise: LiveExercise, open_session: Callable[[], LiveSession] = _open_session
) -> LiveSession:
    """This browser session's live session (one pose model, made on first use)."""
    session = st.session_state.get(_SESSION)
    if not isinstance(session, LiveSession):
        session = open_session()
        st.session_state[_SESSION] = session
    session.exercise = exercise
    return session


def _record(session: LiveSession) -> None:
    """Start recording into a fresh private temp folder (swept like an upload's if left)."""
    settings = state.settings()
    if settings.tmp_dir is not None:
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{UPLOAD_PREFIX}live-", dir=settings.tmp_dir))
    st.session_state[_FOLDER] = str(folder)
    session.start_recording(folder / "live.mp4")


def _stop(session: LiveSession) -> None:
    recording = session.stop_recording()
    if recording is None:
        return
    if recording.frames < 2:
        _discard()
        st.session_state[_NOTICE] = "Nothing was recorded: start the camera, then Record."
        return
    st.session_state[_PENDING] = recording


def _discard() -> None:
    folder = st.session_state.pop(_FOLDER, None)
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    st.session_state.pop(_PENDING, None)


def _analyse(recording: Recording, exercise: LiveExercise, lifter: str) -> Session | None:
    """The recorded set through the upload path: same analysis, same saving, same cleanup."""
    name = f"live-{datetime.now().strftime('%Y%m%d-%H%M%S')}.mp4"
    bar = st.progress(0.0, text=f"Analysing the recorded set ({recording.frames} frames)…")
    try:
        with recording.path.open("rb") as data, state.open_history() as history:
            session = analyse_upload(
                data,
                name,
                settings=state.settings(),
                history=history,
                exercise=exercise,
                lifter=lifter,
                model_path=state.model_path(),
                progress=ProgressBar(bar),
            )
    except PostureCheckError as exc:
        log.warning("analysis of the live recording failed: %s", exc)
        bar.empty()
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return None
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("analysis of the live recording crashed (reference %s)", ref)
        bar.empty()
        st.error(
            "Something went wrong inside posturecheck while analysing the recording. Nothing "
            f"was saved. The details are in the server log (reference {ref}).",
            icon=":material/error:",
        )
        return None
    finally:
        _discard()
    return session


def _deg(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}°"


def _stats(session: LiveSession) -> None:
    """Rep count, last angles, placement and recording state, polled from the session."""
    s: LiveStats = session.stats()
    reps, knee, hip, lean = st.columns(4)
    reps.metric("Reps", s.reps)
    knee.metric("Knee", _deg(s.angles.knee_deg))
    hip.metric("Hip", _deg(s.angles.hip_deg))
    lean.metric("Trunk lean", _deg(s.angles.trunk_lean_deg))
    if s.frames == 0:
        st.info("Press START to turn on the camera.", icon=":material/videocam:")
    elif s.guidance:
        st.warning(escape_markdown(" ".join(s.guidance)), icon=":material/photo_camera:")
    else:
        st.success("Camera placement OK", icon=":material/check_circle:")
    if s.cues:
        st.error(escape_markdown(" · ".join(s.cues)), icon=":material/campaign:")
    if s.recording:
        st.markdown(f":red[**● Recording**] {s.recorded_s:.1f} s · {s.recorded_frames} frames")
    timing = ""
    if s.p50_ms is not None and s.p95_ms is not None:
        timing = f" · per frame {s.p50_ms:.0f} ms (p50), {s.p95_ms:.0f} ms (p95)"
    st.caption(f"Processed {s.frames} frames · dropped {s.dropped}{timing}")


@st.fragment(run_every=STATS_EVERY_S)
def _controls(session: LiveSession, playing: bool) -> None:
    """Record/Stop and the polled stats.

    A fragment, so that Record reruns only this part: a full rerun while the camera streams
    can make streamlit-webrtc take its component for orphaned and end the stream. Stop asks
    for a full rerun, which analyses the recording (see :func:`render`).
    """
    if isinstance(st.session_state.get(_PENDING), Recording):
        st.rerun()
    record, stop = st.columns(2)
    record.button(
        "Record", icon=":material/radio_button_checked:", type="primary", width="stretch",
        disabled=not playing or session.recording, on_click=_record, args=(session,),
        key="live_record",
    )  # fmt: skip
    stop.button(
        "Stop", icon=":material/stop_circle:", width="stretch",
        disabled=not session.recording, on_click=_stop, args=(session,), key="live_stop",
    )  # fmt: skip
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.info(notice)
    _stats(session)


def _finish(
    session: LiveSession, recording: Recording, exercise: LiveExercise, lifter: str
) -> None:
    """Analyse the recording like an upload and open its review. Runs in a full run with no
    polling fragment on the page (a fragment's timer could fire into the review's run and
    blank it); live processing pauses meanwhile."""
    session.paused = True
    try:
        done = _analyse(recording, exercise, lifter)
    finally:
        session.paused = False
    if done is not None:
        state.set_current(done)
        st.switch_page(state.REVIEW_PAGE)


def _camera(session: LiveSession, servers: list[dict[str, Any]]) -> bool:
    """The webcam component; True while it streams."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    async def on_frames(frames: list[Any]) -> list[Any]:  # worker thread: no st.* here
        return session.on_video_frames(frames)

    ctx = webrtc_streamer(
        key=CAMERA_KEY,
        mode=WebRtcMode.SENDRECV,
        rtc_configuration={"iceServers": servers},
        media_stream_constraints=CONSTRAINTS,
        queued_video_frames_callback=on_frames,
        async_processing=True,
        video_html_attrs={
            "autoPlay": True,
            "controls": False,
            "muted": True,
            "style": {"width": "100%"},
        },
    )
    return bool(ctx.state.playing)


#: Shows the camera and says whether it streams: (session, ICE servers) → playing.
Camera = Callable[[LiveSession, list[dict[str, Any]]], bool]


def render(
    *, camera: Camera = _camera, open_session: Callable[[], LiveSession] = _open_session
) -> None:
    """The page body. ``camera`` and ``open_session`` are replaced in tests (AppTest cannot
    run streamlit-webrtc)."""
    st.title("Live")
    st.write(
        "Put the camera at hip height, side-on to where you lift, with your whole body in the "
        "picture. Press START, get placed until the banner goes, then Record your set and Stop."
    )
    try:
        servers = ice_servers()
    except ConfigError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    left, right = st.columns(2)
    exercise: LiveExercise = left.selectbox(
        "Exercise", EXERCISE_CHOICES, format_func=lambda c: _LABELS[c], key="live_exercise"
    )
    lifter = right.text_input("Lifter (optional)", key="live_lifter", max_chars=80)
    try:
        session = live_session(exercise, open_session)
    except PostureCheckError as exc:
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return
    pending = st.session_state.get(_PENDING)
    video_col, side = st.columns([3, 2], gap="large")
    with video_col:
        playing = camera(session, servers)
    with side:
        if isinstance(pending, Recording):
            _finish(session, pending, exercise, lifter)
        else:
            _controls(session, playing)
    st.caption("posturecheck gives coaching information, not medical advice.")
