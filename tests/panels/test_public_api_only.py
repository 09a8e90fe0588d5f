"""The panels are views over the public specpub API: no reach into its subpackages."""

from __future__ import annotations

import re
from pathlib import Path

WIDGETS = Path(__file__).resolve().parents[2] / "widgets"
#: What the panels may import beside ``specpub`` itself. The Darwin Core term list of the
#: mapping editor is not in the top-level API yet (``specpub.specimens.terms``).
ALLOWED = {"specpub", "specpub.notebook", "specpub.specimens.terms"}


def test_the_panels_import_only_the_public_api() -> None:
    for path in sorted(WIDGETS.glob("*.py")):
        code = path.read_text()
        imported = set(re.findall(r"^\s*(?:from|import)\s+(specpub(?:\.\w+)*)\b", code, re.M))
        assert imported <= ALLOWED, (path.name, imported - ALLOWED)
        reached = re.findall(r"\bspecpub\.(?!notebook\b)[a-z_]+\.[A-Za-z_]\w*\(", code)
        assert not reached, (path.name, reached)
