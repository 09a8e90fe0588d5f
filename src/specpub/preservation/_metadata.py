"""Embedded metadata blocks the validators meet: ICC profiles and XMP packets.

Small, bounded parsers: an ICC profile's header and tag table (``acsp``
signature, declared size, tag count, colour space, description), and an XMP
packet's well-formedness (with ``expat``; a packet with a DTD or entity
declarations is refused before parsing, so no entity expansion can blow up)
and the fields the policy rules read (``dc:identifier``, ``dc:rights``,
``xmpRights:*`` …).

Examples
--------
>>> check_xmp(b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>")
''
>>> check_xmp(b"<a><b></a>")[:24]
'mismatched tag: line 1, '
>>> check_icc(b"short")
'the profile is 5 bytes long, shorter than an ICC header (132 bytes)'
"""

from __future__ import annotations

import re
import struct
import xml.parsers.expat
from typing import Any

__all__ = ["check_icc", "check_xmp", "icc_info", "read_exif", "xmp_fields"]

_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_MAX_ICC_TAGS = 1000


def check_icc(raw: bytes) -> str:
    """What is wrong with an ICC profile's structure (``""`` when nothing).

    Checks the header length, the ``acsp`` signature at byte 36, the declared size
    against the bytes present, and that the tag table and every tag lie inside the
    profile.

    Examples
    --------
    >>> icc = bytearray(132); icc[36:40] = b"acsp"; icc[0:4] = (132).to_bytes(4, "big")
    >>> check_icc(bytes(icc))
    ''
    >>> icc[0:4] = (999).to_bytes(4, "big")
    >>> check_icc(bytes(icc))
    'the header declares 999 bytes but the profile holds 132'
    """
    n = len(raw)
    if n < 132:
        return f"the profile is {n} bytes long, shorter than an ICC header (132 bytes)"
    if raw[36:40] != b"acsp":
        return f"no 'acsp' signature at byte 36 (found {bytes(raw[36:40])!r})"
    declared = struct.unpack_from(">I", raw, 0)[0]
    # Writers may pad to an even length; only a larger mismatch is broken.
    if declared != n and (declared > n or n - declared > 3):
        return f"the header declares {declared} bytes but the profile holds {n}"
    count = struct.unpack_from(">I", raw, 128)[0]
    if count > _MAX_ICC_TAGS or 132 + 12 * count > n:
        return f"the tag table declares {count} tags, more than the profile can hold"
    for i in range(count):
        sig, off, size = struct.unpack_from(">4sII", raw, 132 + 12 * i)
        if off + size > n:
            return (
                f"tag {sig.decode('latin-1')!r} ({size} bytes at {off}) lies outside the "
                f"profile ({n} bytes)"
            )
    return ""


def icc_info(raw: bytes | None) -> dict[str, Any]:
    """Colour space, device class, version and description of an ICC profile.

    Returns ``{}`` when ``raw`` is empty or not a profile.

    Examples
    --------
    >>> icc_info(None)
    {}
    """
    if not raw or len(raw) < 132 or raw[36:40] != b"acsp":
        return {}
    info: dict[str, Any] = {
        "colour_space": bytes(raw[16:20]).decode("latin-1").strip(),
        "device_class": bytes(raw[12:16]).decode("latin-1").strip(),
        "version": f"{raw[8]}.{raw[9] >> 4}",
        "description": "",
    }
    count = struct.unpack_from(">I", raw, 128)[0]
    for i in range(min(count, _MAX_ICC_TAGS)):
        if 132 + 12 * (i + 1) > len(raw):
            break
        sig, off, size = struct.unpack_from(">4sII", raw, 132 + 12 * i)
        if sig == b"desc" and off + size <= len(raw):
            info["description"] = _icc_text(bytes(raw[off : off + size]))
            break
    return info


def _icc_text(tag: bytes) -> str:
    kind = tag[:4]
    if kind == b"desc" and len(tag) >= 12:  # textDescriptionType (v2)
        n = struct.unpack_from(">I", tag, 8)[0]
        return tag[12 : 12 + min(n, 1024)].split(b"\x00")[0].decode("latin-1").strip()
    if kind == b"mluc" and len(tag) >= 28:  # multiLocalizedUnicodeType (v4)
        rec_size = struct.unpack_from(">I", tag, 12)[0]
        if rec_size >= 12:
            length, offset = struct.unpack_from(">II", tag, 20)
            text = tag[offset : offset + min(length, 2048)]
            return text.decode("utf-16-be", "replace").strip("\x00 ")
    return ""


def check_xmp(raw: bytes) -> str:
    """Why an XMP packet is not well-formed XML (``""`` when it is).

    Examples
    --------
    >>> check_xmp(b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    'the packet declares a DTD or entities, which XMP does not allow'
    """
    body = bytes(raw).rstrip(b"\x00 \t\r\n")
    if not body:
        return "the packet is empty"
    if _DTD.search(body):
        return "the packet declares a DTD or entities, which XMP does not allow"
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(body, True)
    except xml.parsers.expat.ExpatError as err:
        return str(err)
    return ""


_XMP_KEYS = {
    "dc:identifier",
    "dc:rights",
    "dc:creator",
    "xmpRights:UsageTerms",
    "xmpRights:WebStatement",
    "xmpRights:Owner",
    "xmpRights:Marked",
    "photoshop:Credit",
    "xmp:CreateDate",
    "xmp:CreatorTool",
    "exif:DateTimeOriginal",
    "photoshop:DateCreated",
    "tiff:Make",
    "tiff:Model",
}
_PREFIXES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
}


def xmp_fields(raw: bytes | None) -> dict[str, list[str]]:
    """Selected XMP properties (``dc:identifier``, ``dc:rights``, ``xmpRights:*`` …) → values.

    Values of ``rdf:Alt``/``rdf:Bag``/``rdf:Seq`` lists are flattened; attributes
    written in the short form (``<rdf:Description dc:identifier="…">``) count too.
    Returns ``{}`` for a missing or malformed packet.

    Examples
    --------
    >>> pkt = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf='
    ...        b'"http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    ...        b'xmlns:dc="http://purl.org/dc/elements/1.1/" dc:identifier="BR0001">'
    ...        b'<dc:rights><rdf:Alt><rdf:li>CC BY 4.0</rdf:li></rdf:Alt></dc:rights>'
    ...        b'</rdf:Description></rdf:RDF></x:xmpmeta>')
    >>> xmp_fields(pkt)
    {'dc:identifier': ['BR0001'], 'dc:rights': ['CC BY 4.0']}
    """
    if not raw or check_xmp(raw):
        return {}
    out: dict[str, list[str]] = {}
    stack: list[str | None] = []
    text: list[str] = []

    def qname(name: str) -> str | None:
        uri, _, local = name.rpartition(" ")
        prefix = _PREFIXES.get(uri)
        key = f"{prefix}:{local}" if prefix else None
        return key if key in _XMP_KEYS else None

    def start(name: str, attrs: dict[str, str]) -> None:
        for attr, value in attrs.items():
            key = qname(attr)
            if key and value.strip():
                out.setdefault(key, []).append(value.strip())
        key = qname(name)
        stack.append(key if key else (stack[-1] if stack else None))
        text.clear()

    def end(name: str) -> None:
        key = stack.pop() if stack else None
        value = "".join(text).strip()
        if key and value:
            out.setdefault(key, []).append(value)
        text.clear()

    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text.append
    try:
        parser.Parse(bytes(raw).rstrip(b"\x00 \t\r\n"), True)
    except xml.parsers.expat.ExpatError:
        return {}
    return out


_EXIF_ASCII = {
    271: "Make",
    272: "Model",
    305: "Software",
    306: "DateTime",
    315: "Artist",
    33432: "Copyright",
    36867: "DateTimeOriginal",
    36868: "DateTimeDigitized",
}
_EXIF_NUMBERS = {274: "Orientation", 282: "XResolution", 283: "YResolution", 296: "ResolutionUnit"}
_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}


def read_exif(block: bytes) -> tuple[dict[str, Any], str]:
    """The Exif fields policy rules read, from a TIFF-structured Exif block.

    ``block`` starts with the TIFF header (what follows ``Exif\\0\\0`` in a JPEG APP1
    segment, or a PNG ``eXIf`` chunk). Returns ``(fields, problem)``: ``problem`` says
    what is malformed (``""`` when nothing); the fields read before the problem are kept.

    Examples
    --------
    >>> import struct
    >>> ifd = struct.pack("<H", 1) + struct.pack("<HHII", 274, 3, 1, 6) + bytes(4)
    >>> read_exif(b"II*\\x00\\x08\\x00\\x00\\x00" + ifd)
    ({'Orientation': 6}, '')
    >>> read_exif(b"XX")[1]
    'the Exif block does not start with a TIFF header'
    """
    out: dict[str, Any] = {}
    if len(block) < 8 or block[:4] not in (b"II*\x00", b"MM\x00*"):
        return out, "the Exif block does not start with a TIFF header"
    bo = "<" if block[:2] == b"II" else ">"
    first = struct.unpack_from(bo + "I", block, 4)[0]
    problem = _read_exif_ifd(block, bo, first, out, depth=0)
    return out, problem


def _read_exif_ifd(block: bytes, bo: str, offset: int, out: dict[str, Any], depth: int) -> str:
    n_block = len(block)
    if offset < 8 or offset + 2 > n_block:
        return f"an Exif IFD offset ({offset}) lies outside the Exif block ({n_block} bytes)"
    n = struct.unpack_from(bo + "H", block, offset)[0]
    if offset + 2 + 12 * n > n_block:
        return f"an Exif IFD declares {n} entries, more than the block holds"
    problem = ""
    for i in range(n):
        tag, typ, count, value = struct.unpack_from(bo + "HHII", block, offset + 2 + 12 * i)
        size = _SIZES.get(typ, 0) * count
        at = offset + 2 + 12 * i + 8 if size <= 4 else value
        if size > 4 and (value + size > n_block):
            problem = problem or f"the value of Exif tag {tag} lies outside the Exif block"
            continue
        if tag in _EXIF_ASCII and typ == 2:
            raw = block[at : at + min(size, 4096)]
            out[_EXIF_ASCII[tag]] = raw.split(b"\x00")[0].decode("utf-8", "replace").strip()
        elif tag in _EXIF_NUMBERS and typ in (3, 4, 5) and count >= 1:
            if typ == 5:
                num, den = struct.unpack_from(bo + "II", block, at)
                out[_EXIF_NUMBERS[tag]] = num / den if den else None
            else:
                code = "H" if typ == 3 else "I"
                out[_EXIF_NUMBERS[tag]] = struct.unpack_from(bo + code, block, at)[0]
        elif tag == 34665 and typ in (4, 13) and depth == 0:
            sub = _read_exif_ifd(block, bo, value, out, depth + 1)
            problem = problem or sub
    return problem
