"""Analyse every video in a folder: all cores, resumable, one failure never stops the rest."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from posturecheck.errors import PostureCheckError
from posturecheck.lanes import available_cores
from posturecheck.limits import SUPPORTED_SUFFIXES
from posturecheck.pipeline import REPORT, AnalysisOptions, analyse

log = logging.getLogger(__name__)

Status = Literal["done", "skipped", "failed"]


@dataclass(frozen=True)
class BatchItem:
    """What happened to one video of a batch."""

    video: Path
    out_dir: Path
    status: Status
    seconds: float = 0.0
    frames: int = 0
    detection_rate: float | None = None
    message: str = ""


def find_videos(folder: Path) -> list[Path]:
    """Videos and photos directly in ``folder``, sorted by name (hidden files ignored)."""
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUPPORTED_SUFFIXES
    )


def batch_out_dir(out_root: Path, video: Path) -> Path:
    return out_root / video.stem


def is_finished(out_dir: Path) -> bool:
    """Results are published atomically, so a report means a complete earlier run."""
    return (out_dir / REPORT).is_file()


def _analyse_one(video: Path, out_dir: Path, options: AnalysisOptions) -> BatchItem:
    started = time.perf_counter()
    try:
        result = analyse(video, out_dir, options=options, force=True)
    except PostureCheckError as exc:
        return BatchItem(video, out_dir, "failed", time.perf_counter() - started, message=str(exc))
    except Exception as exc:  # a bug must not stop the batch; report it and go on
        log.exception("internal error on %s", video)
        message = f"internal error ({type(exc).__name__}: {exc})"
        return BatchItem(video, out_dir, "failed", time.perf_counter() - started, message=message)
    report = result.report
    return BatchItem(
        video,
        out_dir,
        "done",
        time.perf_counter() - started,
        frames=report["video"]["frames"],
        detection_rate=report["pose"]["detection_rate"],
    )


def default_jobs() -> int:
    return available_cores()


def run_batch(
    folder: Path,
    out_root: Path | None = None,
    *,
    options: AnalysisOptions | None = None,
    jobs: int | None = None,
    redo: bool = False,
    on_item: Callable[[BatchItem], None] | None = None,
) -> list[BatchItem]:
    """Analyse every video in ``folder`` into ``out_root/<video stem>/``.

    Videos with finished results are skipped unless ``redo``; each video runs in its own
    process (``jobs`` at once, default: one per core) so a crash in one cannot take down
    the others. Items are returned in the order of :func:`find_videos`.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PostureCheckError(f"{folder}: not a folder. Name a folder that holds videos.")
    out_root = Path(out_root) if out_root is not None else folder / "posturecheck-results"
    out_root.mkdir(parents=True, exist_ok=True)
    options = options or AnalysisOptions()
    videos = find_videos(folder)
    if not videos:
        accepted = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise PostureCheckError(f"{folder}: holds no videos ({accepted}).")
    if options.model_path is None:  # build or find the model once, not in every worker
        from posturecheck.models import ensure_model

        options = replace(options, model_path=ensure_model(options.model_variant))
    results: dict[Path, BatchItem] = {}
    todo: list[Path] = []
    for video in videos:
        out_dir = batch_out_dir(out_root, video)
        if not redo and is_finished(out_dir):
            results[video] = BatchItem(video, out_dir, "skipped", message="finished earlier")
            if on_item:
                on_item(results[video])
        else:
            todo.append(video)
    for item in _run_parallel(todo, out_root, options, jobs or default_jobs()):
        results[item.video] = item
        if on_item:
            on_item(item)
    return [results[v] for v in videos]


def _run_parallel(
    videos: Iterable[Path], out_root: Path, options: AnalysisOptions, jobs: int
) -> Iterable[BatchItem]:
    videos = list(videos)
    if not videos:
        return
    workers = min(jobs, len(videos))
    if options.lanes is None:  # the cores are shared out between the videos, not each's lanes
        options = replace(options, lanes=max(1, available_cores() // workers))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures: dict[Future[BatchItem], Path] = {
            pool.submit(_analyse_one, v, batch_out_dir(out_root, v), options): v for v in videos
        }
        for future in as_completed(futures):
            video = futures[future]
            try:
                yield future.result()
            except Exception as exc:  # the worker process died (e.g. killed, out of memory)
                yield BatchItem(
                    video,
                    batch_out_dir(out_root, video),
                    "failed",
                    message=f"the analysis process stopped ({type(exc).__name__}: {exc})",
                )


def summary_table(items: list[BatchItem]) -> str:
    """A plain-text table: one line per video, then the totals."""
    name_w = max([len("video"), *(len(i.video.name) for i in items)])
    lines = [f"{'video':<{name_w}}  {'status':<7}  {'frames':>6}  {'pose':>5}  {'s':>6}  note"]
    for i in items:
        rate = f"{i.detection_rate:.0%}" if i.detection_rate is not None else "-"
        frames = str(i.frames) if i.frames else "-"
        secs = f"{i.seconds:.1f}" if i.seconds else "-"
        row = f"{i.video.name:<{name_w}}  {i.status:<7}  {frames:>6}  {rate:>5}  {secs:>6}"
        lines.append(f"{row}  {i.message}")
    counts = {s: sum(1 for i in items if i.status == s) for s in ("done", "skipped", "failed")}
    lines.append(
        f"{len(items)} videos: {counts['done']} analysed, {counts['skipped']} already done, "
        f"{counts['failed']} failed"
    )
    return "\n".join(lines)
