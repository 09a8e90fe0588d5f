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

import contextlib
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from specpub.media._read import DEFAULT_BUFFER_LIMIT, ReadError, read_file

__all__ = ["ScanConfig", "ScanTimeout", "allowance", "analyse_read", "scan_chunk", "scan_one"]

#: Seconds a file may take on top of its size's share (see :func:`allowance`).
DEFAULT_FILE_TIMEOUT = 120.0
#: The slowest read still considered alive: bytes per second (4 MiB/s).
_SLOWEST_READ = 4 << 20


def allowance(size: int, file_timeout: float | None = DEFAULT_FILE_TIMEOUT) -> float:
    """Seconds a file of ``size`` bytes may take before it counts as hung: ``file_timeout``
    plus one second per 4 MiB (a 4 GB master on a slow share still finishes); ``inf`` when
    timeouts are off (``file_timeout`` ``None`` or ``<= 0``).

    Examples
    --------
    >>> allowance(0), allowance(40 << 20, 10)
    (120.0, 20.0)
    >>> allowance(1, None)
    inf
    """
    if file_timeout is None or file_timeout <= 0:
        return float("inf")
    return float(file_timeout) + max(0, int(size)) / _SLOWEST_READ


class ScanTimeout(BaseException):
    """Raised in a worker when one file takes longer than its :func:`allowance` (a
    ``BaseException``: the ``except Exception`` that keeps a failing analyser from stopping
    the scan must not swallow it)."""


#: Set by the scan's pool initializer: per-file alarms are used only in its worker processes
#: (never in a user's process or a Dask worker thread, whose signals are not ours).
IN_POOL_WORKER = False


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    """Raise :class:`ScanTimeout` in this (main) thread after ``seconds`` (SIGALRM); a no-op
    outside the scan's pool workers, for ``inf``, or where there is no ``setitimer``."""
    usable = (
        IN_POOL_WORKER
        and seconds != float("inf")
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    if not usable:
        yield
        return

    def _alarm(signum: int, frame: Any) -> None:
        raise ScanTimeout(seconds)

    old = signal.signal(signal.SIGALRM, _alarm)
    started = time.monotonic()
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
        if old_delay > 0:  # someone else's alarm was set: it goes on where it was
            left = max(1e-3, old_delay - (time.monotonic() - started))
            signal.setitimer(signal.ITIMER_REAL, left, old_interval)


def timeout_row(path: str, seconds: float) -> dict[str, Any]:
    """The row of a file whose read or analysis did not finish within ``seconds``.

    Examples
    --------
    >>> timeout_row("/a/b.tif", 130.0)["error_code"]
    'timeout'
    """
    row = _base_row(path)
    row["error"] = (
        f"reading or analysing this file did not finish within {seconds:.0f} s and was "
        "abandoned (a stalled network share, or a file that makes a reader loop); check "
        "the file or its storage, or raise the limit (--file-timeout)"
    )
    row["error_code"] = "timeout"
    return row


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
    file_timeout: float | None = DEFAULT_FILE_TIMEOUT
    fixity: bool = True


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
        fr = read_file(path, buffer_limit=config.buffer_limit, fixity=config.fixity)
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
    """Scan a chunk of files (one task); never raises for a bad file. In the scan's pool
    workers a file that takes longer than its :func:`allowance` becomes a ``timeout`` row
    and the chunk goes on with the next file."""
    rows = []
    for path in paths:
        try:
            size = os.stat(path).st_size
        except OSError:
            size = 0
        limit = allowance(size, config.file_timeout)
        try:
            with _deadline(limit):
                row = scan_one(path, config)
            rows.append(row)
        except ScanTimeout:
            rows.append(timeout_row(path, limit))
        except Exception as err:  # a bug, not a bad file: still one row, still no abort
            row = _base_row(path)
            row["error"] = f"internal error while scanning: {type(err).__name__}: {err}"[:500]
            row["error_code"] = "internal"
            rows.append(row)
    return rows
