"""Build the environment as Binder would, from ``binder/`` only, and run the quickstart.

repo2docker ignores the root ``pyproject.toml`` once ``binder/`` exists: it
installs ``binder/requirements.txt`` from the repository root, then runs
``binder/postBuild``. This test does the same in a fresh virtual environment
(no system site-packages, nothing from the test's own environment), then runs
``notebooks/00_quickstart.ipynb`` with that environment's ``specpub run`` from
the ``notebooks/`` folder, as JupyterLab's kernel would, without network (in a
network namespace of its own when the machine allows one).

Building needs the package index (or pip's cache); when neither is reachable
the test skips and says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _repo_files(dest: Path) -> Path:
    """A copy of the repository's tracked files (what Binder clones)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, capture_output=True, check=False,
    )  # fmt: skip
    if listed.returncode != 0:
        shutil.copytree(
            REPO,
            dest,
            ignore=shutil.ignore_patterns(
                ".venv", ".git", "build", ".demo", "runs", "specpub-demo", "__pycache__"
            ),
        )
        return dest
    for rel in filter(None, listed.stdout.decode().split("\0")):
        src = REPO / rel
        if src.is_file():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
    return dest


def _offline_prefix() -> list[str]:
    """``unshare`` into a network namespace with only loopback, when allowed."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return []
    probe = subprocess.run(
        ["unshare", "--net", "sh", "-c", "ip link set lo up"], capture_output=True, check=False
    )
    return ["unshare", "--net"] if probe.returncode == 0 else []


def _opening_page(env_dir: Path, repo: Path, env: dict[str, str]) -> str:
    """Where JupyterLab, started as Binder starts it, sends a visitor of ``/``."""
    import secrets
    import socket
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = secrets.token_hex(16)
    cmd = [str(env_dir / "bin" / "jupyter"), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={token}"]  # fmt: skip
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    lab = subprocess.Popen(cmd, cwd=repo, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                opener.open(f"http://127.0.0.1:{port}/?token={token}", timeout=5)
            except urllib.error.HTTPError as err:  # the redirect, unfollowed
                return err.headers["Location"].split("?")[0]
            except OSError:
                if lab.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("JupyterLab did not start in the Binder environment")
                time.sleep(0.5)
            else:
                pytest.fail("/ did not redirect")
    finally:
        lab.terminate()
        lab.wait(30)


def test_binder_environment_runs_the_quickstart_offline(tmp_path: Path) -> None:
    repo = _repo_files(tmp_path / "repo")
    env_dir = tmp_path / "env"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True)
    py = env_dir / "bin" / "python"
    env = {
        "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "LANG": "C.UTF-8",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_CACHE_DIR", "SSL_CERT_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.setdefault("PIP_CACHE_DIR", str(Path.home() / ".cache" / "pip"))
    install = subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "-r", "binder/requirements.txt"],
        cwd=repo, env=env, capture_output=True, text=True, check=False, timeout=1500,
    )  # fmt: skip
    if install.returncode != 0:
        if "Could not find a version" in install.stderr or "NewConnectionError" in install.stderr:
            pytest.skip(f"the package index is not reachable: {install.stderr[-300:]}")
        pytest.fail(f"pip install -r binder/requirements.txt failed:\n{install.stderr[-3000:]}")
    post = subprocess.run(
        ["bash", "binder/postBuild"], cwd=repo, env=env, capture_output=True, text=True,
        check=False, timeout=600,
    )  # fmt: skip
    assert post.returncode == 0, post.stderr[-3000:]
    assert (repo / "notebooks" / "specpub-demo" / "collection" / "specimens.csv").is_file()
    assert _opening_page(env_dir, repo, env) == "/lab/tree/notebooks/00_quickstart.ipynb"
    # Nothing of this environment leaked in: specpub is the copy's, not this checkout's.
    where = subprocess.run(
        [str(py), "-c", "import specpub, specpub_widgets, papermill, jupyterlab; "
         "print(specpub.__file__)"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(env_dir)) or str(repo) in where.stdout
    offline = _offline_prefix()
    script = (
        f"{'ip link set lo up && ' if offline else ''}"
        f"exec {env_dir / 'bin' / 'specpub'} run 00_quickstart.ipynb --out {tmp_path / 'runs'} "
        "--timeout 600 --quiet --json"
    )
    run = subprocess.run(
        [*offline, "bash", "-c", script], cwd=repo / "notebooks", env=env,
        capture_output=True, text=True, check=False, timeout=1200,
    )  # fmt: skip
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"specpub run printed no report:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    assert run.returncode == 0, json.dumps(report["error"], indent=1)[-4000:]
    assert report["status"] == "ok"
    dois = report["results"]["dois"]
    assert dois
    assert all(doi.startswith("10.") for doi in dois)
