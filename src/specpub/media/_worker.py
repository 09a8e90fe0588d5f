"""What runs in a worker process (or on a Dask worker): scan a chunk of files.

Imported by name in every worker; it imports only what reading needs (no pandas).
Every file becomes one row: a failure of any kind is the row's ``error`` (or an
analyser's finding), never an exception out of :func:`scan_chunk`.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "empty.tif"; _ = p.write_bytes(b"")
>>> row = scan_chunk([str(p)], ScanConfig())[0]
>>> row["error_code"], row["error"]
('empty', 'the file is empty (0 bytes): export it again')
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

from specpub.media._read import DEFAULT_BUFFER_LIMIT, ReadError, read_file

__all__ = ["ScanConfig", "analyse_read", "scan_chunk", "scan_one"]


@dataclass(frozen=True)
class ScanConfig:
    """What every worker needs to know: analysers (name → import path) and the buffer bound.

    Examples
    --------
    >>> ScanConfig().analysers
    (('facts', 'specpub.media._facts:facts'),)
    """

    analysers: tuple[tuple[str, str], ...] = (("facts", "specpub.media._facts:facts"),)
    buffer_limit: int = DEFAULT_BUFFER_LIMIT


_FUNCS: dict[str, Any] = {}


def _function(name: str, spec: str) -> Any:
    func = _FUNCS.get(spec)
    if func is None:
        from specpub.media.analysers import ANALYSERS, Analyser

        reg = ANALYSERS.get(name)
        func = (
            reg.function if reg is not None and reg.spec == spec else Analyser(name, spec).function
        )
        _FUNCS[spec] = func
    return func


def _base_row(path: str) -> dict[str, Any]:
    return {
        "path": path,
        "key": os.path.basename(path),
        "error": "",
        "error_code": "",
        "findings": [],
        "nested": {},
        "bytes_reread": 0,
    }


def scan_one(path: str, config: ScanConfig) -> dict[str, Any]:
    """Scan one file: a row dict (see :data:`specpub.media.manifest.MANIFEST_COLUMNS`)."""
    row = _base_row(path)
    row["scanned_at"] = time.time()
    try:
        fr = read_file(path, buffer_limit=config.buffer_limit)
    except ReadError as err:
        row["error"] = str(err)
        row["error_code"] = err.code
        try:
            st = os.stat(path)
            row.update(size=st.st_size, mtime_ns=st.st_mtime_ns, inode=st.st_ino)
        except OSError:
            pass
        return row
    with fr:
        row.update(analyse_read(fr, config))
    return row


def analyse_read(fr: Any, config: ScanConfig) -> dict[str, Any]:
    """The row of a file already read (:class:`~specpub.media._read.FileRead`): fixity,
    identification and every analyser of ``config``."""
    from specpub.media.analysers import ScanItem, normalise_result
    from specpub.preservation.identify import identify

    path = fr.path
    row = _base_row(path)
    row["scanned_at"] = time.time()
    row.update(size=fr.size, mtime_ns=fr.mtime_ns, inode=fr.inode, md5=fr.md5, sha256=fr.sha256)
    ident = identify(fr.data if fr.data is not None else fr.head, name=path, size=fr.size)
    row.update(
        format=ident.format,
        format_version=ident.version,
        puid=ident.puid,
        mime=ident.mime,
        extension_ok=ident.extension_ok,
    )
    if not config.analysers:  # fixity only: identification findings still count
        row["findings"] = [{**f.as_dict(), "analyser": "identify"} for f in ident.findings]
    item = ScanItem(path, fr.size, ident, fr, {})
    ran = []
    for name, spec in config.analysers:
        try:
            result = normalise_result(_function(name, spec)(item))
        except Exception as err:  # an analyser must not stop the scan
            row["findings"].append(
                {
                    "id": "MEDIA-ANALYSER",
                    "severity": "fail",
                    "message": f"the {name!r} analyser failed on this file: "
                    f"{type(err).__name__}: {err}"[:500],
                    "evidence": traceback.format_exc(limit=-2)[-400:],
                    "analyser": name,
                }
            )
            continue
        ran.append(name)
        item.columns.update(result.columns)
        row.update(result.columns)
        for finding in result.findings:
            row["findings"].append({**finding, "analyser": name})
        if result.nested:
            row["nested"][name] = result.nested
    row["analysers"] = ",".join(ran)
    row["bytes_reread"] = fr.bytes_reread
    return row


def scan_chunk(paths: list[str], config: ScanConfig) -> list[dict[str, Any]]:
    """Scan a chunk of files (one task); never raises for a bad file."""
    rows = []
    for path in paths:
        try:
            rows.append(scan_one(path, config))
        except Exception as err:  # a bug, not a bad file: still one row, still no abort
            row = _base_row(path)
            row["error"] = f"internal error while scanning: {type(err).__name__}: {err}"[:500]
            row["error_code"] = "internal"
            rows.append(row)
    return rows
