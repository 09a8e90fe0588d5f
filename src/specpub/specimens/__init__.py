"""Specimen tables: read, map to Darwin Core, flag quality, link media files.

The first stage of every publication: a collection's own table (CSV/TSV from a
collection management system, an Excel sheet, or a Darwin Core Archive from an
IPT) becomes a :class:`Specimens` object with normalised Darwin Core columns
and quality flags, and :func:`link_media` joins it to image files.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> table = folder / "herbarium.csv"
>>> _ = table.write_text("catalogNumber,scientificName\\nBR0001,Quercus robur\\n")
>>> _ = (folder / "BR0001.jpg").write_bytes(b"")
>>> specimens = load_specimens(table, progress=None)
>>> links = link_media(specimens, [folder], progress=None)
>>> links.summary()["specimens_with_files"]
1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use (specpub._lazy): a submodule, a worker process or the command
# line does not pay for the whole package.
_HOMES = {
    "specpub.specimens.flags": ("FLAGS", "Flag"),
    "specpub.specimens.linking": (
        "ColumnRule",
        "MediaLinks",
        "MultimediaRule",
        "PrefixRule",
        "RegexRule",
        "link_media",
    ),
    "specpub.specimens.load": ("load_specimens",),
    "specpub.specimens.model": ("Specimens",),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover - what the lazy names are, for type checkers
    from specpub.specimens.flags import FLAGS, Flag
    from specpub.specimens.linking import (
        ColumnRule,
        MediaLinks,
        MultimediaRule,
        PrefixRule,
        RegexRule,
        link_media,
    )
    from specpub.specimens.load import load_specimens
    from specpub.specimens.model import Specimens

__all__ = [
    "FLAGS",
    "ColumnRule",
    "Flag",
    "MediaLinks",
    "MultimediaRule",
    "PrefixRule",
    "RegexRule",
    "Specimens",
    "link_media",
    "load_specimens",
]
