"""The pose model's files on disk: the bundle check, atomic writes, and the provenance sidecar.

Shared by :mod:`posturecheck.models` (the entry point and the download) and
:mod:`posturecheck.model_build` (the offline build), which both write ``.task`` bundles into
the models folder.

Every file is written to a temporary file in the same folder and moved into place with
``os.replace``, so an interrupted run never leaves a half-written ``.task``. A sidecar
``<model>.task.json`` records where the model came from.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Final

from posturecheck.errors import ModelError

DETECTOR_MEMBER: Final = "pose_detector.tflite"
LANDMARKER_MEMBER: Final = "pose_landmarks_detector.tflite"
BUNDLE_MEMBERS: Final = (DETECTOR_MEMBER, LANDMARKER_MEMBER)

#: What :func:`bundle_problem` says when there is no file at all.
MISSING: Final = "not there"

Say = Callable[[str], None]


class RouteError(ModelError):
    """One route to the model failed; the message says why (collected for the final error)."""


def sidecar_path(path: Path) -> Path:
    """The JSON file recording where the model at ``path`` came from."""
    return path.with_name(path.name + ".json")


def bundle_problem(path: Path) -> str | None:
    """Why the file at ``path`` is not a usable .task bundle, or None if it is.

    Cheap: the zip directory, both members stored uncompressed, each a TFLite flatbuffer
    (identifier ``TFL3``), and every member's CRC. It does not run the model.
    """
    if not path.is_file():
        return MISSING
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


def sha256_file(path: Path) -> str:
    """The sha256 of the file at ``path``, as hex."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write(
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
            raise RouteError(problem)
        tmp.chmod(0o644)
        tmp.replace(dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_sidecar(path: Path) -> dict[str, Any] | None:
    """The provenance record next to the model at ``path``, or None if there is none."""
    try:
        data = json.loads(sidecar_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_sidecar(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` (atomically) as the provenance of the model at ``path``."""
    text = json.dumps(record, indent=2, sort_keys=True) + "\n"
    atomic_write(sidecar_path(path), [text.encode("utf-8")])


def provenance(variant: str, path: Path, source: str, **extra: Any) -> dict[str, Any]:
    """The sidecar record for the model at ``path``: its variant, source, sha256 and size."""
    return {
        "variant": variant,
        "source": source,
        "sha256": sha256_file(path),
        "size": path.stat().st_size,
        **extra,
    }
