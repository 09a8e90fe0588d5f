"""Shared fixtures and the real-data switch.

Tests marked ``real_data`` run only when ``SPECPUB_REAL_DATA`` names the shared
folder (the one holding ``data/real`` and ``corpora``); ``.ci/run`` sets it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _real_data_root() -> Path | None:
    value = os.environ.get("SPECPUB_REAL_DATA")
    if not value:
        return None
    root = Path(value)
    # Accept the shared folder itself or its data/real subfolder.
    if (root / "data" / "real").is_dir():
        return root
    if root.name == "real" and root.is_dir():
        return root.parent.parent
    return None


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The shared folder (with ``data/real`` and ``corpora``); skips if unset."""
    root = _real_data_root()
    if root is None:
        pytest.skip("real-data test: set SPECPUB_REAL_DATA to the shared folder to run it")
    return root


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _real_data_root() is not None:
        return
    skip = pytest.mark.skip(reason="SPECPUB_REAL_DATA is not set (see tests/conftest.py)")
    for item in items:
        if "real_data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def anyio_backend() -> str:
    """Async tests (``@pytest.mark.anyio``) run on asyncio only."""
    return "asyncio"


@pytest.fixture
def sandbox_factory(tmp_path: Path):
    """Start embedded sandboxes with custom settings; all are stopped at teardown.

    ``sandbox_factory(**kwargs)`` takes the arguments of
    :func:`specpub.sandbox.running` (``faults=``, ``rate_limit=``, ``index_lag=``,
    ``token=``, ``data_dir=``, ...) and returns a started
    :class:`~specpub.sandbox.SandboxHandle`. Defaults: a fresh data folder under
    ``tmp_path``, rate limits off, no faults, and Zenodo's index lag (1 s): a test that
    searches right after a change calls ``handle.refresh_index()``, as ZRDM's tests refresh
    the index.
    """
    from specpub.sandbox import start

    handles = []

    def factory(**kwargs):
        kwargs.setdefault("data_dir", tmp_path / f"sandbox-{len(handles)}")
        kwargs.setdefault("rate_limit", None)
        kwargs.setdefault("faults", None)
        handle = start(**kwargs)
        handles.append(handle)
        return handle

    yield factory
    for handle in reversed(handles):
        handle.stop()


@pytest.fixture
def sandbox(sandbox_factory):
    """A running embedded sandbox (tmp data dir, rate limits off, no faults, 1 s index lag).

    Use ``sandbox.url`` (API under ``sandbox.url + "/api"``), ``sandbox.token``,
    ``sandbox.set_faults(...)``, ``sandbox.add_outage(...)``, ``sandbox.fault_stats()``.
    """
    return sandbox_factory()


@pytest.fixture(scope="session")
def demo_collection(tmp_path_factory: pytest.TempPathFactory):
    """A small demo collection (specpub.demo), generated once per test session.

    12 specimens at 300x430 px, seed 0, messiness 0.75 (every defect kind is
    placed; see ``manifest.json`` / ``DemoCollection.defects``) and every kind
    of broken file (``DemoCollection.broken``). Treat it as read-only: copy it
    (``shutil.copytree(demo_collection.folder, ...)``) before changing files.
    """
    from specpub.demo import generate_collection

    folder = tmp_path_factory.mktemp("demo_collection")
    return generate_collection(
        folder, specimens=12, seed=0, messiness=0.75, image_size=(300, 430), broken=True
    )


@pytest.fixture(autouse=True)
def _private_runtime_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> None:
    """Embedded repositories a test serves announce themselves in a folder of their own.

    ``specpub sandbox serve`` announces itself to ``--to embedded`` (see
    :mod:`specpub._runtime`); tests, and the servers they start as child
    processes, must neither see nor disturb the user's own.
    """
    monkeypatch.setenv("SPECPUB_RUNTIME_DIR", str(tmp_path_factory.mktemp("runtime")))


@pytest.fixture
def served_embedded(tmp_path_factory: pytest.TempPathFactory, _private_runtime_dir):
    """An embedded repository served as ``specpub sandbox serve`` serves one, announced.

    ``--to embedded`` without ``--url`` finds it (through :mod:`specpub._runtime`), as a
    user's commands find the one they started in another terminal. Served in this
    process (no rate limit), removed at the end of the test.
    """
    from specpub._runtime import announcing
    from specpub.sandbox import running

    with running(tmp_path_factory.mktemp("served"), rate_limit="off") as sb, announcing(sb):
        yield sb
