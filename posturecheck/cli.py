"""Command line: ``posturecheck analyse VIDEO`` and ``posturecheck models``.

Exit codes: 0 success, 1 an unexpected internal error (reported with a log file hint),
2 bad input or usage (one line on stderr, no traceback).
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from posturecheck import __version__
from posturecheck.errors import PostureCheckError
from posturecheck.models import DEFAULT_VARIANT, VARIANTS
from posturecheck.report import EXERCISE_CHOICES

EXIT_OK = 0
EXIT_INTERNAL = 1
EXIT_USAGE = 2

log = logging.getLogger("posturecheck")


class ProgressBar:
    """``analysing squat.mov  [#####-----]  52%  120/230 frames  31.2 fps  eta 3.5 s``."""

    def __init__(self, label: str, stream: TextIO, width: int = 28) -> None:
        self.label, self.stream, self.width = label, stream, width
        self._last_draw = 0.0
        self._tty = stream.isatty()

    def __call__(self, p: object) -> None:
        from posturecheck.pipeline import Progress

        assert isinstance(p, Progress)
        now = time.monotonic()
        final = bool(p.total) and p.done >= p.total
        if not final and now - self._last_draw < (0.1 if self._tty else 2.0):
            return
        self._last_draw = now
        frac = p.fraction
        if frac is None:
            bar, pct, count = "?" * self.width, "  ?%", f"{p.done} frames"
        else:
            filled = round(frac * self.width)
            bar = "#" * filled + "-" * (self.width - filled)
            pct, count = f"{frac:4.0%}", f"{p.done}/{p.total} frames"
        eta = f"  eta {p.eta_s:.1f} s" if p.eta_s is not None else ""
        line = f"{self.label}  [{bar}] {pct}  {count}  {p.fps:5.1f} fps{eta}"
        self.stream.write(("\r" + line + "\x1b[K") if self._tty else line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self._tty:
            self.stream.write("\n")
            self.stream.flush()


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posturecheck",
        description="Squat and deadlift form analysis from one camera.",
    )
    parser.add_argument("--version", action="version", version=f"posturecheck {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    an = sub.add_parser("analyse", aliases=["analyze"], help="analyse a lift video or photo")
    an.add_argument("video", type=Path, help="video (mp4, mov, m4v, webm, avi, mkv) or photo")
    an.add_argument(
        "--exercise",
        choices=EXERCISE_CHOICES,
        default="auto",
        help="what is being lifted (default: auto-detect)",
    )
    an.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results folder (default: VIDEO's name + .posturecheck beside it)",
    )
    an.add_argument("--force", action="store_true", help="replace results already in --out")
    an.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    an.add_argument(
        "--config",
        type=Path,
        default=None,
        help="TOML file overriding thresholds and settings (`posturecheck config` prints one)",
    )
    an.add_argument(
        "--lanes",
        type=_positive_int,
        default=None,
        help="parts of the video posed side by side, one core each (default: one per core, "
        "at most 4); 1 gives the same landmarks on every machine",
    )
    _add_model_variant(an)

    ba = sub.add_parser("batch", help="analyse every video in a folder (resumable)")
    ba.add_argument("folder", type=Path, help="folder holding the videos")
    ba.add_argument(
        "--out",
        type=Path,
        default=None,
        help="results root (default: FOLDER/posturecheck-results); one folder a video",
    )
    ba.add_argument("--exercise", choices=EXERCISE_CHOICES, default="auto")
    ba.add_argument("--jobs", type=int, default=None, help="videos at once (default: one a core)")
    ba.add_argument(
        "--redo",
        action="store_true",
        help="analyse again videos already done (e.g. after changing --config)",
    )
    ba.add_argument("--config", type=Path, default=None, help="TOML thresholds and settings")
    _add_model_variant(ba)
    ba.add_argument("--quiet", action="store_true", help="only the summary table")

    sub.add_parser("config", help="print a configuration file with every default, to edit")

    mo = sub.add_parser("models", help="make sure the pose model is present, and list models")
    mo.add_argument("--variant", choices=VARIANTS, default=DEFAULT_VARIANT)
    mo.add_argument("--offline", action="store_true", help="do not try to download")
    return parser


def _add_model_variant(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-variant",
        choices=VARIANTS,
        default=DEFAULT_VARIANT,
        help="pose model: full (default; the cut-offs are set and checked on it), lite (a few "
        "percent faster, less accurate) or heavy (more accurate angles, about 3x slower); "
        "see models/README.md",
    )


def _cmd_analyse(args: argparse.Namespace, stderr: TextIO, stdout: TextIO) -> int:
    from posturecheck.pipeline import AnalysisOptions, analyse

    bar = None if args.quiet else ProgressBar(f"analysing {args.video.name}", stderr)
    from posturecheck.config import load_config

    options = AnalysisOptions(
        exercise=args.exercise,
        model_variant=args.model_variant,
        lanes=args.lanes,
        config=load_config(args.config),
    )
    try:
        result = analyse(args.video, args.out, options=options, force=args.force, progress=bar)
    finally:
        if bar is not None:
            bar.finish()
    for warning in result.report.get("warnings", []):
        stderr.write(f"posturecheck: warning: {warning}\n")
    if not args.quiet:
        rep = result.report
        stdout.write(
            f"pose found in {rep['pose']['frames_with_pose']}/{rep['video']['frames']} frames "
            f"({rep['pose']['detection_rate']:.0%}); "
            f"{rep['processing'].get('frames_per_s') or 0:.1f} frames/s\n"
            f"results in {result.out_dir}/\n"
        )
        for name, path in result.files.items():
            stdout.write(f"  {name:10s} {path}\n")
        exercise, view = rep["exercise"]["name"], rep["view"]["name"]
        stdout.write(f"{exercise}, filmed from the {view}; {len(rep['reps'])} rep(s)\n")
        for f in rep["findings"]:
            stdout.write(
                f"  rep {f['rep']}: {f['fault'].replace('_', ' ')} ({f['severity']}) at "
                f"{f['worst_s']:.2f} s — cue: {f['cue']}\n"
            )
        if rep["not_assessable"]:
            stdout.write(f"  not judged: {len(rep['not_assessable'])} fault(s); see report.html\n")
    return EXIT_OK


def _cmd_batch(args: argparse.Namespace, stderr: TextIO, stdout: TextIO) -> int:
    from posturecheck.batch import BatchItem, run_batch, summary_table
    from posturecheck.pipeline import AnalysisOptions

    if args.jobs is not None and args.jobs < 1:
        stderr.write(f"posturecheck: --jobs must be at least 1, got {args.jobs}\n")
        return EXIT_USAGE

    def report(item: BatchItem) -> None:
        if not args.quiet:
            stderr.write(f"{item.status:8s} {item.video.name}  {item.message}\n")

    from posturecheck.config import load_config

    items = run_batch(
        args.folder,
        args.out,
        options=AnalysisOptions(
            exercise=args.exercise,
            model_variant=args.model_variant,
            config=load_config(args.config),
        ),
        jobs=args.jobs,
        redo=args.redo,
        on_item=report,
    )
    stdout.write(summary_table(items) + "\n")
    return EXIT_USAGE if any(i.status == "failed" for i in items) else EXIT_OK


def _cmd_config(args: argparse.Namespace, stderr: TextIO, stdout: TextIO) -> int:
    from posturecheck.config import example_config

    stdout.write(example_config())
    return EXIT_OK


def _cmd_models(args: argparse.Namespace, stderr: TextIO, stdout: TextIO) -> int:
    from posturecheck.models import describe_models, ensure_model, models_dir

    def say(message: str) -> None:
        stderr.write(message + "\n")

    path = ensure_model(args.variant, allow_download=not args.offline, log=say)
    stdout.write(f"ready: {path}\n")
    for item in describe_models(models_dir()):
        stdout.write("  " + "  ".join(f"{k}={v}" for k, v in item.items()) + "\n")
    return EXIT_OK


def main(
    argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=stderr,
    )
    commands = {
        "analyse": _cmd_analyse,
        "analyze": _cmd_analyse,
        "batch": _cmd_batch,
        "config": _cmd_config,
        "models": _cmd_models,
    }
    try:
        return commands[args.command](args, stderr, stdout)
    except PostureCheckError as exc:
        stderr.write(f"posturecheck: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        stderr.write("posturecheck: interrupted; nothing was written.\n")
        return 130
    except Exception as exc:  # a bug of ours: one line for the user, the trace with -v
        log.debug("internal error", exc_info=True)
        hint = "" if args.verbose else " Run again with -v for the details."
        stderr.write(f"posturecheck: internal error ({type(exc).__name__}: {exc}).{hint}\n")
        if args.verbose:
            import traceback

            traceback.print_exc(file=stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
