"""``python -m posturecheck.synth OUT_DIR [--preset NAME ...]``: render clips with ground truth."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from posturecheck.synth.presets import PRESETS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m posturecheck.synth",
        description="Render squat/deadlift clips of a posed human body with exact ground truth.",
    )
    parser.add_argument("out_dir", type=Path, help="folder for <preset>.mp4 and <preset>.json")
    parser.add_argument(
        "--preset",
        action="append",
        choices=sorted(PRESETS),
        metavar="NAME",
        help=f"preset to render (repeatable; default: all): {', '.join(PRESETS)}",
    )
    parser.add_argument("--workers", type=int, default=None, help="render processes (default: 2)")
    parser.add_argument("--list", action="store_true", help="list the presets and exit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.list:
        for name, scn in PRESETS.items():
            faults = ", ".join(f"{f.name.value}@{f.severity}" for f in scn.faults) or "clean"
            what = f"{scn.exercise}, {scn.camera.view} view, {scn.duration_s:.1f} s"
            sys.stdout.write(f"{name}: {what}, {faults}\n")
        return 0
    from posturecheck.synth.generate import generate

    for name in args.preset or list(PRESETS):
        video, truth = generate(PRESETS[name], args.out_dir, workers=args.workers)
        sys.stdout.write(f"{video} ({video.stat().st_size // 1024} KB), {truth}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
