"""Stream a file from disk while computing its MD5, and check it was not changed.

Examples
--------
>>> import asyncio, hashlib, os, tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = os.path.join(tmp, "a.bin")
...     with open(path, "wb") as f:
...         _ = f.write(b"hello")
...     src = FileSource(path, key="a.bin", size=5)
...     async def drain():
...         return b"".join([chunk async for chunk in src.stream()])
...     data = asyncio.run(drain())
>>> data, src.md5 == hashlib.md5(b"hello").hexdigest()
(b'hello', True)
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread

from specpub.errors import InputError

CHUNK_SIZE = 1024 * 1024
_RESCAN = "the file changed since it was scanned; rescan the media folder and try again"


def _changed(path: Path, what: str) -> InputError:
    return InputError(f"{what}: the file changed since it was scanned", file=str(path), fix=_RESCAN)


class FileSource:
    """One upload of one file: size checked before sending, MD5 while sending.

    Parameters
    ----------
    path
        The file on disk.
    key
        The file name in the record (for messages).
    md5, size
        What the media scan recorded, if known. A different size raises
        :class:`~specpub.errors.InputError` before anything is sent; a
        different MD5 raises it after sending (:meth:`check_scanned_md5`).
    chunk_size
        Bytes read (and sent) at a time; the whole file is never in memory.

    Examples
    --------
    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     p = os.path.join(tmp, "x.jpg")
    ...     with open(p, "wb") as f:
    ...         _ = f.write(b"12345")
    ...     try:
    ...         FileSource(p, key="x.jpg", size=4)
    ...     except InputError as err:
    ...         print("changed since it was scanned" in str(err))
    True
    """

    def __init__(
        self,
        path: Path | str,
        *,
        key: str,
        md5: str | None = None,
        size: int | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        self.path = Path(path)
        self.key = key
        self.scanned_md5 = None if md5 is None else md5.lower().removeprefix("md5:")
        self.chunk_size = chunk_size
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise InputError(
                "the file to upload does not exist", file=str(self.path), fix=_RESCAN
            ) from None
        except OSError as exc:
            raise InputError(
                f"the file to upload cannot be read ({exc.strerror})",
                file=str(self.path),
                fix="check the permissions and that the disk is mounted",
            ) from None
        if not self.path.is_file():
            raise InputError("the path to upload is not a regular file", file=str(self.path))
        self.size = stat.st_size
        if size is not None and size != self.size:
            raise _changed(self.path, f"size is {self.size} bytes, the scan recorded {size}")
        #: The MD5 of the bytes actually sent (set when a stream completes).
        self.md5: str | None = None
        self.sent = 0

    async def stream(self) -> AsyncIterator[bytes]:
        """The file's bytes in chunks; sets :attr:`md5` once all were sent."""
        self.md5 = None
        self.sent = 0
        digest = hashlib.md5()  # noqa: S324 - the repository's fixity checksum, not security
        fh: BinaryIO = await anyio.to_thread.run_sync(open, self.path, "rb")
        try:
            remaining = self.size
            while remaining > 0:
                chunk = await anyio.to_thread.run_sync(fh.read, min(self.chunk_size, remaining))
                if not chunk:
                    raise _changed(
                        self.path, f"it became shorter while being sent ({self.sent} bytes read)"
                    )
                digest.update(chunk)
                remaining -= len(chunk)
                self.sent += len(chunk)
                yield chunk
            if os.fstat(fh.fileno()).st_size != self.size:
                raise _changed(self.path, "its size changed while it was being sent")
        finally:
            fh.close()
        self.md5 = digest.hexdigest()

    def check_scanned_md5(self) -> None:
        """Raise :class:`~specpub.errors.InputError` if the sent bytes differ from the scan."""
        if self.scanned_md5 is not None and self.md5 is not None and self.md5 != self.scanned_md5:
            raise _changed(
                self.path, f"its MD5 is {self.md5}, the scan recorded {self.scanned_md5}"
            )

    async def compute_md5(self) -> str:
        """Read the whole file once (no upload) and return its MD5."""
        async for _ in self.stream():
            pass
        assert self.md5 is not None
        self.check_scanned_md5()
        return self.md5

    @property
    def headers(self) -> dict[str, str]:
        """``Content-Type`` and ``Content-Length`` of the upload."""
        return {"Content-Type": "application/octet-stream", "Content-Length": str(self.size)}
