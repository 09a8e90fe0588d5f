"""Realistic demo collections: a Darwin Core table plus herbarium-sheet images.

Used by ``make demo``, the notebooks, Binder, workshops and specpub's own tests.
See :func:`generate_collection`.

Examples
--------
>>> from specpub.demo import DEFECT_KINDS, BROKEN_KINDS
>>> "eventDate_interval" in DEFECT_KINDS and "truncated_tiff" in BROKEN_KINDS
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.demo.collection": (
        "BROKEN_KINDS",
        "COLUMNS",
        "DEFECT_KINDS",
        "BrokenFile",
        "DemoCollection",
        "DemoFile",
        "generate_collection",
        "normalise_catalogue_number",
    ),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.demo.collection import (
        BROKEN_KINDS,
        COLUMNS,
        DEFECT_KINDS,
        BrokenFile,
        DemoCollection,
        DemoFile,
        generate_collection,
        normalise_catalogue_number,
    )

__all__ = [
    "BROKEN_KINDS",
    "COLUMNS",
    "DEFECT_KINDS",
    "BrokenFile",
    "DemoCollection",
    "DemoFile",
    "generate_collection",
    "normalise_catalogue_number",
]
