"""User configuration: TOML over the defaults, strict about names, types and values; the
example file round-trips; the cut-offs change real judgements; docs/faults.md follows the
fault table (refresh: ``POSTURECHECK_REFRESH_DOCS=1 pytest tests/test_config.py -k faults_doc``).
"""

from __future__ import annotations

import os
import re
from dataclasses import fields
from pathlib import Path

import pytest

from posturecheck.analysis import analyse_sequence
from posturecheck.config import (
    SECTIONS,
    SETTING_GROUPS,
    THRESHOLD_KEYS,
    Config,
    example_config,
    load_config,
    parse_config,
)
from posturecheck.defaults import DEFAULTS
from posturecheck.errors import ConfigError
from posturecheck.faults import FAULT_BY_ID, FAULT_IDS, FAULTS, FaultSpec
from posturecheck.fixes import FIX_BY_ID
from posturecheck.sequence import PoseSequence

from builders import SidePose, frame_times, rep_wave, side_view

DOC = Path(__file__).resolve().parents[1] / "docs" / "faults.md"


# --- loading and overriding -----------------------------------------------------------------


def test_no_file_gives_the_defaults() -> None:
    config = load_config(None)
    assert config == Config.default()
    assert config.settings is DEFAULTS
    assert config.faults == FAULTS
    assert config.source is None
    assert config.as_dict() == {"source": None, "overrides": {}}


def test_overrides_are_applied_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        "[thresholds.forward_head]\n"
        "moderate = 30\n"  # an integer is accepted for a float
        "min_confidence = 0.5\n"
        "[thresholds.shallow_depth]\n"
        "mild = 0.0\n"
        "[signal]\n"
        "lowpass_cutoff_hz = 5.0\n"
        "[coaching]\n"
        "min_duration_s = 0.15\n"
        "[backline]\n"
        "rays = 30\n",
        encoding="utf-8",
    )
    config = load_config(path)
    head = next(f for f in config.faults if f.id == "forward_head")
    default = FAULT_BY_ID["forward_head"].cutoffs
    assert (head.cutoffs.mild, head.cutoffs.moderate, head.cutoffs.severe) == (
        default.mild,
        30.0,
        default.severe,
    )
    assert isinstance(head.cutoffs.moderate, float)
    assert head.min_confidence == 0.5
    depth = next(f for f in config.faults if f.id == "shallow_depth")
    assert depth.cutoffs.mild == 0.0
    assert [f.id for f in config.faults] == list(FAULT_IDS), "same faults, same order"
    untouched = [f for f in config.faults if f.id not in ("forward_head", "shallow_depth")]
    assert untouched == [FAULT_BY_ID[f.id] for f in untouched]
    assert config.settings.signal.lowpass_cutoff_hz == 5.0
    assert config.settings.signal.max_gap_s == DEFAULTS.signal.max_gap_s
    assert config.settings.coaching.min_duration_s == 0.15
    assert config.settings.backline.rays == 30
    assert config.settings.reps == DEFAULTS.reps
    assert config.source == str(path)
    assert config.as_dict() == {
        "source": str(path),
        "overrides": {
            "thresholds.forward_head": {"moderate": 30.0, "min_confidence": 0.5},
            "thresholds.shallow_depth": {"mild": 0.0},
            "signal": {"lowpass_cutoff_hz": 5.0},
            "coaching": {"min_duration_s": 0.15},
            "backline": {"rays": 30},
        },
    }


def test_dotted_keys_work_like_tables() -> None:
    config = parse_config("[thresholds]\nheels_lift.severe = 40.0\n")
    assert FAULT_BY_ID["heels_lift"].cutoffs.severe != 40.0
    assert next(f for f in config.faults if f.id == "heels_lift").cutoffs.severe == 40.0


def test_an_empty_file_gives_the_defaults() -> None:
    config = parse_config("# nothing changed\n", source="empty.toml")
    assert (config.settings, config.faults, config.source) == (DEFAULTS, FAULTS, "empty.toml")


# --- unknown names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named", "listed"),
    [
        ("[signals]\nmax_gap_s = 0.2\n", "[signals]", SECTIONS),
        ("[threshold.forward_head]\nmild = 1.0\n", "[threshold]", SECTIONS),
        ("[thresholds.forward_heads]\nmild = 1.0\n", "forward_heads", FAULT_IDS),
        ("[thresholds.forward_head]\nmedium = 1.0\n", "'medium'", THRESHOLD_KEYS),
        (
            "[signal]\nlowpass_cutoff = 5.0\n",
            "'lowpass_cutoff'",
            tuple(f.name for f in fields(DEFAULTS.signal)),
        ),
        (
            "[coaching]\nmin_duration = 0.2\n",
            "'min_duration'",
            tuple(f.name for f in fields(DEFAULTS.coaching)),
        ),
    ],
)
def test_unknown_names_are_errors_naming_them_and_listing_the_valid_ones(
    text: str, named: str, listed: tuple[str, ...]
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="mine.toml")
    message = str(err.value)
    assert message.startswith("mine.toml: ")
    assert named in message
    for valid in listed:
        assert valid in message


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("signal = 5\n", "'signal' must be a section"),
        ("thresholds = 1\n", "'thresholds' must be a section"),
        ("[thresholds]\nforward_head = 20\n", "[thresholds.forward_head] must be a table"),
    ],
)
def test_a_value_where_a_section_belongs_is_an_error(text: str, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        parse_config(text)


# --- wrong types and values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "named"),
    [
        # cut-offs that do not rise, alone or with the defaults they are merged with
        ("[thresholds.forward_head]\nmild = 30\nmoderate = 20\nsevere = 40\n", "must rise"),
        ("[thresholds.forward_head]\nmoderate = 50\n", "moderate 50.0"),
        ("[thresholds.forward_head]\nmild = 40\n", "mild 40.0"),
        ("[thresholds.forward_head]\nmild = '15'\n", "'15' (text)"),
        ("[thresholds.forward_head]\nmild = true\n", "true (true/false)"),
        ("[thresholds.forward_head]\nmild = nan\n", "nan"),
        ("[thresholds.forward_head]\nsevere = inf\n", "inf"),
        ("[thresholds.heels_lift]\nmin_confidence = 1.5\n", "1.5"),
        ("[thresholds.heels_lift]\nmin_confidence = -0.1\n", "-0.1"),
        ("[signal]\nlowpass_cutoff_hz = 0\n", "lowpass_cutoff_hz = 0.0"),
        ("[signal]\nlowpass_cutoff_hz = 'fast'\n", "'fast' (text)"),
        ("[coaching]\nmin_duration_s = -0.1\n", "min_duration_s = -0.1"),
        ("[coaching]\nmin_valid_share = 2\n", "min_valid_share = 2.0"),
        ("[view]\nfront_max_deg = 70\n", "front_max_deg = 70.0"),
        ("[backline]\nrays = 40.5\n", "40.5"),
        ("[backline]\nrays = 4\n", "rays = 4"),
        ("[feet]\nmin_seen_frames = [5]\n", "[5] (a list)"),
    ],
)
def test_bad_values_are_errors_naming_the_key_and_value(text: str, named: str) -> None:
    section = text.splitlines()[0]
    key = text.splitlines()[-1].split("=")[0].strip()
    with pytest.raises(ConfigError) as err:
        parse_config(text, source="mine.toml")
    message = str(err.value)
    assert named in message
    assert section in message
    assert key in message


def test_missing_file_and_bad_toml_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[signal\nmax_gap_s = 0.2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"broken\.toml: not valid TOML .*line 1"):
        load_config(broken)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path)  # a folder


# --- the example file -----------------------------------------------------------------------


def test_example_config_parses_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "posturecheck.toml"
    path.write_text(example_config(), encoding="utf-8")
    config = load_config(path)
    assert config.settings == DEFAULTS
    assert config.faults == FAULTS


def test_example_config_names_and_documents_every_setting() -> None:
    text = example_config()
    lines = text.splitlines()
    for fault in FAULTS:
        at = lines.index(f"[thresholds.{fault.id}]")
        assert lines[at - 1].startswith("# "), f"{fault.id}: no comment above it"
        assert fault.metric in "\n".join(lines[at - 6 : at])
    for group in SETTING_GROUPS:
        at = lines.index(f"[{group}]")
        for f in fields(getattr(DEFAULTS, group)):
            row = next(i for i in range(at, len(lines)) if lines[i].startswith(f"{f.name} = "))
            assert lines[row - 1].startswith("# "), f"[{group}] {f.name}: undocumented"
    assert all(len(line) <= 100 for line in lines if line.startswith("#"))


# --- cut-offs change what is judged ---------------------------------------------------------


def squats() -> PoseSequence:
    """Two side-view squats with about 55° of trunk lean at the bottom (a mild lean)."""
    t = frame_times(240)
    w = rep_wave(t, start_s=1.0, rep_s=2.5, count=2, gap_s=1.5)
    pose = SidePose(shank_deg=30 * w, knee_flexion_deg=5 + 115 * w, hip_flexion_deg=5 + 140 * w)
    return side_view(pose, time_s=t)


def lean_findings(config: Config) -> list[str]:
    analysis = analyse_sequence(
        squats(), exercise="squat", settings=config.settings, faults=config.faults
    )
    assert len(analysis.reps) == 2
    return [f.severity for f in analysis.judgement.findings if f.fault == "excessive_forward_lean"]


def test_thresholds_from_a_config_change_the_judgement() -> None:
    lean = FAULT_BY_ID["excessive_forward_lean"].cutoffs
    assert lean.mild < 55.0 < lean.moderate, "the clip is built to be a mild lean by default"
    assert lean_findings(Config.default()) == ["mild", "mild"]
    stricter = parse_config(
        "[thresholds.excessive_forward_lean]\nmild = 40\nmoderate = 45\nsevere = 50\n"
    )
    assert lean_findings(stricter) == ["severe", "severe"]
    looser = parse_config(
        "[thresholds.excessive_forward_lean]\nmild = 60\nmoderate = 65\nsevere = 70\n"
    )
    assert lean_findings(looser) == []


def test_settings_from_a_config_change_the_judgement() -> None:
    """A minimum duration longer than the lean is held at the bottom: no flag."""
    held_too_briefly = parse_config("[coaching]\nmin_duration_s = 1.0\n")
    assert lean_findings(held_too_briefly) == []


# --- docs/faults.md follows the table -------------------------------------------------------


def _num(value: float) -> str:
    return f"{value:g}"


def _flagged_when(fault: FaultSpec, cut: float) -> str:
    metric = f"`{fault.metric}`"
    expr = {
        "none": metric,
        "standing": f"{metric} - standing",
        "phase_start": f"{metric} - its value as the phase starts",
    }[fault.baseline]
    if fault.direction == "up":
        cond = f"{expr} ≥ {_num(cut)}"
    elif fault.direction == "down":
        cond = f"{expr} ≤ {_num(-cut)}"
    else:
        cond = f"\\|{expr}\\| ≥ {_num(cut)}"
    if fault.measure == "best":
        return f"{cond} in every frame of the phase"
    if fault.measure == "typical":
        return f"median over the measured frames of the phase: {cond}"
    return f"{cond}, held for `[coaching] min_duration_s`"


def faults_doc_block(fault: FaultSpec) -> str:
    """The generated facts of one fault in docs/faults.md."""
    fix = FIX_BY_ID[fault.fix]
    rows = [
        ("Title", fault.title),
        ("Exercises", ", ".join(sorted(fault.exercises))),
        ("Views", ", ".join(sorted(fault.views))),
        ("Metric", f"[`{fault.metric}`](metrics.md#{fault.metric}) ({fault.unit})"),
        ("Phase", f"`{fault.phase}`"),
        ("Baseline", f"`{fault.baseline}`"),
        ("Direction", f"`{fault.direction}`"),
        ("Measure", f"`{fault.measure}`"),
        ("Min confidence", _num(fault.min_confidence)),
        ("Area (low-back guide)", str(fault.area)),
        ("Fix", f"`{fix.id}`: {fix.title}"),
        ("Cue", fault.cue),
        ("Drills", "; ".join(fix.drills)),
    ]
    out = ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows), ""]
    out += ["| Severity | Cut-off | Flagged when |", "|---|---|---|"]
    for name in ("mild", "moderate", "severe"):
        cut = float(getattr(fault.cutoffs, name))
        out.append(f"| {name} | {_num(cut)} {fault.unit} | {_flagged_when(fault, cut)} |")
    return "\n".join(out) + "\n"


_BLOCK = re.compile(r"<!-- generated:(\w+) -->\n(.*?)<!-- /generated -->", re.DOTALL)


def test_faults_doc_matches_the_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    if os.environ.get("POSTURECHECK_REFRESH_DOCS"):
        text = _BLOCK.sub(
            lambda m: (
                f"<!-- generated:{m.group(1)} -->\n"
                f"{faults_doc_block(FAULT_BY_ID[m.group(1)])}<!-- /generated -->"
            ),
            text,
        )
        DOC.write_text(text, encoding="utf-8")
    blocks = {m.group(1): m.group(2) for m in _BLOCK.finditer(text)}
    assert list(blocks) == list(FAULT_IDS), "one generated block per fault, in table order"
    for fault in FAULTS:
        assert f"\n## {fault.id}\n" in text, f"{fault.id}: no section"
        assert blocks[fault.id] == faults_doc_block(fault), (
            f"docs/faults.md is out of date for {fault.id}; refresh it with "
            "POSTURECHECK_REFRESH_DOCS=1 .venv/bin/pytest tests/test_config.py -k faults_doc"
        )
