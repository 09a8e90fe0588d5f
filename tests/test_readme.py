"""The README refers only to files in the repository, and tells the target story.

Issue 8: the README pointed to a ``docs/architecture.md`` that was not in the
repository, and never mentioned ``--url``.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")

#: Folders the README names that ``make demo`` creates (git-ignored).
GENERATED = {"notebooks/specpub-demo/"}
_TOP = r"(?:docs|notebooks|benchmarks|binder|src|tests|widgets|\.ci)/"


def _referenced() -> set[str]:
    links = re.findall(r"\]\(([^)#\s]+)\)", README)
    ticked = re.findall(rf"`({_TOP}[^`\s]*)`", README)
    return {p for p in links + ticked if not re.match(r"[a-z]+:", p)}


def test_every_file_the_readme_names_exists():
    refs = _referenced()
    assert "docs/architecture.md" in refs  # the walk sees links
    missing = [p for p in sorted(refs - GENERATED) if not any(ROOT.glob(p.rstrip("/")))]
    assert not missing, f"README.md names files that are not in the repository: {missing}"


def test_generated_folders_are_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8")
    for path in GENERATED:
        assert path.split("/", 1)[1] in ignored


def test_the_readme_shows_the_target_options():
    assert "--url" in README
    assert "specpub sandbox serve --data" in README
    assert "--to embedded" in README
