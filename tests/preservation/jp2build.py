"""JPEG 2000 fixtures: a lossless JP2 from Pillow (OpenJPEG) and box-level surgery on it."""

from __future__ import annotations

import io
import struct

import numpy as np
from PIL import Image


def jp2(size: int = 64, *, irreversible: bool = False, fmt: str = "jp2") -> bytes:
    """A noisy RGB JPEG 2000 (JP2 boxes or a raw ``j2k`` codestream)."""
    data = np.random.default_rng(1).integers(0, 255, (size, size, 3)).astype("uint8")
    out = io.BytesIO()
    Image.fromarray(data).save(out, "JPEG2000", irreversible=irreversible, no_jp2=fmt == "j2k")
    return out.getvalue()


def box(data: bytes | bytearray, name: bytes) -> int:
    """Offset of the first box (or sub-box) of that type (its length field)."""
    return data.find(name) - 4


def add_to_header(data: bytes, inner: bytes) -> bytes:
    """Append a box to the JP2 header superbox (its length is fixed up)."""
    p = bytearray(data)
    h = box(p, b"jp2h")
    hl = struct.unpack_from(">I", p, h)[0]
    out = p[: h + hl] + inner + p[h + hl :]
    out[h : h + 4] = struct.pack(">I", hl + len(inner))
    return bytes(out)


def make_box(name: bytes, payload: bytes) -> bytes:
    """One box."""
    return struct.pack(">I4s", 8 + len(payload), name) + payload


def zero_resolution(data: bytes) -> bytes:
    """A capture-resolution box with zero denominators (jpylyzer divides by them)."""
    resc = make_box(b"resc", struct.pack(">HHHHbb", 1, 0, 1, 0, 0, 0))
    return add_to_header(data, make_box(b"res ", resc))


def resolution(data: bytes, ppi: int) -> bytes:
    """Add a capture-resolution box of ``ppi`` pixels per inch (as pixels per metre)."""
    ppm = round(ppi / 0.0254)
    resc = make_box(b"resc", struct.pack(">HHHHbb", ppm, 1, ppm, 1, 0, 0))
    return add_to_header(data, make_box(b"res ", resc))


def icc_colr(data: bytes, icc: bytes) -> bytes:
    """Replace the colour specification box by METH 2 with an ICC profile."""
    p = bytearray(data)
    c = box(p, b"colr")
    cl = struct.unpack_from(">I", p, c)[0]
    new = make_box(b"colr", bytes([2, 0, 0]) + icc)
    out = p[:c] + new + p[c + cl :]
    h = box(out, b"jp2h")
    hl = struct.unpack_from(">I", out, h)[0]
    out[h : h + 4] = struct.pack(">I", hl + len(new) - cl)
    return bytes(out)


def starve_tile(data: bytes, keep: int = 100) -> bytes:
    """Keep only ``keep`` bytes of the tile's packet data, lengths consistent (decodes badly)."""
    p = bytearray(data)
    c = box(p, b"jp2c")
    sot = p.find(b"\xff\x90")
    sod = p.find(b"\xff\x93", sot)
    out = p[: sod + 2] + p[sod + 2 : sod + 2 + keep] + b"\xff\xd9"
    out[sot + 6 : sot + 10] = struct.pack(">I", len(out) - 2 - sot)
    out[c : c + 4] = struct.pack(">I", len(out) - c)
    return bytes(out)
