"""How right are the flags on real lifts? Scores findings on the labelled real clips.

    .venv/bin/python benchmarks/findings_eval.py [--realdata ../shared/realdata]
        [--cache DIR] [--all]

For every video the sources label good or bad (``source_labels.tsv``) and that
``annotations.json`` marks usable, runs the core on the clip's landmarks (from ``--cache``
when a ``<stem>/landmarks.npz`` is there, else with the real pose model) and prints each
clip's moderate/severe findings beside the faults the annotators saw, then the issue's two
figures: good clips with no moderate or severe finding, and bad clips with at least one.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from posturecheck.analysis import analyse_sequence  # noqa: E402
from posturecheck.sequence import PoseSequence  # noqa: E402

SERIOUS = ("moderate", "severe")


def _landmarks(video: Path, cache: Path | None) -> PoseSequence:
    if cache is not None:
        cached = cache / video.stem / "landmarks.npz"
        if cached.is_file():
            return PoseSequence.load(cached)
    from posturecheck.pipeline import analyse

    with tempfile.TemporaryDirectory() as tmp:
        return analyse(video, Path(tmp) / "out").sequence


@dataclass(frozen=True)
class Scores:
    """Per-clip table rows, and (right, total) for good and for bad clips."""

    rows: list[str]
    good: tuple[int, int]
    bad: tuple[int, int]

    def text(self) -> str:
        (good_ok, good_n), (bad_ok, bad_n) = self.good, self.bad
        return "\n".join(
            [
                "| clip | label | exercise | view | reps | moderate/severe findings "
                "| annotated faults |",
                "|---|---|---|---|---:|---|---|",
                *self.rows,
                "",
                f"good clips with no moderate/severe finding: {good_ok}/{good_n} "
                f"({good_ok / max(good_n, 1):.0%}; target >= 80%)",
                f"bad clips with a moderate/severe finding:   {bad_ok}/{bad_n} "
                f"({bad_ok / max(bad_n, 1):.0%}; target >= 80%)",
            ]
        )


def score(realdata: Path, cache: Path | None, show_all: bool = False) -> Scores:
    """Findings on every labelled clip (usable ones unless ``show_all``)."""
    notes = {a["file"]: a for a in json.loads((realdata / "annotations.json").read_text())}
    with (realdata / "source_labels.tsv").open() as fh:
        labels = [r for r in csv.DictReader(fh, delimiter="\t") if r["file"].startswith("videos/")]
    rows: list[str] = []
    tally = {"good": [0, 0], "bad": [0, 0]}
    for row in labels:
        note = notes.get(row["file"], {})
        usable = note.get("usable_for_eval", {}).get("usable") == "yes"
        if not usable and not show_all:
            continue
        video = realdata / row["file"]
        result = analyse_sequence(_landmarks(video, cache))
        serious = [f for f in result.judgement.findings if f.severity in SERIOUS]
        flagged = sorted({f"{f.fault}:{f.severity[:3]}" for f in serious})
        seen = [f"{f['name']}({f.get('confidence', '?')[:1]})" for f in note.get("faults", [])]
        label = row["binary_label"]
        ok = (not serious) if label == "good" else bool(serious)
        tally[label][0] += ok
        tally[label][1] += 1
        rows.append(
            f"| {video.stem} | {label}{'' if ok else ' ✗'} | {result.exercise.name} | "
            f"{result.view.name} | {len(result.reps)} | {', '.join(flagged) or '-'} | "
            f"{', '.join(seen) or '-'} |"
        )
    good, bad = tally["good"], tally["bad"]
    return Scores(rows, (good[0], good[1]), (bad[0], bad[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--cache", type=Path, default=None, help="folder of <stem>/landmarks.npz")
    parser.add_argument("--all", action="store_true", help="also clips marked not usable")
    args = parser.parse_args()
    print(score(args.realdata, args.cache, args.all).text())


if __name__ == "__main__":
    main()
