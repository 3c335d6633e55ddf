"""Shared fixtures: paths, the real pose model, the real development clips."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
REALDATA = Path(os.environ.get("POSTURECHECK_REALDATA", REPO_ROOT.parent / "shared" / "realdata"))


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The development set of real clips (third-party footage, never committed)."""
    if not (REALDATA / "manifest.tsv").is_file():
        pytest.skip(f"real development clips not found at {REALDATA} (set POSTURECHECK_REALDATA)")
    return REALDATA


@pytest.fixture(scope="session")
def model_path() -> Path:
    """The real MediaPipe pose model; set-up builds it (from PyPI when offline)."""
    from posturecheck.models import ensure_model

    return ensure_model("full")


@pytest.fixture
def app_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The web app's folders under ``tmp_path`` (``data/``, ``tmp/``), with no settings
    inherited from the environment; returns ``tmp_path``."""
    monkeypatch.setenv("POSTURECHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("POSTURECHECK_TMP_DIR", str(tmp_path / "tmp"))
    for name in ("POSTURECHECK_HISTORY", "POSTURECHECK_MAX_UPLOAD_MB", "POSTURECHECK_ICE_SERVERS"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path
