"""Streamlit glue shared by the pages: settings, the cached model, history, session state."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import numpy.typing as npt
import streamlit as st

from posturecheck.app.results import LoadedResult
from posturecheck.app.settings import AppSettings
from posturecheck.app.uploads import sweep_leftovers
from posturecheck.decode import read_frame_at
from posturecheck.errors import PostureCheckError
from posturecheck.history import History, Session
from posturecheck.models import DEFAULT_VARIANT, Variant, ensure_model

log = logging.getLogger(__name__)

#: Page scripts, relative to streamlit_app.py (``st.switch_page`` and AppTest use these).
UPLOAD_PAGE = "posturecheck/app/pages/upload.py"
REVIEW_PAGE = "posturecheck/app/pages/review.py"
HISTORY_PAGE = "posturecheck/app/pages/history.py"

_CURRENT_DIR = "current_results_dir"
_CURRENT_SESSION = "current_session_id"
FRAME_KEY = "review_frame"


def settings() -> AppSettings:
    """Settings from the environment (read on every run: cheap, and tests can change them)."""
    return AppSettings.from_env()


@st.cache_resource(show_spinner="Getting the pose model ready (built once, on first use)…")
def model_path(variant: Variant = DEFAULT_VARIANT) -> Path:
    """The ``variant`` pose model file, found or built once per server process."""
    return ensure_model(variant)


@st.cache_resource(show_spinner=False)
def sweep_once() -> int:
    """Clear what interrupted analyses left behind, once per server process."""
    try:
        with open_history() as history:
            return len(sweep_leftovers(history, settings()))
    except (PostureCheckError, OSError) as exc:
        log.warning("could not sweep leftovers: %s", exc)
        return 0


@contextmanager
def open_history() -> Iterator[History]:
    """The history database for this run (one connection per use: safe across sessions)."""
    with History(settings().history_path) as history:
        yield history


def set_current(session: Session) -> None:
    """Make ``session`` the analysis shown on the review page."""
    st.session_state[_CURRENT_DIR] = str(session.results_dir)
    st.session_state[_CURRENT_SESSION] = session.id
    st.session_state[FRAME_KEY] = 0


def clear_current() -> None:
    for key in (_CURRENT_DIR, _CURRENT_SESSION, FRAME_KEY):
        st.session_state.pop(key, None)


def current_dir() -> Path | None:
    value = st.session_state.get(_CURRENT_DIR)
    return Path(value) if value else None


def current_session_id() -> int | None:
    value = st.session_state.get(_CURRENT_SESSION)
    return int(value) if value is not None else None


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


@st.cache_data(max_entries=8, show_spinner=False)
def _load(out_dir: str, stamp: float) -> LoadedResult:
    return LoadedResult.load(Path(out_dir))


def load_result(out_dir: Path) -> LoadedResult:
    """A results folder, cached until its report changes."""
    return _load(str(out_dir), _mtime(out_dir / "report.json"))


@st.cache_data(max_entries=32, show_spinner=False)
def _frame(path: str, stamp: float, time_s: float) -> npt.NDArray[np.uint8]:
    return read_frame_at(Path(path), time_s)


def annotated_frame(path: Path, time_s: float) -> npt.NDArray[np.uint8]:
    """The annotated frame shown at ``time_s`` (decoded once, then cached)."""
    return _frame(str(path), _mtime(path), time_s)
