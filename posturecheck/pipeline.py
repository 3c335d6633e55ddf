"""One analysis, end to end: video → pose sequence → annotated video + landmarks + report.

The same function serves the CLI, the batch runner and the web app. Results are written to a
staging folder beside the destination and moved into place only when everything succeeded,
so a failure or a crash never leaves half a result behind.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from posturecheck.analysis import STAGES, analyse_sequence, rep_reports, thresholds_report
from posturecheck.backline import back_profile
from posturecheck.concurrency import BackgroundConsumer
from posturecheck.config import Config
from posturecheck.decode import FrameOrderError
from posturecheck.draw import Marks, draw_frame
from posturecheck.encode import GOP_FRAMES, PRESET, H264Writer, splice, write_image
from posturecheck.errors import NoPoseError, OutputExistsError
from posturecheck.frames import Frame, RGBImage, VideoInfo
from posturecheck.html_report import key_frame_images, write_html_report
from posturecheck.lanes import WARM_FRAMES, Lane, default_lanes, opencv_one_thread, plan_lanes
from posturecheck.marks import marks_by_row
from posturecheck.models import DEFAULT_VARIANT, Variant, ensure_model
from posturecheck.photo import resized
from posturecheck.pose import PoseEstimator
from posturecheck.report import (
    ExerciseChoice,
    ReportInputs,
    build_report,
    write_json,
)
from posturecheck.sequence import PoseFrame, PoseSequence, SequenceBuilder
from posturecheck.tables import write_findings_csv, write_metrics_csv
from posturecheck.video import probe, read_frames, work_size

log = logging.getLogger(__name__)

ANNOTATED_VIDEO = "annotated.mp4"
ANNOTATED_IMAGE = "annotated.png"
LANDMARKS = "landmarks.npz"
METRICS = "metrics.csv"
FINDINGS = "findings.csv"
HTML_REPORT = "report.html"
REPORT = "report.json"


@dataclass(frozen=True)
class Progress:
    """How far an analysis has got; ``total`` is the probed frame count (0 if unknown)."""

    done: int
    total: int
    elapsed_s: float

    @property
    def fps(self) -> float:
        return self.done / self.elapsed_s if self.elapsed_s > 0 else 0.0

    @property
    def fraction(self) -> float | None:
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def eta_s(self) -> float | None:
        if not self.total or self.fps <= 0:
            return None
        return max(0.0, (self.total - self.done) / self.fps)


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True)
class AnalysisOptions:
    exercise: ExerciseChoice = "auto"
    model_variant: Variant = DEFAULT_VARIANT
    model_path: Path | None = None
    #: libx264 preset for the annotated video.
    preset: str = PRESET
    #: The name to show for the video (e.g. an upload's original file name) instead of the
    #: path it was read from.
    source_name: str | None = None
    #: Measure the back's outline from the person mask (rounded back; ~1 ms a frame plus the
    #: mask's share of inference).
    back_contour: bool = True
    #: Frames are drawn (annotated video) at most this many pixels on their longer side,
    #: scaled once as they are decoded (``None``: at the video's own size). Landmarks are
    #: stored in the video's own pixels.
    max_side: int | None = 1280
    #: The pose model sees frames scaled down further, to at most this many pixels on their
    #: longer side (``None``: the drawing size above). It crops the person to 256 px anyway,
    #: and the person mask shrinks with the frame: about 4 ms of CPU a 720p frame less. On
    #: rendered 720p clips the angles' errors against ground truth stay within 0.7 degrees of
    #: posing at 1280 px; on the real clips the median difference is 0.2-1 degree (up to 4
    #: where plates hide the knees) (``benchmarks/pose_size.py``).
    pose_max_side: int | None = 640
    #: Parts of the video posed side by side, each on its own core (``None``: one per core,
    #: see :mod:`posturecheck.lanes`).
    lanes: int | None = None
    #: Thresholds and settings (defaults, or a user's TOML file: :func:`load_config`).
    config: Config = field(default_factory=Config.default)


@dataclass(frozen=True)
class AnalysisResult:
    out_dir: Path
    info: VideoInfo
    sequence: PoseSequence
    report: dict[str, Any]
    files: dict[str, Path] = field(default_factory=dict)


def default_out_dir(video: Path) -> Path:
    """``my_squat.mov`` → ``my_squat.posturecheck/`` beside it."""
    return video.with_name(f"{video.stem}.posturecheck")


def _check_out_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{out_dir}: exists and is not a folder. Choose another --out.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError(
            f"{out_dir}: already holds results. Add --force to replace them, or choose --out."
        )
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".posturecheck-"):
            pass
    except OSError as exc:
        raise OutputExistsError(
            f"{parent}: cannot write results there ({exc.strerror}). Choose a folder with --out."
        ) from exc


def _usual_permissions(folder: Path) -> None:
    """Temporary files are private (0600); finished results get the user's usual mode."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def _publish(staging: Path, out_dir: Path) -> None:
    """Move the finished staging folder into place, replacing an old result only now."""
    _usual_permissions(staging)
    if out_dir.exists():
        trash = out_dir.with_name(f".{out_dir.name}.old-{time.time_ns()}")
        out_dir.replace(trash)
        staging.replace(out_dir)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        staging.replace(out_dir)


def analyse(
    video: Path,
    out_dir: Path | None = None,
    *,
    options: AnalysisOptions | None = None,
    force: bool = False,
    progress: ProgressCallback | None = None,
) -> AnalysisResult:
    """Analyse one video or photo and write the results into ``out_dir``.

    Raises:
        InputError: the file cannot be analysed (the message says why and what to do).
        NoPoseError: nobody was found in any frame.
        OutputExistsError: ``out_dir`` holds results and ``force`` is false.
        ModelError: no pose model could be found or built.
    """
    options = options or AnalysisOptions()
    video = Path(video)
    info = probe(video)
    out_dir = Path(out_dir) if out_dir is not None else default_out_dir(video)
    _check_out_dir(out_dir, force)
    model_path = options.model_path or ensure_model(options.model_variant)

    staging = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.partial-"))
    try:
        started = time.perf_counter()
        annotated = staging / (ANNOTATED_IMAGE if info.is_image else ANNOTATED_VIDEO)
        lanes = 1 if info.is_image else (options.lanes or default_lanes())
        plan = plan_lanes(info.frames, lanes, warm=WARM_FRAMES, min_frames=GOP_FRAMES)
        parts = (
            [annotated]
            if len(plan) == 1
            else [staging / f".part{k}{annotated.suffix}" for k in range(len(plan))]
        )
        size = work_size(info.width, info.height, options.max_side)
        pose_size = work_size(*size, options.pose_max_side)
        job = _Job(info, model_path, options, size, pose_size, len(plan))
        try:
            sequence = _extract_and_render(job, plan, parts, progress)
        except FrameOrderError as exc:  # a later lane's seek: read the video in one pass
            log.warning("%s: %s; analysing it in one lane", video.name, exc)
            for part in parts:
                part.unlink(missing_ok=True)
            plan, parts = [Lane(0, None, 0)], [annotated]
            job = replace(job, lanes=1)
            sequence = _extract_and_render(job, plan, parts, progress)
        elapsed = time.perf_counter() - started
        if sequence.frames_with_pose == 0:
            n = len(sequence)
            what = "photo" if info.is_image else ("frame" if n == 1 else f"{n} frames")
            raise NoPoseError(
                f"{video}: no person found in the {what}. Film the whole body, side-on, in "
                "good light, with the lifter filling at least a third of the frame height."
            )
        shown = options.source_name or str(video)
        config = options.config
        # The landmarks compress (zlib, without the GIL) while the core analyses them.
        with ThreadPoolExecutor(1, thread_name_prefix="save landmarks") as saver:
            saved = saver.submit(sequence.save, staging / LANDMARKS, meta={"video": shown})
            result = analyse_sequence(
                sequence, exercise=options.exercise, settings=config.settings, faults=config.faults
            )
            saved.result()
        write_metrics_csv(staging / METRICS, result.metrics, sequence.source_frame_index)
        findings = result.judgement.findings
        marks = marks_by_row(findings, sequence.time_s)
        remarked = _finish_video(
            info, parts, annotated, sequence, marks, size=size, preset=options.preset
        )
        total = time.perf_counter() - started
        inputs = ReportInputs(
            info=replace(info, path=Path(shown)),
            sequence=sequence,
            exercise=result.exercise.as_dict(),
            view=result.view.as_dict(),
            stages=STAGES,
            reps=rep_reports(result),
            findings=[f.as_dict() for f in findings],
            not_assessable=[n.as_dict() for n in result.judgement.not_assessable],
            thresholds=thresholds_report(config.faults),
            config=config.as_dict(),
            person=result.person.as_dict(),
            warnings=list(result.warnings),
            model={"variant": options.model_variant, "path": str(model_path)},
            processing={
                "seconds": round(total, 3),
                "frames_per_s": round(len(sequence) / total, 2) if total > 0 else None,
                "pose_pass_s": round(elapsed, 3),
                "lanes": len(plan),
                "analysed_size": list(size),
                "posed_size": list(job.pose_size),
                "frames_remarked": remarked,
            },
            outputs={
                "annotated": annotated.name,
                "landmarks": LANDMARKS,
                "metrics": METRICS,
                "findings": FINDINGS,
                "html": HTML_REPORT,
                "report": REPORT,
            },
        )
        report = build_report(inputs)
        write_findings_csv(staging / FINDINGS, findings, result.judgement.not_assessable)
        write_json(staging / REPORT, report)
        key_frames = key_frame_images(info.path, sequence, findings, info=info)
        write_html_report(staging / HTML_REPORT, report, key_frames)
        _publish(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    files = {name: out_dir / fname for name, fname in report["outputs"].items()}
    return AnalysisResult(out_dir, info, sequence, report, files)


_Row = tuple[float, PoseFrame | None, int, dict[str, float] | None]

#: How often the caller's progress callback is called during the pose pass (seconds).
_PROGRESS_EVERY_S = 0.1


@dataclass(frozen=True)
class _Job:
    info: VideoInfo
    model_path: Path
    options: AnalysisOptions
    #: (width, height) the frames are drawn at (see ``AnalysisOptions.max_side``).
    size: tuple[int, int]
    #: (width, height) the frames are posed at (see ``AnalysisOptions.pose_max_side``).
    pose_size: tuple[int, int]
    #: Lanes the video is cut into (with more than one, each decodes on a single thread).
    lanes: int

    def to_size(self, pose: PoseFrame | None, size: tuple[int, int]) -> PoseFrame | None:
        """Landmarks found on a pose-size frame, in the pixels of a frame of ``size``."""
        fx, fy = size[0] / self.pose_size[0], size[1] / self.pose_size[1]
        return None if pose is None else pose.scaled(fx, fy)


def _extract_and_render(
    job: _Job, plan: list[Lane], parts: list[Path], progress: ProgressCallback | None
) -> PoseSequence:
    """The pose pass: each lane of ``plan`` decodes, poses, draws and encodes its part of
    the video (into the matching file of ``parts``) on its own threads, side by side.

    Within a lane, decode | pose | draw + encode overlap on threads with short bounded
    queues, so memory does not grow with the video and pose inference sets the pace.
    Progress is reported from the calling thread (Streamlit needs that); the first error in
    any lane stops them all and is raised here.
    """
    rows: list[list[_Row]] = [[] for _ in plan]
    errors: list[BaseException] = []
    cancel = threading.Event()

    def run(k: int) -> None:
        try:
            _run_lane(job, plan[k], parts[k], rows[k], cancel)
        except BaseException as exc:
            errors.append(exc)
            cancel.set()

    threads = [
        threading.Thread(target=run, args=(k,), name=f"lane {k}", daemon=True)
        for k in range(len(plan))
    ]
    started = time.perf_counter()

    def report() -> None:
        if progress is not None:
            done = sum(len(r) for r in rows)
            progress(Progress(done, job.info.frames, time.perf_counter() - started))

    with opencv_one_thread() if len(plan) > 1 else contextlib.nullcontext():
        for thread in threads:
            thread.start()
        try:
            while alive := [t for t in threads if t.is_alive()]:
                alive[0].join(_PROGRESS_EVERY_S)
                report()
            if not errors:
                report()  # the last word is every frame done
        except BaseException:
            cancel.set()
            for thread in threads:
                thread.join()
            raise
    if errors:
        raise errors[0]
    builder = SequenceBuilder(job.info.width, job.info.height)
    for lane_rows in rows:
        for row in lane_rows:
            builder.append(*row)
    return builder.build()


def _run_lane(job: _Job, lane: Lane, part: Path, rows: list[_Row], cancel: threading.Event) -> None:
    info, options = job.info, job.options
    render = _Renderer(info, part, options.preset, job.size, lane.start)
    with contextlib.ExitStack() as stack:
        estimator = stack.enter_context(
            PoseEstimator(
                job.model_path,
                mode="image" if info.is_image else "video",
                segmentation=options.back_contour,
            )
        )
        stack.callback(render.close)
        renderer = stack.enter_context(BackgroundConsumer(render, depth=4, name="render"))
        frames = read_frames(
            info.path,
            info,
            select=lane.feeds,
            stop=lane.stop,
            size=job.size,
            threads=job.lanes == 1,
            first=lane.warm,
        )
        for frame in frames:
            if cancel.is_set():
                return
            people = estimator.detect(resized(frame.rgb, job.pose_size), frame.time_s)
            if frame.index < lane.start:  # warming the tracker up
                continue
            lifter = people[0] if people else None
            pose = lifter.pose if lifter is not None else None
            extras = (
                back_profile(lifter.mask, lifter.pose, options.config.settings.backline).extras()
                if lifter is not None and lifter.mask is not None
                else None
            )
            source = job.to_size(pose, (info.width, info.height))
            rows.append((frame.time_s, source, frame.index, extras))
            renderer.submit((frame, job.to_size(pose, job.size)))


class _Renderer:
    """Draws the overlay on a frame and writes it (H.264 for a video, PNG for a photo)."""

    def __init__(
        self, info: VideoInfo, path: Path, preset: str, size: tuple[int, int], first: int
    ) -> None:
        self._path = path
        self._writer = (
            None
            if info.is_image
            else H264Writer(path, *size, info.fps, preset=preset, first_index=first)
        )

    def __call__(self, item: tuple[Frame, PoseFrame | None]) -> None:
        frame, pose = item
        drawn = draw_frame(frame.rgb, pose, frame.index, frame.time_s)
        if self._writer is None:
            write_image(self._path, drawn)
        else:
            self._writer.write(drawn, frame.time_s)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


def _finish_video(
    info: VideoInfo,
    parts: list[Path],
    annotated: Path,
    sequence: PoseSequence,
    marks: Mapping[int, Marks],
    *,
    size: tuple[int, int],
    preset: str,
) -> int:
    """Join the lanes' parts into ``annotated``, redrawing the frames that show a fault (red
    bones, cue): only their groups of pictures are re-encoded, every other packet is copied.
    Returns the number of frames re-encoded."""
    fx, fy = size[0] / info.width, size[1] / info.height

    def pose_at(row: int) -> PoseFrame | None:
        pose = sequence.frame(row)
        return None if pose is None else pose.scaled(fx, fy)

    if info.is_image:
        if marks:
            still = next(iter(read_frames(info.path, info, size=size))).rgb
            write_image(annotated, draw_frame(still, pose_at(0), 0, 0.0, marks.get(0)))
        return 1 if marks else 0
    if parts == [annotated] and not marks:
        return 0
    n = len(sequence)
    gops = sorted({row // GOP_FRAMES for row in marks})
    redrawn = {row for g in gops for row in range(g * GOP_FRAMES, min((g + 1) * GOP_FRAMES, n))}
    # One decoder (a few frames ahead on its own thread), shared by the groups in order; it
    # converts only the frames that are redrawn.
    stop = max(redrawn, default=-1) + 1
    frames = read_frames(info.path, info, select=redrawn.__contains__, stop=stop, size=size)

    def group(g: int) -> Callable[[], Iterator[RGBImage]]:
        last = min((g + 1) * GOP_FRAMES, n) - 1

        def draw() -> Iterator[RGBImage]:
            for frame in frames:
                row = frame.index
                yield draw_frame(frame.rgb, pose_at(row), row, frame.time_s, marks.get(row))
                if row >= last:
                    return

        return draw

    try:
        return splice(parts, annotated, {g: group(g) for g in gops}, preset=preset)
    finally:
        frames.close()
        for part in parts:
            if part != annotated:
                part.unlink(missing_ok=True)
