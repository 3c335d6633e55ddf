"""One upload, end to end, without Streamlit: stage it safely, analyse it, save the session.

Safety rules (issue 8, section 3):

- the user's file name is display text only: the upload is written under a server-chosen
  temporary name whose only user-derived part is an extension from the accepted list;
- the size limit is checked here as well as in the browser (and stated in the message);
- the temporary copy is removed after success and after failure;
- a results folder gets a server-chosen name under the data folder; the session is saved to
  history only after the analysis has fully succeeded, and if that save fails the results
  folder is removed, so nothing is left half-done.
"""

from __future__ import annotations

import contextlib
import logging
import math
import shutil
import tempfile
import time
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from posturecheck.app.settings import AppSettings
from posturecheck.errors import InputError, PostureCheckError
from posturecheck.history import History, NewSession, Session
from posturecheck.limits import SUPPORTED_SUFFIXES
from posturecheck.models import DEFAULT_VARIANT, Variant
from posturecheck.pipeline import AnalysisOptions, ProgressCallback, analyse
from posturecheck.report import ExerciseChoice

log = logging.getLogger(__name__)

#: What the file picker accepts (extensions without the dot).
ACCEPTED_TYPES: tuple[str, ...] = tuple(sorted(s.lstrip(".") for s in SUPPORTED_SUFFIXES))
MAX_NAME_CHARS = 120
_CHUNK = 1 << 20
UPLOAD_PREFIX = "posturecheck-upload-"
#: Leftovers untouched for this long are from an interrupted analysis, not a running one.
LEFTOVER_AGE_S = 3600.0


def display_name(raw: str) -> str:
    """A file name safe to show: last path component, no control characters, bounded length."""
    name = PurePosixPath(raw.replace("\\", "/")).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > MAX_NAME_CHARS:
        suffix = PurePosixPath(name).suffix[:10]
        name = name[: MAX_NAME_CHARS - len(suffix) - 1] + "…" + suffix
    return name if name.strip(".") else "upload"


def accepted_suffix(name: str) -> str:
    """The lower-case extension of ``name`` if it is one we analyse.

    Raises:
        InputError: the extension is missing or not accepted (the message lists the accepted).
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        accepted = ", ".join(ACCEPTED_TYPES)
        raise InputError(
            f"{name}: '{suffix or '(no extension)'}' files are not supported. "
            f"Upload a video or photo ({accepted})."
        )
    return suffix


def _size_message(name: str, size: int | None, limit_mb: int) -> str:
    got = f"is {size / 1e6:.0f} MB" if size is not None else "is too large"
    return (
        f"{name} {got}; the upload limit is {limit_mb} MB. Trim the clip to the set you want "
        "analysed, or export it at a lower resolution."
    )


@contextmanager
def staged_upload(data: BinaryIO, name: str, settings: AppSettings) -> Iterator[Path]:
    """Copy an upload to a fresh private temp folder; yield its path; always remove it.

    The file is called ``upload<ext>`` where ``<ext>`` comes from the accepted list, so the
    user's name can never reach the file system.

    Raises:
        InputError: unsupported extension, or more bytes than the upload limit.
    """
    suffix = accepted_suffix(name)
    if settings.tmp_dir is not None:
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=UPLOAD_PREFIX, dir=settings.tmp_dir))
    try:
        path = folder / f"upload{suffix}"
        written = 0
        with path.open("xb") as out:
            while chunk := data.read(_CHUNK):
                written += len(chunk)
                if written > settings.max_upload_bytes:
                    raise InputError(_size_message(name, None, settings.max_upload_mb))
                out.write(chunk)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def new_results_dir(settings: AppSettings, now: datetime | None = None) -> Path:
    """A fresh, server-named results folder path (not created): ``results/<time>-<random>``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return settings.results_dir / f"{stamp}-{uuid.uuid4().hex[:12]}"


def reps_analysed(report: dict[str, Any]) -> bool:
    """Whether rep detection ran for this report (``stages`` lists the stages that ran)."""
    return "reps" in (report.get("stages") or [])


def key_numbers(report: dict[str, Any]) -> dict[str, float | int]:
    """The numbers shown in history: clip facts, and per-rep averages of numeric rep fields."""
    video, processing = report.get("video", {}), report.get("processing", {})
    numbers: dict[str, float | int] = {}
    for key, value in (
        ("duration_s", video.get("duration_s")),
        ("frames", video.get("frames")),
        ("fps", video.get("fps")),
        ("frames_with_pose", report.get("pose", {}).get("frames_with_pose")),
        ("processing_s", processing.get("seconds")),
    ):
        if isinstance(value, int | float) and not isinstance(value, bool):
            numbers[key] = value
    reps = report.get("reps") or []
    skip = {"index", "start_s", "bottom_s", "end_s"}
    fields = sorted({k for rep in reps for k, v in rep.items() if k not in skip and _is_num(v)})
    for key in fields:
        values = [float(rep[key]) for rep in reps if _is_num(rep.get(key))]
        if values:
            numbers[f"mean_{key}"] = round(sum(values) / len(values), 3)
    return numbers


def _is_num(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def session_from_report(
    report: dict[str, Any], results_dir: Path, source_name: str, lifter: str | None
) -> NewSession:
    """What history stores about a finished analysis (nothing invented: unknowns stay None)."""
    findings = report.get("findings") or []
    counts = Counter(str(f.get("fault", "unknown")) for f in findings)
    return NewSession(
        source_name=source_name,
        exercise=str(report.get("exercise", {}).get("name", "unknown")),
        view=str(report.get("view", {}).get("name", "unknown")),
        results_dir=results_dir,
        lifter=(lifter or "").strip() or None,
        rep_count=len(report.get("reps") or []) if reps_analysed(report) else None,
        detection_rate=report.get("pose", {}).get("detection_rate"),
        finding_counts=dict(counts),
        key_numbers=key_numbers(report),
        pose_model=str(report.get("model", {}).get("variant", DEFAULT_VARIANT)),
    )


def _renamed(exc: PostureCheckError, temp: Path, name: str) -> PostureCheckError:
    """The same error with the temporary path replaced by the user's file name."""
    text = str(exc).replace(str(temp), name)
    return type(exc)(text)


def analyse_upload(
    data: BinaryIO,
    name: str,
    *,
    settings: AppSettings,
    history: History,
    exercise: ExerciseChoice = "auto",
    lifter: str | None = None,
    model_path: Path | None = None,
    model_variant: Variant = DEFAULT_VARIANT,
    progress: ProgressCallback | None = None,
) -> Session:
    """Analyse an uploaded file and save the session; return the saved session.
    ``model_path``: the file of the ``model_variant`` pose model, if already at hand.

    Raises:
        PostureCheckError: the upload cannot be analysed (message names the user's file, not
            a server path) or the history cannot be written. Nothing is left behind.
    """
    shown = display_name(name)
    out_dir = new_results_dir(settings)
    settings.results_dir.mkdir(parents=True, exist_ok=True)
    options = AnalysisOptions(
        exercise=exercise, model_variant=model_variant, model_path=model_path, source_name=shown
    )
    try:
        with staged_upload(data, shown, settings) as path:
            try:
                result = analyse(path, out_dir, options=options, progress=progress)
            except PostureCheckError as exc:
                raise _renamed(exc, path, shown) from exc
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise
    try:
        return history.add(session_from_report(result.report, out_dir, shown, lifter))
    except BaseException:
        shutil.rmtree(out_dir, ignore_errors=True)
        raise


def within(path: Path, root: Path) -> bool:
    """True if ``path`` resolves to somewhere strictly inside ``root``."""
    try:
        return path.resolve().is_relative_to(root.resolve()) and path.resolve() != root.resolve()
    except OSError:
        return False


def delete_session(history: History, session_id: int, settings: AppSettings) -> Session | None:
    """Delete a session and its results folder (only if that folder is inside the data folder).

    The row goes first: a crash in between leaves an unreferenced folder, never a session
    pointing at missing results.
    """
    removed = history.delete(session_id)
    if removed is None:
        return None
    if within(removed.results_dir, settings.results_dir):
        shutil.rmtree(removed.results_dir, ignore_errors=True)
    else:
        log.warning(
            "session %d: results folder %s is outside %s; left in place",
            session_id,
            removed.results_dir,
            settings.results_dir,
        )
    return removed


def _last_touched(folder: Path) -> float:
    """The newest modification time of a folder and the files directly in it."""
    newest = folder.stat().st_mtime
    for entry in folder.iterdir():
        with contextlib.suppress(OSError):
            newest = max(newest, entry.stat().st_mtime)
    return newest


def sweep_leftovers(
    history: History,
    settings: AppSettings,
    *,
    older_than_s: float = LEFTOVER_AGE_S,
    now: float | None = None,
) -> list[Path]:
    """Remove what a killed analysis left behind; return what was removed.

    That is: folders in the results folder that no session refers to (a results folder
    published just before the process died, or the pipeline's ``.partial-`` staging folder),
    and upload temp folders. Only folders untouched for ``older_than_s`` are removed, so an
    analysis running in another session is never disturbed.
    """
    now = time.time() if now is None else now
    referenced = {s.results_dir.resolve() for s in history.sessions()}
    candidates: list[Path] = []
    if settings.results_dir.is_dir():
        candidates += [p for p in settings.results_dir.iterdir() if p.is_dir()]
    tmp_root = settings.tmp_dir or Path(tempfile.gettempdir())
    if tmp_root.is_dir():
        candidates += [p for p in tmp_root.glob(f"{UPLOAD_PREFIX}*") if p.is_dir()]
    removed = []
    for folder in candidates:
        try:
            stale = now - _last_touched(folder) > older_than_s
        except OSError:
            continue
        if stale and folder.resolve() not in referenced:
            shutil.rmtree(folder, ignore_errors=True)
            log.info("removed leftover %s", folder)
            removed.append(folder)
    return removed
