"""Identify an image file's format by its signature, never by its extension.

:func:`identify` looks at the bytes of a file (its whole content, or at least
its first few kilobytes) and names the format, its PRONOM identifier (PUID,
from the DROID signature file v116, see ``docs/preservation.md`` §1.2) and its
MIME type. The extension is only compared with what the bytes say: when they
disagree the result carries an ``ID-03`` finding, the way siegfried reports an
"extension mismatch".

What is told apart, by signature (format: signature → PUID):

- ``tiff``: ``II*\\0`` / ``MM\\0*`` → fmt/353; Exif 2.0/2.1/2.2 TIFF → x-fmt/399/388/387
- ``bigtiff``: ``II+\\0`` / ``MM\\0+`` → fmt/1917
- ``dng``: a TIFF with DNGVersion (tag 50706) → fmt/152 … fmt/1943 by version
- ``tiff-ep``: a TIFF with TIFF/EPStandardID (tag 37398) → fmt/154
- ``jpeg``: ``FF D8 FF``; JFIF 1.00/1.01/1.02 → fmt/42/43/44; Exif by ExifVersion →
  x-fmt/398/390/391, fmt/645, fmt/1507; otherwise raw JPEG → fmt/41
- ``png``: the PNG signature → fmt/11/12/13; ``apng`` (``acTL`` before IDAT) → fmt/935
- ``jp2``/``jpx``/``jpm``/``jph``: the JP2 signature box, then the ``ftyp`` brand →
  x-fmt/392, fmt/151, fmt/463, (none)
- ``j2k``: a raw JPEG 2000 codestream ``FF 4F FF 51`` → fmt/1794
- ``gif`` → fmt/3 / fmt/4; ``webp``, ``heif``, ``avif``, ``bmp``, ``pdf`` (no PUID given)

TIFF sub-formats (Exif, DNG, TIFF/EP) are found from the first IFD, so they are
recognised when the buffer holds that IFD (the media scan always passes the
whole file). PNG 1.0/1.1/1.2 are distinguished, as DROID does, by the chunks
they introduced (1.1: ``iCCP``/``sRGB``/``sPLT``; 1.2: ``iTXt``).

The end-of-file signatures of JPEG (``FF D9`` within the last 64 KiB) and PNG
(the ``IEND`` chunk) are checked when the buffer holds the file's end:
:attr:`Identification.eof_signature` is ``False`` when it is missing — a cheap
truncation signal (``ID-02``); the structural validators say more.

Examples
--------
>>> iend = b"\\x00\\x00\\x00\\x00IEND\\xaeB`\\x82"
>>> png = b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR" + bytes(17) + iend
>>> found = identify(png, name="sheet.jpg")
>>> found.format, found.puid, found.mime
('png', 'fmt/11', 'image/png')
>>> [f.id for f in found.findings]
['ID-03']
>>> identify(b"II*\\x00\\x08\\x00\\x00\\x00").format
'tiff'
>>> identify(b"plain text").format
'unknown'
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "FormatInfo",
    "Identification",
    "IdentifyFinding",
    "identify",
    "identify_file",
]

#: How many leading bytes :func:`identify_file` reads when no buffer is given.
HEAD_BYTES = 1 << 16


@dataclass(frozen=True)
class FormatInfo:
    """A format specpub can name: short name, human name, MIME type, usual extensions.

    Examples
    --------
    >>> FORMATS["jp2"].mime
    'image/jp2'
    """

    name: str
    title: str
    mime: str
    extensions: tuple[str, ...]
    family: str


def _f(name: str, title: str, mime: str, exts: str, family: str | None = None) -> FormatInfo:
    return FormatInfo(name, title, mime, tuple(exts.split()), family or name)


#: Every format :func:`identify` can return, by short name.
FORMATS: dict[str, FormatInfo] = {
    f.name: f
    for f in (
        _f("tiff", "Tagged Image File Format", "image/tiff", ".tif .tiff", "tiff"),
        _f("bigtiff", "BigTIFF", "image/tiff", ".tif .tiff .btf .tf8", "tiff"),
        _f("dng", "Digital Negative (DNG)", "image/x-adobe-dng", ".dng", "tiff"),
        _f("tiff-ep", "TIFF/EP", "image/tiff", ".tif .tiff .nef .cr2 .arw .orf", "tiff"),
        _f("jpeg", "JPEG", "image/jpeg", ".jpg .jpeg .jpe .jfif .jfi .jif"),
        _f("png", "Portable Network Graphics", "image/png", ".png"),
        _f("apng", "Animated PNG", "image/apng", ".png .apng", "png"),
        _f("jp2", "JPEG 2000 (JP2, Part 1)", "image/jp2", ".jp2", "jpeg2000"),
        _f("jpx", "JPEG 2000 (JPX, Part 2)", "image/jpx", ".jpx .jpf .jp2", "jpeg2000"),
        _f("jpm", "JPEG 2000 (JPM, Part 6)", "image/jpm", ".jpm .jpgm", "jpeg2000"),
        _f("jph", "High-Throughput JPEG 2000 (JPH)", "image/jph", ".jph", "jpeg2000"),
        _f(
            "j2k",
            "JPEG 2000 codestream",
            "image/x-jp2-codestream",
            ".j2k .j2c .jpc .jhc",
            "jpeg2000",
        ),
        _f("gif", "Graphics Interchange Format", "image/gif", ".gif"),
        _f("webp", "WebP", "image/webp", ".webp"),
        _f("heif", "HEIF/HEIC", "image/heif", ".heic .heif"),
        _f("avif", "AVIF", "image/avif", ".avif"),
        _f("bmp", "Windows Bitmap", "image/bmp", ".bmp .dib"),
        _f("pdf", "Portable Document Format", "application/pdf", ".pdf"),
        _f("empty", "empty file", "application/x-empty", ""),
        _f("unknown", "unknown format", "application/octet-stream", ""),
    )
}

#: Lower-case extension (with the dot) → the format short names it may hold.
EXTENSIONS: dict[str, frozenset[str]] = {}
for _info in FORMATS.values():
    for _ext in _info.extensions:
        EXTENSIONS.setdefault(_ext, frozenset())
        EXTENSIONS[_ext] = EXTENSIONS[_ext] | {_info.name}

_DNG_PUIDS = {
    (1, 0): "fmt/152",
    (1, 1): "fmt/436",
    (1, 2): "fmt/437",
    (1, 3): "fmt/438",
    (1, 4): "fmt/730",
    (1, 5): "fmt/1841",
    (1, 6): "fmt/1842",
    (1, 7): "fmt/1943",
}
_EXIF_TIFF_PUIDS = {"0200": "x-fmt/399", "0210": "x-fmt/388", "0220": "x-fmt/387"}
_EXIF_JPEG_PUIDS = {
    "0200": "x-fmt/398",
    "0210": "x-fmt/390",
    "0220": "x-fmt/391",
    "0221": "fmt/645",
    "0230": "fmt/1507",
    "0231": "fmt/1507",
    "0232": "fmt/1507",
}
_JFIF_PUIDS = {(1, 0): "fmt/42", (1, 1): "fmt/43", (1, 2): "fmt/44"}
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
_JP2_BRANDS = {b"jp2 ": "jp2", b"jpx ": "jpx", b"jpm ": "jpm", b"jph ": "jph"}
_JP2_PUIDS = {"jp2": "x-fmt/392", "jpx": "fmt/151", "jpm": "fmt/463"}
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1"}
_MAX_IFD_ENTRIES = 4096


@dataclass(frozen=True)
class IdentifyFinding:
    """Something identification noticed: an id, a severity and a message.

    ``ID-03``: the extension disagrees with the content (``warn``);
    ``ID-02``: the end-of-file signature of a JPEG or PNG is missing, the file is
    probably truncated (``fail``); ``ID-00``: the content matches no known
    format (``warn``).

    Examples
    --------
    >>> IdentifyFinding("ID-03", "warn", "x").as_dict()["id"]
    'ID-03'
    """

    id: str
    severity: str
    message: str
    evidence: str = ""

    def as_dict(self) -> dict[str, str]:
        """A JSON-ready dict (``id``, ``severity``, ``message``, ``evidence``).

        Examples
        --------
        >>> sorted(IdentifyFinding("ID-00", "warn", "m").as_dict())
        ['evidence', 'id', 'message', 'severity']
        """
        return {
            "id": self.id,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
        }


@dataclass(frozen=True)
class Identification:
    """What :func:`identify` found.

    Attributes
    ----------
    format
        Short name (a key of :data:`FORMATS`): ``tiff``, ``bigtiff``, ``dng``, ``tiff-ep``,
        ``jpeg``, ``png``, ``apng``, ``jp2``, ``jpx``, ``jpm``, ``jph``, ``j2k``, ``gif``,
        ``webp``, ``heif``, ``avif``, ``bmp``, ``pdf``, ``empty`` or ``unknown``.
    family
        ``tiff`` for every TIFF-based format, ``jpeg2000`` for JP2/JPX/JPM/JPH/J2K, else
        the format itself.
    puid
        The PRONOM identifier, or ``""`` where PRONOM has none (or none specpub is sure of).
    mime
        The MIME type.
    version
        The version the signature shows (JFIF ``1.01``, Exif ``0231``, DNG ``1.4.0.0``…).
    basis
        ``signature`` (the bytes decided), ``none`` (nothing matched).
    extension_ok
        ``False`` when the file name's extension is not one used for this format
        (``None`` when no name was given or the format is unknown).
    eof_signature
        JPEG and PNG: whether the end-of-file signature is present (``None`` when the
        buffer does not reach the end of the file, or for other formats).
    findings
        :class:`IdentifyFinding` objects (``ID-00``, ``ID-02``, ``ID-03``).
    """

    format: str
    puid: str = ""
    version: str = ""
    basis: str = "signature"
    extension_ok: bool | None = None
    eof_signature: bool | None = None
    findings: tuple[IdentifyFinding, ...] = field(default_factory=tuple)

    @property
    def info(self) -> FormatInfo:
        """The :class:`FormatInfo` of :attr:`format`."""
        return FORMATS[self.format]

    @property
    def mime(self) -> str:
        """The MIME type."""
        return self.info.mime

    @property
    def family(self) -> str:
        """The format family (``tiff``, ``jpeg``, ``png``, ``jpeg2000`` …)."""
        return self.info.family

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every attribute.

        Examples
        --------
        >>> identify(b"GIF89a" + bytes(10)).as_dict()["puid"]
        'fmt/4'
        """
        return {
            "format": self.format,
            "family": self.family,
            "puid": self.puid,
            "mime": self.mime,
            "version": self.version,
            "basis": self.basis,
            "extension_ok": self.extension_ok,
            "eof_signature": self.eof_signature,
            "findings": [f.as_dict() for f in self.findings],
        }


def identify(
    data: bytes | bytearray | memoryview,
    *,
    name: str | os.PathLike[str] | None = None,
    size: int | None = None,
) -> Identification:
    """Identify a format from the bytes of a file.

    Parameters
    ----------
    data
        The file's content, or its beginning (at least 64 KiB is enough for every
        signature; the whole file also lets TIFF sub-formats and end-of-file
        signatures be checked).
    name
        The file name or path, to compare its extension with the content.
    size
        The file's size, when ``data`` is only its beginning (``None``: ``data`` is the
        whole file).

    Returns
    -------
    Identification

    Examples
    --------
    >>> jfif = b"\\xff\\xd8\\xff\\xe0\\x00\\x10JFIF\\x00\\x01\\x02" + bytes(9) + b"\\xff\\xd9"
    >>> found = identify(jfif, name="BR0001.jpg")
    >>> found.format, found.puid, found.version, found.eof_signature, found.findings
    ('jpeg', 'fmt/44', '1.02', True, ())
    >>> identify(jfif[:-2], name="BR0001.tif").findings[0].id
    'ID-02'
    """
    view = memoryview(data).cast("B") if not isinstance(data, bytes) else data
    head = bytes(view[:64])
    total = len(view) if size is None else int(size)
    whole = total == len(view)
    found = _by_signature(head, view, whole)
    findings = list(found.findings)
    ext_ok: bool | None = None
    if name is not None and found.format not in ("unknown", "empty"):
        ext = os.path.splitext(os.fspath(name))[1].lower()
        ext_ok = found.format in EXTENSIONS.get(ext, frozenset()) or (
            found.family == "tiff" and ext in (".tif", ".tiff")
        )
        if not ext_ok:
            expected = " or ".join(FORMATS[found.format].extensions[:2]) or "(none)"
            findings.append(
                IdentifyFinding(
                    "ID-03",
                    "warn",
                    f"the extension {ext or '(none)'!r} does not match the content, which is "
                    f"{FORMATS[found.format].title}; rename the file to {expected}",
                    evidence=f"extension {ext or '(none)'}",
                )
            )
    return Identification(
        format=found.format,
        puid=found.puid,
        version=found.version,
        basis=found.basis,
        extension_ok=ext_ok,
        eof_signature=found.eof_signature,
        findings=tuple(findings),
    )


def identify_file(path: str | os.PathLike[str]) -> Identification:
    """Identify a file on disk (reads the whole file when it is under 16 MiB, else its head).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "x.png"
    >>> _ = p.write_bytes(b"GIF87a" + bytes(10))
    >>> identify_file(p).findings[0].message.startswith("the extension '.png'")
    True
    """
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(size if size <= (16 << 20) else HEAD_BYTES)
    return identify(data, name=path, size=size)


# -- signatures ------------------------------------------------------------------------------


def _by_signature(head: bytes, view: Any, whole: bool) -> Identification:
    if not head:
        return Identification("empty", basis="none")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _tiff(head, view)
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return Identification("bigtiff", "fmt/1917")
    if head[:3] == b"\xff\xd8\xff":
        return _jpeg(head, view, whole)
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return _png(view, whole)
    if head[:12] == _JP2_SIGNATURE:
        return _jp2(head)
    if head[:4] == b"\xff\x4f\xff\x51":
        return Identification("j2k", "fmt/1794")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Identification(
            "gif", "fmt/3" if head[3:6] == b"87a" else "fmt/4", head[3:6].decode()
        )
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Identification("webp")
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"avif", b"avis"):
            return Identification("avif")
        if brand in _HEIF_BRANDS:
            return Identification("heif")
    if head[:2] == b"BM" and len(head) >= 18:
        return Identification("bmp")
    if head[:5] == b"%PDF-":
        return Identification("pdf", version=head[5:8].decode("latin-1"))
    return Identification(
        "unknown",
        basis="none",
        findings=(
            IdentifyFinding(
                "ID-00",
                "warn",
                "the content matches no image format specpub knows (TIFF, JPEG, PNG, "
                "JPEG 2000, GIF, WebP, HEIF, BMP, PDF)",
                evidence=f"first bytes {head[:8].hex(' ')}",
            ),
        ),
    )


def _tiff(head: bytes, view: Any) -> Identification:
    """Classic TIFF: look into IFD0 for DNG, TIFF/EP and the Exif version."""
    bo = "<" if head[:2] == b"II" else ">"
    if len(head) < 8:
        return Identification("tiff", "fmt/353")
    tags = _ifd_tags(view, bo, struct.unpack_from(bo + "I", head, 4)[0])
    if 50706 in tags:  # DNGVersion: 4 BYTEs
        raw = _tag_bytes(view, bo, tags[50706])
        version = ".".join(str(b) for b in raw[:4]) if len(raw) >= 4 else ""
        puid = _DNG_PUIDS.get((raw[0], raw[1])) if len(raw) >= 2 else None
        return Identification("dng", puid or "", version)
    if 37398 in tags:
        return Identification("tiff-ep", "fmt/154")
    if 34665 in tags:  # Exif IFD pointer
        exif_offset = tags[34665][2]
        exif_tags = _ifd_tags(view, bo, exif_offset)
        if 0x9000 in exif_tags:
            version = _tag_bytes(view, bo, exif_tags[0x9000])[:4].decode("latin-1", "replace")
            puid = _EXIF_TIFF_PUIDS.get(version)
            if puid:
                return Identification("tiff", puid, version)
    return Identification("tiff", "fmt/353")


def _ifd_tags(view: Any, bo: str, offset: int) -> dict[int, tuple[int, int, int, int]]:
    """Tag → (type, count, value, data position) of one classic-TIFF IFD; ``{}`` if unreadable.

    ``value`` is the entry's 4-byte value field (the data itself for small values, else
    the data's offset); ``data position`` is where the data starts in the file.
    """
    n_view = len(view)
    if offset < 8 or offset + 2 > n_view:
        return {}
    (count,) = struct.unpack_from(bo + "H", view, offset)
    count = min(count, _MAX_IFD_ENTRIES, (n_view - offset - 2) // 12)
    out: dict[int, tuple[int, int, int, int]] = {}
    for i in range(count):
        entry = offset + 2 + 12 * i
        tag, typ, cnt, value = struct.unpack_from(bo + "HHII", view, entry)
        if tag not in out:  # small values sit in the entry itself, at +8
            out[tag] = (typ, cnt, value, value if _type_size(typ) * cnt > 4 else entry + 8)
    return out


def _type_size(typ: int) -> int:
    return {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}.get(typ, 1)


def _tag_bytes(view: Any, bo: str, entry: tuple[int, int, int, int]) -> bytes:
    typ, cnt, _, pos = entry
    n = min(_type_size(typ) * cnt, 64)
    return bytes(view[pos : pos + n]) if 0 <= pos <= len(view) else b""


def _jpeg(head: bytes, view: Any, whole: bool) -> Identification:
    eof: bool | None = None
    if whole:
        tail = bytes(view[-65536:])
        eof = b"\xff\xd9" in tail
    findings = () if eof is not False else (_truncated("JPEG", "no EOI marker FF D9"),)
    if head[3:4] == b"\xe0" and head[6:11] == b"JFIF\x00":
        ver = (head[11], head[12])
        return Identification(
            "jpeg",
            _JFIF_PUIDS.get(ver, "fmt/44"),
            f"{ver[0]}.{ver[1]:02d}",
            eof_signature=eof,
            findings=findings,
        )
    # Exif may come first or right after a JFIF APP0: walk the first few segments.
    pos = 2
    for _ in range(8):
        if pos + 4 > len(view) or view[pos] != 0xFF:
            break
        mk = view[pos + 1]
        length = (view[pos + 2] << 8) | view[pos + 3]
        if mk == 0xE1 and bytes(view[pos + 4 : pos + 10]) == b"Exif\x00\x00":
            version = _exif_version(view, pos + 10, pos + 2 + length)
            puid = _EXIF_JPEG_PUIDS.get(version, "")
            if puid:
                return Identification("jpeg", puid, version, eof_signature=eof, findings=findings)
            break
        if mk in (0xDA, 0xD9) or length < 2:
            break
        pos += 2 + length
    return Identification("jpeg", "fmt/41", eof_signature=eof, findings=findings)


def _exif_version(view: Any, start: int, end: int) -> str:
    """ExifVersion (tag 0x9000) from the TIFF structure of an APP1 Exif segment."""
    block = bytes(view[start : min(end, len(view))])
    if block[:4] not in (b"II*\x00", b"MM\x00*") or len(block) < 8:
        return ""
    bo = "<" if block[:2] == b"II" else ">"
    ifd0 = _ifd_tags(block, bo, struct.unpack_from(bo + "I", block, 4)[0])
    if 34665 not in ifd0:
        return ""
    exif = _ifd_tags(block, bo, ifd0[34665][2])
    if 0x9000 not in exif:
        return ""
    return _tag_bytes(block, bo, exif[0x9000])[:4].decode("latin-1", "replace")


def _png(view: Any, whole: bool) -> Identification:
    """PNG version by the chunks each version introduced; APNG by ``acTL`` before IDAT."""
    seen: set[bytes] = set()
    pos = 8
    n_view = len(view)
    for _ in range(100_000):
        if pos + 8 > n_view:
            break
        length = struct.unpack_from(">I", view, pos)[0]
        ctype = bytes(view[pos + 4 : pos + 8])
        seen.add(ctype)
        if ctype in (b"IDAT", b"IEND") or length > 0x7FFFFFFF:
            break
        pos += 12 + length
    eof: bool | None = None
    findings: tuple[IdentifyFinding, ...] = ()
    if whole:
        eof = bytes(view[-12:]) == b"\x00\x00\x00\x00IEND\xaeB`\x82"
        if not eof:
            findings = (_truncated("PNG", "no IEND chunk at the end"),)
    if b"acTL" in seen:
        return Identification("apng", "fmt/935", eof_signature=eof, findings=findings)
    if b"iTXt" in seen:
        puid, version = "fmt/13", "1.2"
    elif seen & {b"iCCP", b"sRGB", b"sPLT"}:
        puid, version = "fmt/12", "1.1"
    else:
        puid, version = "fmt/11", "1.0"
    return Identification("png", puid, version, eof_signature=eof, findings=findings)


def _jp2(head: bytes) -> Identification:
    if head[16:20] != b"ftyp":
        return Identification("jp2", "x-fmt/392")
    brand = head[20:24]
    fmt = _JP2_BRANDS.get(brand, "jp2")
    return Identification(fmt, _JP2_PUIDS.get(fmt, ""), brand.decode("latin-1").strip())


def _truncated(kind: str, evidence: str) -> IdentifyFinding:
    return IdentifyFinding(
        "ID-02",
        "fail",
        f"the {kind} end-of-file signature is missing: the file is probably truncated; "
        "copy or export it again",
        evidence=evidence,
    )
