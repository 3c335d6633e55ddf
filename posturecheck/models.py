"""The pose model: find it, download it, or have it built offline from registry packages.

MediaPipe's PoseLandmarker needs a ``.task`` bundle: an uncompressed zip holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. :func:`ensure_model`
gets one into the models folder by the first route that works:

1. a valid bundle already there (checked cheaply: zip layout, member CRCs);
2. the official bundle from Google's model storage (short timeout; checked before use);
3. a build from the BlazePose GHUM models in the mediapipe 0.10.21 wheel on PyPI (``full``)
   and the ``@mediapipe/pose`` package on npm (``lite``, ``heavy``), given the TFLite
   metadata the Tasks API needs and zipped byte-identically every time
   (:mod:`posturecheck.model_build`).

Every file is written atomically and a sidecar ``<model>.task.json`` records where the
model came from (:mod:`posturecheck.model_files`).
"""

from __future__ import annotations

import http.client
import logging
import os
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, Final, Literal, TypedDict, get_args

from posturecheck.errors import ModelError
from posturecheck.model_build import build_model, build_sources
from posturecheck.model_files import (
    MISSING,
    RouteError,
    Say,
    atomic_write,
    bundle_problem,
    provenance,
    read_sidecar,
    sha256_file,
    sidecar_path,
    write_sidecar,
)

logger = logging.getLogger(__name__)

Variant = Literal["lite", "full", "heavy"]
VARIANTS: Final[tuple[Variant, ...]] = get_args(Variant)
DEFAULT_VARIANT: Final[Variant] = "full"

MODELS_DIR_ENV: Final = "POSTURECHECK_MODELS_DIR"
OFFLINE_ENV: Final = "POSTURECHECK_OFFLINE"

OFFICIAL_URL: Final = (
    "https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
    "pose_landmarker_{variant}/float16/latest/pose_landmarker_{variant}.task"
)
DOWNLOAD_TIMEOUT_S: Final = 10.0
MAX_DOWNLOAD_BYTES: Final = 100 * 1024 * 1024


class ModelInfo(TypedDict):
    """One row of :func:`describe_models`."""

    variant: Variant
    path: str
    present: bool
    size: int | None
    sha256: str | None
    source: str | None  # "download", "built", "local" (placed by hand) or None
    valid: bool
    problem: str | None


# --- paths -----------------------------------------------------------------------------------


def models_dir() -> Path:
    """The models folder: $POSTURECHECK_MODELS_DIR, else ``models/`` next to the package."""
    override = os.environ.get(MODELS_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser()
    return Path(__file__).resolve().parent.parent / "models"


def check_variant(variant: str) -> Variant:
    """Return ``variant`` if it names a model, else raise a ModelError listing the valid ones."""
    for known in VARIANTS:
        if variant == known:
            return known
    raise ModelError(f"Unknown model variant {variant!r}: choose one of {', '.join(VARIANTS)}.")


def model_path(variant: Variant = DEFAULT_VARIANT, directory: Path | None = None) -> Path:
    """Where the bundle for ``variant`` lives: ``<models dir>/pose_landmarker_<variant>.task``."""
    folder = models_dir() if directory is None else Path(directory)
    return folder / f"pose_landmarker_{check_variant(variant)}.task"


def official_url(variant: Variant) -> str:
    """The official download address of the bundle for ``variant``."""
    return OFFICIAL_URL.format(variant=check_variant(variant))


# --- route 2: the official download ----------------------------------------------------------


def _open_url(url: str, timeout: float) -> IO[bytes]:
    """Open ``url`` for reading (the one place that touches the network for downloads)."""
    response: IO[bytes] = urllib.request.urlopen(url, timeout=timeout)
    return response


def _limited_chunks(stream: IO[bytes], limit: int) -> Iterator[bytes]:
    total = 0
    while chunk := stream.read(1 << 20):
        total += len(chunk)
        if total > limit:
            raise RouteError(f"the download is larger than {limit} bytes")
        yield chunk


def _download_official(variant: Variant, dest: Path, say: Say) -> dict[str, Any]:
    """Route 2: fetch the official bundle; check it before it takes the model's place."""
    url = official_url(variant)
    say(f"Downloading the official {variant} pose model from {url}")

    def check(tmp: Path) -> str | None:
        problem = bundle_problem(tmp)
        return None if problem is None else f"the downloaded file is not a pose model: {problem}"

    try:
        with _open_url(url, DOWNLOAD_TIMEOUT_S) as response:
            atomic_write(dest, _limited_chunks(response, MAX_DOWNLOAD_BYTES), check)
    except (OSError, http.client.HTTPException) as exc:
        raise RouteError(f"download failed ({type(exc).__name__}: {exc})") from exc
    return provenance(variant, dest, "download", url=url)


# --- the public entry points -----------------------------------------------------------------


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _reporter(log: Say | None) -> Say:
    def say(message: str) -> None:
        logger.info(message)
        if log is not None:
            log(message)

    return say


def _adopt_existing(variant: Variant, path: Path) -> None:
    """Keep the sidecar of a valid existing model truthful (e.g. a file placed by hand)."""
    record = read_sidecar(path)
    if record is not None and record.get("sha256") == sha256_file(path):
        return
    try:
        write_sidecar(path, provenance(variant, path, "local"))
    except OSError as exc:  # a read-only models folder is fine: the model itself is valid
        logger.debug("Could not write %s: %s", sidecar_path(path), exc)


def _failure_message(variant: Variant, path: Path, tried: list[tuple[str, str]]) -> str:
    steps = "\n".join(f"  {i}. {route}: {why}" for i, (route, why) in enumerate(tried, 1))
    url = official_url(variant)
    registries = (
        "PyPI" if variant == "full" else "PyPI and the npm registry (and that npm is installed)"
    )
    fix = (
        f"Check the connection to {registries} and run again, or download "
        f"{url} on a computer with internet and put it at {path} "
        f"(or set {MODELS_DIR_ENV} to a folder that holds it)."
    )
    if variant != "full":
        fix += " Or use --model-variant full, which needs only PyPI."
    return f"Could not get the {variant} pose model. Tried:\n{steps}\n{fix}"


def ensure_model(
    variant: Variant = DEFAULT_VARIANT,
    directory: Path | None = None,
    *,
    allow_download: bool = True,
    log: Say | None = None,
    cache_dir: Path | None = None,
) -> Path:
    """Return the path of a valid bundle for ``variant``, getting one if needed.

    Routes, in order: a valid file already in ``directory`` (the models folder by default);
    the official download (skipped when ``allow_download`` is False or $POSTURECHECK_OFFLINE
    is set); a build from the registries' packages (:mod:`posturecheck.model_build`), which
    are kept in ``cache_dir`` (default ``<directory>/.cache``). Progress goes to ``log`` and
    to logging.

    Raises:
        ModelError: every route failed; the message says what was tried and how to fix it.
    """
    variant = check_variant(variant)
    path = model_path(variant, directory)
    say = _reporter(log)
    problem = bundle_problem(path)
    if problem is None:
        _adopt_existing(variant, path)
        return path
    if problem != MISSING:
        say(f"The model at {path} is unusable ({problem}); getting a new one")
    tried = [(f"existing file {path}", problem)]

    routes: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    if allow_download and not _offline():
        url = official_url(variant)
        routes.append((f"download {url}", lambda: _download_official(variant, path, say)))
    else:
        why = "allow_download=False" if not allow_download else f"${OFFLINE_ENV} is set"
        tried.append(("download", f"skipped ({why})"))
    cache = path.parent / ".cache" if cache_dir is None else Path(cache_dir)
    build = f"build from {build_sources(variant)}"
    routes.append((build, lambda: build_model(variant, path, cache, say)))
    for name, route in routes:
        try:
            record = route()
        except (ModelError, OSError) as exc:
            say(f"{name}: {exc}")
            tried.append((name, str(exc)))
            continue
        write_sidecar(path, record)
        say(f"Pose model ready: {path} ({record['source']}, sha256 {record['sha256'][:12]}…)")
        return path
    raise ModelError(_failure_message(variant, path, tried))


def describe_models(directory: Path | None = None) -> list[ModelInfo]:
    """One row per variant: where its file is, whether it is usable, and where it came from."""
    rows: list[ModelInfo] = []
    for variant in VARIANTS:
        path = model_path(variant, directory)
        present = path.is_file()
        problem = bundle_problem(path)
        sha = sha256_file(path) if present else None
        record = read_sidecar(path) if present else None
        source = record.get("source") if record and record.get("sha256") == sha else None
        rows.append(
            ModelInfo(
                variant=variant,
                path=str(path),
                present=present,
                size=path.stat().st_size if present else None,
                sha256=sha,
                source=str(source) if source is not None else None,
                valid=problem is None,
                problem=problem,
            )
        )
    return rows
