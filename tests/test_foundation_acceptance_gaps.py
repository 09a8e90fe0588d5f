"""Foundation items of the issues that no other test pinned down.

See ``/work/notes/acceptance-audit.md``: each test here closes one GAP row.
"""

from __future__ import annotations

import ast
import io
import tomllib
from pathlib import Path

from specpub.progress import make_progress

ROOT = Path(__file__).resolve().parents[1]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_auto_progress_is_a_tqdm_bar_in_a_terminal():
    # Issue 3: "tqdm in a terminal, plain lines under papermill".
    out = _Terminal()
    bar = make_progress("auto", total=4, description="upload", stream=out, interval=0)
    bar.update(4)
    bar.close()
    text = out.getvalue()
    assert "\r" in text  # a redrawn bar, not the text backend's lines
    assert "upload" in text
    assert "4/4" in text


def test_core_never_imports_the_notebook_layers():
    # Architecture: "specpub (src) never imports ipywidgets or IPython" (nor specpub_widgets).
    banned = {"ipywidgets", "IPython", "specpub_widgets"}
    offenders = []
    for path in sorted((ROOT / "src" / "specpub").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in banned]
    assert offenders == []


def test_project_files_promised_by_the_foundation_issue():
    # Issue 2 §1: README opens with the two commands, .ci/run calls `make test`,
    # MIT licence, console script, Python >= 3.11, the widgets folder is a package.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = readme.split("```", 2)[1]
    assert "make demo" in first_block
    assert "make test" in first_block
    assert readme.index("make demo") < readme.index("\n## ")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert any(line.strip() == "make test" for line in ci.splitlines())
    assert (ROOT / ".ci" / "run").stat().st_mode & 0o111
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "\ndemo:" in makefile
    assert "\ntest:" in makefile
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["scripts"]["specpub"].startswith("specpub.")
    assert meta["project"]["requires-python"] == ">=3.11"
    assert meta["tool"]["setuptools"]["package-dir"]["specpub_widgets"] == "widgets"
    assert (ROOT / ".pre-commit-config.yaml").is_file()
    for folder in ("widgets", "notebooks", "binder", "benchmarks"):
        assert (ROOT / folder).is_dir(), folder
