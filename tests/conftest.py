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
