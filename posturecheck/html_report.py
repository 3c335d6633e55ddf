"""report.html: one self-contained page a lifter opens offline, on a phone or a laptop.

Built from report.json's dict (nothing is recomputed) plus one key frame per finding: the
worst frame of the fault, decoded from the source video, with the fault's bones in red and its
cue along the bottom, embedded as a JPEG data URI. No external CSS, JavaScript, fonts or
images; every piece of text is HTML-escaped.
"""

from __future__ import annotations

import base64
import html
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from posturecheck.atomic import atomic_open
from posturecheck.draw import Marks, draw_frame
from posturecheck.faults import FAULT_BY_ID
from posturecheck.fixes import DISCLAIMER, FIX_BY_ID
from posturecheck.frames import RGBImage, VideoInfo
from posturecheck.marks import cue_line
from posturecheck.rules import Finding
from posturecheck.sequence import PoseSequence
from posturecheck.video import read_frames

log = logging.getLogger(__name__)

#: Key frames wider than this are scaled down (the page stays small enough to e-mail).
KEY_FRAME_MAX_WIDTH = 960
KEY_FRAME_QUALITY = 80

FindingLike = Finding | Mapping[str, Any]
_MISSING = "\N{EN DASH}"


def _as_finding(item: FindingLike) -> Finding:
    if isinstance(item, Finding):
        return item
    return Finding(**{f.name: item[f.name] for f in fields(Finding)})


def key_frame_images(
    video_path: Path,
    sequence: PoseSequence,
    findings: Sequence[FindingLike],
    *,
    info: VideoInfo | None = None,
    max_width: int = KEY_FRAME_MAX_WIDTH,
    quality: int = KEY_FRAME_QUALITY,
) -> dict[int, bytes]:
    """JPEG of each finding's worst frame, keyed by the finding's index in ``findings``.

    The source video is decoded once, in order, converting only the frames needed; each is
    drawn with the skeleton of ``sequence`` (the row whose ``source_frame_index`` is the
    finding's ``worst_frame``), that finding's bones in red and its cue. A frame the video
    does not reach is left out (the page then says no picture is available). ``info``: the
    video's probe, if already known (saves probing it again).
    """
    wanted: dict[int, list[int]] = {}
    for i, item in enumerate(findings):
        wanted.setdefault(int(_as_finding(item).worst_frame), []).append(i)
    if not wanted:
        return {}
    rows = {int(frame): row for row, frame in enumerate(sequence.source_frame_index.tolist())}
    last = max(wanted)
    out: dict[int, bytes] = {}
    frames = read_frames(Path(video_path), info, select=wanted.__contains__, stop=last + 1)
    for frame in frames:
        if frame.index in wanted:
            row = rows.get(frame.index)
            pose = sequence.frame(row) if row is not None else None
            for i in wanted[frame.index]:
                finding = _as_finding(findings[i])
                spec = FAULT_BY_ID.get(finding.fault)
                marks = Marks(
                    frozenset(spec.bones) if spec is not None else frozenset(),
                    (cue_line(finding),) if spec is not None else (finding.cue,),
                )
                drawn = draw_frame(frame.rgb, pose, frame.index, frame.time_s, marks)
                out[i] = encode_jpeg(drawn, max_width=max_width, quality=quality)
    missing = sorted(set(range(len(findings))) - set(out))
    if missing:
        log.warning("%s: no key frame for findings %s (video too short)", video_path, missing)
    return out


def encode_jpeg(rgb: RGBImage, *, max_width: int = KEY_FRAME_MAX_WIDTH, quality: int = 80) -> bytes:
    """An RGB image as JPEG bytes, scaled down to ``max_width`` if wider."""
    height, width = rgb.shape[:2]
    if width > max_width:
        size = (max_width, max(1, round(height * max_width / width)))
        rgb = np.ascontiguousarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA))
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV always encodes a valid uint8 image
        raise ValueError("could not encode the key frame as JPEG")
    return bytes(buf.tobytes())


def write_html_report(
    path: Path, report: Mapping[str, Any], key_frames: Mapping[int, bytes] | None = None
) -> None:
    """Write the page atomically (readers never see half a file).

    ``key_frames`` maps a finding's index in ``report["findings"]`` to its JPEG bytes.
    """
    text = render_html(report, key_frames or {})
    path = Path(path)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


# --- rendering ------------------------------------------------------------------------------


def esc(value: object) -> str:
    """HTML-escaped text of any value (quotes too, so it is safe in attributes)."""
    return html.escape(str(value), quote=True)


def _num(value: object, digits: int = 1, unit: str = "") -> str:
    if isinstance(value, bool) or not isinstance(value, int | float) or not np.isfinite(value):
        return _MISSING
    text = f"{value:.{digits}f}"
    if unit == "deg":
        return f"{text}\N{DEGREE SIGN}"
    return f"{text} {unit}".rstrip() if unit and unit != "ratio" else text


_CSS = """
:root{--fg:#1d232a;--muted:#5b6670;--line:#d9dee3;--bg:#f6f7f9;--card:#fff;
--mild:#b7791f;--moderate:#dd6b20;--severe:#c53030;--ok:#2f855a}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
color:var(--fg);background:var(--bg)}
main{max-width:960px;margin:0 auto;padding:16px}
h1{font-size:1.5rem;margin:.2em 0}
h2{font-size:1.25rem;margin:1.6em 0 .5em;border-bottom:2px solid var(--line)}
h3{font-size:1.1rem;margin:1.2em 0 .4em}
.muted{color:var(--muted)}
.summary{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:8px;
margin:0;padding:0}
.summary div{background:var(--card);border:1px solid var(--line);border-radius:8px;
padding:8px 10px}
.summary dt{font-size:.8rem;color:var(--muted)}
.summary dd{margin:0;font-weight:600}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;background:var(--card);font-size:.9rem}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
th{background:#eef1f4;white-space:normal;vertical-align:bottom}
.card{background:var(--card);border:1px solid var(--line);border-left:6px solid var(--line);
border-radius:8px;padding:12px;margin:12px 0}
.card.mild{border-left-color:var(--mild)}
.card.moderate{border-left-color:var(--moderate)}
.card.severe{border-left-color:var(--severe)}
.card h4{margin:0 0 4px;font-size:1.05rem}
.badge{display:inline-block;padding:0 8px;border-radius:10px;color:#fff;font-size:.8rem;
font-weight:600;vertical-align:middle}
.badge.mild{background:var(--mild)}.badge.moderate{background:var(--moderate)}
.badge.severe{background:var(--severe)}
.card img{display:block;width:100%;height:auto;border-radius:6px;margin:8px 0}
.cue{font-weight:600;font-size:1.05rem}
.ok{color:var(--ok)}
.note{background:#fffbea;border:1px solid #f0e2a8;border-radius:8px;padding:8px 12px}
footer{margin:2em 0 1em;font-size:.9rem;color:var(--muted)}
@media (max-width:600px){main{padding:10px}th,td{padding:3px 5px}}
"""

_SEVERITY_WORD = {"mild": "Mild", "moderate": "Moderate", "severe": "Severe"}

#: Columns of the per-rep table beyond timing: metric, which summary, heading, unit, digits.
_REP_METRICS: tuple[tuple[str, str, str, str, int], ...] = (
    ("knee_flexion_deg", "at_bottom", "Knee bend at bottom", "°", 0),
    ("hip_flexion_deg", "at_bottom", "Hip bend at bottom", "°", 0),
    ("thigh_angle_deg", "at_bottom", "Thigh above parallel at bottom", "°", 0),
    ("trunk_lean_deg", "max", "Most trunk lean", "°", 0),
    ("heel_rise_pct", "max", "Most heel lift", "% foot", 0),
    ("bar_offset_pct", "max", "Bar furthest from mid-foot", "% foot", 0),
    ("knee_ankle_width_ratio", "min", "Narrowest knees ÷ ankles", "", 2),
    ("lateral_hip_shift", "max", "Largest hip shift", "hip widths", 2),
)

_VIEW_TEXT = {
    "side": (
        "Filmed from the side, posturecheck can see depth, how far the trunk leans, hip and "
        "knee bend, heel lift, where the hands (standing in for the bar) travel and how the "
        "head and shoulders move relative to how you stood. It cannot see knees caving in or "
        "the hips shifting to one side: those need a front or back view."
    ),
    "front": (
        "Filmed from the front, posturecheck can see knees caving in and the hips shifting to "
        "one side. It cannot judge depth, trunk lean, heel lift, the bar path, the neck or "
        "the back: those need a side view."
    ),
    "back": (
        "Filmed from behind, posturecheck can see knees caving in and the hips shifting to "
        "one side. It cannot judge depth, trunk lean, heel lift, the bar path, the neck or "
        "the back: those need a side view."
    ),
}
_CAMERA_LIMITS = (
    "One camera sees a flat picture of the body, not the spine itself: the neck and shoulders "
    "are judged from the line through hips, shoulders and head, compared with how you stood, "
    "and the back from the outline of the body, so small changes in spinal curve are out of "
    "reach. Points hidden behind plates, clothing "
    "or the other leg are not guessed; what could not be judged is listed below with the "
    "reason. Film side-on at hip height, whole body in frame, for the fullest check, and "
    "from the front for the knees and hips."
)


def render_html(report: Mapping[str, Any], key_frames: Mapping[int, bytes]) -> str:
    """The whole page as text."""
    video = report.get("video", {})
    name = Path(str(video.get("path", "video"))).name
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>posturecheck: {esc(name)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>posturecheck report: {esc(name)}</h1>",
        f'<p class="muted">posturecheck {esc(report.get("version", ""))}</p>',
        _summary(report),
        _camera_section(report),
        _reps_section(report),
        _findings_section(report, key_frames),
        _not_assessable_section(report),
        _thresholds_section(report),
        f"<footer><p>{esc(DISCLAIMER)}</p></footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _summary(report: Mapping[str, Any]) -> str:
    exercise = report.get("exercise", {})
    view = report.get("view", {})
    video = report.get("video", {})
    pose = report.get("pose", {})
    reps = report.get("reps", [])
    findings = report.get("findings", [])
    ex_name = str(exercise.get("name", "unknown"))
    ex_how = "you chose it" if exercise.get("source") == "user" else "detected"
    view_name = str(view.get("name", "unknown"))
    facing = view.get("facing")
    rate = pose.get("detection_rate")
    worst = _worst(findings)
    items = [
        ("Exercise", f"{ex_name} ({ex_how})"),
        ("Camera view", f"{view_name}" + (f", facing {facing}" if facing else "")),
        ("Reps", str(len(reps))),
        ("Findings", f"{len(findings)}" + (f" (worst: {worst})" if worst else "")),
        ("Lifter found in", f"{rate:.0%} of frames" if _is_num(rate) else _MISSING),
        (
            "Clip",
            f"{_num(video.get('duration_s'), 1, 's')}, {video.get('frames', _MISSING)} frames",
        ),
    ]
    cells = "".join(f"<div><dt>{esc(k)}</dt><dd>{esc(v)}</dd></div>" for k, v in items)
    return f'<h2>Summary</h2><dl class="summary">{cells}</dl>'


def _is_num(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value)


def _worst(findings: Iterable[Mapping[str, Any]]) -> str | None:
    order = ("mild", "moderate", "severe")
    seen = [order.index(f["severity"]) for f in findings if f.get("severity") in order]
    return order[max(seen)] if seen else None


def _camera_section(report: Mapping[str, Any]) -> str:
    view = str(report.get("view", {}).get("name", "unknown"))
    specific = _VIEW_TEXT.get(
        view,
        "The camera angle could not be pinned down (it may be oblique or change), so only "
        "what the view allows was judged; film straight from the side or the front.",
    )
    return (
        "<h2>What one camera can and cannot see</h2>"
        f'<div class="note"><p>{esc(specific)}</p><p>{esc(_CAMERA_LIMITS)}</p></div>'
    )


def _reps_section(report: Mapping[str, Any]) -> str:
    reps: list[Mapping[str, Any]] = list(report.get("reps", []))
    if not reps:
        return "<h2>Reps</h2><p>No complete rep was found in the video.</p>"
    metric_cols = [
        col
        for col in _REP_METRICS
        if any(_is_num(r.get("metrics", {}).get(col[0], {}).get(col[1])) for r in reps)
    ]
    head = ["Rep", "Start (s)", "Bottom (s)", "End (s)", "Down (s)", "Pause (s)", "Up (s)"]
    head += [f"{title} ({unit})" if unit else title for _, _, title, unit, _ in metric_cols]
    rows = []
    for rep in reps:
        cells = [
            str(rep.get("index", _MISSING)) + ("" if rep.get("complete", True) else " (partial)"),
            *(_num(rep.get(k), 2) for k in ("start_s", "bottom_s", "end_s")),
            *(_num(rep.get(k), 2) for k in ("descent_s", "pause_s", "ascent_s")),
        ]
        for metric, stat, _, _, digits in metric_cols:
            cells.append(_num(rep.get("metrics", {}).get(metric, {}).get(stat), digits))
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    header = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in head) + "</tr>"
    return (
        "<h2>Reps</h2>"
        f'<div class="scroll"><table><thead>{header}</thead><tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )


def _findings_section(report: Mapping[str, Any], key_frames: Mapping[int, bytes]) -> str:
    findings: list[Mapping[str, Any]] = list(report.get("findings", []))
    reps = [r.get("index") for r in report.get("reps", [])]
    out = ["<h2>Findings</h2>"]
    if not findings:
        out.append(
            '<p class="ok">Nothing was flagged in what could be judged. Check the list of '
            "what could not be judged below.</p>"
        )
        return "".join(out)
    by_rep: dict[object, list[int]] = {}
    for i, finding in enumerate(findings):
        by_rep.setdefault(finding.get("rep"), []).append(i)
    order = [r for r in reps if r in by_rep] + [r for r in by_rep if r not in reps]
    for rep in reps:
        if rep not in by_rep:
            out.append(f'<h3>Rep {esc(rep)}</h3><p class="ok">Nothing flagged.</p>')
    for rep in order:
        out.append(f"<h3>{'Rep ' + esc(rep) if rep is not None else 'Whole clip'}</h3>")
        out += [_finding_card(findings[i], key_frames.get(i)) for i in by_rep[rep]]
    return "".join(out)


def _finding_card(finding: Mapping[str, Any], jpeg: bytes | None) -> str:
    fault_id = str(finding.get("fault", ""))
    spec = FAULT_BY_ID.get(fault_id)
    fix = FIX_BY_ID.get(str(finding.get("fix", "")))
    severity = str(finding.get("severity", ""))
    css = severity if severity in _SEVERITY_WORD else ""
    title = spec.title if spec is not None else fault_id
    unit = str(finding.get("unit", ""))
    relative = spec is not None and spec.baseline != "none"
    measured = _num(finding.get("measured"), 2 if unit == "ratio" else 1, unit)
    threshold = _num(finding.get("threshold"), 2 if unit == "ratio" else 1, unit)
    frame = finding.get("worst_frame", _MISSING)
    when = (
        f"at {_num(finding.get('worst_s'), 2, 's')} (frame {frame}); "
        f"from {_num(finding.get('start_s'), 2)} to {_num(finding.get('end_s'), 2, 's')}"
    )
    parts = [
        f'<article class="card {esc(css)}">',
        f'<h4>{esc(title)} <span class="badge {esc(css)}">'
        f"{esc(_SEVERITY_WORD.get(severity, severity))}</span></h4>",
        f'<p class="muted">{esc(finding.get("area", ""))} · {esc(when)}</p>',
        f"<p>Measured {esc(measured)}{' (change from how you stood)' if relative else ''}; "
        f"the {esc(severity)} threshold is {esc(threshold)}.</p>",
    ]
    if jpeg:
        data = base64.b64encode(jpeg).decode("ascii")
        alt = f"{title} at {_num(finding.get('worst_s'), 2, 's')}"
        parts.append(f'<img src="data:image/jpeg;base64,{data}" alt="{esc(alt)}">')
    else:
        parts.append('<p class="muted">No picture of this moment is available.</p>')
    if spec is not None:
        parts.append(f"<p><strong>What it is:</strong> {esc(spec.what)}</p>")
    if fix is not None:
        parts.append(f"<p><strong>Why it matters for your back:</strong> {esc(fix.why)}</p>")
    parts.append(f'<p class="cue">Cue: {esc(finding.get("cue", ""))}</p>')
    if fix is not None:
        drills = "".join(f"<li>{esc(d)}</li>" for d in fix.drills)
        parts.append(f"<p>{esc(fix.cue)}</p>")
        parts.append(f"<p><strong>What to train: {esc(fix.title)}</strong></p><ul>{drills}</ul>")
    parts.append("</article>")
    return "".join(parts)


def _not_assessable_section(report: Mapping[str, Any]) -> str:
    items: list[Mapping[str, Any]] = list(report.get("not_assessable", []))
    if not items:
        return "<h2>Not judged</h2><p>Every fault that applies to this lift was judged.</p>"
    rows = []
    for item in items:
        spec = FAULT_BY_ID.get(str(item.get("fault", "")))
        title = spec.title if spec is not None else str(item.get("fault", ""))
        reps = item.get("reps") or []
        where = f" (reps {', '.join(str(r) for r in reps)})" if reps else ""
        rows.append(
            f"<li><strong>{esc(title)}</strong>{esc(where)}: {esc(item.get('reason', ''))}</li>"
        )
    return f"<h2>Not judged</h2><ul>{''.join(rows)}</ul>"


def _thresholds_section(report: Mapping[str, Any]) -> str:
    thresholds: Mapping[str, Mapping[str, Any]] = report.get("thresholds", {})
    if not thresholds:
        return ""
    config = report.get("config") or {}
    source = config.get("source") if isinstance(config, Mapping) else None
    origin = f"from {source}" if source else "the built-in defaults"
    rows = []
    for fault_id, t in thresholds.items():
        spec = FAULT_BY_ID.get(fault_id)
        title = spec.title if spec is not None else fault_id
        cells = [
            title,
            *(_num(t.get(k), 2) for k in ("mild", "moderate", "severe")),
            str(t.get("unit", "")),
        ]
        rows.append("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    head = "".join(f"<th>{h}</th>" for h in ("Fault", "Mild", "Moderate", "Severe", "Unit"))
    return (
        f'<h2>Thresholds used</h2><p class="muted">Cut-offs {esc(origin)}; '
        "see docs/faults.md for how each is measured.</p>"
        f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )
