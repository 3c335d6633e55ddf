"""Small pure helpers for showing values: Markdown escaping and number formatting."""

from __future__ import annotations

import re

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")

#: Streamlit Markdown colour of each severity (``:red-badge[severe]``).
SEVERITY_COLOUR = {"severe": "red", "moderate": "orange", "mild": "yellow"}
NOT_ANALYSED = "not analysed yet"


def escape_markdown(text: str) -> str:
    """Make user-derived text render literally in Streamlit Markdown (no links, no LaTeX)."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def severity_badge(severity: str) -> str:
    """Markdown for a coloured severity badge; unknown severities are grey."""
    colour = SEVERITY_COLOUR.get(severity, "gray")
    return f":{colour}-badge[{escape_markdown(severity or 'unrated')}]"


def fmt_pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def fmt_s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def fmt_eta(seconds: float | None) -> str:
    """``"12 s left"``, ``"1 min 5 s left"`` or ``""`` when unknown."""
    if seconds is None:
        return ""
    whole = round(seconds)
    if whole >= 60:
        return f"{whole // 60} min {whole % 60} s left"
    return f"{whole} s left"


def humanise(name: str) -> str:
    """``"knee_valgus"`` → ``"knee valgus"``."""
    return name.replace("_", " ")
