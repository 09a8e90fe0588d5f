"""Read the facts of an embedded ICC profile from its header and ``desc`` tag.

No colour management is done (no LittleCMS): the header gives the colour space,
class, version and declared size; the description comes from the ``desc`` tag
(``textDescriptionType`` in v2 profiles, ``multiLocalizedUnicodeType`` in v4).

Examples
--------
>>> facts = icc_facts(_demo_profile("eciRGB v2"))
>>> facts["icc_description"], facts["icc_colour_space"], facts["icc_present"]
('eciRGB v2', 'RGB', True)
>>> icc_facts(b"")["icc_present"]
False
"""

from __future__ import annotations

import struct
from typing import Any

__all__ = ["ICC_COLUMNS", "icc_facts"]

#: The manifest columns this module fills.
ICC_COLUMNS = ("icc_present", "icc_description", "icc_colour_space", "icc_size", "icc_version")

_MAX_TAGS = 1024


def icc_facts(profile: bytes | memoryview | None) -> dict[str, Any]:
    """The ICC columns of the manifest for one profile (``icc_present`` False when empty).

    A profile whose header is unreadable is still ``icc_present`` (it is embedded), with
    an empty description and ``icc_colour_space`` ``""``.

    Examples
    --------
    >>> icc_facts(b"junk")["icc_description"]
    ''
    """
    data = bytes(profile or b"")
    out: dict[str, Any] = {
        "icc_present": bool(data),
        "icc_description": "",
        "icc_colour_space": "",
        "icc_size": len(data),
        "icc_version": "",
    }
    if len(data) < 128 or data[36:40] != b"acsp":
        return out
    out["icc_colour_space"] = data[16:20].decode("latin-1").strip()
    out["icc_version"] = f"{data[8]}.{data[9] >> 4}.{data[9] & 0xF}"
    out["icc_description"] = _description(data)
    return out


def _description(data: bytes) -> str:
    (count,) = struct.unpack_from(">I", data, 128) if len(data) >= 132 else (0,)
    declared = struct.unpack_from(">I", data, 0)[0]
    if 132 + 12 * count > min(len(data), declared) or count > _MAX_TAGS:
        return ""  # a corrupt tag table: nothing in it can be trusted
    for i in range(count):
        pos = 132 + 12 * i
        if pos + 12 > len(data):
            break
        sig, off, size = struct.unpack_from(">4sII", data, pos)
        if sig != b"desc":
            continue
        body = data[off : off + size]
        if body[:4] == b"desc" and len(body) >= 12:
            (n,) = struct.unpack_from(">I", body, 8)
            return body[12 : 12 + n].split(b"\x00", 1)[0].decode("latin-1", "replace").strip()
        if body[:4] == b"mluc" and len(body) >= 16:
            nrec, rec_size = struct.unpack_from(">II", body, 8)
            if nrec == 0 or rec_size < 12 or len(body) < 16 + rec_size:
                return ""
            length, offset = struct.unpack_from(">II", body, 16 + 8)
            text = body[offset : offset + length]
            return text.decode("utf-16-be", "replace").rstrip("\x00").strip()
        return ""
    return ""


def _demo_profile(description: str, space: bytes = b"RGB ") -> bytes:
    """A minimal v2 profile header with a ``desc`` tag (for examples and tests)."""
    text = description.encode("latin-1") + b"\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(79)
    tag_table = struct.pack(">I", 1) + struct.pack(">4sII", b"desc", 144, len(desc))
    body = tag_table + desc
    size = 128 + len(body)
    header = bytearray(128)
    struct.pack_into(">I", header, 0, size)
    header[8:12] = b"\x02\x10\x00\x00"
    header[12:16] = b"mntr"
    header[16:20] = space
    header[20:24] = b"XYZ "
    header[36:40] = b"acsp"
    return bytes(header) + body
