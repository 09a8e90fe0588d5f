"""The media scan: every image read once for its fixity, format, facts and metadata.

:func:`scan` reads each file of a collection once — MD5 and SHA-256 from that
read, and the same bytes handed to the format readers (tifffile for TIFF, a
marker walk for JPEG, chunk and box walkers for PNG and JPEG 2000), to exiv2 for
Exif/XMP/IPTC, and to any analyser registered by name (the preservation
validators plug in here, see :mod:`specpub.media.analysers`). It runs on a
process pool (every core), any :class:`concurrent.futures.Executor`, or a Dask
cluster; a re-scan reads only new and changed files. The result is a
:class:`MediaManifest`, saved in the workspace's ``media/`` folder.

:func:`inspect` does the same for a few files, in this process, and returns
one JSON-ready dict per file (``specpub inspect FILE --json``).

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.media._embedded import _demo_jpeg
>>> p = pathlib.Path(tempfile.mkdtemp()) / "BR1.jpg"
>>> _ = p.write_bytes(_demo_jpeg())
>>> info = inspect([p])[0]
>>> info["format"], info["width"], info["md5"] == scan([p], workers=0, progress=None).to_frame()[
...     "md5"][0]
('jpeg', 8, True)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specpub._lazy import lazy_names

# Imported on first use: a worker process imports ``specpub.media._worker`` and must not
# pay for pandas (about 0.4 s per worker) through this package's ``__init__``.
_HOMES = {
    "specpub.media._inspect": ("inspect",),
    "specpub.media._scan": ("scan",),
    "specpub.media.analysers": (
        "ANALYSERS",
        "AnalyserResult",
        "ScanItem",
        "get_analyser",
        "register_analyser",
    ),
    "specpub.media.manifest": ("MANIFEST_COLUMNS", "MediaManifest"),
}
__getattr__, __dir__ = lazy_names(__name__, _HOMES)

if TYPE_CHECKING:  # pragma: no cover
    from specpub.media._inspect import inspect
    from specpub.media._scan import scan
    from specpub.media.analysers import (
        ANALYSERS,
        AnalyserResult,
        ScanItem,
        get_analyser,
        register_analyser,
    )
    from specpub.media.manifest import MANIFEST_COLUMNS, MediaManifest


__all__ = [
    "ANALYSERS",
    "MANIFEST_COLUMNS",
    "AnalyserResult",
    "MediaManifest",
    "ScanItem",
    "get_analyser",
    "inspect",
    "register_analyser",
    "scan",
]
