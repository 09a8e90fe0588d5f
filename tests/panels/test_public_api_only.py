"""The panels are views over the public specpub API: no reach into its subpackages.

Every ``specpub`` name a panel uses, imported or as an attribute, must be in
``specpub.__all__`` (or ``specpub.notebook.__all__``, the notebook helpers the
panels share with ``specpub run``); see ``outside_public_api`` in
``tests/conftest.py``. The notebooks are held to the same rule in
``tests/notebook_runs/test_notebooks.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"
#: What the panels may import: the public API and the notebook helpers.
ALLOWED = {"specpub", "specpub.notebook"}


@pytest.mark.parametrize("path", sorted(WIDGETS.glob("*.py")), ids=lambda p: p.name)
def test_the_panels_use_only_the_public_api(path: Path, outside_public_api) -> None:
    assert outside_public_api(path.read_text(encoding="utf-8"), ALLOWED) == []


@pytest.mark.parametrize(
    ("code", "reached"),
    [
        ("from specpub.specimens.terms import TERMS", ["from specpub.specimens.terms import ..."]),
        ("def f():\n    import specpub.specimens.terms", ["import specpub.specimens.terms"]),
        ("import specpub\nx = specpub.specimens.terms.TERMS", ["specpub.specimens"]),
        ("from specpub import specimens", ["from specpub import specimens"]),
        ("import specpub as sp\nsp.batch.runner.run_batch()", ["sp.batch"]),
        ("from specpub.notebook import _secret", ["from specpub.notebook import _secret"]),
        ("import specpub\nspecpub.notebook.check_env_name('a', 'B')", []),
        ("import specpub\nspecpub.whoami('zenodo').require()\nspecpub.terms()", []),
    ],
)
def test_the_check_catches_reaching_past_the_api(code, reached, outside_public_api) -> None:
    assert outside_public_api(code, ALLOWED) == reached
