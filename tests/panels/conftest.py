"""Fixtures for the widget tests: a demo workspace, loaded, and an embedded repository."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def demo_collection(tmp_path_factory: pytest.TempPathFactory):
    """A small generated demo collection (table + images), shared by a module's tests."""
    from specpub.demo import generate_collection

    folder = tmp_path_factory.mktemp("collection")
    return generate_collection(
        folder / "c", specimens=10, broken=False, image_size=(300, 430), seed=3
    )


@pytest.fixture
def loaded_workspace(tmp_path: Path, demo_collection) -> Path:
    """A workspace with the demo table loaded and its images linked."""
    import specpub

    ws = tmp_path / "ws"
    specpub.load(ws, demo_collection.table, media=[demo_collection.masters], progress=None)
    return ws
