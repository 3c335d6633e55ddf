"""posturecheck web app: ``streamlit run streamlit_app.py``.

A thin entry point: page setup, logging and navigation. The page scripts live in
``posturecheck/app/pages/`` and call into :mod:`posturecheck.app`; the analysis is the CLI's
own :func:`posturecheck.pipeline.analyse`.

Environment: ``POSTURECHECK_DATA_DIR`` (results; default ``~/.local/share/posturecheck``),
``POSTURECHECK_HISTORY`` (the SQLite file), ``POSTURECHECK_MAX_UPLOAD_MB`` (default 500),
``POSTURECHECK_ICE_SERVERS`` (WebRTC ICE servers for the Live page, JSON; default none).
"""

from __future__ import annotations

import logging

import streamlit as st

from posturecheck.app import state
from posturecheck.app.live_page import LIVE_PAGE

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

st.set_page_config(page_title="posturecheck", page_icon=":material/fitness_center:", layout="wide")

state.sweep_once()

navigation = st.navigation(
    [
        st.Page(state.UPLOAD_PAGE, title="Analyse", icon=":material/upload:", default=True),
        st.Page(LIVE_PAGE, title="Live", icon=":material/videocam:"),
        st.Page(state.REVIEW_PAGE, title="Review", icon=":material/play_circle:"),
        st.Page(state.HISTORY_PAGE, title="History", icon=":material/history:"),
    ]
)
navigation.run()
