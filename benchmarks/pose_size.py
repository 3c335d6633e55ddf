"""Does posing smaller frames change the numbers? Angles, reps and findings of the real
development clips posed at the pipeline's pose size against posed at the drawing size, and
(``--truth DIR``) the error against ground truth of rendered clips posed at each size.

    .venv/bin/python benchmarks/pose_size.py [--realdata ../shared/realdata]
        [--small-cache DIR] [--full-cache DIR] [--pose-max-side 640] [--truth DIR]

``--truth``: a folder of rendered clips larger than the pose size, e.g. the bundled samples
rendered at 1280x720 (``posturecheck.synth`` scenarios with ``width=1280, height=720``).

Each usable clip is analysed twice by the full pipeline: frames posed at most
``--pose-max-side`` px on their longer side (the default, ``AnalysisOptions.pose_max_side``)
and posed at the drawing size (``pose_max_side=None``, at most 1280 px). Caches hold
``<stem>/landmarks.npz`` of each; a clip missing from a cache is analysed into it. Prints
per metric the median and 95th percentile of the absolute difference over frames measured
in both, then the clips whose rep count or moderate/severe findings differ.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

import accuracy  # noqa: E402

from posturecheck.analysis import Analysis, analyse_sequence  # noqa: E402
from posturecheck.sequence import PoseSequence  # noqa: E402

SERIOUS = ("moderate", "severe")


def landmarks(video: Path, cache: Path | None, pose_max_side: int | None) -> PoseSequence:
    if cache is not None and (cache / video.stem / "landmarks.npz").is_file():
        return PoseSequence.load(cache / video.stem / "landmarks.npz")
    from posturecheck.pipeline import AnalysisOptions, analyse

    options = AnalysisOptions(pose_max_side=pose_max_side)
    with tempfile.TemporaryDirectory() as tmp:
        out = cache / video.stem if cache is not None else Path(tmp) / "out"
        return analyse(video, out, options=options, force=True).sequence


def _serious(result: Analysis) -> set[tuple[str, int]]:
    return {(f.fault, f.rep) for f in result.judgement.findings if f.severity in SERIOUS}


def truth_errors(truth_dir: Path, pose_max_side: int) -> None:
    """MAE against rendered ground truth, posed at ``pose_max_side`` and at 1280 px."""
    from posturecheck.pipeline import AnalysisOptions, analyse

    paths = sorted(truth_dir.glob("*.json"))
    names = ("knee_flexion_deg", "hip_flexion_deg", "trunk_lean_deg", "head_on_trunk_deg")
    print(f"\n{len(paths)} rendered clips in {truth_dir}: MAE against joint centres / surface")
    print("| posed at | " + " | ".join(names) + " | moderate/severe findings |")
    print("|---|" + "---:|" * len(names) + "---|")
    for side in (pose_max_side, None):
        runs = []
        with tempfile.TemporaryDirectory() as tmp:
            for path in paths:
                truth = accuracy.load_truth(path)
                options = AnalysisOptions(pose_max_side=side)
                result = analyse(truth.video_path, Path(tmp) / path.stem, options=options)
                runs.append(accuracy.analyse_clip(result.sequence, truth, path.stem))
        joints = accuracy.metric_errors(runs, "joints")
        surface = accuracy.metric_errors(runs, "surface")
        cells = [f"{joints[n].mae:.2f} / {surface[n].mae:.2f}" for n in names]
        flags = sum(len(accuracy.flagged(r.auto, r.truth, accuracy.SERIOUS)) for r in runs)
        print(f"| {side or 'drawing size'} | " + " | ".join(cells) + f" | {flags} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--small-cache", type=Path)
    parser.add_argument("--full-cache", type=Path)
    parser.add_argument("--pose-max-side", type=int, default=640)
    parser.add_argument("--truth", type=Path, help="rendered clips with ground truth")
    args = parser.parse_args()
    notes = json.loads((args.realdata / "annotations.json").read_text())
    clips = [c for c in notes if c["usable_for_eval"]["usable"] == "yes"]
    diffs: dict[str, list[np.ndarray]] = {}
    changed: list[str] = []
    for clip in clips:
        video = args.realdata / clip["file"]
        small = analyse_sequence(landmarks(video, args.small_cache, args.pose_max_side))
        full = analyse_sequence(landmarks(video, args.full_cache, None))
        for name, a in small.metrics.values.items():
            b = full.metrics.values[name]
            both = np.isfinite(a) & np.isfinite(b)
            diffs.setdefault(name, []).append(np.abs(a[both] - b[both]))
        reps = [sum(r.complete for r in x.reps) for x in (small, full)]
        found = [_serious(x) for x in (small, full)]
        if reps[0] != reps[1] or found[0] != found[1]:
            changed.append(
                f"| {video.stem} | {reps[0]} / {reps[1]} "
                f"| {sorted(found[0] - found[1])} | {sorted(found[1] - found[0])} |"
            )
    print(f"{len(clips)} clips; posed at most {args.pose_max_side} px against at most 1280 px\n")
    print("| metric | frames | median abs diff | p95 abs diff |")
    print("|---|---:|---:|---:|")
    for name, parts in diffs.items():
        d = np.concatenate(parts)
        if d.size:
            print(f"| {name} | {d.size} | {np.median(d):.2f} | {np.percentile(d, 95):.2f} |")
    print(f"\nclips whose complete reps or moderate/severe findings differ: {len(changed)}")
    if changed:
        print("| clip | reps small / full | only small | only full |\n|---|---|---|---|")
        print("\n".join(changed))
    if args.truth is not None:
        truth_errors(args.truth, args.pose_max_side)


if __name__ == "__main__":
    main()
