"""Does the back outline tell rounded-back deadlifts from neutral ones on real footage?

    .venv/bin/python benchmarks/backline_eval.py [--realdata ../shared/realdata] [--all-views]
        [--set min_lean_deg=45 ...]

Runs the real pose model with person masks over the deadlift clips of the development set
(side views by default, per ``annotations.json``), measures every frame with
:func:`posturecheck.backline.back_profile` and summarises each clip with
:func:`~posturecheck.backline.summarise_back`. Prints per clip: group, sag, bend, frames
used / bent over, level, and the cost per measured frame; then, for the rounded and neutral
groups, the smallest rounded vs the largest neutral value and the AUC of sag and of bend.

Groups come from the frame-by-frame annotations, not from the sources' good/bad folders:
*rounded* = a ``rounded_back`` fault of medium or high confidence; *neutral* = no
``rounded_back`` fault and a source label that is not "bad"; everything else (a "bad" clip
with no visible rounding, or rounding of low confidence) is *unclear* and shown but not
scored. Clips the README names as duplicate footage of another clip are not scored twice.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck.backline import BackProfile, BackSummary, back_profile, summarise_back
from posturecheck.defaults import DEFAULTS, BacklineDefaults

REPO = Path(__file__).resolve().parents[1]

#: Same footage as another clip in the set (README and annotations): shown, not scored.
DUPLICATES = {
    "deadlift_side_bichraix_bad018.mp4": "same footage as bad008",
    "deadlift_side_formfit_1.mp4": "crop of crossfit_jf9ss9",
}


@dataclass(frozen=True)
class Clip:
    name: str
    view: str
    group: str  # rounded / neutral / unclear
    note: str


def load_clips(realdata: Path, all_views: bool) -> list[Clip]:
    """Deadlift clips with their group, from annotations.json and source_labels.tsv."""
    with (realdata / "source_labels.tsv").open(newline="") as fh:
        source = {
            Path(row["file"]).name: row["binary_label"]
            for row in csv.DictReader(fh, delimiter="\t")
        }
    clips = []
    for entry in json.loads((realdata / "annotations.json").read_text()):
        name = Path(entry["file"]).name
        if entry["exercise"] != "deadlift" or not name.endswith(".mp4"):
            continue
        if not all_views and entry["view"] not in ("side", "mixed"):
            continue
        rounding = [f["confidence"] for f in entry["faults"] if f["name"] == "rounded_back"]
        label = source.get(name, "")
        if any(c in ("medium", "high") for c in rounding):
            group, note = "rounded", f"rounded_back {'/'.join(rounding)}"
        elif not rounding and label != "bad":
            group, note = "neutral", f"source {label or 'none'}"
        else:
            group = "unclear"
            note = f"rounded_back {'/'.join(rounding)}" if rounding else "source bad, no rounding"
        clips.append(Clip(name, entry["view"], group, note))
    return sorted(clips, key=lambda c: (c.group, c.name))


def measure_clip(
    video: Path, model: Path, settings: BacklineDefaults
) -> tuple[BackSummary, list[float]]:
    """Summary of one clip and the per-frame cost (s) of every measured frame."""
    from posturecheck.pose import PoseEstimator
    from posturecheck.video import read_frames

    profiles: list[BackProfile] = []
    times: list[float] = []
    costs: list[float] = []
    with PoseEstimator(model, segmentation=True) as estimator:
        for frame in read_frames(video):
            found = estimator.detect(frame.rgb, frame.time_s)
            if not found:
                continue
            started = time.perf_counter()
            profile = back_profile(found[0].mask, found[0].pose, settings)
            if profile.valid:
                costs.append(time.perf_counter() - started)
            profiles.append(profile)
            times.append(frame.time_s)
    return summarise_back(profiles, np.asarray(times), settings=settings), costs


def auc(positive: list[float], negative: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return math.nan
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


def _override(settings: BacklineDefaults, pairs: list[str]) -> BacklineDefaults:
    fields = {f.name: f for f in dataclasses.fields(settings)}
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, _, value = pair.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown setting {key!r}; valid: {', '.join(sorted(fields))}")
        changes[key] = type(getattr(settings, key))(value)
    return dataclasses.replace(settings, **changes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--all-views", action="store_true", help="oblique clips too")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if not (args.realdata / "annotations.json").is_file():
        print(f"no annotated development set at {args.realdata}", file=sys.stderr)
        return 2
    from posturecheck.models import ensure_model

    settings = _override(DEFAULTS.backline, args.set)
    model = ensure_model("full")
    print(
        f"thresholds: rounded sag >= {settings.rounded_sag} with bend >= "
        f"{settings.rounded_bend_deg} deg; possible sag >= {settings.possible_sag}; "
        f"bent over = lean >= {settings.min_lean_deg} deg"
    )
    header = f"{'clip':44s} {'view':6s} {'group':8s} {'sag':>6s} {'bend':>6s} {'used':>8s}"
    print(f"{header} {'lean':>5s} {'level':10s} {'ms/frame':>8s}  note")
    scores: dict[str, list[tuple[float, float]]] = {"rounded": [], "neutral": []}
    all_costs: list[float] = []
    for clip in load_clips(args.realdata, args.all_views):
        summary, costs = measure_clip(args.realdata / "videos" / clip.name, model, settings)
        all_costs += costs
        duplicate = DUPLICATES.get(clip.name)
        note = f"{clip.note}; {duplicate}, not scored" if duplicate else clip.note
        if summary.level == "unmeasured":
            note += f"; {summary.reason}"
        elif clip.group in scores and not duplicate:
            scores[clip.group].append((summary.sag, summary.bend_deg))
        cost = f"{1000 * float(np.median(costs)):.2f}" if costs else "-"
        used = f"{summary.frames_used}/{summary.frames_bent}"
        print(
            f"{clip.name.removesuffix('.mp4'):44s} {clip.view:6s} {clip.group:8s} "
            f"{summary.sag:6.3f} {summary.bend_deg:6.1f} {used:>8s} "
            f"{summary.trunk_lean_deg:5.0f} {summary.level:10s} {cost:>8s}  {note}",
            flush=True,
        )
    print()
    for index, measure in enumerate(("sag", "bend_deg")):
        pos = [s[index] for s in scores["rounded"]]
        neg = [s[index] for s in scores["neutral"]]
        if pos and neg:
            print(
                f"{measure:8s}: rounded n={len(pos)} min {min(pos):.3f} median "
                f"{np.median(pos):.3f} | neutral n={len(neg)} max {max(neg):.3f} median "
                f"{np.median(neg):.3f} | gap {min(pos) - max(neg):+.3f} | AUC {auc(pos, neg):.3f}"
            )
    if all_costs:
        ms = 1000 * np.asarray(all_costs)
        print(
            f"cost per measured frame: median {np.median(ms):.2f} ms, p95 "
            f"{np.percentile(ms, 95):.2f} ms, max {ms.max():.2f} ms over {ms.size} frames"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
