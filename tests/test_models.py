"""Tests for posturecheck.models: route order, atomic writes, validation, and the real build.

Unit tests fake the two network edges (``_open_url`` for the official download and
``_run_pip`` for the wheel) with tiny but valid TFLite flatbuffers. The test marked
``model`` builds the real bundle from PyPI and runs it on a real photo.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import subprocess
import urllib.error
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import flatbuffers  # type: ignore[import-untyped]
import numpy as np
import pytest
from mediapipe.tasks.metadata import metadata_schema_py_generated as meta
from mediapipe.tasks.metadata import schema_py_generated as tfl

from posturecheck import models
from posturecheck.errors import ModelError

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA = REPO_ROOT.parent / "shared" / "realdata"
WHEEL_NAME = "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl"


# --- builders -------------------------------------------------------------------------------


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


def fake_bundle() -> bytes:
    """A structurally valid .task bundle (what the official download would give)."""
    return models.zip_bundle(
        [(models.DETECTOR_MEMBER, DETECTOR), (models.LANDMARKER_MEMBER, LANDMARKER)]
    )


def fake_wheel() -> bytes:
    """A (deflated, like a real wheel) zip holding the two models where the wheel has them."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("mediapipe/__init__.py", "")
        for spec, data in zip(models._WHEEL_MODELS, (DETECTOR, LANDMARKER), strict=True):
            zf.writestr(spec.wheel_path, data)
    return out.getvalue()


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def flip_byte_in_member(bundle: bytes) -> bytes:
    """The bundle with one byte of the landmarker's data changed (the CRC no longer fits)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        info = zf.getinfo(models.LANDMARKER_MEMBER)
    at = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    return bundle[:at] + bytes([bundle[at] ^ 0xFF]) + bundle[at + 1 :]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    """Temporary files the writer may have left behind."""
    return sorted(p.name for p in folder.glob(".*.part"))


# --- fake network ---------------------------------------------------------------------------


@dataclasses.dataclass
class FakeNet:
    """Stands in for the official host (``download``) and for pip (``pip_*``)."""

    download: bytes | Exception = dataclasses.field(
        default_factory=lambda: urllib.error.URLError("[Errno -2] Name or service not known")
    )
    pip_returncode: int = 0
    pip_stderr: str = ""
    wheel: bytes = dataclasses.field(default_factory=fake_wheel)
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


@pytest.fixture(autouse=True)
def net(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """Clean environment; no real network in unit tests (tests marked ``model`` excepted)."""
    monkeypatch.delenv(models.OFFLINE_ENV, raising=False)
    monkeypatch.delenv(models.MODELS_DIR_ENV, raising=False)
    fake = FakeNet()
    if request.node.get_closest_marker("model") is None:
        monkeypatch.setattr(models, "_open_url", fake.open_url)
        monkeypatch.setattr(models, "_run_pip", fake.run_pip)
        # The fake wheel's models stand in for the published ones.
        specs = tuple(
            dataclasses.replace(spec, sha256=sha256(data))
            for spec, data in zip(models._WHEEL_MODELS, (DETECTOR, LANDMARKER), strict=True)
        )
        monkeypatch.setattr(models, "_WHEEL_MODELS", specs)
    return fake


def sidecar(path: Path) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(models.sidecar_path(path).read_text(encoding="utf-8"))
    return record


# --- paths ----------------------------------------------------------------------------------


def test_model_path_names_the_variant(tmp_path: Path) -> None:
    assert models.model_path("lite", tmp_path) == tmp_path / "pose_landmarker_lite.task"
    assert models.model_path(directory=tmp_path).name == "pose_landmarker_full.task"
    assert models.DEFAULT_VARIANT == "full"


def test_models_dir_defaults_to_repo_models_and_env_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert models.models_dir() == REPO_ROOT / "models"
    monkeypatch.setenv(models.MODELS_DIR_ENV, str(tmp_path))
    assert models.models_dir() == tmp_path
    assert models.model_path("heavy") == tmp_path / "pose_landmarker_heavy.task"


def test_unknown_variant_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="choose one of lite, full, heavy"):
        models.ensure_model("medium", tmp_path)  # type: ignore[arg-type]


# --- route order ----------------------------------------------------------------------------


def test_valid_existing_bundle_is_used_without_any_route(tmp_path: Path, net: FakeNet) -> None:
    path = models.model_path("lite", tmp_path)
    path.write_bytes(fake_bundle())
    assert models.ensure_model("lite", tmp_path) == path
    assert net.calls == []
    assert sidecar(path)["source"] == "local"  # placed by hand: recorded as such
    assert sidecar(path)["sha256"] == sha256(fake_bundle())


def test_official_download_comes_before_the_build(tmp_path: Path, net: FakeNet) -> None:
    net.download = fake_bundle()
    path = models.ensure_model("full", tmp_path)
    assert net.calls == ["download"]
    assert path.read_bytes() == fake_bundle()
    record = sidecar(path)
    assert record["source"] == "download"
    assert record["url"] == models.official_url("full")
    assert record["sha256"] == sha256(fake_bundle())


def test_failed_download_falls_through_to_the_build(tmp_path: Path, net: FakeNet) -> None:
    messages: list[str] = []
    path = models.ensure_model("full", tmp_path, log=messages.append)
    assert net.calls == ["download", "pip"]
    assert models.bundle_problem(path) is None
    record = sidecar(path)
    assert record["source"] == "built"
    assert record["built_from"]["requirement"] == "mediapipe==0.10.21"
    assert record["built_from"]["wheel"] == WHEEL_NAME
    assert record["matches_reference"] is False  # fake models, not the real ones
    assert any("Name or service not known" in m for m in messages)
    assert any("Pose model ready" in m for m in messages)


@pytest.mark.parametrize("offline", ["env", "argument"])
def test_offline_skips_the_download(
    offline: str, tmp_path: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    if offline == "env":
        monkeypatch.setenv(models.OFFLINE_ENV, "1")
    models.ensure_model("full", tmp_path, allow_download=offline != "argument")
    assert net.calls == ["pip"]


# --- downloads are checked before they take the model's place ------------------------------

BAD_DOWNLOADS = {
    "html error page": b"<html>403 Forbidden</html>",
    "empty": b"",
    "truncated": fake_bundle()[: len(fake_bundle()) // 2],
    "deflated zip": zip_of(
        {models.DETECTOR_MEMBER: DETECTOR, models.LANDMARKER_MEMBER: LANDMARKER},
        zipfile.ZIP_DEFLATED,
    ),
    "missing member": zip_of({models.DETECTOR_MEMBER: DETECTOR}),
    "not tflite": zip_of({models.DETECTOR_MEMBER: b"x" * 64, models.LANDMARKER_MEMBER: b"y" * 64}),
    "damaged member": flip_byte_in_member(fake_bundle()),
}


@pytest.mark.parametrize("content", BAD_DOWNLOADS.values(), ids=BAD_DOWNLOADS.keys())
def test_bad_download_is_rejected(content: bytes, tmp_path: Path, net: FakeNet) -> None:
    net.download = content
    path = models.model_path("lite", tmp_path)
    with pytest.raises(ModelError, match="not a pose model") as caught:
        models.ensure_model("lite", tmp_path)
    assert not path.exists()
    assert leftovers(tmp_path) == []
    assert str(path) in str(caught.value)


def test_bad_download_of_full_falls_through_to_the_build(tmp_path: Path, net: FakeNet) -> None:
    net.download = BAD_DOWNLOADS["deflated zip"]
    path = models.ensure_model("full", tmp_path)
    assert net.calls == ["download", "pip"]
    assert sidecar(path)["source"] == "built"


def test_oversized_download_is_rejected(
    tmp_path: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    net.download = fake_bundle()
    monkeypatch.setattr(models, "MAX_DOWNLOAD_BYTES", 100)
    with pytest.raises(ModelError, match="larger than 100 bytes"):
        models.ensure_model("heavy", tmp_path)
    assert list(tmp_path.iterdir()) == []


# --- error messages -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_lite_and_heavy_say_what_to_do_when_no_download(
    variant: models.Variant, tmp_path: Path, net: FakeNet
) -> None:
    with pytest.raises(ModelError) as caught:
        models.ensure_model(variant, tmp_path)
    message = str(caught.value)
    assert net.calls == ["download"]  # never the build: only "full" can be built
    assert str(models.model_path(variant, tmp_path)) in message
    assert models.official_url(variant) in message
    assert "--model-variant full" in message
    assert "Name or service not known" in message


def test_all_routes_failing_explains_each_and_the_fix(tmp_path: Path, net: FakeNet) -> None:
    net.pip_returncode, net.pip_stderr = 1, "ERROR: No matching distribution found"
    path = models.model_path("full", tmp_path)
    path.write_bytes(b"garbage")
    with pytest.raises(ModelError) as caught:
        models.ensure_model("full", tmp_path)
    message = str(caught.value)
    assert "1. existing file" in message and "not a readable zip" in message
    assert "2. download" in message and "Name or service not known" in message
    assert "3. build from mediapipe==0.10.21" in message
    assert "No matching distribution found" in message
    assert f"put it at {path}" in message
    assert models.MODELS_DIR_ENV in message
    assert path.read_bytes() == b"garbage"  # nothing better was found: left as it was


def test_unexpected_wheel_contents_are_rejected(
    tmp_path: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        models,
        "_WHEEL_MODELS",
        tuple(dataclasses.replace(s, sha256="0" * 64) for s in models._WHEEL_MODELS),
    )
    with pytest.raises(ModelError, match="is not the expected file"):
        models.ensure_model("full", tmp_path, allow_download=False)
    assert not models.model_path("full", tmp_path).exists()


# --- atomicity ------------------------------------------------------------------------------


def test_crash_mid_write_leaves_no_task(
    tmp_path: Path, net: FakeNet, monkeypatch: pytest.MonkeyPatch
) -> None:
    net.download = fake_bundle()

    def crash(fd: int) -> None:
        raise KeyboardInterrupt  # e.g. Ctrl-C after the data was written, before the move

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        models.ensure_model("full", tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_crash_mid_write_leaves_the_old_model_untouched(tmp_path: Path) -> None:
    path = models.model_path("full", tmp_path)
    old = fake_bundle()
    path.write_bytes(old)

    def half_then_crash() -> Iterator[bytes]:
        yield b"PK\x03\x04 half a new model"
        raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        models._atomic_write(path, half_then_crash(), models.bundle_problem)
    assert path.read_bytes() == old
    assert leftovers(tmp_path) == []


def test_failed_check_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "pose_landmarker_full.task"
    path.write_bytes(fake_bundle())
    with pytest.raises(ModelError, match="not a readable zip"):
        models._atomic_write(path, [b"not a zip"], models.bundle_problem)
    assert path.read_bytes() == fake_bundle()
    assert leftovers(tmp_path) == []


# --- idempotency and repair -----------------------------------------------------------------


def test_second_call_does_not_rebuild(tmp_path: Path, net: FakeNet) -> None:
    path = models.ensure_model("full", tmp_path, allow_download=False)
    stamps = (path.stat().st_mtime_ns, models.sidecar_path(path).stat().st_mtime_ns)
    assert models.ensure_model("full", tmp_path, allow_download=False) == path
    assert (path.stat().st_mtime_ns, models.sidecar_path(path).stat().st_mtime_ns) == stamps
    assert net.calls == ["pip"]


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


CORRUPTIONS = {
    "garbage": lambda b: b"\x00" * 100,
    "empty": lambda b: b"",
    "truncated": lambda b: b[: len(b) // 2],
    "flipped byte": flip_byte_in_member,
    "deflated": lambda b: BAD_DOWNLOADS["deflated zip"],
    "missing member": lambda b: BAD_DOWNLOADS["missing member"],
}


@pytest.mark.parametrize("corrupt", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupt_existing_model_is_replaced(corrupt: Any, tmp_path: Path, net: FakeNet) -> None:
    built = models.ensure_model("full", tmp_path, allow_download=False)
    good = built.read_bytes()
    built.write_bytes(corrupt(good))
    assert models.bundle_problem(built) is not None
    assert models.ensure_model("full", tmp_path, allow_download=False) == built
    assert built.read_bytes() == good
    assert net.calls == ["pip"]  # the cached wheel served the rebuild
    assert sidecar(built)["source"] == "built"


def test_model_replaced_by_hand_gets_a_truthful_sidecar(tmp_path: Path) -> None:
    path = models.ensure_model("full", tmp_path, allow_download=False)
    assert sidecar(path)["source"] == "built"
    by_hand = models.zip_bundle(
        [(models.DETECTOR_MEMBER, LANDMARKER), (models.LANDMARKER_MEMBER, DETECTOR)]
    )
    path.write_bytes(by_hand)
    models.ensure_model("full", tmp_path, allow_download=False)
    assert path.read_bytes() == by_hand  # a valid file is never overwritten
    assert sidecar(path)["source"] == "local"
    assert sidecar(path)["sha256"] == sha256(by_hand)


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
        models.DETECTOR_MEMBER: (127.5, 127.5, 2),
        models.LANDMARKER_MEMBER: (0.0, 255.0, 5),
    }
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        assert [i.filename for i in zf.infolist()] == list(models.BUNDLE_MEMBERS)
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
    assert models.build_full_bundle(wheel) == models.build_full_bundle(wheel)


# --- describe_models ------------------------------------------------------------------------


def test_describe_models(tmp_path: Path) -> None:
    full = models.ensure_model("full", tmp_path, allow_download=False)
    models.model_path("heavy", tmp_path).write_bytes(b"junk")
    rows = {row["variant"]: row for row in models.describe_models(tmp_path)}
    assert list(rows) == ["lite", "full", "heavy"]
    assert rows["lite"]["present"] is False and rows["lite"]["size"] is None
    assert rows["full"]["valid"] is True
    assert rows["full"]["source"] == "built"
    assert rows["full"]["path"] == str(full)
    assert rows["full"]["size"] == full.stat().st_size
    assert rows["full"]["sha256"] == sha256(full.read_bytes())
    assert rows["heavy"]["present"] is True and rows["heavy"]["valid"] is False
    assert rows["heavy"]["source"] is None
    json.dumps(list(rows.values()))  # the CLI prints it as JSON


# --- the real thing -------------------------------------------------------------------------


def real_image() -> Path:
    """A real photo of a lifter standing at lockout (side view)."""
    if not REALDATA.is_dir():
        pytest.skip(f"real data folder {REALDATA} is absent")
    return REALDATA / "images" / "deadlift_side_camron_lockout.jpg"


@pytest.fixture(scope="module")
def real_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real ``full`` bundle, built from PyPI (reusing models/.cache if it has the wheel)."""
    repo_cache = REPO_ROOT / "models" / ".cache"
    has_wheel = any(repo_cache.glob(models.WHEEL_GLOB))
    cache = repo_cache if has_wheel else tmp_path_factory.mktemp("wheel-cache")
    folder = tmp_path_factory.mktemp("models")
    return models.ensure_model("full", folder, allow_download=False, cache_dir=cache)


@pytest.mark.model
def test_real_build_matches_the_reference(real_bundle: Path) -> None:
    data = real_bundle.read_bytes()
    assert sha256(data) == models.BUILT_FULL_SHA256
    assert len(data) == models.BUILT_FULL_SIZE
    check_bundle_metadata(data)
    record = sidecar(real_bundle)
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
