"""A user's configuration: a TOML file that overrides any default, and nothing else.

Two kinds of section::

    [thresholds.forward_head]      # one table per fault id of posturecheck.faults.FAULTS
    mild = 12.0                    # any of mild, moderate, severe, min_confidence
    moderate = 20.0

    [coaching]                     # any group of posturecheck.defaults.DEFAULTS
    min_duration_s = 0.15

Everything not named keeps its default. An unknown section, fault id or key, a value of the
wrong type or an invalid value (cut-offs that do not rise, a negative duration...) is a
:class:`~posturecheck.errors.ConfigError` that names it and lists what is accepted: a typo
never silently falls back to the default. :func:`example_config` prints every setting at its
default, documented, for a user to copy and edit.
"""

from __future__ import annotations

import math
import re
import textwrap
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from posturecheck.defaults import DEFAULTS, Defaults
from posturecheck.errors import ConfigError
from posturecheck.faults import FAULT_BY_ID, FAULTS, FaultSpec, Severity

THRESHOLDS = "thresholds"
#: Keys of a ``[thresholds.<fault_id>]`` table.
THRESHOLD_KEYS = ("mild", "moderate", "severe", "min_confidence")
SETTING_GROUPS: tuple[str, ...] = tuple(f.name for f in fields(Defaults))
SECTIONS: tuple[str, ...] = (THRESHOLDS, *SETTING_GROUPS)

Value = bool | int | float | str


@dataclass(frozen=True)
class Config:
    """The settings and fault catalogue an analysis runs with.

    Attributes:
        settings: every stage's defaults, with the user's overrides applied.
        faults: the fault catalogue, with the user's cut-offs applied (same order and ids).
        source: the file the overrides came from (``None``: built-in defaults only).
        overrides: ``(section, key, value)`` for every value the file set, in file order;
            for thresholds the section is ``thresholds.<fault_id>``.
    """

    settings: Defaults = DEFAULTS
    faults: tuple[FaultSpec, ...] = FAULTS
    source: str | None = None
    overrides: tuple[tuple[str, str, Value], ...] = ()

    @classmethod
    def default(cls) -> Config:
        """The built-in defaults, no file."""
        return cls()

    def as_dict(self) -> dict[str, Any]:
        """report.json's ``config``: where the settings came from and what was changed."""
        changed: dict[str, dict[str, Value]] = {}
        for section, key, value in self.overrides:
            changed.setdefault(section, {})[key] = value
        return {"source": self.source, "overrides": changed}


def load_config(path: Path | None) -> Config:
    """Read a user's TOML file over the defaults (``None``: the defaults).

    Raises:
        ConfigError: the file cannot be read or parsed, or names an unknown section, fault
            or key, or gives a value of the wrong type or out of range.
    """
    if path is None:
        return Config.default()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: configuration file not found.") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration file ({exc}).") from exc
    return parse_config(text, source=str(path))


def parse_config(text: str, *, source: str = "<config>") -> Config:
    """Apply the TOML document ``text`` over the defaults (see :func:`load_config`)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc}).") from exc
    overrides: list[tuple[str, str, Value]] = []
    settings = DEFAULTS
    faults = FAULTS
    for section, body in data.items():
        if section not in SECTIONS:
            raise ConfigError(
                f"{source}: unknown section [{section}]. Valid sections: {_listing(SECTIONS)}."
            )
        if not isinstance(body, dict):
            raise ConfigError(
                f"{source}: '{section}' must be a section ([{section}]), "
                f"not a value ({_show(body)})."
            )
        if section == THRESHOLDS:
            faults = _apply_thresholds(faults, body, source, overrides)
        else:
            group, changes = _apply_group(getattr(settings, section), section, body, source)
            settings = replace(settings, **{section: group})
            overrides += [(section, key, value) for key, value in changes.items()]
    return Config(settings, faults, source, tuple(overrides))


def _apply_thresholds(
    faults: tuple[FaultSpec, ...],
    body: Mapping[str, Any],
    source: str,
    overrides: list[tuple[str, str, Value]],
) -> tuple[FaultSpec, ...]:
    changed: dict[str, FaultSpec] = {}
    for fault_id, table in body.items():
        if fault_id not in FAULT_BY_ID:
            raise ConfigError(
                f"{source}: unknown fault [thresholds.{fault_id}]. Valid fault ids: "
                f"{_listing(FAULT_BY_ID)}."
            )
        where = f"[thresholds.{fault_id}]"
        if not isinstance(table, dict):
            raise ConfigError(
                f"{source}: {where} must be a table of {_listing(THRESHOLD_KEYS)}, "
                f"got {_show(table)}."
            )
        fault = FAULT_BY_ID[fault_id]
        values: dict[str, float] = {
            "mild": fault.cutoffs.mild,
            "moderate": fault.cutoffs.moderate,
            "severe": fault.cutoffs.severe,
            "min_confidence": fault.min_confidence,
        }
        for key, value in table.items():
            if key not in THRESHOLD_KEYS:
                raise ConfigError(
                    f"{source}: unknown key '{key}' in {where}. Valid keys: "
                    f"{_listing(THRESHOLD_KEYS)}."
                )
            values[key] = _number(value, f"{where} {key}", source)
            overrides.append((f"thresholds.{fault_id}", key, values[key]))
        if not 0.0 <= values["min_confidence"] <= 1.0:
            raise ConfigError(
                f"{source}: {where} min_confidence must be between 0 and 1, got "
                f"{_show(values['min_confidence'])}."
            )
        try:
            cutoffs = Severity(values["mild"], values["moderate"], values["severe"])
        except ValueError as exc:
            raise ConfigError(f"{source}: {where} {exc}.") from exc
        changed[fault_id] = replace(fault, cutoffs=cutoffs, min_confidence=values["min_confidence"])
    return tuple(changed.get(f.id, f) for f in faults)


def _apply_group(
    group: Any, section: str, body: Mapping[str, Any], source: str
) -> tuple[Any, dict[str, Value]]:
    """``group`` (a frozen defaults dataclass) with the keys of ``body`` replaced, and the
    values applied."""
    valid = [f.name for f in fields(group)]
    changes: dict[str, Value] = {}
    for key, value in body.items():
        if key not in valid:
            raise ConfigError(
                f"{source}: unknown key '{key}' in [{section}]. Valid keys: {_listing(valid)}."
            )
        default = getattr(group, key)
        where = f"[{section}] {key}"
        if isinstance(default, bool) or not isinstance(default, int | float):
            raise ConfigError(f"{source}: {where} cannot be set from a file.")  # pragma: no cover
        if isinstance(default, int):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ConfigError(f"{source}: {where} must be a whole number, got {_show(value)}.")
            changes[key] = value
        else:
            changes[key] = _number(value, where, source)
    try:
        return replace(group, **changes), changes
    except ValueError as exc:
        given = ", ".join(f"{k} = {_show(v)}" for k, v in changes.items())
        raise ConfigError(f"{source}: [{section}] {given}: {exc}.") from exc


def _number(value: object, where: str, source: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"{source}: {where} must be a number, got {_show(value)}.")
    if not math.isfinite(value):
        raise ConfigError(f"{source}: {where} must be a finite number, got {_show(value)}.")
    return float(value)


def _show(value: object) -> str:
    """A value as the user wrote it, with its TOML kind when that is the problem."""
    if isinstance(value, bool):
        return f"{str(value).lower()} (true/false)"
    if isinstance(value, int | float):
        return repr(value)
    kind = {"str": "text", "dict": "a table", "list": "a list"}.get(
        type(value).__name__, type(value).__name__
    )
    return f"{value!r} ({kind})"


def _listing(names: Mapping[str, object] | tuple[str, ...] | list[str]) -> str:
    return ", ".join(names)


# --- the example file -----------------------------------------------------------------------

_HEADER = """\
# posturecheck configuration: every setting at its default.
#
# Use it with:  posturecheck analyse VIDEO --config posturecheck.toml
# Delete what you do not change; anything not named keeps its default. A name that is not
# listed here (a typo) is an error, never silently ignored.
#
# [thresholds.<fault>]: cut-offs on the fault's measure, in the unit given, after the
# baseline is subtracted and the sign turned so that larger is worse. A rep reaching a
# cut-off is flagged at that severity; they must rise (mild < moderate < severe).
# min_confidence: frames whose landmarks are less sure than this (0..1) are not judged.
# Definitions and where each default comes from: docs/faults.md.
"""


def example_config() -> str:
    """A TOML document setting every threshold and default to its current value, with a
    comment on each: parsing it gives back the defaults."""
    out = [_HEADER]
    for fault in FAULTS:
        baseline = {
            "none": "",
            "standing": ", change from your standing frames",
            "phase_start": ", change from the start of the phase",
        }[fault.baseline]
        out.append("")
        out += _comment(f"{fault.title} ({fault.area}): {fault.what}")
        out += _comment(
            f"Measure: {fault.metric} in {fault.unit}{baseline}, over the '{fault.phase}' "
            f"phase; {_DIRECTION.get(fault.direction, fault.direction)}; "
            f"{_MEASURE.get(fault.measure, fault.measure)}."
        )
        out.append(f"[{THRESHOLDS}.{fault.id}]")
        out.append(f"mild = {_toml(fault.cutoffs.mild)}")
        out.append(f"moderate = {_toml(fault.cutoffs.moderate)}")
        out.append(f"severe = {_toml(fault.cutoffs.severe)}")
        out.append(f"min_confidence = {_toml(fault.min_confidence)}")
    for section in SETTING_GROUPS:
        group = getattr(DEFAULTS, section)
        summary = _ROLE.sub(r"\1", (type(group).__doc__ or "").strip().splitlines()[0])
        notes = _field_notes(type(group).__doc__ or "")
        out.append(f"\n\n# --- {summary}")
        out.append(f"[{section}]")
        for f in fields(group):
            note = notes.get(f.name)
            if note:
                out += _comment(note)
            out.append(f"{f.name} = {_toml(getattr(group, f.name))}")
    return "\n".join(out) + "\n"


_DIRECTION = {
    "up": "larger values are worse",
    "down": "smaller values are worse (turned round before comparing)",
    "either": "distance from the baseline either way",
}


_MEASURE = {
    "peak": "judged on the worst value held for [coaching] min_duration_s",
    "best": "judged on the best value reached",
    "typical": "judged on its median over the frames where it could be measured",
}


def _comment(text: str) -> list[str]:
    return [f"# {line}" for line in textwrap.wrap(text, 88)]


def _toml(value: float | int) -> str:
    if isinstance(value, bool):  # pragma: no cover - no boolean settings yet
        return "true" if value else "false"
    return repr(value)


_ROLE = re.compile(r":\w+:`~?([^`]+)`")
_ENTRY = re.compile(r"^\s{8}([a-z_][a-z0-9_]*(?:, [a-z_][a-z0-9_]*)*):\s*(.*)$")


def _field_notes(doc: str) -> dict[str, str]:
    """Field name → its description, from a Google-style ``Attributes:`` block."""
    notes: dict[str, str] = {}
    current: list[str] = []
    inside = False
    for line in doc.splitlines():
        if line.strip() == "Attributes:":
            inside = True
            continue
        if not inside:
            continue
        match = _ENTRY.match(line)
        if match:
            current = match.group(1).split(", ")
            for name in current:
                notes[name] = match.group(2).strip()
        elif line.startswith(" " * 12) and current:
            for name in current:
                notes[name] += " " + line.strip()
        elif line.strip():
            current = []
    return notes
