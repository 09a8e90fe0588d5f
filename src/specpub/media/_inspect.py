"""Inspect a few files without a workspace: every manifest field, as JSON-ready dicts.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.tif"; _ = p.write_bytes(b"")
>>> inspect([p])[0]["error_code"]
'empty'
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

from specpub.media._read import DEFAULT_BUFFER_LIMIT
from specpub.media._worker import ScanConfig, scan_one
from specpub.media.analysers import get_analyser

__all__ = ["inspect"]


def _plain(value: Any) -> Any:
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def inspect(
    paths: Iterable[str | os.PathLike[str]],
    *,
    analysers: Sequence[str] = ("facts",),
    buffer_limit: int = DEFAULT_BUFFER_LIMIT,
) -> list[dict[str, Any]]:
    """One dict per file: the manifest's fields (``findings`` as a list, and ``metadata``:
    every Exif/XMP/IPTC tag read), in this process.

    Parameters
    ----------
    paths
        Files to read (each once).
    analysers
        Registered analysers to run after ``facts``.
    buffer_limit
        See :func:`specpub.media.scan`.

    Examples
    --------
    >>> inspect([])
    []
    """
    names = ["facts", *[a for a in analysers if a != "facts"]] if analysers else []
    config = ScanConfig(tuple((n, get_analyser(n).spec) for n in names), buffer_limit)
    out = []
    for path in paths:
        row = scan_one(os.path.abspath(os.fspath(path)), config)
        nested = row.pop("nested", {})
        row["metadata"] = nested.get("facts", {})
        if len(nested) > 1:
            row["analyser_data"] = {k: v for k, v in nested.items() if k != "facts"}
        if row.get("mtime_ns") is not None:
            row["mtime"] = row["mtime_ns"] / 1e9
        out.append({k: _plain(v) for k, v in row.items()})
    return out
