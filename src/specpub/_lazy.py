"""Packages whose public names are imported on first use (PEP 562).

A package's ``__init__`` that imports every module it re-exports makes each
of its submodules cost the whole package: ``specpub publish --help`` would pay
for pandas, httpx and Pillow before printing a line, and a media-scan worker
process would pay for the report's pandas. With :func:`lazy_names` a package
names where each public name lives; the module is imported the first time the
name is used (``specpub.batch.Ledger``, ``from specpub.batch import Ledger``)
and the name is then kept in the package like any other.

Examples
--------
>>> getattr_, dir_ = lazy_names("json", {"json.decoder": ("JSONDecodeError",)})
>>> getattr_("JSONDecodeError").__name__
'JSONDecodeError'
>>> "JSONDecodeError" in dir_()
True
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(
    package: str, homes: Mapping[str, Iterable[str]]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module ``__getattr__`` and ``__dir__`` for ``package`` (``{module: names}``).

    Use as ``__getattr__, __dir__ = lazy_names(__name__, {...})`` in the
    package's ``__init__``, with the same imports under ``TYPE_CHECKING`` for
    type checkers and the names in ``__all__``.

    Examples
    --------
    >>> getattr_, _ = lazy_names("json", {})
    >>> getattr_("nothing")
    Traceback (most recent call last):
    ...
    AttributeError: module 'json' has no attribute 'nothing'
    """
    home_of = {name: module for module, names in homes.items() for name in names}
    # A public name spelt like the module it lives in (specpub.preservation.profiles, the
    # function of preservation/profiles.py): importing that module binds the module on the
    # package under the same name, so the name must win there, as an eager import made it.
    shadowed = {name for name, module in home_of.items() if module == f"{package}.{name}"}
    if shadowed:
        _keep_names_over_submodules(sys.modules[package], shadowed)

    def __getattr__(name: str) -> Any:
        home = home_of.get(name)
        if home is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(home), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *home_of})

    return __getattr__, __dir__


def _keep_names_over_submodules(module: ModuleType, names: set[str]) -> None:
    """Make ``module`` keep its public ``names`` when a submodule of the same name is
    imported (the import system binds the submodule on its package)."""

    class _Package(type(module)):  # type: ignore[misc]
        def __setattr__(self, name: str, value: Any) -> None:
            if (
                name in names
                and isinstance(value, ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"
                and hasattr(value, name)
            ):
                value = getattr(value, name)
            super().__setattr__(name, value)

    module.__class__ = _Package
