"""Random access to a file's bytes that are already in memory (or readable at an offset).

Validators never open files: they receive the bytes of the scan's single read.
:class:`Buffer` wraps whatever holds them — ``bytes``, ``bytearray``,
``memoryview``, ``mmap`` — or a reader with ``size`` and ``read_at(offset, n)``
(the media scan's ``FileRead`` for files too large to buffer). Every accessor
is bounded: reading past the end returns short data, never raises, and never
allocates more than asked for.

Examples
--------
>>> b = Buffer(b"II*\\x00\\x08\\x00\\x00\\x00")
>>> b.size, b.u16(2, "<"), b.read(6, 10)
(8, 42, b'\\x00\\x00')
>>> b.find(b"\\x08", 0, 8)
4
"""

from __future__ import annotations

import struct
from typing import Any

from specpub.media._read import RangeIO

__all__ = ["Buffer", "BufferIO"]

_CHUNK = 1 << 20


class Buffer:
    """Bounded random access over a file's content.

    Parameters
    ----------
    data
        A bytes-like object (``bytes``, ``bytearray``, ``memoryview``, ``mmap``) holding
        the whole file, or an object with ``size`` and ``read_at(offset, n)``.
    size
        The file's size; defaults to ``len(data)``.

    Examples
    --------
    >>> Buffer(memoryview(b"abc")).read(1, 5)
    b'bc'
    """

    def __init__(self, data: Any, size: int | None = None) -> None:
        self._reader = None
        self._view: memoryview | None = None
        self._searchable: Any = None
        if hasattr(data, "read_at") and not isinstance(data, (bytes, bytearray, memoryview)):
            self._reader = data
            whole = getattr(data, "data", None)
            if whole is not None:
                self._view = memoryview(whole).cast("B")
            self.size = int(size if size is not None else data.size)
        else:
            self._view = memoryview(data).cast("B")
            self.size = len(self._view)
            if size is not None and int(size) != self.size:
                raise ValueError(
                    f"the buffer holds {self.size} bytes but the file has {size}: "
                    "validators need the whole file (or a reader with read_at)"
                )
        if self._view is not None:
            obj = self._view.obj
            if hasattr(obj, "find") and len(obj) == len(self._view) and self._view.contiguous:
                self._searchable = obj

    @property
    def view(self) -> memoryview | None:
        """The whole content as a ``memoryview`` (``None`` for a reader-backed buffer)."""
        return self._view

    def read(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset`` (short or empty past the end)."""
        if offset < 0 or n <= 0 or offset >= self.size:
            return b""
        end = min(offset + n, self.size)
        if self._view is not None:
            return bytes(self._view[offset : min(end, len(self._view))])
        return bytes(self._reader.read_at(offset, end - offset))  # type: ignore[union-attr]

    def slice(self, offset: int, n: int) -> memoryview | bytes:
        """Like :meth:`read` but without a copy when the content is in memory."""
        if self._view is not None:
            if offset < 0 or n <= 0 or offset >= len(self._view):
                return b""
            return self._view[offset : min(offset + n, len(self._view))]
        return self.read(offset, n)

    def has(self, offset: int, n: int) -> bool:
        """Whether ``n`` bytes at ``offset`` lie inside the file."""
        return offset >= 0 and n >= 0 and offset + n <= self.size

    def unpack(self, fmt: str, offset: int) -> tuple[Any, ...] | None:
        """``struct.unpack_from`` at ``offset``, or ``None`` when it does not fit."""
        n = struct.calcsize(fmt)
        if not self.has(offset, n):
            return None
        if self._view is not None:
            return struct.unpack_from(fmt, self._view, offset)
        return struct.unpack(fmt, self.read(offset, n))

    def u8(self, offset: int) -> int | None:
        """One unsigned byte (``None`` past the end)."""
        got = self.unpack("B", offset)
        return None if got is None else got[0]

    def u16(self, offset: int, bo: str) -> int | None:
        """An unsigned 16-bit integer in byte order ``bo`` (``<`` or ``>``)."""
        got = self.unpack(bo + "H", offset)
        return None if got is None else got[0]

    def u32(self, offset: int, bo: str) -> int | None:
        """An unsigned 32-bit integer in byte order ``bo``."""
        got = self.unpack(bo + "I", offset)
        return None if got is None else got[0]

    def u64(self, offset: int, bo: str) -> int | None:
        """An unsigned 64-bit integer in byte order ``bo``."""
        got = self.unpack(bo + "Q", offset)
        return None if got is None else got[0]

    def find(self, sub: bytes, start: int, end: int | None = None) -> int:
        """Offset of ``sub`` in ``[start, end)``, or -1 (searches in bounded chunks)."""
        end = self.size if end is None else min(end, self.size)
        if self._searchable is not None:
            return self._searchable.find(sub, start, end)
        pos = start
        overlap = len(sub) - 1
        while pos < end:
            stop = min(end, pos + _CHUNK)
            chunk = self.read(pos, stop - pos + overlap)[: stop - pos + overlap]
            hit = chunk.find(sub)
            if hit >= 0 and pos + hit + len(sub) <= end:
                return pos + hit
            pos = stop
        return -1

    def search(self, pattern: Any, start: int, end: int | None = None) -> Any:
        """``pattern.search`` (a compiled ``re`` bytes pattern) over ``[start, end)``.

        Returns ``(offset, match)`` or ``None``. Chunked (with an overlap of 1 byte) when the
        content is not in one searchable object.
        """
        end = self.size if end is None else min(end, self.size)
        if self._view is not None:
            m = pattern.search(self._view, start, end)
            return None if m is None else (m.start(), m)
        pos = start
        while pos < end:
            stop = min(end, pos + _CHUNK)
            chunk = self.read(pos, stop - pos + 1)
            m = pattern.search(chunk, 0, len(chunk))
            if m is not None and pos + m.start() < stop:
                return (pos + m.start(), m)
            pos = stop
        return None

    def iter_chunks(self, start: int, end: int) -> Any:
        """Yield the content of ``[start, end)`` in bounded pieces (views when possible)."""
        end = min(end, self.size)
        pos = max(0, start)
        while pos < end:
            n = min(_CHUNK * 4, end - pos)
            piece = self.slice(pos, n)
            if not len(piece):
                return
            yield piece
            pos += len(piece)


class BufferIO(RangeIO):
    """A seekable, read-only file object over a :class:`Buffer` (for tifffile, Pillow).

    Examples
    --------
    >>> f = BufferIO(Buffer(b"abcdef"))
    >>> _ = f.seek(-2, 2); f.read()
    b'ef'
    """

    def __init__(self, buf: Buffer) -> None:
        super().__init__(buf.size, buf.read, buf.slice)
        self._buf = buf
