"""Download media named by URL into the workspace's media cache: resumable, paced, bounded.

Many tables and Darwin Core Archives point at their images by URL
(``associatedMedia``, the multimedia extension's ``identifier``/``accessURI``,
ICEDIG's ``jpegURL``/``tiffURL``). :func:`fetch_media` downloads each of them
once into ``WS/media/cache/`` so that the rest of the pipeline sees local files:

- **bounded**: at most ``concurrency`` downloads at once and ``per_host``
  connections to any one host; ``rate`` caps the requests per second to a host;
- **resilient**: timeouts, connection errors, 429 and 5xx are retried with
  exponential back-off (``Retry-After`` honoured); 4xx are not;
- **resumable**: a download interrupted half-way is continued with an HTTP
  ``Range`` request (``If-Range`` on the ETag); finished files are not fetched
  again; run the same command again after a failure;
- **checksummed in the same read**: MD5 and SHA-256 are computed from the
  bytes as they arrive, and the same bytes (up to the scan's buffer bound) go
  through the scan's analysers, so the files join ``media/manifest.parquet``
  without being read again (a later ``specpub scan`` finds them unchanged);
- **linked**: the workspace's media links get the cached file as the path of
  each URL's link, so ``build_records`` publishes it like any local file;
- every failure is a row of ``media/fetch.csv`` with what happened and what to do.

Examples
--------
>>> from specpub.media.fetch import cache_name
>>> cache_name("https://img.example.org/a/BR0001.tif?x=1", "BR 0001", "image/tiff")
'BR_0001_d43c999f.tif'
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from specpub._display import FrameResult
from specpub._sync import run_sync
from specpub.errors import InputError
from specpub.media._read import DEFAULT_BUFFER_LIMIT, FileRead, Identity
from specpub.progress import make_progress
from specpub.workspace import Workspace, atomic_write_text

__all__ = ["FETCH_COLUMNS", "FetchResult", "cache_name", "fetch_media"]

#: Columns of ``media/fetch.csv`` and :meth:`FetchResult.to_frame`.
FETCH_COLUMNS = [
    "url",
    "_row",
    "catalogNumber",
    "path",
    "key",
    "status",
    "http_status",
    "size",
    "md5",
    "sha256",
    "attempts",
    "error",
    "fix",
]
_MIME_EXT = {
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/tiff": ".tif",
    "image/png": ".png",
    "image/jp2": ".jp2",
    "image/jpx": ".jpx",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/x-adobe-dng": ".dng",
}
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 1 << 20


def cache_name(url: str, catalog: str | None, mime: str | None = None) -> str:
    """The cache file name of a URL: catalogue number, a short URL hash, an extension.

    The hash keeps two images of one specimen apart and makes the name the same on
    every run (resuming finds the partial file again).

    Examples
    --------
    >>> cache_name("https://x.org/web_hent_bilde.php?id=15&type=jpeg", "A 9763")
    'A_9763_635f32f8.jpg'
    """
    digest = hashlib.sha1(url.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    stem = _SAFE.sub("_", str(catalog or "").strip()).strip("._") or "media"
    ext = os.path.splitext(unquote(urlparse(url).path))[1].lower()
    if ext not in {
        ".jpg",
        ".jpeg",
        ".tif",
        ".tiff",
        ".png",
        ".jp2",
        ".jpx",
        ".gif",
        ".webp",
        ".dng",
    }:
        ext = _MIME_EXT.get((mime or "").split(";")[0].strip().lower(), "")
        if not ext and re.search(r"type=jpe?g", url, re.IGNORECASE):
            ext = ".jpg"
    return f"{stem[:80]}_{digest}{ext or '.bin'}"


@dataclass
class _Job:
    url: str
    fetch_url: str
    row: int | None
    catalog: str
    mime: str
    path: Path
    status: str = "pending"
    http_status: int | None = None
    size: int | None = None
    md5: str = ""
    sha256: str = ""
    attempts: int = 0
    error: str = ""
    fix: str = ""
    scan_row: dict[str, Any] | None = None

    def as_row(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "_row": self.row,
            "catalogNumber": self.catalog,
            "path": str(self.path) if self.status in ("fetched", "cached") else "",
            "key": self.path.name,
            "status": self.status,
            "http_status": self.http_status,
            "size": self.size,
            "md5": self.md5,
            "sha256": self.sha256,
            "attempts": self.attempts,
            "error": self.error,
            "fix": self.fix,
        }


@dataclass
class FetchResult(FrameResult):
    """What :func:`fetch_media` did: one row per URL (:data:`FETCH_COLUMNS`).

    ``status`` is ``fetched`` (downloaded now), ``cached`` (already complete from an earlier
    run), or ``failed`` (``error`` and ``fix`` say why and what to do).

    Examples
    --------
    >>> r = FetchResult(pd.DataFrame([{"url": "u", "status": "failed"}]))
    >>> r.summary()["failed"]
    1
    """

    frame: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """A copy of the table."""
        return self.frame.copy()

    def summary(self) -> dict[str, Any]:
        """Counts by status, bytes downloaded, seconds."""
        counts = self.frame["status"].value_counts() if len(self.frame) else {}
        return {
            "urls": len(self.frame),
            "fetched": int(counts.get("fetched", 0)),
            "cached": int(counts.get("cached", 0)),
            "failed": int(counts.get("failed", 0)),
            **self.info,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<FetchResult {s['urls']} URLs: {s['fetched']} fetched, {s['cached']} already "
            f"cached, {s['failed']} failed>"
        )


class _HostGate:
    """Per-host connection bound and request pacing."""

    def __init__(self, per_host: int, rate: float | None) -> None:
        self.per_host = per_host
        self.interval = 1.0 / rate if rate else 0.0
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def slot(self, host: str):
        sem = self._sems.setdefault(host, asyncio.Semaphore(self.per_host))
        async with sem:
            if self.interval:
                async with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next.get(host, 0.0))
                    self._next[host] = start + self.interval
                await asyncio.sleep(max(0.0, start - now))
            yield


def _retry_after(headers: Mapping[str, str], attempt: int, base: float) -> float:
    value = headers.get("retry-after")
    if value and value.strip().isdigit():
        return min(60.0, float(value))
    return min(60.0, base * 2**attempt) * (0.5 + random.random() / 2)


class _Fetcher:
    def __init__(
        self,
        *,
        concurrency: int,
        per_host: int,
        rate: float | None,
        timeout: float,
        retries: int,
        backoff: float,
        max_bytes: int,
        buffer_limit: int,
        analyse: Callable[[str, bytes | None], dict[str, Any] | None],
        on_done: Callable[[_Job], None],
        transport: Any = None,
    ) -> None:
        self.concurrency = concurrency
        self.gate_args = (per_host, rate)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_bytes = max_bytes
        self.buffer_limit = buffer_limit
        self.analyse = analyse
        self.on_done = on_done
        self.transport = transport

    async def run(self, jobs: list[_Job]) -> None:
        import httpx

        gate = _HostGate(*self.gate_args)
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=16)
        queue: asyncio.Queue[_Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(self.timeout, connect=min(self.timeout, 30.0)),
            limits=limits,
            follow_redirects=True,
            transport=self.transport,
            headers={"User-Agent": "specpub-fetch-media"},
        ) as client:

            async def worker() -> None:
                while True:
                    try:
                        job = queue.get_nowait()
                    except asyncio.QueueEmpty:
                        return
                    await self.fetch(client, gate, job)
                    self.on_done(job)

            await asyncio.gather(*(worker() for _ in range(min(self.concurrency, len(jobs)))))

    async def fetch(self, client: Any, gate: _HostGate, job: _Job) -> None:
        import httpx

        host = urlparse(job.fetch_url).netloc
        for attempt in range(self.retries + 1):
            job.attempts = attempt + 1
            try:
                async with gate.slot(host):
                    done = await self._download(client, job)
                if done:
                    return
            except httpx.HTTPStatusError as err:
                status = err.response.status_code
                job.http_status = status
                if status == 429 or status >= 500:
                    job.error = f"the server answered {status}"
                    if attempt < self.retries:
                        await asyncio.sleep(
                            _retry_after(err.response.headers, attempt, self.backoff)
                        )
                    continue
                job.status = "failed"
                job.error = f"the server answered {status} {err.response.reason_phrase}"
                job.fix = (
                    "check the URL in the table (the image may have moved)"
                    if status in (404, 410)
                    else "check that the URL is public and allowed to be downloaded"
                )
                return
            except _TooLarge as err:
                job.status, job.error = "failed", str(err)
                job.fix = "raise --max-size if the file is genuine"
                return
            except (httpx.TransportError, OSError) as err:
                job.error = f"{type(err).__name__}: {err}" if str(err) else type(err).__name__
                if attempt < self.retries:
                    await asyncio.sleep(_retry_after({}, attempt, self.backoff))
        job.status = "failed"
        job.fix = "the server kept failing: run the same command again later to resume"

    async def _download(self, client: Any, job: _Job) -> bool:
        part = job.path.with_name(job.path.name + ".part")
        meta_path = job.path.with_name(job.path.name + ".part.json")
        have = part.stat().st_size if part.exists() else 0
        meta = json.loads(meta_path.read_text()) if have and meta_path.exists() else {}
        headers = {}
        if have and meta.get("etag"):
            headers = {"Range": f"bytes={have}-", "If-Range": meta["etag"]}
        elif have and meta.get("last_modified"):
            headers = {"Range": f"bytes={have}-", "If-Range": meta["last_modified"]}
        md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        keep: bytearray | None = bytearray()
        async with client.stream("GET", job.fetch_url, headers=headers) as response:
            job.http_status = response.status_code
            response.raise_for_status()
            if response.status_code == 206 and have:
                mode = "ab"
                with open(part, "rb") as old:  # the resumed part: hashed once from disk
                    for block in iter(lambda: old.read(_CHUNK), b""):
                        md5.update(block)
                        sha.update(block)
                        if keep is not None and len(keep) + len(block) <= self.buffer_limit:
                            keep += block
                        else:
                            keep = None
                size = have
            else:
                mode, size = "wb", 0
                meta = {
                    "url": job.url,
                    "etag": response.headers.get("etag", ""),
                    "last_modified": response.headers.get("last-modified", ""),
                }
                meta_path.write_text(json.dumps(meta))
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and size + int(declared) > self.max_bytes:
                raise _TooLarge(size + int(declared), self.max_bytes)
            if not job.mime:
                job.mime = response.headers.get("content-type", "")
            with open(part, mode) as out:
                async for chunk in response.aiter_bytes():  # as received (a cut keeps its part)
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _TooLarge(size, self.max_bytes)
                    md5.update(chunk)
                    sha.update(chunk)
                    out.write(chunk)
                    if keep is not None and len(keep) + len(chunk) <= self.buffer_limit:
                        keep += chunk
                    else:
                        keep = None
                out.flush()
                os.fsync(out.fileno())
        if (
            declared
            and declared.isdigit()
            and response.status_code == 200
            and size != int(declared)
        ):
            raise OSError(f"the download ended after {size} of {declared} bytes")
        if size == 0:
            part.unlink(missing_ok=True)
            meta_path.unlink(missing_ok=True)
            job.status, job.error = "failed", "the server sent an empty file"
            job.fix = "check the URL in the table"
            return True
        os.replace(part, job.path)
        meta_path.unlink(missing_ok=True)
        job.status, job.size = "fetched", size
        job.md5, job.sha256 = md5.hexdigest(), sha.hexdigest()
        job.error = ""
        job.scan_row = self.analyse(
            str(job.path), bytes(keep) if keep is not None else None, job.md5, job.sha256
        )
        return True


class _TooLarge(Exception):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"the file is larger than the limit ({size:,} > {limit:,} bytes)")


def _online_links(ws: Workspace, columns: Iterable[str]) -> pd.DataFrame:
    """URL rows: ``url``, ``_row``, ``catalogNumber``, ``mime`` from links and table columns."""
    from specpub.specimens.linking import MediaLinks, _file_urls

    rows: list[tuple[str, int | None, str, str]] = []
    with contextlib.suppress(InputError):
        links = MediaLinks.load(ws).links
        online = links[(links["url"].astype(str) != "") & (links["path"].astype(str) == "")]
        for url, row, cat in zip(
            online["url"], online["_row"], online["catalogNumber"], strict=True
        ):
            rows.append((str(url), int(row), str(cat), ""))
    columns = list(columns)
    if columns:
        from specpub.specimens.model import Specimens

        frame = Specimens.load(ws).frame
        hints = [c for c in frame.columns if "url" in c.lower() or "media" in c.lower()]
        for col in columns:
            if col not in frame.columns:
                raise InputError(
                    f"the table has no column {col!r}",
                    column=col,
                    fix=f"use one of: {', '.join(hints) or 'a column holding image URLs'}",
                )
            for value, row, cat in zip(
                frame[col].astype(str),
                frame["_row"],
                frame.get("catalogNumber", frame["_row"]).astype(str),
                strict=True,
            ):
                for url in _file_urls(value):
                    rows.append((url, int(row), cat, ""))
    out = pd.DataFrame(rows, columns=["url", "_row", "catalogNumber", "mime"])
    return out.drop_duplicates("url", keep="first").reset_index(drop=True)


def _mirror(url: str, mirror: Mapping[str, str]) -> str:
    for prefix, replacement in mirror.items():
        if url.startswith(prefix):
            return replacement + url[len(prefix) :]
    return url


def fetch_media(
    workspace: Workspace | str | os.PathLike[str],
    *,
    columns: Iterable[str] = (),
    concurrency: int = 8,
    per_host: int = 4,
    rate: float | None = None,
    timeout: float = 60.0,
    retries: int = 5,
    backoff: float = 1.0,
    max_bytes: int = 4 << 30,
    mirror: Mapping[str, str] | None = None,
    analysers: Iterable[str] = ("facts",),
    buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    progress: Any = "auto",
    transport: Any = None,
) -> FetchResult:
    """Download the workspace's media named by URL into ``media/cache/`` (see the module doc).

    Parameters
    ----------
    workspace
        A workspace with loaded specimens (and media links with URLs, e.g. from a Darwin
        Core Archive's multimedia extension).
    columns
        Table columns that hold image URLs (``associatedMedia``, ``jpegURL`` …), several
        per cell separated by ``|``, ``;`` or ``,``; each URL is linked to its row.
    concurrency, per_host
        Downloads at once, and connections to one host.
    rate
        Requests per second to one host (``None``: no pacing beyond ``per_host``).
    timeout, retries, backoff
        Per-request timeout (s), retries of transient failures, first back-off (s).
    max_bytes
        Refuse larger files (a hostile or mistaken URL cannot fill the disk).
    mirror
        URL prefix → replacement (fetch from a local mirror of a public image server).
    analysers
        Run these scan analysers on the downloaded bytes (``()``: fixity only).
    buffer_limit
        Downloads up to this size are analysed from memory; larger ones by the next scan.
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object.
    transport
        An ``httpx.AsyncBaseTransport`` (tests and proxies).

    Returns
    -------
    FetchResult

    Raises
    ------
    InputError
        The workspace has no specimens, a column does not exist, a URL is not http(s).
    """
    from specpub.media._scan import MEDIA_CACHE

    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    cache = ws.root.joinpath(*MEDIA_CACHE)
    cache.mkdir(parents=True, exist_ok=True)
    wanted = _online_links(ws, columns)
    previous = _previous(ws)
    jobs: list[_Job] = []
    results: list[_Job] = []
    for url, row, cat, mime in wanted.itertuples(index=False):
        scheme = urlparse(url).scheme.lower()
        path = cache / cache_name(url, cat, mime)
        job = _Job(url, _mirror(url, mirror or {}), row, cat, mime, path)
        if scheme not in ("http", "https"):
            job.status, job.error = "failed", f"not an http(s) URL: {url[:200]!r}"
            job.fix = "correct the URL in the table (only http and https are fetched)"
            results.append(job)
            continue
        prev = previous.get(url)
        if path.is_file() and prev is not None and prev.get("size") == path.stat().st_size:
            job.status, job.size = "cached", prev["size"]
            job.md5, job.sha256 = prev.get("md5", ""), prev.get("sha256", "")
            job.http_status, job.attempts = prev.get("http_status"), 0
            results.append(job)
            continue
        jobs.append(job)

    bar = make_progress(progress, total=len(jobs), description="fetch media", unit="file")
    started = time.monotonic()
    scanned: list[dict[str, Any]] = []
    stats = {"bytes": 0}
    config = _scan_config(analysers, buffer_limit)

    def analyse(path: str, data: bytes | None, md5: str, sha256: str) -> dict[str, Any] | None:
        if data is None or config is None:
            return None
        return _analyse_memory(path, data, config)

    def on_done(job: _Job) -> None:
        results.append(job)
        if job.scan_row is not None:
            scanned.append(job.scan_row)
        stats["bytes"] += job.size or 0
        elapsed = max(time.monotonic() - started, 1e-9)
        bar.set_status(f"{stats['bytes'] / 1e6:,.1f} MB, {stats['bytes'] / 1e6 / elapsed:.1f} MB/s")
        bar.update(1)

    fetcher = _Fetcher(
        concurrency=max(1, concurrency),
        per_host=max(1, per_host),
        rate=rate,
        timeout=timeout,
        retries=max(0, retries),
        backoff=backoff,
        max_bytes=max_bytes,
        buffer_limit=buffer_limit,
        analyse=analyse,
        on_done=on_done,
        transport=transport,
    )
    try:
        if jobs:
            run_sync(lambda: fetcher.run(jobs))
    finally:
        bar.close()
        result = _save(ws, results, scanned, time.monotonic() - started, stats["bytes"], wanted)
    return result


def _scan_config(analysers: Iterable[str], buffer_limit: int) -> Any:
    from specpub.media._worker import ScanConfig
    from specpub.media.analysers import get_analyser

    names = list(analysers)
    if not names:
        return None
    names = ["facts", *[n for n in names if n != "facts"]]
    return ScanConfig(tuple((n, get_analyser(n).spec) for n in names), buffer_limit)


def _analyse_memory(path: str, data: bytes, config: Any) -> dict[str, Any]:
    """The scan's row for a file whose bytes are in memory (just downloaded)."""
    from specpub.media._worker import analyse_read

    st = os.stat(path)
    fr = FileRead.from_memory(path, data, Identity.of(st))
    return analyse_read(fr, config)


def _previous(ws: Workspace) -> dict[str, dict[str, Any]]:
    path = ws.root / "media" / "fetch.csv"
    if not path.is_file() or path.stat().st_size == 0:
        return {}
    frame = pd.read_csv(path, dtype={"md5": str, "sha256": str}, keep_default_na=False)
    out = {}
    for rec in frame.to_dict("records"):
        if rec.get("status") in ("fetched", "cached") and str(rec.get("size", "")).strip():
            rec["size"] = int(float(rec["size"]))
            out[rec["url"]] = rec
    return out


def _save(
    ws: Workspace,
    jobs: list[_Job],
    scanned: list[dict[str, Any]],
    seconds: float,
    nbytes: int,
    wanted: pd.DataFrame,
) -> FetchResult:
    from specpub.media._scan import merge_rows

    frame = pd.DataFrame([j.as_row() for j in jobs], columns=FETCH_COLUMNS)
    for col in ("_row", "http_status", "size", "attempts"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    frame = frame.sort_values("url", kind="stable").reset_index(drop=True)
    atomic_write_text(ws.root / "media" / "fetch.csv", frame.to_csv(index=False))
    local = {j.url: str(j.path) for j in jobs if j.status in ("fetched", "cached")}
    _relink(ws, local, wanted)
    if scanned:
        merge_rows(ws, scanned)
    info = {"seconds": round(seconds, 3), "bytes_downloaded": nbytes}
    result = FetchResult(frame, info)
    ws.write_json("media", "fetch_summary.json", result.summary())
    return result


def _relink(ws: Workspace, local: Mapping[str, str], wanted: pd.DataFrame) -> None:
    """Point the links of fetched URLs at the cached files (links are created for URLs
    that came from table columns)."""
    from specpub.specimens.linking import MediaLinks, link_media
    from specpub.specimens.model import Specimens

    if not local:
        return
    if (ws.root / "specimens" / "links_summary.json").is_file():
        links = MediaLinks.load(ws)
    else:
        links = link_media(Specimens.load(ws), [], progress=None)
    links.with_local_files(local, new=wanted).save(ws)
