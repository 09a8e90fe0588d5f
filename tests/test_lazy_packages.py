"""Packages that import their public names on first use (``specpub._lazy``) name each one
three times: where it lives (``_HOMES``), what it is for type checkers (the imports under
``TYPE_CHECKING``) and that it is public (``__all__``). These tests keep the three in step,
and check that every lazy name really is where its package says."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import specpub

SRC = Path(specpub.__file__).resolve().parent


def _lazy_packages() -> list[Path]:
    return sorted(
        p for p in SRC.rglob("__init__.py") if "lazy_names(" in p.read_text(encoding="utf-8")
    )


def _package_name(init: Path) -> str:
    return ".".join(("specpub", *init.parent.relative_to(SRC).parts))


def _parts(init: Path) -> tuple[dict[str, set[str]], dict[str, set[str]], set[str]]:
    """(module → names in ``_HOMES``, module → names imported under ``TYPE_CHECKING``,
    ``__all__``) of a package's ``__init__``, read from its source."""
    tree = ast.parse(init.read_text(encoding="utf-8"))
    homes: dict[str, set[str]] = {}
    typed: dict[str, set[str]] = {}
    public: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name == "_HOMES":
                for key, value in zip(node.value.keys, node.value.values, strict=True):
                    homes[ast.literal_eval(key)] = set(ast.literal_eval(value))
            elif name == "__all__":
                public = set(ast.literal_eval(node.value))
        elif isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for sub in node.body:
                if isinstance(sub, ast.ImportFrom):
                    module = sub.module if not sub.level else _resolve(init, sub)
                    typed.setdefault(module, set()).update(a.asname or a.name for a in sub.names)
    return homes, typed, public


def _resolve(init: Path, node: ast.ImportFrom) -> str:
    package = _package_name(init).split(".")
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


PACKAGES = _lazy_packages()


def test_the_lazy_packages_are_found():
    names = {_package_name(p) for p in PACKAGES}
    assert {"specpub", "specpub.records", "specpub.batch", "specpub.media"} <= names


@pytest.mark.parametrize("init", PACKAGES, ids=_package_name)
def test_homes_type_checking_imports_and_all_agree(init):
    homes, typed, public = _parts(init)
    assert homes, f"{init}: no _HOMES mapping found"
    assert typed == homes, (
        f"{init}: the imports under TYPE_CHECKING differ from _HOMES "
        f"(only in _HOMES: {sorted(set().union(*homes.values()) - set().union(*typed.values()))},"
        f" only imported: {sorted(set().union(*typed.values()) - set().union(*homes.values()))})"
    )
    lazy = set().union(*homes.values())
    assert lazy <= public, f"{init}: lazy names missing from __all__: {sorted(lazy - public)}"


@pytest.mark.parametrize("init", PACKAGES, ids=_package_name)
def test_every_lazy_name_is_where_its_package_says(init):
    package = importlib.import_module(_package_name(init))
    homes, _, public = _parts(init)
    for module, names in homes.items():
        home = importlib.import_module(module)
        for name in names:
            assert getattr(package, name) is getattr(home, name), f"{package.__name__}.{name}"
    for name in public:  # every public name resolves, lazy or not
        assert getattr(package, name) is not None, f"{package.__name__}.{name}"
    assert set(public) <= set(dir(package))
