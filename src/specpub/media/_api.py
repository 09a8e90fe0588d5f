"""The media stage's public verbs: ``specpub.scan``, ``specpub.fetch_media``, ``specpub.inspect``.

Workspace first, like every stage (see ``docs/api.md``); synchronous, and safe
inside a running event loop (a Jupyter cell): the scan runs on worker
processes, the downloads on a private event loop in a helper thread.

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.media._embedded import _demo_jpeg
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "BR1.jpg").write_bytes(_demo_jpeg())
>>> scan(folder / "ws", [folder], workers=0, progress=None).summary()["formats"]
{'jpeg': 1}
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from specpub.media._inspect import inspect as _inspect
from specpub.media._scan import scan as _scan
from specpub.media.fetch import FetchResult
from specpub.media.fetch import fetch_media as _fetch
from specpub.media.manifest import MediaManifest
from specpub.progress import ProgressSpec
from specpub.workspace import Workspace

__all__ = ["DaskClient", "fetch_media", "inspect", "scan"]

WorkspaceLike = Workspace | str | os.PathLike[str]


@runtime_checkable
class DaskClient(Protocol):
    """What the scan uses of a ``dask.distributed.Client``."""

    def get_executor(self) -> cf.Executor:  # pragma: no cover - protocol
        """A ``concurrent.futures`` executor over the cluster."""

    def scheduler_info(self) -> dict[str, object]:  # pragma: no cover - protocol
        """The scheduler's view of the cluster (its workers)."""


def scan(
    workspace: WorkspaceLike,
    folders: Sequence[str | os.PathLike[str]] = (),
    *,
    analysers: Sequence[str] = ("facts",),
    workers: int | None = None,
    executor: cf.Executor | None = None,
    client: DaskClient | None = None,
    scheduler: str | None = None,
    incremental: bool = True,
    progress: ProgressSpec = "auto",
    fixity: bool = True,
    file_timeout: float | None = 120.0,
) -> MediaManifest:
    """Read every media file once: fixity, format, technical facts, embedded metadata.

    Scans the folders linked by :func:`specpub.load`/:func:`specpub.link` (and the media
    cache of :func:`fetch_media`) or the ``folders`` given; a re-scan reads only new and
    changed files. Saved in ``WS/media/`` (``manifest.parquet`` …); :func:`specpub.build_records`
    then takes each file's fixity from it instead of reading the file again.

    Parameters
    ----------
    workspace
        The workspace (created if the folder holds none yet).
    folders
        Folders or files to scan instead of the linked ones.
    analysers
        Registered analysers to run (``facts`` always runs first; e.g. ``"structure"``);
        ``()`` for fixity and identification only.
    workers
        Worker processes (default: one per core); ``0``: in this process (no
        per-file timeout there).
    executor, client, scheduler
        Run on any ``concurrent.futures.Executor``, a ``dask.distributed.Client``, or the
        Dask scheduler at ``tcp://HOST:PORT``.
    incremental
        Re-use the rows of unchanged files (size, mtime, inode).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    fixity
        ``False``: metadata only, no MD5/SHA-256 (a quick look; the next scan with
        fixity reads those files again).
    file_timeout
        Seconds (plus one per 4 MiB) before a file that hangs a reader is abandoned as a
        ``timeout`` row; ``None``: no limit.

    Returns
    -------
    MediaManifest
        ``.to_frame()`` (one row per file), ``.summary()``, ``.findings()``,
        ``.duplicates()``, ``.removed``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "empty.tif").write_bytes(b"")
    >>> scan(folder / "ws", [folder], workers=0, progress=None).summary()["errors_by_code"]
    {'empty': 1}
    """
    return _scan(
        folders,
        workspace=workspace,
        analysers=analysers,
        workers=workers,
        executor=executor,
        client=client,
        scheduler=scheduler,
        incremental=incremental,
        progress=progress,
        fixity=fixity,
        file_timeout=file_timeout,
    )


def fetch_media(
    workspace: WorkspaceLike,
    *,
    columns: Iterable[str] = (),
    concurrency: int = 8,
    per_host: int = 4,
    rate: float | None = None,
    retries: int = 5,
    mirror: Mapping[str, str] | None = None,
    progress: ProgressSpec = "auto",
) -> FetchResult:
    """Download the media that the table names by URL into ``WS/media/cache/``.

    Resumable (run it again after a failure), bounded per host, paced, retried;
    each download is checksummed and scanned as its bytes arrive, and the media links
    then point at the cached files. See :mod:`specpub.media.fetch` for every option.

    Parameters
    ----------
    workspace
        A workspace with loaded specimens.
    columns
        Table columns of image URLs (``associatedMedia``, ``jpegURL`` …), besides the URLs
        a Darwin Core Archive's multimedia extension linked.
    concurrency, per_host, rate, retries
        Downloads at once; connections per host; requests per second per host; retries.
    mirror
        URL prefix → replacement (a local mirror of the image server).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.

    Returns
    -------
    FetchResult
        One row per URL: ``status`` (fetched, cached, failed), ``path``, ``md5``, ``error``…

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "t.csv").write_text("catalogNumber,associatedMedia\\nA1,\\n")
    >>> import specpub
    >>> _ = specpub.load(folder / "ws", folder / "t.csv", progress=None)
    >>> fetch_media(folder / "ws", columns=["associatedMedia"], progress=None).summary()["urls"]
    0
    """
    return _fetch(
        workspace,
        columns=columns,
        concurrency=concurrency,
        per_host=per_host,
        rate=rate,
        retries=retries,
        mirror=mirror,
        progress=progress,
    )


def inspect(
    paths: Iterable[str | os.PathLike[str]], *, analysers: Sequence[str] = ("facts",)
) -> list[dict[str, object]]:
    """Every manifest field of a few files, without a workspace (one dict per file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"; _ = p.write_bytes(b"GIF89a" + bytes(8))
    >>> row = inspect([p])[0]
    >>> row["format"], row["extension_ok"]
    ('gif', False)
    """
    return _inspect(paths, analysers=analysers)
