"""Browser-test fixtures: a real ``streamlit run`` server and Debian Chromium via Playwright.

Chromium is the Debian package at /usr/bin/chromium (never ``playwright install``). The
server runs on a free localhost port with its own data, history and temp folders.
Screenshots go to the test's ``tmp_path`` and are copied to ``test-artifacts/browser/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--autoplay-policy=no-user-gesture-required",
]
SERVER_START_S = 60.0


@dataclass(frozen=True)
class Server:
    url: str
    data_dir: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not start in {SERVER_START_S} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``streamlit run streamlit_app.py`` on a free port, headless, with temp data folders."""
    root = tmp_path_factory.mktemp("server")
    port = _free_port()
    env = {
        **os.environ,
        "POSTURECHECK_DATA_DIR": str(root / "data"),
        "POSTURECHECK_TMP_DIR": str(root / "tmp"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("POSTURECHECK_HISTORY", None)
    log = root / "streamlit.log"
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(REPO / "streamlit_app.py"),
        "--server.headless=true",
        f"--server.port={port}",
        "--server.address=127.0.0.1",
        "--server.fileWatcherType=none",
        "--browser.gatherUsageStats=false",
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield Server(url, root / "data", log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


@contextlib.contextmanager
def chromium_context(profile: Path, extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """Debian Chromium, headless, with a fresh profile and ``extra_args`` (e.g. a fake camera)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Debian Chromium not found at {CHROMIUM} (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            args=[*CHROMIUM_ARGS, *extra_args],
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        try:
            yield context
        finally:
            context.close()


def _overflow_at_phone_width(page: Any) -> int:
    """Resize ``page`` to a phone's width (390 px) and return how many pixels its main area
    scrolls sideways (0 or 1: it fits)."""
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(800)
    return int(
        page.evaluate(
            "() => { const m = document.querySelector('[data-testid=stMain]');"
            " return m.scrollWidth - m.clientWidth; }"
        )
    )


@pytest.fixture(scope="session")
def overflow_at_phone_width() -> Callable[[Any], int]:
    """:func:`_overflow_at_phone_width`, for test modules."""
    return _overflow_at_phone_width


@pytest.fixture(scope="session")
def launch_chromium() -> Callable[..., contextlib.AbstractContextManager[Any]]:
    """:func:`chromium_context`, for test modules (conftest is not importable by name)."""
    return chromium_context


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian Chromium, headless, fresh profile."""
    with chromium_context(tmp_path_factory.mktemp("chromium-profile")) as context:
        yield context


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab at desktop width."""
    tab = browser.new_page()
    tab.set_viewport_size({"width": 1280, "height": 900})
    try:
        yield tab
    finally:
        tab.close()


Shoot = Callable[[Any, str], Path]


@pytest.fixture
def artifacts() -> Path:
    """``test-artifacts/browser/`` in the repository (screenshots, timings)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def shoot(tmp_path: Path, artifacts: Path) -> Shoot:
    """``shoot(page, "name")``: a screenshot in tmp_path, copied to test-artifacts/browser/."""

    def take(page: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        # Streamlit scrolls inside its main block: make the window as tall as the content.
        height = page.evaluate(
            "() => Math.max(900, ...Array.from(document.querySelectorAll("
            "'[data-testid=stMain], [data-testid=stMainBlockContainer]'), e => e.scrollHeight))"
        )
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": min(int(height) + 40, 6000)})
        page.wait_for_timeout(300)
        page.screenshot(path=str(path))
        page.set_viewport_size(size)
        shutil.copy2(path, artifacts / path.name)
        return path

    return take
