"""The pose model: find it, download it, or build it offline from a PyPI wheel.

MediaPipe's PoseLandmarker needs a ``.task`` bundle: an uncompressed zip holding
``pose_detector.tflite`` and ``pose_landmarks_detector.tflite``. :func:`ensure_model`
gets one into the models folder by the first route that works:

1. a valid bundle already there (checked cheaply: zip layout, member CRCs);
2. the official bundle from Google's model storage (short timeout; checked before use);
3. for ``full`` only: the BlazePose GHUM models from the mediapipe 0.10.21 wheel on PyPI,
   given the TFLite metadata the Tasks API needs and zipped byte-identically every time.

Every file is written to a temporary file in the same folder and moved into place with
``os.replace``, so an interrupted run never leaves a half-written ``.task``. A sidecar
``<model>.task.json`` records where the model came from.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import logging
import os
import subprocess
import sys
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Final, Literal, TypedDict, get_args

from posturecheck.errors import ModelError

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

DETECTOR_MEMBER: Final = "pose_detector.tflite"
LANDMARKER_MEMBER: Final = "pose_landmarks_detector.tflite"
BUNDLE_MEMBERS: Final = (DETECTOR_MEMBER, LANDMARKER_MEMBER)

#: The "full" bundle built from the wheel: the same bytes on every build (see models/README.md).
BUILT_FULL_SHA256: Final = "62b197223b4ff6d0f41c66e1ad7089e2661a5c0450cebe95a51f1d62dd9f938e"
BUILT_FULL_SIZE: Final = 9_397_874

WHEEL_REQUIREMENT: Final = "mediapipe==0.10.21"
WHEEL_GLOB: Final = "mediapipe-0.10.21-*.whl"
PIP_TIMEOUT_S: Final = 600.0
_PIP_DOWNLOAD_ARGS: Final = (
    *("download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check"),
    *("--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"),
    *("--no-input", "--progress-bar", "off", WHEEL_REQUIREMENT),
)

_ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)
_TFLITE_METADATA: Final = "TFLITE_METADATA"
_MISSING: Final = "not there"


@dataclass(frozen=True)
class WheelModel:
    """One .tflite taken from the wheel, and the metadata it needs in the bundle."""

    member: str  # name inside the .task bundle
    wheel_path: str  # name inside the mediapipe 0.10.21 wheel
    sha256: str  # of the file in the wheel, as published
    mean: float  # NormalizationOptions: input = (pixel - mean) / std
    std: float
    n_outputs: int
    metadata_name: str


_WHEEL_MODELS: tuple[WheelModel, ...] = (
    WheelModel(
        member=DETECTOR_MEMBER,
        wheel_path="mediapipe/modules/pose_detection/pose_detection.tflite",
        sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        mean=127.5,
        std=127.5,  # [-1, 1]
        n_outputs=2,
        metadata_name="pose_detector",
    ),
    WheelModel(
        member=LANDMARKER_MEMBER,
        wheel_path="mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        mean=0.0,
        std=255.0,  # [0, 1]
        n_outputs=5,
        metadata_name="pose_landmarks_detector",
    ),
)

Say = Callable[[str], None]


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


class _RouteError(ModelError):
    """One route to the model failed; the message says why (collected for the final error)."""


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


def sidecar_path(path: Path) -> Path:
    """The JSON file recording where the model at ``path`` came from."""
    return path.with_name(path.name + ".json")


# --- checking and writing files --------------------------------------------------------------


def bundle_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a usable .task bundle, or None if it is.

    Cheap: the zip directory, both members stored uncompressed, each a TFLite flatbuffer
    (identifier ``TFL3``), and every member's CRC. It does not run the model.
    """
    if not path.is_file():
        return _MISSING
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in BUNDLE_MEMBERS if m not in names]
            if missing:
                return f"the zip lacks {', '.join(missing)}"
            for member in BUNDLE_MEMBERS:
                info = zf.getinfo(member)
                if info.compress_type != zipfile.ZIP_STORED:
                    return f"{member} is compressed (MediaPipe needs an uncompressed zip)"
                with zf.open(info) as fh:
                    if fh.read(8)[4:8] != b"TFL3":
                        return f"{member} is not a TFLite model"
            bad = zf.testzip()
            if bad is not None:
                return f"{bad} is damaged (CRC mismatch)"
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        return f"not a readable zip ({exc})"
    return None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_write(
    dest: Path, chunks: Iterable[bytes], check: Callable[[Path], str | None] | None = None
) -> None:
    """Write ``chunks`` to ``dest`` all at once or not at all.

    The data goes to a hidden temporary file in the same folder, is flushed to disk and,
    if ``check`` finds no problem with it, replaces ``dest`` in one ``os.replace``. On any
    failure (including a KeyboardInterrupt) the temporary file is removed and ``dest`` is
    left as it was.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        problem = check(tmp) if check is not None else None
        if problem is not None:
            raise _RouteError(problem)
        tmp.chmod(0o644)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_sidecar(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_sidecar(path: Path, record: dict[str, Any]) -> None:
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    _atomic_write(sidecar_path(path), [text.encode("utf-8")])


def _record(variant: Variant, path: Path, source: str, **extra: Any) -> dict[str, Any]:
    return {
        "variant": variant,
        "source": source,
        "sha256": _sha256_file(path),
        "size": path.stat().st_size,
        **extra,
    }


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
            raise _RouteError(f"the download is larger than {limit} bytes")
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
            _atomic_write(dest, _limited_chunks(response, MAX_DOWNLOAD_BYTES), check)
    except (OSError, http.client.HTTPException) as exc:
        raise _RouteError(f"download failed ({type(exc).__name__}: {exc})") from exc
    return _record(variant, dest, "download", url=url)


# --- route 3: build "full" from the mediapipe 0.10.21 wheel ----------------------------------


def _run_pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pip <args>`` with this interpreter (the one place that calls pip)."""
    return subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        check=False,
    )


def _tail(text: str, lines: int = 3) -> str:
    return " / ".join(line.strip() for line in text.strip().splitlines()[-lines:]) or "no output"


def read_wheel_models(wheel: Path) -> dict[str, bytes]:
    """The two pose .tflite files from a mediapipe wheel, keyed by bundle member name.

    Raises ModelError if the wheel is unreadable or its models are not the published ones.
    """
    models: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for spec in _WHEEL_MODELS:
                data = zf.read(spec.wheel_path)
                if hashlib.sha256(data).hexdigest() != spec.sha256:
                    raise _RouteError(f"{spec.wheel_path} in {wheel.name} is not the expected file")
                models[spec.member] = data
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise _RouteError(f"cannot read the pose models from {wheel} ({exc})") from exc
    return models


def _fetch_wheel(cache_dir: Path, say: Say) -> Path:
    """The mediapipe 0.10.21 wheel: from ``cache_dir`` if a good one is there, else from PyPI."""
    for cached in sorted(cache_dir.glob(WHEEL_GLOB)):
        try:
            read_wheel_models(cached)
        except ModelError as exc:
            say(f"Ignoring the cached wheel {cached}: {exc}")
            continue
        say(f"Using the cached wheel {cached}")
        return cached
    say(f"Downloading the {WHEEL_REQUIREMENT} wheel from the package index (about 36 MB)")
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".pip-") as tmp:
        try:
            result = _run_pip([*_PIP_DOWNLOAD_ARGS, "-d", tmp])
        except subprocess.TimeoutExpired as exc:
            raise _RouteError(f"pip download timed out after {PIP_TIMEOUT_S:.0f} s") from exc
        if result.returncode != 0:
            raise _RouteError(f"pip download failed: {_tail(result.stderr)}")
        wheels = sorted(Path(tmp).glob(WHEEL_GLOB))
        if not wheels:
            raise _RouteError(f"pip download produced no {WHEEL_GLOB} file")
        target = cache_dir / wheels[0].name
        wheels[0].replace(target)
    return target


def _metadata_flatbuffer(spec: WheelModel) -> bytes:
    """TFLite metadata (``M001``): an RGB image input with NormalizationOptions."""
    import flatbuffers  # type: ignore[import-untyped]
    from mediapipe.tasks.metadata import metadata_schema_py_generated as meta

    norm = meta.NormalizationOptionsT()
    norm.mean, norm.std = [spec.mean], [spec.std]
    unit = meta.ProcessUnitT()
    unit.optionsType, unit.options = meta.ProcessUnitOptions.NormalizationOptions, norm
    image = meta.ImagePropertiesT()
    image.colorSpace = meta.ColorSpaceType.RGB
    content = meta.ContentT()
    content.contentPropertiesType = meta.ContentProperties.ImageProperties
    content.contentProperties = image
    tensor = meta.TensorMetadataT()
    tensor.name, tensor.content, tensor.processUnits = "image", content, [unit]
    subgraph = meta.SubGraphMetadataT()
    subgraph.inputTensorMetadata = [tensor]
    subgraph.outputTensorMetadata = [meta.TensorMetadataT() for _ in range(spec.n_outputs)]
    model = meta.ModelMetadataT()
    model.name, model.subgraphMetadata = spec.metadata_name, [subgraph]
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"M001")
    return bytes(builder.Output())


def with_metadata(tflite: bytes, metadata: bytes) -> bytes:
    """``tflite`` with ``metadata`` as its only TFLITE_METADATA entry (any old entry dropped).

    The metadata goes in a new buffer at the end; an old metadata buffer stays as an unused
    buffer, which keeps the build identical to the reference bundle.
    """
    import flatbuffers
    import numpy as np
    from mediapipe.tasks.metadata import schema_py_generated as tfl

    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(tflite, 0))
    buffer = tfl.BufferT()
    buffer.data = np.frombuffer(metadata, dtype=np.uint8)
    model.buffers = [*(model.buffers or []), buffer]
    entry = tfl.MetadataT()
    entry.name, entry.buffer = _TFLITE_METADATA, len(model.buffers) - 1
    kept = [m for m in (model.metadata or []) if m.name != _TFLITE_METADATA.encode()]
    model.metadata = [*kept, entry]
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


def zip_bundle(members: Iterable[tuple[str, bytes]]) -> bytes:
    """An uncompressed zip of ``members`` with fixed timestamps: same input, same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE_TIME)
            info.create_system = 3  # as on Unix, so Windows builds give the same bytes
            info.compress_type = zipfile.ZIP_STORED
            zf.writestr(info, data)
    return out.getvalue()


def build_full_bundle(wheel: Path) -> bytes:
    """The ``full`` .task bundle, built from a mediapipe 0.10.21 wheel (about a second)."""
    models = read_wheel_models(wheel)
    return zip_bundle(
        (spec.member, with_metadata(models[spec.member], _metadata_flatbuffer(spec)))
        for spec in _WHEEL_MODELS
    )


def _build_full(dest: Path, cache_dir: Path, say: Say) -> dict[str, Any]:
    """Route 3: build the ``full`` bundle from the wheel and write it atomically."""
    wheel = _fetch_wheel(cache_dir, say)
    say(f"Building {dest.name} from {wheel.name}")
    data = build_full_bundle(wheel)
    digest = hashlib.sha256(data).hexdigest()
    if digest != BUILT_FULL_SHA256:
        logger.warning(
            "The built bundle differs from the reference (sha256 %s, expected %s): "
            "a different flatbuffers version may lay it out differently.",
            digest,
            BUILT_FULL_SHA256,
        )
    _atomic_write(dest, [data], bundle_problem)
    built_from = {
        "requirement": WHEEL_REQUIREMENT,
        "wheel": wheel.name,
        "members": {spec.member: spec.wheel_path for spec in _WHEEL_MODELS},
    }
    matches = digest == BUILT_FULL_SHA256
    return _record("full", dest, "built", built_from=built_from, matches_reference=matches)


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
    record = _read_sidecar(path)
    if record is not None and record.get("sha256") == _sha256_file(path):
        return
    try:
        _write_sidecar(path, _record(variant, path, "local"))
    except OSError as exc:  # a read-only models folder is fine: the model itself is valid
        logger.debug("Could not write %s: %s", sidecar_path(path), exc)


def _failure_message(variant: Variant, path: Path, tried: list[tuple[str, str]]) -> str:
    steps = "\n".join(f"  {i}. {route}: {why}" for i, (route, why) in enumerate(tried, 1))
    url = official_url(variant)
    if variant != "full":
        fix = (
            f"Download {url} on a computer with internet and put it at {path}, "
            "or use --model-variant full, which can be built offline from PyPI."
        )
    else:
        fix = (
            "Check the connection to PyPI and run again, or download "
            f"{url} on a computer with internet and put it at {path} "
            f"(or set {MODELS_DIR_ENV} to a folder that holds it)."
        )
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
    is set); for ``full``, a build from the mediapipe 0.10.21 wheel, kept in ``cache_dir``
    (default ``<directory>/.cache``). Progress goes to ``log`` and to logging.

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
    if problem != _MISSING:
        say(f"The model at {path} is unusable ({problem}); getting a new one")
    tried = [(f"existing file {path}", problem)]

    routes: list[tuple[str, Callable[[], dict[str, Any]]]] = []
    if allow_download and not _offline():
        url = official_url(variant)
        routes.append((f"download {url}", lambda: _download_official(variant, path, say)))
    else:
        why = "allow_download=False" if not allow_download else f"${OFFLINE_ENV} is set"
        tried.append(("download", f"skipped ({why})"))
    if variant == "full":
        cache = path.parent / ".cache" if cache_dir is None else Path(cache_dir)
        build = f"build from {WHEEL_REQUIREMENT} on PyPI"
        routes.append((build, lambda: _build_full(path, cache, say)))
    for name, route in routes:
        try:
            record = route()
        except (ModelError, OSError) as exc:
            say(f"{name}: {exc}")
            tried.append((name, str(exc)))
            continue
        _write_sidecar(path, record)
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
        sha = _sha256_file(path) if present else None
        record = _read_sidecar(path) if present else None
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
