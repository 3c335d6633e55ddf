"""Tests for posturecheck.model_build: the offline builds from the PyPI wheel (``full``) and
the npm package (``lite``, ``heavy``).

Unit tests fake pip and npm (``_run_pip``, ``_run_npm``, see ``model_fakes``) with a wheel and a
tarball of tiny but valid TFLite flatbuffers. The tests marked ``model`` build the real bundles
from PyPI and npm and run them on a real photo.
"""

from __future__ import annotations

import dataclasses
import io
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
from mediapipe.tasks.metadata import schema_py_generated as tfl

from posturecheck import model_build, model_files, models
from posturecheck.errors import ModelError

from model_fakes import (
    DETECTOR,
    NPM_LANDMARKERS,
    WHEEL_NAME,
    FakeNet,
    fake_network,
    fake_wheel,
    sha256,
    sidecar,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA = REPO_ROOT.parent / "shared" / "realdata"
REAL_RUN_NPM = model_build._run_npm  # before the fixture below fakes it


@pytest.fixture(autouse=True)
def net(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """Clean environment; no real network (tests marked ``model`` excepted)."""
    return fake_network(request, monkeypatch)


# --- the wheel ------------------------------------------------------------------------------


def test_unexpected_wheel_contents_are_rejected(
    tmp_path: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        model_build,
        "_WHEEL_MODELS",
        tuple(dataclasses.replace(s, sha256="0" * 64) for s in model_build._WHEEL_MODELS),
    )
    with pytest.raises(ModelError, match="is not the expected file"):
        models.ensure_model("full", tmp_path, allow_download=False)
    assert not models.model_path("full", tmp_path).exists()


def test_cached_wheel_is_reused(tmp_path: Path, net: FakeNet) -> None:
    cache = tmp_path / "cache"
    first = models.ensure_model("full", tmp_path / "a", allow_download=False, cache_dir=cache)
    second = models.ensure_model("full", tmp_path / "b", allow_download=False, cache_dir=cache)
    assert net.calls == ["pip"]
    assert first.read_bytes() == second.read_bytes()
    assert [p.name for p in cache.iterdir()] == [WHEEL_NAME]


def test_default_wheel_cache_is_inside_the_models_folder(tmp_path: Path) -> None:
    models.ensure_model("full", tmp_path, allow_download=False)
    assert (tmp_path / ".cache" / WHEEL_NAME).is_file()


def test_damaged_cached_wheel_is_downloaded_again(tmp_path: Path, net: FakeNet) -> None:
    cache = tmp_path / ".cache"
    cache.mkdir()
    (cache / WHEEL_NAME).write_bytes(b"half a wheel")
    models.ensure_model("full", tmp_path, allow_download=False)
    assert net.calls == ["pip"]
    assert (cache / WHEEL_NAME).read_bytes() == net.wheel


# --- what the build writes ------------------------------------------------------------------


def metadata_entries(tflite: bytes) -> list[bytes]:
    """The buffers of every TFLITE_METADATA entry in ``tflite``."""
    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(tflite, 0))
    return [
        bytes(model.buffers[entry.buffer].data)
        for entry in model.metadata or []
        if entry.name == b"TFLITE_METADATA"
    ]


def read_metadata(tflite: bytes) -> list[Any]:
    """The ModelMetadataT objects of every TFLITE_METADATA entry in ``tflite``."""
    found = []
    for data in metadata_entries(tflite):
        assert data[4:8] == b"M001"
        root = meta.ModelMetadata.GetRootAsModelMetadata(data, 0)
        found.append(meta.ModelMetadataT.InitFromObj(root))
    return found


def check_bundle_metadata(bundle: bytes) -> None:
    """One TFLITE_METADATA per model, with the normalisation each model needs."""
    expected = {
        model_files.DETECTOR_MEMBER: (127.5, 127.5, 2),
        model_files.LANDMARKER_MEMBER: (0.0, 255.0, 5),
    }
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        assert [i.filename for i in zf.infolist()] == list(model_files.BUNDLE_MEMBERS)
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            (found,) = read_metadata(zf.read(info))
            (subgraph,) = found.subgraphMetadata
            (image,) = subgraph.inputTensorMetadata
            norm = image.processUnits[0].options
            mean, std, n_outputs = expected[info.filename]
            assert (list(norm.mean), list(norm.std)) == ([mean], [std])
            assert image.content.contentProperties.colorSpace == meta.ColorSpaceType.RGB
            assert len(subgraph.outputTensorMetadata) == n_outputs


def test_build_adds_metadata_and_replaces_an_old_entry(tmp_path: Path) -> None:
    assert len(metadata_entries(DETECTOR)) == 1  # the fake detector carries old metadata
    path = models.ensure_model("full", tmp_path, allow_download=False)
    check_bundle_metadata(path.read_bytes())


def test_build_is_byte_identical_every_time(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL_NAME
    wheel.write_bytes(fake_wheel())
    assert model_build.build_bundle("full", wheel) == model_build.build_bundle("full", wheel)


# --- the npm package ------------------------------------------------------------------------


def test_lite_bundle_holds_the_npm_landmarker_with_metadata(tmp_path: Path) -> None:
    path = models.ensure_model("lite", tmp_path, allow_download=False)
    data = path.read_bytes()
    check_bundle_metadata(data)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        landmarker = zf.read(model_files.LANDMARKER_MEMBER)
    model = tfl.ModelT.InitFromObj(tfl.Model.GetRootAsModel(landmarker, 0))
    assert model.description == b"lite landmarker"  # the npm package's, not the wheel's


def test_cached_npm_package_is_reused_and_serves_both_variants(
    tmp_path: Path, net: FakeNet
) -> None:
    cache = tmp_path / "cache"
    models.ensure_model("lite", tmp_path / "a", allow_download=False, cache_dir=cache)
    models.ensure_model("heavy", tmp_path / "a", allow_download=False, cache_dir=cache)
    assert net.calls == ["pip", "npm"]
    assert sorted(p.name for p in cache.iterdir()) == sorted([WHEEL_NAME, model_build.NPM_TARBALL])


def test_damaged_cached_npm_package_is_fetched_again(tmp_path: Path, net: FakeNet) -> None:
    cache = tmp_path / ".cache"
    cache.mkdir()
    (cache / model_build.NPM_TARBALL).write_bytes(b"half a tarball")
    models.ensure_model("heavy", tmp_path, allow_download=False)
    assert net.calls == ["pip", "npm"]
    assert (cache / model_build.NPM_TARBALL).read_bytes() == net.npm_package


def test_unexpected_npm_model_is_rejected(tmp_path: Path, net: FakeNet) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        info = tarfile.TarInfo(model_build._NPM_LANDMARKERS["lite"].package_path)
        info.size = len(NPM_LANDMARKERS["heavy"])
        tar.addfile(info, io.BytesIO(NPM_LANDMARKERS["heavy"]))  # the wrong model
    net.npm_package = out.getvalue()
    with pytest.raises(ModelError, match="is not the expected file"):
        models.ensure_model("lite", tmp_path, allow_download=False)
    assert not models.model_path("lite", tmp_path).exists()


def test_npm_package_without_the_model_is_rejected(tmp_path: Path, net: FakeNet) -> None:
    net.npm_package = b"not a tarball"
    with pytest.raises(ModelError, match="cannot read the heavy pose model"):
        models.ensure_model("heavy", tmp_path, allow_download=False)


def test_missing_npm_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model_build.shutil, "which", lambda name: None)
    with pytest.raises(ModelError, match="npm is not installed"):
        REAL_RUN_NPM(["pack", model_build.NPM_PACKAGE])


def test_npm_build_needs_the_package(tmp_path: Path) -> None:
    wheel = tmp_path / WHEEL_NAME
    wheel.write_bytes(fake_wheel())
    with pytest.raises(ValueError, match="npm package"):
        model_build.build_bundle("heavy", wheel)


# --- the real thing -------------------------------------------------------------------------


def real_image() -> Path:
    """A real photo of a lifter standing at lockout (side view)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent")
    return REALDATA / "images" / "deadlift_side_camron_lockout.jpg"


@pytest.fixture(scope="module", params=models.VARIANTS)
def real_bundle(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Each real bundle, built from PyPI and npm (reusing the wheel and tarball in
    models/.cache where setup left them there)."""
    repo_cache = REPO_ROOT / "models" / ".cache"
    has_wheel = any(repo_cache.glob(model_build.WHEEL_GLOB))
    cache = repo_cache if has_wheel else tmp_path_factory.mktemp("cache")
    folder = tmp_path_factory.mktemp("models")
    return models.ensure_model(request.param, folder, allow_download=False, cache_dir=cache)


@pytest.mark.model
def test_real_build_matches_the_reference(real_bundle: Path) -> None:
    data = real_bundle.read_bytes()
    record = sidecar(real_bundle)
    variant = record["variant"]
    assert real_bundle.name == f"pose_landmarker_{variant}.task"
    assert sha256(data) == model_build.BUILT_SHA256[variant]
    assert len(data) == model_build.BUILT_SIZE[variant]
    check_bundle_metadata(data)
    assert record["source"] == "built" and record["matches_reference"] is True


@pytest.mark.model
@pytest.mark.realdata
def test_real_bundle_finds_a_pose_in_a_real_photo(real_bundle: Path) -> None:
    import cv2
    import mediapipe as mp
    from mediapipe.tasks.python import BaseOptions, vision

    image_path = real_image()
    bgr = cv2.imread(str(image_path))
    assert bgr is not None, f"cannot read {image_path}"
    rgb = np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(real_bundle)),
        running_mode=vision.RunningMode.IMAGE,
    )
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        result = landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    assert len(result.pose_landmarks) == 1
    pose = result.pose_landmarks[0]
    assert len(pose) == 33
    # Standing at lockout: hips above knees above ankles, on both sides (y grows downwards).
    for hip, knee, ankle in ((23, 25, 27), (24, 26, 28)):
        assert pose[hip].y < pose[knee].y < pose[ankle].y
    assert all(-0.2 < lm.x < 1.2 and -0.2 < lm.y < 1.2 for lm in pose)
