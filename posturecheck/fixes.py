"""What to train: one fix per fault, grounded in the low-back training guide.

The guide's thesis: the lower back pays for deficits elsewhere in the chain — neck, shoulders,
thoracic spine, hips, knees, ankles. Each fix names its area, why the fault loads the lower
back, one cue to use under the bar, and two to four drills from the guide's advice.

This is coaching information, not medical advice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

DISCLAIMER = (
    "posturecheck gives coaching information, not medical advice. If you have pain, numbness "
    "or an injury, see a qualified health professional before training through it."
)


class Area(StrEnum):
    """The links of the chain the guide names, top to bottom."""

    NECK = "neck"
    SHOULDERS = "shoulders"
    THORACIC = "thoracic spine"
    HIPS = "hips"
    KNEES = "knees"
    ANKLES = "ankles"


@dataclass(frozen=True)
class Fix:
    """How to fix one compensation.

    Attributes:
        id: stable identifier, referenced by findings (``finding["fix"]``).
        area: the link of the chain it belongs to.
        title: a short heading.
        why: why this compensation costs the lower back, in a lifter's words.
        cue: what to think about under the bar.
        drills: two to four exercises or habits from the guide.
    """

    id: str
    area: Area
    title: str
    why: str
    cue: str
    drills: tuple[str, ...]

    def __post_init__(self) -> None:
        if not 2 <= len(self.drills) <= 4:
            raise ValueError(f"fix {self.id}: give 2-4 drills, got {len(self.drills)}")


FIXES: tuple[Fix, ...] = (
    Fix(
        "chin_tuck",
        Area.NECK,
        "Keep the neck long: chin tuck under load",
        "Your neck sets the tone for the whole spine. When the head juts forward or drops, the "
        "upper back follows it into flexion, and the lower back has to make up the difference "
        "while it is holding the weight.",
        "Make a double chin and keep your gaze a couple of metres ahead on the floor.",
        (
            "Chin tucks against a wall: 3 x 10 slow reps with a 5-second hold",
            "Practise the tuck on every warm-up set of squats and deadlifts",
            "Keep the tuck through the whole rep on lighter sets before going heavy",
        ),
    ),
    Fix(
        "neutral_neck",
        Area.NECK,
        "Stop cranking the head back",
        "Looking up hard at the start of a pull or out of the hole kinks the neck; the tension "
        "runs down the spine and tips the lower back into extension it has no room to give.",
        "Eyes down and ahead, chin tucked: let the head follow the trunk, not lead it.",
        (
            "Chin tucks: 3 x 10 with a 5-second hold",
            "Film your warm-up sets and check the head stays in line with the trunk",
            "Pause squats and paused deadlifts off the floor with a neutral gaze",
        ),
    ),
    Fix(
        "rowing_over_pressing",
        Area.SHOULDERS,
        "Open up rounded shoulders: pull more than you press",
        "Shoulders that round forward drag the upper back with them. Any rounding up top has "
        "to be countered by the lower back, which has little range and little room for error.",
        "Shoulder blades back and down into your back pockets before the bar moves.",
        (
            "More rowing and pulling than pressing: two sets of rows for every set of presses",
            "Band pull-aparts and face pulls for the rotator cuff: 3 x 15-20",
            "Scapular retraction holds and prone Y-T-W raises for the upper back",
        ),
    ),
    Fix(
        "thoracic_mobility",
        Area.THORACIC,
        "Mobilise and strengthen the upper back",
        "A stiff, rounded mid-back cannot hold its shape under load, so the lower back picks up "
        "the slack with subtle, potentially damaging compensations.",
        "Proud chest, ribs down: brace before each rep and keep the back's shape all the way up.",
        (
            "Thoracic extensions over a foam roller: 2 x 10 before training",
            "Open-book rotations: 2 x 8 a side",
            "Heavy rows and chest-supported rows to build upper-back strength",
            "Lighter deadlifts with a pause just off the floor, holding the back flat",
        ),
    ),
    Fix(
        "hip_hinge_strength",
        Area.HIPS,
        "Strong hips, so the back does not have to pull",
        "Weak or tight hips push the work onto the lower back: when the hips shoot up or the "
        "bar drifts away, the back ends up lifting the load the hips should have.",
        "Push the floor away and keep chest and hips rising together; bar dragging up the legs.",
        (
            "Squats and deadlifts with a pause at the weak point",
            "Glute-ham raises (GHRs) and reverse hypers: 3 x 8-12",
            "Hamstring curls: 3 x 10-12",
            "Single-leg deadlift variations: 3 x 8 a side",
        ),
    ),
    Fix(
        "hip_mobility",
        Area.HIPS,
        "Full hip mobility for depth and position",
        "Hips that lack flexion or rotation stop you reaching depth or a good set-up, and the "
        "lower back rounds or tips to fake the missing range.",
        "Sit between your heels, knees out over the toes; only go as deep as the back stays set.",
        (
            "Hip mobility in every direction: internal and external rotation, flexion, extension",
            "Goblet squats with a pause at the bottom: 3 x 5 with 5-second holds",
            "Single-leg deadlift variations for control through the range",
        ),
    ),
    Fix(
        "lockout_glutes",
        Area.HIPS,
        "Finish with the glutes, not the lower back",
        "Leaning back at lockout hands the last part of the lift to the lower back and loads it "
        "in extension.",
        "Stand tall and squeeze the glutes: hips through, ribs down, then stop.",
        (
            "Reverse hypers: 3 x 10-15",
            "Glute-ham raises (GHRs): 3 x 8",
            "Deadlift lockouts from blocks, finishing in a straight line",
        ),
    ),
    Fix(
        "glute_knee_control",
        Area.KNEES,
        "Knees out: let the glutes do their job",
        "Knees that cave in switch off the glutes, and the load they should take finds its way "
        "to the hips and the lower back.",
        "Spread the floor: knees track over the middle toes all the way down and up.",
        (
            "Banded squats or glute bridges with a band above the knees: 3 x 12",
            "Side-lying clams and lateral band walks for glute activation",
            "Goblet squats with a pause, knees pushed out",
        ),
    ),
    Fix(
        "ankle_mobility",
        Area.ANKLES,
        "Free up stiff ankles",
        "Stiff ankles stop the knees travelling forward, so the heels lift or the trunk pitches "
        "forward to stay balanced, and the hips and lower back take the stress up the chain.",
        "Whole foot down: heel, big toe and little toe pressing the floor.",
        (
            "Knee-to-wall ankle mobilisations: 2 x 10 a side",
            "Calf and soleus stretches held 30-60 s",
            "Foot and ankle mobility drills before squatting",
            "If your ankles are already loose rather than stiff, strengthen the calves instead: "
            "calf raises 3 x 12-15 with a slow lowering",
        ),
    ),
    Fix(
        "hinge_pattern",
        Area.HIPS,
        "Hinge the deadlift: hips higher at the start",
        "Starting a deadlift with the hips low, like a squat, puts the knees in the bar's way; "
        "the bar swings round them and the lower back ends up finishing the pull.",
        "Shins near vertical, hips above the knees, shoulders just ahead of the bar: push back.",
        (
            "Romanian deadlifts: 3 x 8, hips back, bar against the thighs",
            "Single-leg deadlift variations: 3 x 8 a side",
            "Glute-ham raises (GHRs) and hamstring curls for the posterior chain",
        ),
    ),
    Fix(
        "bar_close",
        Area.SHOULDERS,
        "Keep the bar close: lats and upper back tight",
        "Every centimetre the bar drifts forward lengthens the lever the lower back has to hold; "
        "loose shoulders and lats let it swing away.",
        "Bend the bar round your shins, lats tight, drag it up your legs over mid-foot.",
        (
            "More rowing and pulling than pressing: rows, pull-downs, pull-ups",
            "Straight-arm pull-downs or band lat pulls to feel the lats hold the bar in",
            "Upper-back work: face pulls and band pull-aparts, 3 x 15-20",
        ),
    ),
    Fix(
        "upright_torso",
        Area.ANKLES,
        "Stay upright in the squat",
        "When the trunk pitches forward the squat turns into a good-morning: the lower back holds "
        "the bar far in front of the hips. Stiff ankles and a stiff upper back are the usual "
        "reasons, and the back pays for both.",
        "Chest up, knees forward over the toes, hips straight down between the heels.",
        (
            "Knee-to-wall ankle mobilisations: 2 x 10 a side",
            "Thoracic extensions over a foam roller: 2 x 10",
            "Goblet squats with a pause: 3 x 5, staying tall",
        ),
    ),
    Fix(
        "balance_and_symmetry",
        Area.HIPS,
        "Even out a hip shift",
        "Shifting to one side puts one hip, and one side of the lower back, under more of the "
        "load on every rep.",
        "Weight even on both feet; hips travel straight down and straight up.",
        (
            "Single-leg deadlift variations: 3 x 8 a side, weaker side first",
            "Hip mobility for the side that shifts away",
            "Split squats to build each leg on its own",
        ),
    ),
)

FIX_BY_ID: Mapping[str, Fix] = {fix.id: fix for fix in FIXES}
