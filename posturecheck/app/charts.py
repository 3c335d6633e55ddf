"""Charts and tables for the review and history pages, built from saved results (no Streamlit).

Review: the key measures over time from metrics.csv, reps shaded grey with their bottom
marked, flagged spans shaded by severity, tooltips everywhere, zoom and pan on time; and a
per-rep table from report.json. History: a lifter's key numbers and fault counts per session.
Data go in as plain records (``alt.Data``), so nothing here needs pandas.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, cast

import altair as alt

from posturecheck.app.results import fault_title
from posturecheck.history import Session
from posturecheck.metrics import METRIC_BY_NAME

#: What is charted over time for each view (oblique and unknown views get the side set).
KEY_MEASURES: dict[str, tuple[str, ...]] = {
    "side": ("knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg", "thigh_angle_deg"),
    "front": ("knee_ankle_width_ratio", "knee_valgus_offset_left", "knee_valgus_offset_right",
              "lateral_hip_shift"),
}  # fmt: skip
KEY_MEASURES["back"] = KEY_MEASURES["front"]
SEVERITY_COLOURS = {"mild": "#f2c94c", "moderate": "#f2994a", "severe": "#eb5757"}
_LABELS = {
    "knee_flexion_deg": "Knee flexion",
    "hip_flexion_deg": "Hip flexion",
    "trunk_lean_deg": "Trunk lean",
    "thigh_angle_deg": "Thigh angle",
    "knee_ankle_width_ratio": "Knee/ankle width",
    "knee_valgus_offset_left": "Left knee inward",
    "knee_valgus_offset_right": "Right knee inward",
    "lateral_hip_shift": "Hip shift",
}
_UNITS = {"deg": "degrees", "ratio": "ratio", "% foot": "% of foot length"}


def _data(values: list[dict[str, Any]]) -> Any:
    """Inline chart data (altair's ``Data`` is untyped)."""
    return alt.Data(values=values)  # type: ignore[no-untyped-call]


def _num(value: Any) -> float | None:
    """A finite float from a CSV cell or JSON value, else None."""
    if isinstance(value, bool) or value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def measures_for(view: str) -> tuple[str, ...]:
    return KEY_MEASURES.get(view, KEY_MEASURES["side"])


#: Longer clips are thinned to about this many frames per measure (keeps the page light).
MAX_POINTS = 1500


def series_records(
    rows: Sequence[dict[str, str]], names: Sequence[str], max_points: int = MAX_POINTS
) -> list[dict[str, Any]]:
    """metrics.csv rows → long records ``{time_s, measure, value}`` (empty cells skipped),
    every k-th row when there are more than ``max_points``."""
    out = []
    for row in rows[:: max(1, math.ceil(len(rows) / max_points))]:
        t = _num(row.get("time_s"))
        if t is None:
            continue
        for name in names:
            value = _num(row.get(name))
            if value is not None:
                out.append({"time_s": t, "measure": _LABELS.get(name, name), "value": value})
    return out


def rep_records(reps: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reps with a start and an end, as shaded spans (``bottom_s`` may be None)."""
    out = []
    for rep in reps:
        start, end = _num(rep.get("start_s")), _num(rep.get("end_s"))
        if start is not None and end is not None and end > start:
            label = f"Rep {rep.get('index', '?')}"
            out.append({"start": start, "end": end, "bottom": _num(rep.get("bottom_s")),
                        "rep": label})  # fmt: skip
    return out


def flag_records(findings: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings as spans to shade (a zero-length span is widened to be visible)."""
    out = []
    for f in findings:
        start, end = _num(f.get("start_s")), _num(f.get("end_s"))
        if start is None:
            continue
        end = max(end if end is not None else start, start + 0.05)
        measured = _num(f.get("measured"))
        rep = f.get("rep")
        out.append(
            {
                "start": start,
                "end": end,
                "fault": fault_title(str(f.get("fault", ""))),
                "severity": str(f.get("severity", "")),
                "rep": f"Rep {rep}" if isinstance(rep, int) else "Whole set",
                "measured": "" if measured is None else f"{measured:g} {f.get('unit', '')}",
            }
        )
    return out


def angles_chart(
    rows: Sequence[dict[str, str]],
    report: dict[str, Any],
    *,
    height: int = 320,
) -> alt.LayerChart | None:
    """Key measures over time, rep spans (grey) and flagged spans (by severity); None when
    metrics.csv holds none of the view's key measures."""
    view = str(report.get("view", {}).get("name", "side"))
    names = [n for n in measures_for(view) if n in (rows[0] if rows else {})]
    lines = series_records(rows, names)
    if not lines:
        return None
    units = {METRIC_BY_NAME[n].unit for n in names if n in METRIC_BY_NAME}
    y_title = _UNITS.get(units.pop(), "value") if len(units) == 1 else "value"
    x = alt.X("time_s:Q", title="time (s)")
    hover = alt.selection_point(
        name="hover", fields=["time_s"], nearest=True, on="pointerover", empty=False
    )
    base = alt.Chart(_data(lines)).encode(x=x)
    layers: list[Any] = []
    reps = rep_records(report.get("reps") or [])
    if reps:
        span = alt.Chart(_data(reps))
        layers.append(
            span.mark_rect(color="#9e9e9e", opacity=0.15).encode(
                x="start:Q", x2="end:Q", tooltip=["rep:N", "start:Q", "bottom:Q", "end:Q"]
            )
        )
        layers.append(span.mark_rule(color="#616161", strokeDash=[4, 3]).encode(x="bottom:Q"))
    flags = flag_records(report.get("findings") or [])
    if flags:
        colours = alt.Scale(domain=list(SEVERITY_COLOURS), range=list(SEVERITY_COLOURS.values()))
        layers.append(
            alt.Chart(_data(flags))
            .mark_rect(opacity=0.3)
            .encode(
                x="start:Q",
                x2="end:Q",
                color=alt.Color("severity:N", scale=colours, title="Flag"),
                tooltip=["fault:N", "severity:N", "rep:N", "measured:N", "start:Q", "end:Q"],
            )
        )
    layers.append(
        base.mark_line().encode(
            y=alt.Y("value:Q", title=y_title),
            stroke=alt.Stroke("measure:N", title="Measure"),
        )
    )
    layers.append(
        base.mark_point(size=40, filled=True)
        .encode(
            y="value:Q",
            stroke=alt.Stroke("measure:N"),
            opacity=alt.condition(hover, alt.value(1.0), alt.value(0.0)),
            tooltip=[
                alt.Tooltip("time_s:Q", format=".2f"),
                "measure:N",
                alt.Tooltip("value:Q", format=".1f"),
            ],
        )
        .add_params(hover)
    )
    layers.append(base.mark_rule(color="#bdbdbd").encode(x="time_s:Q").transform_filter(hover))
    chart = alt.layer(*layers).properties(height=height)
    return cast(alt.LayerChart, chart.resolve_scale(color="independent").interactive(bind_y=False))


def chart_spec(chart: alt.TopLevelMixin | None) -> dict[str, Any] | None:
    """The Vega-Lite spec of a chart built here (not re-validated: cheap enough to make on
    every page run, and cacheable)."""
    return None if chart is None else dict(chart.to_dict(validate=False))


def _fmt(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def _at_bottom(rep: dict[str, Any], name: str) -> float | None:
    metrics = rep.get("metrics")
    if not isinstance(metrics, dict) or not isinstance(metrics.get(name), dict):
        return None
    return _num(metrics[name].get("at_bottom"))


#: Rep fields the table shows under its own headings (or leaves out: frames, view).
_REP_FIELDS = frozenset(
    {"index", "complete", "start_frame", "bottom_frame", "end_frame", "start_s", "bottom_s",
     "end_s", "descent_s", "pause_s", "ascent_s", "depth_leg_lengths", "view", "metrics"}
)  # fmt: skip


def rep_table(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per rep: timing, depth, angles at the bottom, tempo and number of flags;
    any further plain fields a rep carries are added under their own names."""
    findings = [f for f in report.get("findings") or [] if isinstance(f, dict)]
    rows = []
    for rep in report.get("reps") or []:
        if not isinstance(rep, dict):
            continue
        index = rep.get("index")
        rows.append(
            {
                "Rep": index,
                "Start (s)": _fmt(_num(rep.get("start_s")), 2),
                "End (s)": _fmt(_num(rep.get("end_s")), 2),
                "Depth (leg lengths)": _fmt(_num(rep.get("depth_leg_lengths")), 2),
                "Thigh at bottom (°)": _fmt(_at_bottom(rep, "thigh_angle_deg")),
                "Knee at bottom (°)": _fmt(_at_bottom(rep, "knee_flexion_deg")),
                "Lean at bottom (°)": _fmt(_at_bottom(rep, "trunk_lean_deg")),
                "Descent (s)": _fmt(_num(rep.get("descent_s")), 2),
                "Pause (s)": _fmt(_num(rep.get("pause_s")), 2),
                "Ascent (s)": _fmt(_num(rep.get("ascent_s")), 2),
                "Flags": sum(1 for f in findings if f.get("rep") == index),
                "Complete": "yes" if rep.get("complete") else "no",
                **{
                    k: v
                    for k, v in rep.items()
                    if k not in _REP_FIELDS and isinstance(v, int | float | str)
                },
            }
        )
    return rows


# --- history -----------------------------------------------------------------------------------

#: Key numbers charted per session: (history key, label).
HISTORY_NUMBERS: tuple[tuple[str, str], ...] = (
    ("rep_count", "Reps"),
    ("mean_depth_leg_lengths", "Depth (leg lengths)"),
    ("mean_descent_s", "Descent (s)"),
    ("mean_ascent_s", "Ascent (s)"),
    ("finding_total", "Flags"),
)


def session_label(session: Session) -> str:
    """``"11-25 17:20 #12"``: short, unique, sorts with time."""
    return f"{session.created_at.astimezone().strftime('%m-%d %H:%M')} #{session.id}"


def history_records(
    sessions: Sequence[Session],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(key numbers, fault counts) as long records, oldest session first."""
    numbers, faults = [], []
    for order, s in enumerate(sorted(sessions, key=lambda s: (s.created_at, s.id))):
        base = {"session": session_label(s), "order": order, "file": s.source_name,
                "lifter": s.lifter or "—"}  # fmt: skip
        values: dict[str, float | None] = {k: _num(v) for k, v in s.key_numbers.items()}
        values["rep_count"] = None if s.rep_count is None else float(s.rep_count)
        values["finding_total"] = float(s.finding_total) if s.rep_count is not None else None
        for key, label in HISTORY_NUMBERS:
            if values.get(key) is not None:
                numbers.append({**base, "measure": label, "value": values[key]})
        for fault, count in s.finding_counts.items():
            faults.append({**base, "fault": fault_title(fault), "count": int(count)})
    return numbers, faults


#: As wide as the page; the height stays the plot's own (a plain "fit" squeezes the plot to
#: make room for the axis labels, flattening it).
_FIT_WIDTH = {"type": "fit-x", "contains": "padding"}


def history_charts(sessions: Sequence[Session]) -> list[alt.Chart]:
    """One small chart per key number, then fault counts, sessions oldest to newest on x;
    empty when there is nothing to chart. Each is a single view as wide as the page (a
    faceted or stacked chart needs a fixed width, which overflows a phone's screen)."""
    numbers, faults = history_records(sessions)
    order = [r["session"] for r in sorted(numbers + faults, key=lambda r: int(r["order"]))]
    x = alt.X("session:N", sort=list(dict.fromkeys(order)), title=None,
              axis=alt.Axis(labelAngle=-40, labelLimit=120))  # fmt: skip
    tips = ["session:N", "file:N", "lifter:N"]
    charts: list[alt.Chart] = []
    for _, label in HISTORY_NUMBERS:
        rows = [r for r in numbers if r["measure"] == label]
        if rows:
            charts.append(
                alt.Chart(_data(rows), title=label)
                .mark_line(point=True)
                .encode(x=x, y=alt.Y("value:Q", title=None), tooltip=[*tips, "value:Q"])
                .properties(height=90, width="container", autosize=_FIT_WIDTH)
            )
    if faults:
        charts.append(
            alt.Chart(_data(faults), title="Flags per session")
            .mark_bar()
            .encode(
                x=x,
                y=alt.Y("sum(count):Q", title="flags"),
                color=alt.Color(
                    "fault:N", title="Fault", legend=alt.Legend(orient="bottom", columns=2)
                ),
                tooltip=[*tips, "fault:N", "count:Q"],
            )
            .properties(height=160, width="container", autosize=_FIT_WIDTH)
        )
    return charts
