"""Real-browser fixtures: a throwaway JupyterLab on 127.0.0.1 and Debian's Chromium.

JupyterLab runs from this environment (so its ``python3`` kernel imports this
checkout's specpub) with a random token, isolated settings (no news toast,
every cell attached to the DOM), a temporary workspace directory, and a
temporary *copy* of ``notebooks/`` as its root, so nothing is ever saved into
the repository. Chromium is Debian's package driven by Playwright through
``executable_path`` (never a downloaded browser). Tests skip with the reason
when either is missing.

Screenshots go to ``build/ui-screenshots/`` (or ``$SPECPUB_UI_SCREENSHOTS``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("SPECPUB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(os.environ.get("SPECPUB_UI_SCREENSHOTS", REPO / "build" / "ui-screenshots"))


def _missing() -> str | None:
    if not Path(CHROMIUM).is_file():
        return (
            f"no Chromium at {CHROMIUM}: install Debian's package (`apt-get install chromium`, "
            "as .ci/run does) or set SPECPUB_CHROMIUM"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed (pip install -e '.[test]')"
    try:
        import jupyterlab  # noqa: F401
    except ImportError:
        return "jupyterlab is not installed (pip install -e '.[jupyter]')"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _write_settings(settings: Path) -> None:
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, data in files.items():
        path = settings / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


@pytest.fixture(scope="session")
def shots() -> Path:
    """The folder the UI tests save their screenshots into."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture(scope="package")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running JupyterLab: ``{"base", "token", "root", "log"}``."""
    reason = _missing()
    if reason:
        pytest.skip(reason)
    root = tmp_path_factory.mktemp("lab-root")
    shutil.copytree(
        REPO / "notebooks",
        root / "notebooks",
        ignore=shutil.ignore_patterns("specpub-demo", "runs", ".ipynb_checkpoints"),
    )
    settings = tmp_path_factory.mktemp("lab-settings")
    _write_settings(settings)
    port, token = _free_port(), secrets.token_hex(16)
    cmd = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
        "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
    ]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    env = dict(
        os.environ,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path_factory.mktemp("lab-ws")),
        JUPYTER_CONFIG_DIR=str(tmp_path_factory.mktemp("jupyter-config")),
    )
    log_path = tmp_path_factory.mktemp("lab-log") / "jupyter-lab.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"jupyter lab did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.3)
    try:
        yield {"base": base, "token": token, "root": root, "log": log_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# Package scope, not session: Playwright's sync API keeps its event loop marked as
# running in this thread while it is open, and the doctests collected after
# tests/ui (``asyncio.run`` examples) would fail with "cannot be called from a
# running event loop".
@pytest.fixture(scope="package")
def browser(lab: dict[str, Any]) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
            ],
        )
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def open_notebook(lab: dict[str, Any], browser: Any, shots: Path, request: Any) -> Iterator[Any]:
    """``open_notebook("notebooks/x.ipynb")`` → a Page with the notebook's kernel idle.

    A full-page screenshot of every page is saved when the test ends, and the
    page's kernel is shut down.
    """
    pages = []

    def _open(rel_path: str, *, width: int = 1400, height: int = 1000) -> Any:
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(90_000)
        pages.append(page)  # screenshot even when the wait below fails
        page.goto(f"{lab['base']}/lab/tree/{rel_path}?token={lab['token']}")
        page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
        page.wait_for_function(
            "() => window.jupyterapp?.shell.currentWidget?.sessionContext"
            "?.session?.kernel?.status === 'idle'",
            timeout=120_000,
        )
        return page

    yield _open
    for i, page in enumerate(pages):
        name = request.node.name.replace("/", "_")
        try:
            page.screenshot(path=str(shots / f"{name}-page{i}.png"), full_page=True)
            page.evaluate("() => window.jupyterapp.shell.currentWidget?.sessionContext?.shutdown()")
        finally:
            page.close()
