"""Realistic demo collections: a Darwin Core table plus herbarium-sheet images.

Used by ``make demo``, the notebooks, Binder, workshops and specpub's own tests.
See :func:`generate_collection`.

Examples
--------
>>> from specpub.demo import DEFECT_KINDS, BROKEN_KINDS
>>> "eventDate_interval" in DEFECT_KINDS and "truncated_tiff" in BROKEN_KINDS
True
"""

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
