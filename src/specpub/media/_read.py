"""The single read of a file: fixity while reading, then the same bytes for every analyser.

A file up to ``buffer_limit`` bytes is read once, sequentially, into one buffer;
MD5 and SHA-256 are updated chunk by chunk right after each chunk arrives (while
it is still in the CPU cache), and the buffer is then handed to every analyser
as a ``memoryview`` and as a seekable file object. A larger file is streamed
through a small reused buffer for the hashes (and any streaming analyser) while
its first and last :data:`SPAN_BYTES` are kept; parsers that need bytes in the
middle (a TIFF IFD written in the middle of a 2 GB master) get them with
``pread``, counted in :attr:`FileRead.bytes_reread` — from the page cache, in
practice, since those bytes were just read.

The file is opened without following into FIFOs or devices (only regular files
are read), identified by ``(size, mtime_ns, inode)`` before and after the read:
a file that changes while it is read is reported, never silently hashed half old
and half new. ``mmap`` is deliberately not used: a file truncated by another
process while mapped kills the reader with SIGBUS.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"
>>> _ = p.write_bytes(b"abc")
>>> with read_file(p) as fr:
...     fr.md5, bytes(fr.data), fr.open().read(2)
('900150983cd24fb0d6963f7d28e17f72', b'abc', b'ab')
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CHUNK_BYTES",
    "DEFAULT_BUFFER_LIMIT",
    "SPAN_BYTES",
    "FileRead",
    "RangeIO",
    "ReadError",
    "read_file",
]

#: Files up to this size are read into one buffer (per worker); larger files are streamed.
DEFAULT_BUFFER_LIMIT = 256 << 20
#: Read size of each ``readinto`` call (and of each streamed chunk).
CHUNK_BYTES = 4 << 20
#: Bytes kept from the start and from the end of a streamed (large) file.
SPAN_BYTES = 4 << 20

_O_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_O_FLAGS |= getattr(os, "O_BINARY", 0)


class ReadError(Exception):
    """A file could not be read; ``code`` is a short stable reason, ``str()`` says what to do.

    Codes: ``missing``, ``permission``, ``symlink-loop``, ``not-regular``, ``empty``,
    ``changed``, ``io``.

    Examples
    --------
    >>> ReadError("empty", "the file is empty").code
    'empty'
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Identity:
    """What a re-scan compares: size, modification time (ns) and inode.

    Examples
    --------
    >>> Identity(3, 10, 7) == Identity(3, 10, 7)
    True
    """

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> Identity:
        """From a stat result.

        Examples
        --------
        >>> Identity.of(os.stat(".")).inode > 0
        True
        """
        return cls(int(st.st_size), int(st.st_mtime_ns), int(st.st_ino))


#: Chunks at least this large are hashed by MD5 and SHA-256 at the same time, on two cores
#: (hashlib releases the interpreter lock for large buffers).
PARALLEL_HASH_BYTES = 1 << 20
_HELPER: list[Any] = []
_HELPER_PID: list[int] = []


def _helper() -> Any:
    """The thread that computes MD5 while this one computes SHA-256 (one per process)."""
    if not _HELPER or _HELPER_PID[0] != os.getpid():  # a forked child needs its own
        from concurrent.futures import ThreadPoolExecutor

        _HELPER[:] = [ThreadPoolExecutor(1, thread_name_prefix="specpub-md5")]
        _HELPER_PID[:] = [os.getpid()]
    return _HELPER[0]


class _Hashes:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.sha256 = hashlib.sha256()

    def update(self, chunk: Any) -> None:
        if not self.enabled:
            return
        if len(chunk) >= PARALLEL_HASH_BYTES:
            done = _helper().submit(self.md5.update, chunk)
            self.sha256.update(chunk)
            done.result()
        else:
            self.md5.update(chunk)
            self.sha256.update(chunk)


class FileRead:
    """One file, read once. Use :func:`read_file`; close it (or use ``with``).

    Attributes
    ----------
    path, size, mtime_ns, inode
        The file and its identity (from ``fstat`` of the open file).
    md5, sha256
        Hex digests of the whole content.
    data
        ``memoryview`` of the whole content when it fitted the buffer; ``None`` for a
        streamed file (use :meth:`open` or :meth:`read_at`).
    head
        ``memoryview`` of the first bytes (the whole file when it fitted).
    bytes_reread
        Bytes read a second time by :meth:`read_at` (0 for a buffered file).
    """

    def __init__(
        self,
        path: str,
        fd: int,
        ident: Identity,
        data: memoryview | None,
        head: memoryview,
        tail: memoryview,
        hashes: _Hashes,
    ) -> None:
        self.path = path
        self._fd = fd
        self.size = ident.size
        self.mtime_ns = ident.mtime_ns
        self.inode = ident.inode
        self.identity = ident
        self.data = data
        self.head = head
        self._tail = tail
        self.md5 = hashes.md5.hexdigest() if hashes.enabled else None
        self.sha256 = hashes.sha256.hexdigest() if hashes.enabled else None
        self.bytes_reread = 0

    @classmethod
    def from_memory(cls, path: str, data: bytes, ident: Identity) -> FileRead:
        """A :class:`FileRead` for bytes already in memory (a download just written to disk):
        hashed here, never read from the file.

        Examples
        --------
        >>> fr = FileRead.from_memory("/x", b"abc", Identity(3, 0, 0))
        >>> fr.md5, fr.read_at(1, 5)
        ('900150983cd24fb0d6963f7d28e17f72', b'bc')
        """
        hashes = _Hashes()
        view = memoryview(data)
        hashes.update(view)
        return cls(path, -1, ident, view, view, view[0:0], hashes)

    @property
    def buffered(self) -> bool:
        """Whether the whole file is in memory (:attr:`data` is set)."""
        return self.data is not None

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset`` (short at the end of the file; never raises for
        an offset past the end).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"; _ = p.write_bytes(b"abcdef")
        >>> with read_file(p) as fr:
        ...     fr.read_at(4, 10), fr.read_at(99, 1)
        (b'ef', b'')
        """
        if offset < 0 or n <= 0 or offset >= self.size:
            return b""
        end = min(offset + n, self.size)
        if self.data is not None:
            return bytes(self.data[offset:end])
        if end <= len(self.head):
            return bytes(self.head[offset:end])
        tail_start = self.size - len(self._tail)
        if offset >= tail_start:
            return bytes(self._tail[offset - tail_start : end - tail_start])
        if self._fd < 0:
            raise ValueError("the file is closed")
        got = os.pread(self._fd, end - offset, offset)
        self.bytes_reread += len(got)
        return got

    def open(self) -> io.RawIOBase:
        """A seekable, read-only binary file object over the content (no second read for
        a buffered file).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.bin"; _ = p.write_bytes(b"abcdef")
        >>> with read_file(p) as fr:
        ...     f = fr.open(); _ = f.seek(-2, 2); f.read()
        b'ef'
        """
        return RangeIO(self.size, self.read_at)

    def close(self) -> None:
        """Close the file descriptor (the buffers stay readable)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self) -> FileRead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RangeIO(io.RawIOBase):
    """A seekable, read-only file object over any content of known ``size`` that can be
    read by range: what tifffile and Pillow are given (a :class:`FileRead` here, the
    preservation validator's buffer there).

    Parameters
    ----------
    size
        Bytes of content.
    read_at
        ``read_at(offset, n)``: up to ``n`` bytes at ``offset`` (short at the end).
    view_at
        Optional zero-copy variant of ``read_at`` (a ``memoryview``) used by ``readinto``.

    Examples
    --------
    >>> data = b"abcdef"
    >>> f = RangeIO(len(data), lambda o, n: data[o : o + n])
    >>> _ = f.seek(-2, 2); f.read()
    b'ef'
    """

    def __init__(
        self,
        size: int,
        read_at: Callable[[int, int], bytes],
        view_at: Callable[[int, int], Any] | None = None,
    ) -> None:
        super().__init__()
        self._size = size
        self._read_at = read_at
        self._view_at = view_at or read_at
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        mv = memoryview(buffer).cast("B")
        got = self._view_at(self._pos, len(mv))
        mv[: len(got)] = got
        self._pos += len(got)
        return len(got)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = max(0, self._size - self._pos)
        got = self._read_at(self._pos, size)
        self._pos += len(got)
        return got

    def readall(self) -> bytes:
        return self.read(-1)


def _open(path: str) -> tuple[int, os.stat_result]:
    try:
        fd = os.open(path, _O_FLAGS)
    except FileNotFoundError as err:
        raise ReadError(
            "missing", "the file does not exist (or disappeared before it could be read)"
        ) from err
    except PermissionError as err:
        raise ReadError(
            "permission", "permission denied: give the scanning user read access"
        ) from err
    except OSError as err:
        if err.errno == getattr(__import__("errno"), "ELOOP", -1):
            raise ReadError(
                "symlink-loop", "a symbolic link that points to itself (a loop)"
            ) from err
        raise ReadError("io", f"cannot open the file ({err.strerror or err})") from err
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        kind = (
            "a folder"
            if stat.S_ISDIR(st.st_mode)
            else "a FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "a device or socket"
        )
        raise ReadError("not-regular", f"not a regular file ({kind}); only files are scanned")
    return fd, st


def read_file(
    path: str | os.PathLike[str],
    *,
    buffer_limit: int = DEFAULT_BUFFER_LIMIT,
    consumers: Iterable[Callable[[memoryview, int], None]] = (),
    fixity: bool = True,
) -> FileRead:
    """Read ``path`` once: identity, MD5, SHA-256, and the bytes for the analysers.

    Parameters
    ----------
    path
        The file.
    buffer_limit
        Files up to this size are kept whole in memory; larger ones are streamed.
    consumers
        Extra callables ``consumer(chunk, offset)`` fed every chunk in order, in the same
        read (streaming analysers).
    fixity
        Compute MD5 and SHA-256 (``False``: a metadata-only read; ``md5``/``sha256`` are
        ``None``).

    Raises
    ------
    ReadError
        The file is missing, unreadable, not a regular file, empty, or changed while it
        was read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "e.bin"; _ = p.write_bytes(b"")
    >>> read_file(p)
    Traceback (most recent call last):
    ...
    specpub.media._read.ReadError: the file is empty (0 bytes): export it again
    """
    path = os.fspath(path)
    fd, st = _open(path)
    try:
        before = Identity.of(st)
        if before.size == 0:
            raise ReadError("empty", "the file is empty (0 bytes): export it again")
        hashes = _Hashes(fixity)
        feed = list(consumers)
        if before.size <= buffer_limit:
            buf = bytearray(before.size)
            view = memoryview(buf)
            pos = _read_into(fd, view, hashes, feed)
            data = view[:pos]
            head, tail = data, data[0:0]
        else:
            data = None
            head, tail, pos = _stream(fd, before.size, hashes, feed)
        after = Identity.of(os.fstat(fd))
        if pos != before.size or after != before or os.read(fd, 1):
            raise ReadError(
                "changed",
                "the file changed while it was read (size or modification time); "
                "scan it again once it is complete",
            )
        return FileRead(path, fd, before, data, head, tail, hashes)
    except ReadError:
        os.close(fd)
        raise
    except OSError as err:
        os.close(fd)
        raise ReadError("io", f"read error ({err.strerror or err})") from err


def _read_into(fd: int, view: memoryview, hashes: _Hashes, feed: list) -> int:
    pos, size = 0, len(view)
    while pos < size:
        n = os.readv(fd, [view[pos : min(pos + CHUNK_BYTES, size)]])
        if n == 0:
            break
        chunk = view[pos : pos + n]
        hashes.update(chunk)
        for consume in feed:
            consume(chunk, pos)
        pos += n
    return pos


def _stream(fd: int, size: int, hashes: _Hashes, feed: list) -> tuple[memoryview, memoryview, int]:
    head = bytearray()
    tail = bytearray()
    tail_start = max(SPAN_BYTES, size - SPAN_BYTES)
    buf = bytearray(CHUNK_BYTES)
    view = memoryview(buf)
    pos = 0
    while True:
        n = os.readv(fd, [view])
        if n == 0:
            break
        chunk = view[:n]
        hashes.update(chunk)
        for consume in feed:
            consume(chunk, pos)
        if pos < SPAN_BYTES:
            head += chunk[: SPAN_BYTES - pos]
        end = pos + n
        if end > tail_start:
            tail += chunk[max(0, tail_start - pos) :]
        pos = end
    return memoryview(bytes(head)), memoryview(bytes(tail)), pos
