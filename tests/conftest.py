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


def _outside_public_api(code: str, allowed: set[str]) -> list[str]:
    """Where ``code`` reaches past the public API: every use of a ``specpub`` module.

    ``allowed`` lists the modules the code may import (``specpub``,
    ``specpub.notebook``, ...). Each name taken from one of them, by ``from M
    import name`` or as the attribute ``M.name``, must be in that module's
    ``__all__``; any other ``specpub`` module, imported or reached through
    attributes (``specpub.specimens.terms.TERMS``), is reported.
    """
    import ast
    import importlib

    def public(module: str) -> set[str]:
        return set(getattr(importlib.import_module(module), "__all__", ()))

    def dotted(node: ast.AST) -> str | None:
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if isinstance(node, ast.Name):
            return ".".join([node.id, *reversed(parts)])
        return None

    found: list[str] = []
    aliases: dict[str, str] = {}  # local name -> module (import specpub.notebook as nb)
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != "specpub":
                    continue
                if alias.name not in allowed:
                    found.append(f"import {alias.name}")
                aliases[alias.asname or "specpub"] = alias.name if alias.asname else "specpub"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "specpub":
            if node.module not in allowed:
                found.append(f"from {node.module} import ...")
                continue
            for alias in node.names:
                inside = f"{node.module}.{alias.name}"
                if alias.name not in public(node.module) and inside not in allowed:
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        name = dotted(node)
        if name is None or name.split(".")[0] not in aliases:
            continue
        head, *rest = name.split(".")
        module = aliases[head]
        for depth, part in enumerate(rest, 1):  # down through allowed modules, then a name
            if f"{module}.{part}" in allowed:
                module = f"{module}.{part}"
                continue
            if part not in public(module):
                found.append(".".join([head, *rest[:depth]]))
            break
    return sorted(set(found))


@pytest.fixture
def outside_public_api():
    """``outside_public_api(code, allowed)``: the uses of non-public specpub names in ``code``."""
    return _outside_public_api
