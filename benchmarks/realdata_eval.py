"""View, exercise and rep detection against the hand labels of the real development clips.

Runs the core as the app does (:func:`posturecheck.analysis.analyse_sequence`: the lifter
chosen, the landmarks cleaned and the feet planted, then view, exercise and reps) on the
cached landmarks of every clip in ``annotations.json`` and prints one row per clip, the
per-rep frame errors, and the summary over the clips marked ``usable_for_eval``. Targets
(issue 4): exercise >= 95%, view >= 90%, exact rep count >= 90%.

Scoring:
* exercise: the detected lift vs the label.
* view: single-view clips by the clip's view. Edited "mixed" clips are scored per rep
  instead (the detected segment at the labelled bottom frame vs the rep's view) and are
  reported separately; a mixed clip counts as right in the clip-level figure only when
  every rep's view is right.
* reps: complete reps found vs ``reps.completed``, with the *detected* exercise (what the
  app would do) and, for reference, with the labelled one.

Usage::

    python benchmarks/realdata_eval.py [--cache /work/cache/realdata] [--realdata DIR]
                                       [--analyse-missing] [--all]

``--analyse-missing`` runs the full pipeline (the real pose model) on clips with no cached
``landmarks.npz`` and caches the result. ``--all`` also lists unusable clips (not scored).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from posturecheck.analysis import analyse_sequence
from posturecheck.reps import Rep
from posturecheck.sequence import PoseSequence

REPO = Path(__file__).resolve().parents[1]
DEFAULT_REALDATA = REPO.parent / "shared" / "realdata"
DEFAULT_CACHE = Path("/work/cache/realdata")


@dataclass(frozen=True)
class ClipResult:
    stem: str
    usable: bool
    exercise_true: str
    exercise_pred: str
    exercise_conf: float
    view_true: str
    view_pred: str
    view_ok: bool | None  # None: not scored
    rep_views: tuple[tuple[str, str], ...]  # mixed clips: (true, predicted) per rep
    facing_true: str
    facing_pred: str | None
    reps_true: int
    reps_pred: int
    reps_pred_true_ex: int
    errors: tuple[tuple[int | None, int | None, int | None], ...]  # per true rep


def label_view(text: str | None) -> str:
    """'side close-up' → 'side', 'wide front' → 'front'."""
    t = (text or "").lower()
    for name in ("oblique", "side", "front", "back"):
        if name in t:
            return name
    return "unknown"


def label_facing(text: str) -> str:
    t = text.lower()
    if t.startswith("camera"):
        return "none"
    for word in t.replace("-", " ").replace("(", " ").split():
        if word in ("left", "right"):
            return word
    return "?"


def load_or_analyse(
    stem: str, video: Path, cache: Path, analyse: bool, variant: str = "full"
) -> PoseSequence | None:
    """The clip's landmarks from ``cache``, or (``analyse``) from the ``variant`` pose model,
    written there."""
    npz = cache / stem / "landmarks.npz"
    if npz.is_file():
        return PoseSequence.load(npz)
    if not analyse:
        return None
    from posturecheck.models import check_variant
    from posturecheck.pipeline import AnalysisOptions
    from posturecheck.pipeline import analyse as run

    options = AnalysisOptions(model_variant=check_variant(variant))
    result = run(video, cache / stem, options=options, force=True)
    return result.sequence


def _row_of(seq: PoseSequence, frame: int) -> int:
    return int(np.argmin(np.abs(seq.source_frame_index - frame)))


Errors = tuple[int | None, int | None, int | None]


def _errors(true_reps: list[dict[str, Any]], pred: list[Rep]) -> tuple[Errors, ...]:
    """Per complete labelled rep: predicted minus true start/bottom/end frame of the
    complete predicted rep with the nearest bottom (None where either is missing)."""
    out = []
    done = [r for r in pred if r.complete]
    for t in true_reps:
        if not t.get("complete") or t.get("bottom") is None or not done:
            continue
        p = min(done, key=lambda r: abs(r.bottom_frame - t["bottom"]))
        pairs = (
            (p.start_frame, t["start"]),
            (p.bottom_frame, t["bottom"]),
            (p.end_frame, t["end"]),
        )
        d = [None if a is None or b is None else a - b for a, b in pairs]
        out.append((d[0], d[1], d[2]))
    return tuple(out)


def evaluate(clip: dict[str, Any], seq: PoseSequence) -> ClipResult:
    stem = Path(clip["file"]).stem
    # What the app does: the lifter chosen, the landmarks cleaned and the feet planted first.
    result = analyse_sequence(seq)
    guess, view, reps = result.exercise, result.view, result.reps
    reps_true_ex = analyse_sequence(seq, exercise=clip["exercise"]).reps
    view_true = clip["view"]
    rep_views: list[tuple[str, str]] = []
    if view_true == "mixed":
        for r in clip["reps"]["list"]:
            if r.get("bottom") is None or not r.get("view"):
                continue
            seg = view.at(_row_of(seq, int(r["bottom"])))
            rep_views.append((label_view(r["view"]), seg.name if seg else "unknown"))
        view_ok = all(a == b for a, b in rep_views) if rep_views else None
    else:
        view_ok = view.name == view_true
    return ClipResult(
        stem=stem,
        usable=clip["usable_for_eval"]["usable"] == "yes",
        exercise_true=clip["exercise"],
        exercise_pred=guess.name,
        exercise_conf=guess.confidence,
        view_true=view_true,
        view_pred=view.name + ("+" if view.mixed else ""),
        view_ok=view_ok,
        rep_views=tuple(rep_views),
        facing_true=label_facing(clip["facing"]),
        facing_pred=view.facing,
        reps_true=int(clip["reps"]["completed"]),
        reps_pred=sum(r.complete for r in reps),
        reps_pred_true_ex=sum(r.complete for r in reps_true_ex),
        errors=_errors(clip["reps"]["list"], reps),
    )


def _pct(ok: int, n: int) -> str:
    return f"{ok}/{n} = {100.0 * ok / n:.1f}%" if n else "n/a"


def report(results: list[ClipResult], show_all: bool) -> str:
    lines = [
        f"{'clip':40s} {'use':3s} {'exercise':17s} {'view true/pred':22s} {'facing':12s} "
        f"{'reps':9s} frame errors (start, bottom, end) per rep",
    ]
    for r in results:
        if not (r.usable or show_all):
            continue
        ex = f"{r.exercise_true[:2]}/{r.exercise_pred[:2]} {r.exercise_conf:.2f}"
        ex += "" if r.exercise_true == r.exercise_pred else " X"
        vmark = {True: "", False: " X", None: " -"}[r.view_ok]
        view = f"{r.view_true}/{r.view_pred}{vmark}"
        facing = f"{r.facing_true}/{r.facing_pred}"
        reps = f"{r.reps_true}/{r.reps_pred}" + ("" if r.reps_true == r.reps_pred else " X")
        errs = " ".join(
            "(" + ",".join("-" if e is None else f"{e:+d}" for e in err) + ")" for err in r.errors
        )
        lines.append(
            f"{r.stem[:40]:40s} {'yes' if r.usable else 'no':3s} {ex:17s} {view:22s} "
            f"{facing:12s} {reps:9s} {errs}"
        )
        if r.rep_views:
            lines.append(f"{'':44s}per-rep view (true/pred): "
                         + " ".join(f"{a}/{b}" for a, b in r.rep_views))  # fmt: skip
    used = [r for r in results if r.usable]
    single = [r for r in used if r.view_true != "mixed"]
    mixed_reps = [v for r in used for v in r.rep_views]
    scored_views = [r for r in used if r.view_ok is not None]
    side = [r for r in single if r.view_true == "side" and r.view_pred.startswith("side")]
    all_errs = np.array([e for r in used for err in r.errors for e in err if e is not None])

    def pct_of(flags: list[bool]) -> str:
        return _pct(sum(flags), len(flags))

    lines += [
        "",
        f"usable clips: {len(used)} of {len(results)}",
        "exercise accuracy: " + pct_of([r.exercise_true == r.exercise_pred for r in used]),
        "view accuracy (mixed clips: every rep's view right): "
        + pct_of([bool(r.view_ok) for r in scored_views]),
        "view accuracy, single-view clips: " + pct_of([bool(r.view_ok) for r in single]),
        "view accuracy, mixed clips per rep: " + pct_of([a == b for a, b in mixed_reps]),
        "facing, side-view clips: " + pct_of([r.facing_true == r.facing_pred for r in side]),
        "rep count exact (detected exercise): "
        + pct_of([r.reps_true == r.reps_pred for r in used]),
        "rep count exact (labelled exercise): "
        + pct_of([r.reps_true == r.reps_pred_true_ex for r in used]),
    ]
    if all_errs.size:
        lines.append(
            f"rep boundary |error| in frames: median {np.median(np.abs(all_errs)):.0f}, "
            f"90th percentile {np.percentile(np.abs(all_errs), 90):.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--realdata", type=Path, default=DEFAULT_REALDATA)
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--analyse-missing", action="store_true")
    ap.add_argument("--all", action="store_true", help="also list clips not usable for eval")
    args = ap.parse_args(argv)
    ann = args.realdata / "annotations.json"
    if not ann.is_file():
        print(f"no annotations at {ann}: set --realdata", file=sys.stderr)
        return 2
    results = []
    for clip in json.loads(ann.read_text()):
        stem = Path(clip["file"]).stem
        seq = load_or_analyse(stem, args.realdata / clip["file"], args.cache, args.analyse_missing)
        if seq is None:
            print(
                f"skipped {stem}: no landmarks in {args.cache} (use --analyse-missing)",
                file=sys.stderr,
            )
            continue
        results.append(evaluate(clip, seq))
    print(report(results, args.all))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
