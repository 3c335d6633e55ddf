"""Upload page: pick a video or photo, choose the exercise (and the pose model), analyse with a
live progress bar."""

from __future__ import annotations

import logging
import time
import uuid

import streamlit as st
from streamlit.delta_generator import DeltaGenerator
from streamlit.runtime.uploaded_file_manager import UploadedFile

from posturecheck.app import state
from posturecheck.app.text import escape_markdown, fmt_eta
from posturecheck.app.uploads import ACCEPTED_TYPES, analyse_upload, display_name
from posturecheck.errors import PostureCheckError
from posturecheck.history import Session
from posturecheck.models import Variant
from posturecheck.pipeline import Progress
from posturecheck.report import EXERCISE_CHOICES, ExerciseChoice

log = logging.getLogger(__name__)

#: Redraw the progress bar at most this often (each redraw is a message to the browser).
PROGRESS_INTERVAL_S = 0.25

_EXERCISE_LABELS: dict[ExerciseChoice, str] = {
    "auto": "Detect automatically",
    "squat": "Squat",
    "deadlift": "Deadlift",
}

#: The pose models offered (``lite`` is left out: barely faster and worse on nearly every count,
#: see models/README.md).
_MODEL_LABELS: dict[Variant, str] = {
    "full": "Standard",
    "heavy": "Most accurate angles (about 3x slower)",
}


class ProgressBar:
    """Feeds :class:`~posturecheck.pipeline.Progress` into an ``st.progress`` bar."""

    def __init__(self, bar: DeltaGenerator) -> None:
        self._bar = bar
        self._last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        done = bool(p.total) and p.done >= p.total
        if not done and now - self._last < PROGRESS_INTERVAL_S:
            return
        self._last = now
        count = f"{p.done}/{p.total} frames" if p.total else f"{p.done} frames"
        left = fmt_eta(p.eta_s)
        text = f"Analysing: {count} · {p.fps:.1f} frames/s" + (f" · {left}" if left else "")
        self._bar.progress(p.fraction if p.fraction is not None else 0.0, text=text)


def _analyse(
    upload: UploadedFile, exercise: ExerciseChoice, lifter: str, variant: Variant
) -> Session | None:
    shown = display_name(upload.name)
    bar = st.progress(0.0, text=f"Preparing {shown}…")
    try:
        model = state.model_path(variant)
        with state.open_history() as history:
            session = analyse_upload(
                upload,
                upload.name,
                settings=state.settings(),
                history=history,
                exercise=exercise,
                lifter=lifter,
                model_path=model,
                model_variant=variant,
                progress=ProgressBar(bar),
            )
    except PostureCheckError as exc:
        log.warning("analysis of %r failed: %s", shown, exc, exc_info=True)
        bar.empty()
        st.error(escape_markdown(str(exc)), icon=":material/error:")
        return None
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("analysis of %r crashed (reference %s)", shown, ref)
        bar.empty()
        st.error(
            f"Something went wrong inside posturecheck while analysing "
            f"{escape_markdown(shown)}. Nothing was saved. The details are in the server log "
            f"(reference {ref}).",
            icon=":material/error:",
        )
        return None
    bar.progress(1.0, text="Analysis complete")
    return session


def render() -> None:
    """The page body."""
    settings = state.settings()
    _, body, _ = st.columns([1, 4, 1])
    with body:
        st.title("Analyse a lift")
        st.write(
            "Film the set from the side, with the whole body in frame from head to feet. "
            "Upload the video (or a photo) and posturecheck marks every frame."
        )
        upload = st.file_uploader(
            "Video or photo of your set",
            type=list(ACCEPTED_TYPES),
            max_upload_size=settings.max_upload_mb,
            help=f"Up to {settings.max_upload_mb} MB: " + ", ".join(ACCEPTED_TYPES),
            key="upload_file",
        )
        left, right = st.columns(2)
        exercise = left.selectbox(
            "Exercise",
            EXERCISE_CHOICES,
            format_func=lambda c: _EXERCISE_LABELS[c],
            key="upload_exercise",
        )
        lifter = right.text_input("Lifter (optional)", key="upload_lifter", max_chars=80)
        variant = left.selectbox(
            "Pose model",
            list(_MODEL_LABELS),
            format_func=lambda v: _MODEL_LABELS[v],
            key="upload_model",
            help="Standard is what the fault cut-offs were set on. The most accurate model "
            "places knees and hips closer to the truth (checked on rendered lifters) but takes "
            "about three times as long.",
        )
        clicked = st.button(
            "Analyse", type="primary", disabled=upload is None, key="upload_go", width="stretch"
        )
        if clicked and upload is not None:
            session = _analyse(upload, exercise, lifter, variant)
            if session is not None:
                state.set_current(session)
                st.switch_page(state.REVIEW_PAGE)
        elif state.current_dir() is not None:
            st.page_link(
                state.REVIEW_PAGE, label="Back to the open analysis", icon=":material/play_circle:"
            )
        st.caption("posturecheck gives coaching information, not medical advice.")
