"""Robustness: every awkward input class → its outcome and time; then a fuzzing campaign.

    .venv/bin/python benchmarks/robustness.py [--fuzz 10000] [--seed 1] [--workers 2]
                                              [--realdata ../shared/realdata]

Part 1 builds the corpus of issue 8 (``tests/corpus.py``) in a temporary folder and runs
``posturecheck.pipeline.analyse`` on each input with the real model: the outcome is either
"analysed" with what was found, or the one-line message the user would see (the file name
stripped), and anything else is a CRASH. Part 2 decodes ``--fuzz`` mutated clips
(``corpus.run_fuzz``: worker processes, a per-input time limit, peak memory per worker) and
prints inputs tried, crashes, hangs, the slowest input and peak memory.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import FrameType

REPO = Path(__file__).resolve().parents[1]
for extra in (REPO, REPO / "tests"):
    if str(extra) not in sys.path:  # run as a script from a fresh clone
        sys.path.insert(0, str(extra))

import corpus  # noqa: E402

from posturecheck.errors import PostureCheckError  # noqa: E402
from posturecheck.pipeline import AnalysisOptions, analyse  # noqa: E402

CLASS_LIMIT_S = 180


def _classes(realdata: Path) -> list[tuple[str, Callable[[Path], Path]]]:
    lifter, fps = corpus.lifter_frames(realdata)
    squat, _ = corpus.lifter_frames(realdata, corpus.SQUATTER_CLIP, 68)
    bystander, _ = corpus.lifter_frames(realdata, corpus.BYSTANDER_CLIP, 39)
    rows: list[tuple[str, Callable[[Path], Path]]] = [
        *[(f"not a video ({k})", lambda d, k=k: corpus.not_video(d, k)) for k in corpus.NOT_VIDEO],
    ]
    for fraction in (0.1, 0.5, 0.9):
        for faststart in (False, True):
            label = f"truncated {fraction:.0%} ({'faststart' if faststart else 'index at end'})"
            rows.append(
                (label, lambda d, f=fraction, s=faststart: corpus.truncated(d, f, faststart=s))
            )
    rows += [
        ("zero frames (mkv header only)", lambda d: corpus.zero_frames(d, ".mkv")),
        ("zero frames (mp4, empty track)", lambda d: corpus.zero_frames(d, ".mp4")),
        ("zero frames (undecodable packets)", corpus.undecodable_frames),
        ("audio only", corpus.audio_only),
        *[
            (f"rotation {r}", lambda d, r=r: corpus.rotated(d, r, lifter, fps))
            for r in (90, 180, 270)
        ],
        ("variable frame rate", lambda d: corpus.variable_rate(d, lifter)),
        ("odd width and height (253x451)", lambda d: corpus.odd_size(d, lifter)),
        ("10-bit HEVC", lambda d: corpus.ten_bit(d, lifter, fps)),
        ("grayscale H.264", lambda d: corpus.grayscale(d, lifter, fps)),
        ("long: 10 min, 160x120, lift at the end", lambda d: corpus.long_clip(d, lifter=lifter)),
        ("long: 10 min, 160x120, nobody", corpus.long_clip),
        ("4K UHD (3840x2160)", lambda d: corpus.large_frame(d, lifter[:4])),
        ("wider than 8K (9000x64)", corpus.oversized),
        ("8192x8192 (67 megapixels)", corpus.square_8k),
        ("longer than 2 hours", corpus.too_long),
        ("tiny frames (8x8)", corpus.tiny),
        ("no person", corpus.no_person),
        (
            "two people, lifter left",
            lambda d: corpus.two_people(d, squat, bystander, lifter_left=True),
        ),
        (
            "two people, lifter right",
            lambda d: corpus.two_people(d, squat, bystander, lifter_left=False),
        ),
        ("lifter half out of frame", lambda d: corpus.half_out_of_frame(d, lifter, fps=fps)),
        ("dim (brightness x0.12)", lambda d: corpus.dark(d, lifter, 0.12, fps)),
        ("very dark (brightness x0.05)", lambda d: corpus.dark(d, lifter, 0.05, fps)),
        ("still image (JPEG)", lambda d: corpus.still_image(d, realdata)),
        ("WebP saved as .jpg", lambda d: corpus.webp_named_jpg(d, realdata)),
        ("PNG bomb (12000x12000 in 630 kB)", corpus.png_bomb),
        ("JPEG claiming 60000x60000", lambda d: corpus.jpeg_claiming(d, 60000, 60000)),
        ("named pipe called .mp4", corpus.fifo),
    ]
    return rows


class _TooSlow(BaseException):
    pass


def _expire(signum: int, frame: FrameType | None) -> None:
    raise _TooSlow


def _outcome(path: Path, out: Path, model: Path) -> str:
    try:
        result = analyse(path, out, options=AnalysisOptions(model_path=model))
    except PostureCheckError as exc:
        return f"{type(exc).__name__}: {str(exc).removeprefix(f'{path}: ')}"
    except _TooSlow:
        return f"HANG (> {CLASS_LIMIT_S} s)"
    except Exception as exc:
        return f"CRASH {type(exc).__name__}: {exc}"
    r = result.report
    reps = sum(1 for rep in r["reps"] if rep.get("end_s") is not None)
    starts = ", ".join(f"{rep['start_s']:.1f}" for rep in r["reps"])
    return (
        f"analysed: {r['video']['width']}x{r['video']['height']}, "
        f"pose {r['pose']['detection_rate']:.0%} of {r['video']['frames']} frames, "
        f"{r['exercise']['name']}, {r['view']['name']} view, "
        f"{reps} rep(s){f' at {starts} s' if starts else ''}, {len(r['findings'])} finding(s)"
    )


def corpus_table(realdata: Path, model: Path) -> list[tuple[str, str, float]]:
    rows = []
    signal.signal(signal.SIGALRM, _expire)
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, make) in enumerate(_classes(realdata)):
            folder = Path(tmp) / f"c{i}"
            folder.mkdir()
            path = make(folder)
            started = time.perf_counter()
            signal.alarm(CLASS_LIMIT_S)
            try:
                outcome = _outcome(path, folder / "out", model)
            finally:
                signal.alarm(0)
            rows.append((label, outcome, time.perf_counter() - started))
            print(f"{label:40s} {rows[-1][2]:6.2f} s  {outcome}", file=sys.stderr, flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--fuzz", type=int, default=10_000, help="fuzzed inputs (default 10000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=float, default=10.0, help="per fuzzed input, seconds")
    parser.add_argument("--realdata", type=Path, default=REPO.parent / "shared" / "realdata")
    parser.add_argument("--skip-corpus", action="store_true", help="only the fuzzing part")
    parser.add_argument(
        "--save-seeds", type=Path, default=None, help="keep the seed clips here (encoders vary)"
    )
    args = parser.parse_args(argv)

    if not args.skip_corpus:
        from posturecheck.models import ensure_model

        rows = corpus_table(args.realdata, ensure_model("full"))
        width = max(len(r[0]) for r in rows)
        print(f"{'input class':{width}s}  {'time':>7s}  outcome")
        for label, outcome, seconds in rows:
            print(f"{label:{width}s}  {seconds:6.2f}s  {outcome}")
        bad = [r for r in rows if r[1].startswith(("CRASH", "HANG"))]
        print(f"\n{len(rows)} classes: {len(bad)} crashes or hangs\n")

    with tempfile.TemporaryDirectory() as tmp:
        seeds = {n: p.read_bytes() for n, p in corpus.fuzz_seeds(Path(tmp)).items()}
        if args.save_seeds is not None:  # to replay a case: fuzz_case(seeds, seed, index)
            args.save_seeds.mkdir(parents=True, exist_ok=True)
            for name, data in seeds.items():
                (args.save_seeds / f"{name}{corpus.suffix_of(name)}").write_bytes(data)
        done = [0]

        def tick(result: corpus.FuzzResult) -> None:
            done[0] += 1
            if done[0] % 1000 == 0:
                print(f"fuzz: {done[0]}/{args.fuzz}", file=sys.stderr, flush=True)

        summary = corpus.run_fuzz(
            seeds,
            seed=args.seed,
            count=args.fuzz,
            workdir=Path(tmp),
            workers=args.workers,
            timeout_s=args.timeout,
            on_result=tick,
        )
    outcomes = summary.outcomes
    slowest = max(summary.results, key=lambda r: r.seconds)
    print(f"fuzzing: seed {args.seed}, {len(seeds)} seed clips ({', '.join(sorted(seeds))})")
    print(f"  inputs tried       {len(summary.results)}")
    print(f"  decoded fully      {outcomes['decoded']}")
    print(f"  refused (message)  {outcomes['refused']}")
    print(f"  crashes            {outcomes['crash'] + outcomes['died']}")
    print(f"  hangs (> {args.timeout:g} s)     {outcomes['hang']}")
    print(
        f"  max time per input {summary.max_seconds:.3f} s "
        f"(case {slowest.index}, {slowest.seed_name})"
    )
    hungry = max(summary.results, key=lambda r: r.rss_growth_mb)
    print(
        f"  peak memory        {summary.peak_rss_mb:.0f} MB (worker process; most by one input: "
        f"+{hungry.rss_growth_mb:.0f} MB, case {hungry.index}, {hungry.seed_name})"
    )
    print(f"  wall time          {summary.wall_s:.0f} s with {args.workers} workers")
    messages = Counter(
        _shape(r.message) for r in summary.results if r.outcome == "refused"
    ).most_common(12)
    print("  most frequent messages:")
    for text, n in messages:
        print(f"    {n:6d}  {text}")
    for r in summary.failures[:20]:
        print(f"  FAILURE case {r.index} ({r.seed_name}) {r.outcome}: {r.message}")
    return 1 if summary.failures or (not args.skip_corpus and bad) else 0


def _shape(message: str) -> str:
    """A message with the path and numbers blanked, to count kinds of refusal."""
    text = message.split(": ", 1)[-1]
    return "".join("#" if c.isdigit() else c for c in text)[:90]


if __name__ == "__main__":
    sys.exit(main())
