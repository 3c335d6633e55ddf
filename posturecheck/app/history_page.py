"""History page: past sessions with their key numbers; open one for review, or delete it."""

from __future__ import annotations

from typing import Any

import streamlit as st

from posturecheck.app import state
from posturecheck.app.charts import chart_spec, history_charts
from posturecheck.app.text import NOT_ANALYSED, escape_markdown, fmt_pct, humanise
from posturecheck.app.uploads import delete_session
from posturecheck.errors import PostureCheckError
from posturecheck.history import Session

#: Shown when the listed sessions were analysed with different pose models.
MIXED_MODELS = (
    "These sessions were analysed with different pose models. The heavy model reads knee and "
    "hip angles closer to the truth than the standard one (by several degrees at depth), so "
    "compare sessions analysed with the same model."
)

_CONFIRM = "history_confirm_delete"
_ALL = "All lifters"


def _row(s: Session) -> dict[str, Any]:
    """One table row: only stored values, unknowns shown as "not analysed yet"."""
    faults = ", ".join(f"{humanise(k)} x{v}" for k, v in sorted(s.finding_counts.items()))
    return {
        "When": s.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        "Lifter": s.lifter or "—",
        "File": s.source_name,
        "Exercise": NOT_ANALYSED if s.exercise == "unknown" else s.exercise,
        "View": NOT_ANALYSED if s.view == "unknown" else s.view,
        "Reps": NOT_ANALYSED if s.rep_count is None else s.rep_count,
        "Person found": fmt_pct(s.detection_rate),
        "Duration (s)": s.key_numbers.get("duration_s"),
        "Flags": faults or ("none" if s.rep_count is not None else NOT_ANALYSED),
    }


def _open(session: Session) -> None:
    state.set_current(session)


def _ask_delete(session_id: int) -> None:
    st.session_state[_CONFIRM] = session_id


def _cancel_delete() -> None:
    st.session_state.pop(_CONFIRM, None)


def _delete(session_id: int) -> None:
    with state.open_history() as history:
        removed = delete_session(history, session_id, state.settings())
    if removed is not None and state.current_session_id() == session_id:
        state.clear_current()
    st.session_state.pop(_CONFIRM, None)
    st.session_state["history_notice"] = (
        f"Deleted {removed.source_name}." if removed else "That session was already gone."
    )


def _card(session: Session) -> None:
    with st.container(border=True, key=f"session-{session.id}"):
        when = session.created_at.astimezone().strftime("%Y-%m-%d %H:%M")
        who = f" · {session.lifter}" if session.lifter else ""
        st.markdown(f"**{escape_markdown(session.source_name)}**")
        st.caption(escape_markdown(f"{when}{who} · session {session.id}"))
        opened, delete = st.columns(2)
        if opened.button("Open", key=f"open-{session.id}", width="stretch", type="primary"):
            _open(session)
            st.switch_page(state.REVIEW_PAGE)
        if st.session_state.get(_CONFIRM) == session.id:
            st.warning("Delete this session and its results for good?")
            yes, no = st.columns(2)
            yes.button(
                "Yes, delete",
                key=f"confirm-{session.id}",
                on_click=_delete,
                args=(session.id,),
                width="stretch",
            )
            no.button("Keep it", key=f"cancel-{session.id}", on_click=_cancel_delete)
        else:
            delete.button(
                "Delete",
                key=f"delete-{session.id}",
                on_click=_ask_delete,
                args=(session.id,),
                width="stretch",
            )


def _progress(sessions: list[Session], lifter: str) -> None:
    """Key numbers and fault counts per session, oldest to newest."""
    charts = history_charts(sessions) if len(sessions) > 1 else []
    if not charts:
        return
    who = "all lifters" if lifter == _ALL else lifter
    st.subheader(f"Progress: {escape_markdown(who)}")
    for chart in charts:
        st.vega_lite_chart(chart_spec(chart), width="stretch")


def render() -> None:
    """The page body."""
    st.title("History")
    notice = st.session_state.pop("history_notice", None)
    if notice:
        st.success(escape_markdown(notice))
    try:
        with state.open_history() as history:
            lifters = history.lifters()
            choice = st.selectbox("Lifter", [_ALL, *lifters], key="history_lifter")
            sessions = history.sessions(lifter=None if choice == _ALL else choice)
    except PostureCheckError as exc:
        st.error(escape_markdown(str(exc)))
        return
    if not sessions:
        st.info("No sessions yet. Every analysis you run is saved here.")
        st.page_link(state.UPLOAD_PAGE, label="Analyse a lift", icon=":material/upload:")
        return
    st.caption(f"{len(sessions)} session(s), newest first.")
    rows = [_row(s) for s in sessions]
    if len({s.pose_model for s in sessions}) > 1:
        # Mixed models: say which is which, and that their angles differ in bias.
        rows = [{**row, "Pose model": s.pose_model} for row, s in zip(rows, sessions, strict=True)]
        st.warning(MIXED_MODELS, icon=":material/compare_arrows:")
    st.dataframe(rows, hide_index=True, width="stretch")
    _progress(sessions, choice)
    for session in sessions:
        _card(session)
