"""Review page: the annotated video, a frame stepper, flags, findings by rep, downloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from posturecheck.app import state
from posturecheck.app.charts import angles_chart, chart_spec, rep_table
from posturecheck.app.results import LoadedResult, coaching_for, fault_title
from posturecheck.app.text import (
    NOT_ANALYSED,
    escape_markdown,
    fmt_pct,
    fmt_s,
    humanise,
    severity_badge,
)
from posturecheck.errors import PostureCheckError
from posturecheck.fixes import DISCLAIMER
from posturecheck.history import Session
from posturecheck.models import DEFAULT_VARIANT


def _set_frame(index: int) -> None:
    st.session_state[state.FRAME_KEY] = index


def _step(delta: int, last: int) -> None:
    current = int(st.session_state.get(state.FRAME_KEY, 0))
    st.session_state[state.FRAME_KEY] = min(max(current + delta, 0), last)


def _session() -> Session | None:
    session_id = state.current_session_id()
    if session_id is None:
        return None
    with state.open_history() as history:
        return history.get(session_id)


def _summary(result: LoadedResult, session: Session | None) -> None:
    report = result.report
    name = session.source_name if session else "this clip"
    lifter = f" · {session.lifter}" if session and session.lifter else ""
    variant = report.get("model", {}).get("variant", DEFAULT_VARIANT)
    model = "" if variant == DEFAULT_VARIANT else f" · {variant} pose model"
    st.title("Review")
    st.caption(escape_markdown(f"{name}{lifter}{model}"))
    exercise = report.get("exercise", {}).get("name", "unknown")
    view = report.get("view", {}).get("name", "unknown")
    facts = {
        "Exercise": NOT_ANALYSED if exercise == "unknown" else exercise,
        "View": NOT_ANALYSED if view == "unknown" else view,
        "Reps": str(len(result.reps)) if result.coaching_ran else NOT_ANALYSED,
        "Person found": fmt_pct(report.get("pose", {}).get("detection_rate")),
    }
    for col, (label, value) in zip(st.columns(len(facts)), facts.items(), strict=True):
        col.markdown(f"**{label}**  \n{escape_markdown(value)}")


def _stepper(result: LoadedResult) -> None:
    n = result.frame_count
    annotated = result.annotated
    if n == 0 or annotated is None or result.sequence is None:
        st.info("No frames to step through: the landmarks or the annotated video are missing.")
        return
    last = n - 1
    if int(st.session_state.get(state.FRAME_KEY, 0)) > last:
        st.session_state[state.FRAME_KEY] = 0
    st.subheader("Frame by frame")
    if n > 1:
        st.slider("Frame", 0, last, key=state.FRAME_KEY)
        prev, nxt = st.columns(2)
        prev.button("◀ Previous frame", on_click=_step, args=(-1, last), width="stretch")
        nxt.button("Next frame ▶", on_click=_step, args=(1, last), width="stretch")
    index = int(st.session_state.get(state.FRAME_KEY, 0))
    info = result.frame_info(index)
    if result.is_image:
        image = None
    else:
        try:
            image = state.annotated_frame(annotated, info.time_s)
        except PostureCheckError as exc:
            st.warning(escape_markdown(str(exc)))
            image = None
    if image is not None:
        st.image(image, caption=f"Frame {index} · {info.time_s:.3f} s", width="stretch")
    facts = [f"**Frame** {index} of {last}", f"**Time** {info.time_s:.3f} s"]
    if info.has_pose:
        facts.append(f"**Key joints visible** {info.key_visible}/{info.key_total}")
        facts.append(f"**Mean visibility** {fmt_pct(info.mean_visibility)}")
    else:
        facts.append("**No person found in this frame**")
    st.markdown(" · ".join(facts))
    if info.hidden_joints:
        st.caption("Hard to see here: " + ", ".join(info.hidden_joints))
    _frame_metrics(result, index)


def _metric_label(name: str) -> str:
    """``neck_cva_proxy_deg`` → ``neck cva``: the unit and proxy flag are shown beside it."""
    for suffix in ("_deg", "_pct"):
        name = name.removesuffix(suffix)
    return humanise(name.replace("_proxy", ""))


def _metric_value(value: float | None, unit: str) -> str | None:
    if value is None:
        return None
    if unit == "deg":
        return f"{value:.1f}°"
    if unit == "ratio":
        return f"{value:.3f}"
    return f"{value:.1f} {unit}"


def _frame_metrics(result: LoadedResult, index: int) -> None:
    """The angles and offsets of this frame (from metrics.csv), for the clip's view."""
    metrics = result.frame_metrics(index)
    if not metrics:
        st.caption(f"Angles for this frame: {NOT_ANALYSED}.")
        return
    view = str(result.report.get("view", {}).get("name", "unknown"))
    rows = [
        {
            "Measure": _metric_label(m.name) + (" (proxy)" if m.proxy else ""),
            "Value": _metric_value(m.value, m.unit),
            "Confidence": fmt_pct(m.confidence),
        }
        for m in metrics
        if view not in ("front", "back", "side") or view in m.views or not m.views
    ]
    shown = [r for r in rows if r["Value"] is not None]
    with st.expander(f"Angles in this frame ({len(shown)} measured)", expanded=True):
        st.dataframe(shown, hide_index=True, width="stretch")
        if len(shown) < len(rows):
            missing = ", ".join(humanise(str(r["Measure"])) for r in rows if r["Value"] is None)
            st.caption(f"Not measurable in this frame: {missing}.")


def _flags(result: LoadedResult) -> None:
    flags = result.flags()
    if not flags:
        return
    st.subheader("Jump to a flag")
    for i, flag in enumerate(flags):
        st.button(
            f"{flag.label} · {flag.severity}",
            icon=":material/flag:",
            key=f"flag-{i}",
            on_click=_set_frame,
            args=(flag.frame,),
            width="stretch",
        )


def _measured(finding: dict[str, Any]) -> str:
    """``"measured 27.3° (mild from 15°)"`` when the finding carries the numbers."""
    measured, threshold = finding.get("measured"), finding.get("threshold")
    if not isinstance(measured, int | float):
        return ""
    unit = str(finding.get("unit", ""))
    text = f"measured {_metric_value(float(measured), unit)}"
    if isinstance(threshold, int | float):
        text += f" ({finding.get('severity', '')} from {_metric_value(float(threshold), unit)})"
    return text


def _finding(finding: dict[str, Any], result: LoadedResult, key: str) -> None:
    severity = str(finding.get("severity", ""))
    words = coaching_for(finding)
    worst = finding.get("worst_s")
    head = f"{severity_badge(severity)} **{escape_markdown(words.title)}**"
    details = [fmt for fmt in (_measured(finding),) if fmt]
    if isinstance(worst, int | float):
        details.append(f"key frame {fmt_s(float(worst))}")
    if details:
        head += " · " + escape_markdown(" · ".join(details))
    st.markdown(head)
    if words.what:
        st.caption(escape_markdown(words.what))
    if words.cue:
        st.markdown(f"**Cue:** {escape_markdown(words.cue)}")
    fix_head = f"Fix: {words.fix_title}" + (f" ({words.area})" if words.area else "")
    if words.why or words.drills:
        with st.expander(fix_head):
            if words.why:
                st.markdown(f"**Why it matters:** {escape_markdown(words.why)}")
            if words.drills:
                st.markdown(
                    "**Drills**\n" + "\n".join(f"- {escape_markdown(d)}" for d in words.drills)
                )
    elif finding.get("fix"):
        st.caption(escape_markdown(fix_head))
    if isinstance(worst, int | float):
        st.button(
            "Show key frame",
            key=key,
            icon=":material/my_location:",
            on_click=_set_frame,
            args=(result.frame_at(float(worst)),),
        )


def _findings(result: LoadedResult) -> None:
    st.subheader("Findings by rep")
    if not result.coaching_ran:
        st.info(f"Reps and findings: {NOT_ANALYSED}. The annotated video and landmarks are ready.")
        return
    groups = result.findings_by_rep()
    if not groups:
        st.success("No reps were found in this clip, so there is nothing to flag.")
    for g, group in enumerate(groups):
        rep = group.rep or {}
        start, end = rep.get("start_s"), rep.get("end_s")
        span = ""
        if isinstance(start, int | float) and isinstance(end, int | float):
            span = f" · {fmt_s(start)} to {fmt_s(end)}"
        with st.expander(f"{group.title}{span} · {len(group.findings)} flag(s)", expanded=True):
            if not group.findings:
                st.write("No faults flagged in this rep.")
            for f, finding in enumerate(group.findings):
                _finding(finding, result, key=f"finding-{g}-{f}")
    if result.reps:
        st.subheader("Reps")
        st.dataframe(rep_table(result.report), hide_index=True, width="stretch")
    st.caption(escape_markdown(DISCLAIMER))


@st.cache_data(max_entries=8, show_spinner=False)
def _angles_spec(out_dir: str, stamp: float) -> dict[str, Any] | None:
    result = state.load_result(Path(out_dir))
    return chart_spec(angles_chart(result.metrics or [], result.report))


def _chart(result: LoadedResult) -> None:
    """Key angles over time, reps and flagged spans shaded (from metrics.csv); the chart is
    built once per results folder, not on every frame step."""
    try:
        stamp = (result.out_dir / "report.json").stat().st_mtime
    except OSError:
        stamp = 0.0
    spec = _angles_spec(str(result.out_dir), stamp)
    if spec is None:
        return
    st.subheader("Key angles over time")
    st.vega_lite_chart(spec, width="stretch")
    st.caption(
        "Grey: reps (dashed line at the bottom). Coloured: flagged spans by severity. "
        "Scroll to zoom, drag to pan; hover for values."
    )


def _not_assessable(result: LoadedResult) -> None:
    st.subheader("Not judged from this view")
    if not result.coaching_ran:
        st.caption(f"Which faults this view can judge: {NOT_ANALYSED}.")
        return
    if not result.not_assessable:
        st.caption("Every fault could be judged from this view.")
        return
    for item in result.not_assessable:
        fault = fault_title(str(item.get("fault", "")))
        reason = str(item.get("reason", ""))
        st.markdown(f"- **{escape_markdown(fault)}**: {escape_markdown(reason)}")


def _downloads(result: LoadedResult) -> None:
    st.subheader("Downloads")
    files = result.downloads()
    cols = st.columns(min(len(files), 3) or 1)
    for i, item in enumerate(files):
        cols[i % len(cols)].download_button(
            item.label,
            data=item.path.read_bytes,  # read only when clicked
            file_name=item.path.name,
            mime=item.mime,
            key=f"download-{item.path.name}",
            on_click="ignore",
            width="stretch",
        )


def _restore_from_url() -> None:
    """``?session=<id>`` reopens a saved session (after a reload, or from a shared link).

    Only a history id is accepted from the URL, never a path.
    """
    raw = st.query_params.get("session")
    if state.current_dir() is not None or not raw or not raw.isdigit():
        return
    with state.open_history() as history:
        session = history.get(int(raw))
    if session is not None:
        state.set_current(session)


def render() -> None:
    """The page body."""
    _restore_from_url()
    out_dir = state.current_dir()
    session_id = state.current_session_id()
    if session_id is not None:
        st.query_params["session"] = str(session_id)
    if out_dir is None:
        st.title("Review")
        st.info("No analysis is open. Analyse a lift, or open a past session from History.")
        st.page_link(state.UPLOAD_PAGE, label="Analyse a lift", icon=":material/upload:")
        st.page_link(state.HISTORY_PAGE, label="History", icon=":material/history:")
        return
    try:
        result = state.load_result(out_dir)
    except PostureCheckError as exc:
        st.title("Review")
        st.error(escape_markdown(str(exc)))
        return
    _summary(result, _session())
    video_col, frame_col = st.columns(2, gap="large")
    with video_col:
        annotated = result.annotated
        if annotated is None:
            st.warning("The annotated video is missing from this session's results.")
        elif result.is_image:
            st.image(str(annotated), width="stretch")
        else:
            st.video(str(annotated))
        _flags(result)
    with frame_col:
        _stepper(result)
    _findings(result)
    _chart(result)
    _not_assessable(result)
    _downloads(result)
