"""The fault and fix catalogues: fixed ids, every fault traced to an area and a fix."""

from __future__ import annotations

import pytest

from posturecheck.faults import FAULT_IDS, FAULTS, FaultSpec, Severity
from posturecheck.fixes import DISCLAIMER, FIX_BY_ID, FIXES, Area, Fix
from posturecheck.metrics import METRIC_BY_NAME

CONTRACT_IDS = (
    "forward_head", "neck_hyperextension", "rounded_shoulders", "rounded_back",
    "hips_rise_first", "squatting_deadlift", "hyperextended_lockout", "bar_far_from_body",
    "excessive_forward_lean", "shallow_depth", "heels_lift", "knee_valgus", "lateral_shift",
)  # fmt: skip


def test_fault_ids_are_the_contract() -> None:
    assert FAULT_IDS == CONTRACT_IDS


def test_every_fault_has_its_own_fix_in_its_area() -> None:
    fixes = [f.fix for f in FAULTS]
    assert len(set(fixes)) == len(fixes), "one fix per fault"
    assert set(fixes) == set(FIX_BY_ID), "no fix without a fault"
    for fault in FAULTS:
        fix = FIX_BY_ID[fault.fix]
        assert fix.area == fault.area, fault.id
        assert 2 <= len(fix.drills) <= 4 and fix.cue and fix.why
        assert fault.exercises and fault.views and fault.bones


def test_every_area_of_the_guide_is_covered() -> None:
    assert {f.area for f in FAULTS} == set(Area)


def test_fault_views_are_views_its_metric_supports() -> None:
    for fault in FAULTS:
        assert fault.views <= set(METRIC_BY_NAME[fault.metric].views), fault.id


def test_disclaimer_says_not_medical_advice() -> None:
    assert "not medical advice" in DISCLAIMER


def test_bad_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="rise"):
        Severity(3.0, 2.0, 4.0)
    with pytest.raises(ValueError, match="2-4 drills"):
        Fix("x", Area.NECK, "t", "w", "c", ("one",))
    base = FAULTS[0]
    with pytest.raises(ValueError, match="unknown metric"):
        FaultSpec(**{**base.__dict__, "metric": "elbow_angle"})
    with pytest.raises(ValueError, match="unknown fix"):
        FaultSpec(**{**base.__dict__, "fix": "yoga"})
    assert len(FIXES) == len(FAULTS)
