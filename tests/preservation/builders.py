"""Generated fixtures: valid images from tifffile and Pillow, and hand-built damaged ones.

``build_tiff`` lays out a classic TIFF byte by byte (header, pixel data, values,
IFD) from a list of entries, so that a test can break exactly one thing: the
order of the tags, one type, one count, one offset, the next-IFD pointer.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tifffile
from PIL import Image, ImageCms

DATA = "DATA"  # placeholder value: the offset of the pixel data
_TYPE_CODES = {1: "B", 2: "s", 3: "H", 4: "I", 5: "II", 7: "B", 13: "I", 16: "Q"}
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 7: 1, 13: 4, 16: 8}


def _payload(typ: int, value: Any, bo: str) -> tuple[int, bytes]:
    if isinstance(value, bytes):
        return (len(value) if typ in (1, 2, 7) else len(value) // _SIZES[typ]), value
    if typ == 5:
        pairs = value if isinstance(value[0], tuple) else [value]
        return len(pairs), b"".join(struct.pack(bo + "II", *p) for p in pairs)
    values = value if isinstance(value, list) else [value]
    return len(values), struct.pack(bo + _TYPE_CODES[typ] * len(values), *values)


def base_entries(width: int = 8, height: int = 8) -> list[list[Any]]:
    """A valid 8-bit greyscale uncompressed image, one strip, 72 dpi."""
    return [
        [256, 3, width],
        [257, 3, height],
        [258, 3, 8],
        [259, 3, 1],
        [262, 3, 1],
        [273, 4, DATA],
        [277, 3, 1],
        [278, 3, height],
        [279, 4, width * height],
        [282, 5, (72, 1)],
        [283, 5, (72, 1)],
        [296, 3, 2],
    ]


def build_tiff(
    entries: Sequence[Sequence[Any]] | None = None,
    *,
    bo: str = "<",
    pixels: bytes | None = None,
    sort: bool = True,
    first_ifd: int | None = None,
    next_ifd: int = 0,
    odd_values: bool = False,
    count_override: dict[int, int] | None = None,
    second_ifd: Sequence[Sequence[Any]] | None = None,
    header: bytes | None = None,
) -> bytes:
    """A classic TIFF: header, pixel data at 8, values, then the IFD (and a second one)."""
    entries = [list(e) for e in (entries if entries is not None else base_entries())]
    pixels = bytes(64) if pixels is None else pixels
    body = bytearray(pixels)
    if len(body) % 2:
        body += b"\x00"
    pos = 8 + len(body)

    def layout(ents: list[list[Any]]) -> list[tuple[int, int, int, bytes]]:
        nonlocal pos
        out = []
        for tag, typ, value in ents:
            value = 8 if value == DATA else value
            count, raw = _payload(typ, value, bo)
            if count_override and tag in count_override:
                count = count_override[tag]
            if len(raw) <= 4:
                out.append((tag, typ, count, raw.ljust(4, b"\x00")))
            else:
                if odd_values and pos % 2 == 0:
                    body.extend(b"\x00")
                    pos += 1
                out.append((tag, typ, count, struct.pack(bo + "I", pos)))
                body.extend(raw)
                pos += len(raw)
                if not odd_values and pos % 2:
                    body.extend(b"\x00")
                    pos += 1
        if sort:
            out.sort(key=lambda e: e[0])
        return out

    ifd1 = layout(entries)
    ifd2 = layout([list(e) for e in second_ifd]) if second_ifd is not None else None
    if pos % 2:
        body.extend(b"\x00")
        pos += 1
    ifd_at = pos
    size1 = 2 + 12 * len(ifd1) + 4
    ifd2_at = ifd_at + size1 if ifd2 is not None else 0
    nxt = ifd2_at if ifd2 is not None and next_ifd == 0 else next_ifd

    def pack_ifd(ifd: list[tuple[int, int, int, bytes]], next_at: int) -> bytes:
        raw = struct.pack(bo + "H", len(ifd))
        for tag, typ, count, value in ifd:
            raw += struct.pack(bo + "HHI", tag, typ, count) + value
        return raw + struct.pack(bo + "I", next_at)

    out = bytearray()
    magic = header or ((b"II" if bo == "<" else b"MM") + struct.pack(bo + "H", 42))
    out += magic[:4]
    out += struct.pack(bo + "I", ifd_at if first_ifd is None else first_ifd)
    out += body
    out += pack_ifd(ifd1, nxt)
    if ifd2 is not None:
        out += pack_ifd(ifd2, 0)
    return bytes(out)


def set_entry(entries: list[list[Any]], tag: int, typ: int, value: Any) -> list[list[Any]]:
    """Replace (or add) one entry."""
    out = [e for e in entries if e[0] != tag]
    out.append([tag, typ, value])
    return out


def drop(entries: list[list[Any]], *tags: int) -> list[list[Any]]:
    """Remove entries."""
    return [e for e in entries if e[0] not in tags]


# -- images from the libraries --------------------------------------------------------------


def make_icc(description: str = "sRGB IEC61966-2.1", space: bytes = b"RGB ") -> bytes:
    """A small ICC v2 profile: header, tag table, a 'desc' tag with ``description``."""
    text = description.encode("latin-1") + b"\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(12) + bytes(67)
    desc += bytes(-len(desc) % 4)
    tag_at = 128 + 4 + 12
    size = tag_at + len(desc)
    header = bytearray(128)
    header[0:4] = struct.pack(">I", size)
    header[8:12] = bytes([2, 0x10, 0, 0])
    header[12:16] = b"mntr"
    header[16:20] = space
    header[20:24] = b"XYZ "
    header[36:40] = b"acsp"
    table = struct.pack(">I", 1) + struct.pack(">4sII", b"desc", tag_at, len(desc))
    return bytes(header) + table + desc


def srgb_icc() -> bytes:
    """An sRGB ICC profile as LittleCMS makes it (description 'sRGB built-in')."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


#: The profile generated masters carry (its description is on the master allowlist).
MASTER_ICC = make_icc("sRGB IEC61966-2.1")
GRAY_ICC = make_icc("Gray Gamma 2.2", b"GRAY")


def tiff(
    shape: tuple[int, ...] = (32, 24, 3),
    dtype: str = "uint16",
    *,
    icc: bytes | None = b"default",
    ppi: float | None = 600,
    unit: str = "INCH",
    bigtiff: bool = False,
    **kwargs: Any,
) -> bytes:
    """A TIFF written by tifffile (master-like by default: 16-bit RGB, sRGB ICC, 600 ppi)."""
    data = (np.arange(int(np.prod(shape))) % 251).astype(dtype).reshape(shape)
    extratags = list(kwargs.pop("extratags", []))
    if icc == b"default":
        icc = GRAY_ICC if len(shape) == 2 else MASTER_ICC
    if icc is not None:
        extratags.append((34675, 7, len(icc), icc, True))
    if len(shape) == 3 and shape[-1] in (3, 4):
        kwargs.setdefault("photometric", "rgb")
    if ppi is not None:
        kwargs.setdefault("resolution", (ppi, ppi))
        kwargs.setdefault("resolutionunit", unit)
    out = io.BytesIO()
    tifffile.imwrite(out, data, bigtiff=bigtiff, extratags=extratags, metadata=None, **kwargs)
    return out.getvalue()


def pillow(fmt: str, mode: str = "RGB", size: tuple[int, int] = (32, 24), **save: Any) -> bytes:
    """An image saved by Pillow (JPEG, PNG, JPEG2000 …)."""
    im = Image.new(
        mode,
        size,
        128
        if mode in ("L", "1", "P", "I;16")
        else (200, 100, 50)[: len(mode)]
        if len(mode) > 1
        else 128,
    )
    out = io.BytesIO()
    im.save(out, fmt, **save)
    return out.getvalue()


def jpeg(**save: Any) -> bytes:
    """A baseline JFIF JPEG with sRGB ICC at 600 dpi (override with Pillow save options)."""
    save.setdefault("dpi", (600, 600))
    save.setdefault("icc_profile", MASTER_ICC)
    return pillow("JPEG", save.pop("mode", "RGB"), save.pop("size", (64, 48)), **save)


def png(**save: Any) -> bytes:
    """A PNG with an iCCP profile at 600 dpi."""
    save.setdefault("dpi", (600, 600))
    save.setdefault("icc_profile", MASTER_ICC)
    return pillow("PNG", save.pop("mode", "RGB"), save.pop("size", (32, 24)), **save)


def chunk(ctype: bytes, data: bytes, crc: int | None = None) -> bytes:
    """One PNG chunk (correct CRC unless given)."""
    c = zlib.crc32(ctype + data) & 0xFFFFFFFF if crc is None else crc
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", c)


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk of a PNG."""
    out, pos = [], 8
    while pos + 8 <= len(data):
        n = struct.unpack_from(">I", data, pos)[0]
        out.append((data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + n]))
        pos += 12 + n
    return out


def build_png(chunks: Sequence[tuple[bytes, bytes]]) -> bytes:
    """A PNG from (type, data) pairs (CRCs computed)."""
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunk(t, d) for t, d in chunks)


def edit_png(data: bytes, edit: Callable[[list[tuple[bytes, bytes]]], Any]) -> bytes:
    """Rebuild a PNG after ``edit`` changed its chunk list in place."""
    chunks = png_chunks(data)
    edit(chunks)
    return build_png(chunks)


def ihdr(
    width: int = 4,
    height: int = 4,
    depth: int = 8,
    ctype: int = 2,
    comp: int = 0,
    filt: int = 0,
    inter: int = 0,
) -> bytes:
    """IHDR chunk data."""
    return struct.pack(">IIBBBBB", width, height, depth, ctype, comp, filt, inter)


def idat(width: int = 4, height: int = 4, channels: int = 3, filter_type: int = 0) -> bytes:
    """IDAT data for an 8-bit image of zeros."""
    raw = b"".join(bytes([filter_type]) + bytes(width * channels) for _ in range(height))
    return zlib.compress(raw)


def jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, marker, length) of the segments before the first scan."""
    out, pos = [], 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        length = struct.unpack_from(">H", data, pos + 2)[0]
        out.append((pos, marker, length))
        if marker == 0xDA:
            break
        pos += 2 + length
    return out
