"""Technical facts per format family, from the bytes already read, without decoding pixels.

TIFF (and BigTIFF, DNG, TIFF/EP) through **tifffile** (header and IFDs only; the
IFD chain is counted here, bounded, so a file that declares a billion pages costs
nothing); JPEG by a marker walk up to the first scan; PNG by a chunk walk; JPEG
2000 by a box reader (JP2/JPX/JPM) and the codestream's SIZ/COD segments.
Every walk is bounded in steps and in the bytes it will look at, whatever sizes
a hostile file declares.

Each ``*_facts`` function takes a :class:`~specpub.media._read.FileRead` and
returns a :class:`Facts`: the manifest columns it fills, the raw ICC profile
(if any), how many leading bytes hold the metadata (for exiv2), and findings.

Examples
--------
>>> facts = png_facts_from(_demo_png())
>>> facts.columns["width"], facts.columns["bits_per_sample"], facts.columns["colour_mode"]
(2, 16, 'RGB')
"""

from __future__ import annotations

import logging
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Facts", "facts_for"]

#: At most this many IFDs are counted in a TIFF's chain.
MAX_PAGES = 100_000
_MAX_SEGMENTS = 10_000
_MAX_CHUNKS = 1_000_000
_MAX_BOXES = 10_000
_MAX_ICC = 16 << 20

_TIFF_COMPRESSION = {
    1: "none",
    2: "ccitt-rle",
    3: "ccitt-t4",
    4: "ccitt-t6",
    5: "lzw",
    6: "ojpeg",
    7: "jpeg",
    8: "deflate",
    32946: "deflate",
    32773: "packbits",
    34712: "jpeg2000",
    33003: "jpeg2000",
    33005: "jpeg2000",
    34887: "lerc",
    34925: "lzma",
    50000: "zstd",
    50001: "webp",
    34892: "lossy-jpeg",
    52546: "jpegxl",
}
_TIFF_PHOTOMETRIC = {
    0: "miniswhite",
    1: "minisblack",
    2: "rgb",
    3: "palette",
    4: "mask",
    5: "separated",
    6: "ycbcr",
    8: "cielab",
    9: "icclab",
    10: "itulab",
    32844: "logl",
    32845: "logluv",
    32803: "cfa",
    34892: "linear-raw",
}
_RES_UNIT = {1: "none", 2: "inch", 3: "cm"}


@dataclass
class Facts:
    """What a format reader found (see the module docstring)."""

    columns: dict[str, Any] = field(default_factory=dict)
    icc: bytes = b""
    xmp: bytes = b""
    metadata_end: int | None = None
    findings: list[dict[str, str]] = field(default_factory=list)

    def finding(self, id_: str, severity: str, message: str, evidence: str = "") -> None:
        """Add a finding."""
        self.findings.append(
            {"id": id_, "severity": severity, "message": message, "evidence": evidence}
        )


def _ppi(value: float | None, unit: str) -> float | None:
    if value is None:
        return None
    if unit == "inch":
        return round(value, 4)
    if unit == "cm":
        return round(value * 2.54, 4)
    if unit == "metre":
        return round(value * 0.0254, 4)
    return None


def _resolution(facts: Facts, x: float | None, y: float | None, unit: str) -> None:
    facts.columns.update(
        x_resolution=x,
        y_resolution=y,
        resolution_unit=unit if x is not None else "",
        ppi=_ppi(x, unit),
        ppi_y=_ppi(y, unit),
    )


# -- TIFF --------------------------------------------------------------------------------------


class tifffile_log(logging.Handler):
    """Collect (at most 20 of) tifffile's log messages instead of printing them.

    Examples
    --------
    >>> with tifffile_log() as log:
    ...     logging.getLogger("tifffile").warning("invalid offset")
    >>> log.messages
    ['invalid offset']
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._logger = logging.getLogger("tifffile")
        self._propagate = True

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 20:
            self.messages.append(record.getMessage()[:300])

    def __enter__(self) -> tifffile_log:
        self._propagate = self._logger.propagate
        self._logger.addHandler(self)
        self._logger.propagate = False
        return self

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self)
        self._logger.propagate = self._propagate


def count_ifds(fr: Any, bigtiff: bool, bo: str) -> tuple[int, bool]:
    """Count the IFDs of the main chain (bounded by :data:`MAX_PAGES`, loops stop it).

    Returns ``(count, complete)``: ``complete`` is False when the chain was cut by a
    loop, an offset outside the file or the bound.
    """
    offset_fmt, count_fmt, entry = (bo + "Q", bo + "Q", 20) if bigtiff else (bo + "I", bo + "H", 12)
    osize = 8 if bigtiff else 4
    csize = 8 if bigtiff else 2
    offset = struct.unpack(offset_fmt, fr.read_at(8 if bigtiff else 4, osize))[0]
    seen: set[int] = set()
    count = 0
    while offset:
        if offset in seen or offset + csize > fr.size or count >= MAX_PAGES:
            return count, False
        seen.add(offset)
        raw = fr.read_at(offset, csize)
        if len(raw) < csize:
            return count, False
        (n,) = struct.unpack(count_fmt, raw)
        nxt = offset + csize + n * entry
        raw = fr.read_at(nxt, osize)
        count += 1
        if len(raw) < osize:
            return count, False
        (offset,) = struct.unpack(offset_fmt, raw)
    return count, True


def tiff_facts(fr: Any) -> Facts:
    """TIFF, BigTIFF, DNG, TIFF/EP: facts of the first IFD; pages counted along the chain."""
    import tifffile

    facts = Facts()
    head = bytes(fr.head[:16])
    bo = "<" if head[:2] == b"II" else ">"
    bigtiff = head[2:4] in (b"+\x00", b"\x00+")
    pages, complete = count_ifds(fr, bigtiff, bo)
    facts.columns["pages"] = pages
    if not complete:
        facts.finding(
            "MEDIA-TIFF-CHAIN",
            "warn",
            f"the IFD chain is cut after {pages} image(s) (a loop, an offset outside the file, "
            f"or more than {MAX_PAGES} images)",
        )
    with tifffile_log() as capture:
        try:
            with tifffile.TiffFile(fr.open()) as tf:
                page = tf.pages.first
                tags = {t.code: t for t in page.tags.values()}
                _tiff_page(facts, page, tags)
        except Exception as err:  # tifffile raises many types on hostile input
            facts.finding(
                "MEDIA-TIFF-UNREADABLE",
                "fail",
                f"tifffile cannot read the first image's tags: {type(err).__name__}: {err}"[:400],
            )
    for message in capture.messages:
        facts.finding("MEDIA-TIFF-LOG", "info", f"tifffile: {message}")
    return facts


def _tag_value(tags: dict[int, Any], code: int) -> Any:
    tag = tags.get(code)
    return None if tag is None else tag.value


def _rational(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, tuple) and len(value) == 2:
        num, den = value
        return float(num) / float(den) if den else None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _int_tag(tags: dict[int, Any], code: int) -> int | None:
    """The tag's integer value, ``None`` when absent (tifffile's enums such as
    ``RESUNIT.NONE`` are falsy: never test them with ``or``)."""
    value = _tag_value(tags, code)
    if value is None:
        return None
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _tiff_page(facts: Facts, page: Any, tags: dict[int, Any]) -> None:
    """Facts of one IFD from the tags actually present (no TIFF defaults filled in: a tag
    that is absent is reported absent, the validator says whether that is allowed)."""
    comp = _int_tag(tags, 259)
    photometric = _int_tag(tags, 262)
    spp = _int_tag(tags, 277)
    planar = _int_tag(tags, 284)
    tiled = 322 in tags
    facts.columns.update(
        width=_int_tag(tags, 256),
        height=_int_tag(tags, 257),
        bits_per_sample=_int_tag(tags, 258),
        samples_per_pixel=spp,
        photometric=_TIFF_PHOTOMETRIC.get(photometric, str(photometric))
        if photometric is not None
        else "",
        colour_mode=_tiff_mode(photometric, spp or 1),
        compression=_TIFF_COMPRESSION.get(comp, f"tiff-{comp}") if comp is not None else "",
        compression_code=comp,
        planar_config={1: "contig", 2: "separate"}.get(planar, "") if planar else "",
        tiled=tiled,
        tile_width=_int_tag(tags, 322) if tiled else None,
        tile_height=_int_tag(tags, 323) if tiled else None,
    )
    unit_code = _int_tag(tags, 296)
    unit = _RES_UNIT.get(2 if unit_code is None else unit_code, "none")
    x = _rational(_tag_value(tags, 282))
    y = _rational(_tag_value(tags, 283))
    if x is None and y is None:
        _resolution(facts, None, None, "")
    else:
        _resolution(facts, x, y, unit)
    icc = _tag_value(tags, 34675)
    if isinstance(icc, bytes | bytearray):
        facts.icc = bytes(icc[:_MAX_ICC])


def _tiff_mode(photometric: int | None, spp: int) -> str:
    if photometric is None:
        return ""
    p = photometric
    base = {0: "L", 1: "L", 2: "RGB", 3: "P", 4: "1", 5: "CMYK", 6: "YCbCr", 8: "LAB"}.get(p, "")
    if base in ("L", "RGB") and spp > (1 if base == "L" else 3):
        return base + "A"
    return base


# -- JPEG --------------------------------------------------------------------------------------

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_PROCESS = {
    0xC0: "jpeg-baseline",
    0xC1: "jpeg-extended",
    0xC2: "jpeg-progressive",
    0xC3: "jpeg-lossless",
    0xC9: "jpeg-arithmetic",
    0xCA: "jpeg-arithmetic-progressive",
    0xCB: "jpeg-arithmetic-lossless",
}


def jpeg_facts(fr: Any) -> Facts:
    """JPEG: SOF (size, precision, components, process), JFIF density, Exif resolution, ICC."""
    facts = Facts()
    pos = 2
    icc_chunks: dict[int, bytes] = {}
    jfif: tuple[int, int, int] | None = None
    exif_res: tuple[float | None, float | None, str] | None = None
    photoshop_res: tuple[float, float] | None = None
    for _ in range(_MAX_SEGMENTS):
        seg = fr.read_at(pos, 4)
        if len(seg) < 2:
            facts.finding("MEDIA-JPEG-EOF", "fail", "the file ends inside the JPEG header")
            break
        if seg[0] != 0xFF:
            found = _resync(fr, pos)
            facts.finding(
                "MEDIA-JPEG-MARKER",
                "warn",
                "bytes that are not a JPEG marker between segments"
                + ("" if found is None else f"; the next marker is at offset {found}"),
                f"offset {pos}",
            )
            if found is None:
                break
            pos = found
            continue
        marker = seg[1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker in (0xDA, 0xD9):
            facts.metadata_end = pos
            break
        if len(seg) < 4:
            facts.finding("MEDIA-JPEG-EOF", "fail", "the file ends inside the JPEG header")
            break
        length = (seg[2] << 8) | seg[3]
        if length < 2:
            facts.finding(
                "MEDIA-JPEG-LENGTH", "fail", "a JPEG segment length is below 2", f"offset {pos}"
            )
            break
        if marker in _SOF:
            body = fr.read_at(pos + 4, 6)
            if len(body) == 6:
                precision, height, width, comps = struct.unpack(">BHHB", body)
                facts.columns.update(
                    width=width,
                    height=height,
                    bits_per_sample=precision,
                    samples_per_pixel=comps,
                    compression=_PROCESS.get(marker, f"jpeg-sof{marker - 0xC0}"),
                    colour_mode={1: "L", 3: "RGB", 4: "CMYK"}.get(comps, ""),
                    photometric={1: "minisblack", 3: "ycbcr", 4: "separated"}.get(comps, ""),
                    pages=1,
                    tiled=False,
                )
        elif marker == 0xE0:
            body = fr.read_at(pos + 4, min(length - 2, 14))
            if body[:5] == b"JFIF\x00" and len(body) >= 12:
                jfif = (body[7], *struct.unpack(">HH", body[8:12]))
        elif marker == 0xE1:
            body = fr.read_at(pos + 4, min(length - 2, 65533))
            if body[:6] == b"Exif\x00\x00":
                exif_res = _exif_resolution(body[6:])
        elif marker == 0xED:
            body = fr.read_at(pos + 4, length - 2)
            if body.startswith(b"Photoshop 3.0\x00"):
                photoshop_res = _photoshop_resolution(body[14:]) or photoshop_res
        elif marker == 0xE2:
            body = fr.read_at(pos + 4, length - 2)
            if body[:12] == b"ICC_PROFILE\x00" and len(body) >= 14:
                icc_chunks.setdefault(body[12], body[14:])
        pos += 2 + length
    if icc_chunks:
        facts.icc = b"".join(icc_chunks[k] for k in sorted(icc_chunks))[:_MAX_ICC]
    if jfif is not None and jfif[0] in (1, 2):
        unit = "inch" if jfif[0] == 1 else "cm"
        _resolution(facts, float(jfif[1]), float(jfif[2]), unit)
    elif exif_res is not None and exif_res[0] is not None:
        _resolution(facts, exif_res[0], exif_res[1], exif_res[2])
    elif photoshop_res is not None:
        _resolution(facts, photoshop_res[0], photoshop_res[1], "inch")
    elif jfif is not None:
        _resolution(facts, float(jfif[1]), float(jfif[2]), "none")
    else:
        _resolution(facts, None, None, "")
    return facts


def _photoshop_resolution(irb: bytes) -> tuple[float, float] | None:
    """ResolutionInfo (resource 0x03ED) of a Photoshop APP13 block, in pixels per inch."""
    pos = 0
    for _ in range(1000):
        if irb[pos : pos + 4] != b"8BIM" or pos + 7 > len(irb):
            return None
        (rid,) = struct.unpack_from(">H", irb, pos + 4)
        name_len = irb[pos + 6]
        pos += 7 + name_len + ((1 + name_len) % 2)  # Pascal name padded to an even size
        if pos + 4 > len(irb):
            return None
        (size,) = struct.unpack_from(">I", irb, pos)
        pos += 4
        if rid == 0x03ED and size >= 16 and pos + 16 <= len(irb):
            h, _hu, _wu, v = struct.unpack_from(">IHHI", irb, pos)
            return (h / 65536.0, v / 65536.0) if h and v else None
        pos += size + (size % 2)
    return None


def _resync(fr: Any, pos: int) -> int | None:
    """The offset of the next plausible marker (``FF`` then not ``00``/``FF``/RST) within 1 MiB,
    the way decoders skip junk between segments."""
    window = fr.read_at(pos, 1 << 20)
    i = window.find(b"\xff")
    while 0 <= i < len(window) - 1:
        nxt = window[i + 1]
        if nxt not in (0x00, 0xFF) and not 0xD0 <= nxt <= 0xD7:
            return pos + i
        i = window.find(b"\xff", i + 1)
    return None


def _exif_resolution(block: bytes) -> tuple[float | None, float | None, str] | None:
    try:
        return _exif_resolution_unchecked(block)
    except struct.error:  # a truncated Exif block
        return None


def _exif_resolution_unchecked(block: bytes) -> tuple[float | None, float | None, str] | None:
    if block[:4] not in (b"II*\x00", b"MM\x00*"):
        return None
    bo = "<" if block[:2] == b"II" else ">"
    (ifd,) = struct.unpack_from(bo + "I", block, 4)
    if ifd + 2 > len(block):
        return None
    (n,) = struct.unpack_from(bo + "H", block, ifd)
    values: dict[int, Any] = {}
    for i in range(min(n, 4096)):
        pos = ifd + 2 + 12 * i
        if pos + 12 > len(block):
            break
        tag, typ, _cnt, value = struct.unpack_from(bo + "HHII", block, pos)
        if tag in (282, 283, 296):
            values[tag] = _entry_number(block, bo, typ, pos, value)
    if values.get(282) is None:
        return None
    unit = values.get(296)
    return values.get(282), values.get(283), _RES_UNIT.get(int(unit or 2), "none")


def _entry_number(block: bytes, bo: str, typ: int, pos: int, value: int) -> float | None:
    """The number in a one-value Exif entry, whatever integer or rational type it was written
    with (some tools write resolutions as LONG or SLONG)."""
    if typ in (3, 8):
        return float(struct.unpack_from(bo + ("H" if typ == 3 else "h"), block, pos + 8)[0])
    if typ in (4, 9):
        return float(struct.unpack_from(bo + ("I" if typ == 4 else "i"), block, pos + 8)[0])
    if typ in (5, 10) and value + 8 <= len(block):
        num, den = struct.unpack_from(bo + ("II" if typ == 5 else "ii"), block, value)
        return num / den if den else None
    return None


# -- PNG ---------------------------------------------------------------------------------------

_PNG_MODES = {
    0: ("L", 1, "greyscale"),
    2: ("RGB", 3, "truecolour"),
    3: ("P", 1, "indexed"),
    4: ("LA", 2, "greyscale-alpha"),
    6: ("RGBA", 4, "truecolour-alpha"),
}


def png_facts(fr: Any) -> Facts:
    """PNG: IHDR, pHYs, iCCP (inflated, bounded), APNG frame count."""
    facts = Facts()
    pos = 8
    facts.columns["pages"] = 1
    _resolution(facts, None, None, "")
    for _ in range(_MAX_CHUNKS):
        head = fr.read_at(pos, 8)
        if len(head) < 8:
            break
        length, ctype = struct.unpack(">I4s", head)
        if length > fr.size - pos - 12:
            facts.finding(
                "MEDIA-PNG-CHUNK",
                "fail",
                f"the {ctype.decode('latin-1', 'replace')!r} chunk claims {length} bytes, "
                "more than the file holds",
                f"offset {pos}",
            )
            break
        if ctype == b"IHDR" and length >= 13:
            w, h, depth, ctyp, _c, _f, interlace = struct.unpack(
                ">IIBBBBB", fr.read_at(pos + 8, 13)
            )
            mode, spp, name = _PNG_MODES.get(ctyp, ("", None, str(ctyp)))
            facts.columns.update(
                width=w,
                height=h,
                bits_per_sample=depth,
                samples_per_pixel=spp,
                colour_mode=mode,
                photometric=name,
                compression="deflate",
                tiled=False,
                interlaced=bool(interlace),
            )
        elif ctype == b"pHYs" and length >= 9:
            x, y, unit = struct.unpack(">IIB", fr.read_at(pos + 8, 9))
            _resolution(facts, float(x), float(y), "metre" if unit == 1 else "none")
        elif ctype == b"iCCP" and not facts.icc:
            body = fr.read_at(pos + 8, length)
            nul = body.find(b"\x00", 0, 80)
            if nul > 0:
                try:
                    inflater = zlib.decompressobj()
                    facts.icc = inflater.decompress(body[nul + 2 :], _MAX_ICC)
                except zlib.error:
                    facts.finding("MEDIA-PNG-ICC", "warn", "the iCCP profile does not inflate")
        elif ctype == b"acTL" and length >= 8:
            facts.columns["pages"] = struct.unpack(">I", fr.read_at(pos + 8, 4))[0]
        elif ctype == b"IEND":
            break
        pos += 12 + length
    return facts


# -- JPEG 2000 ---------------------------------------------------------------------------------


def _boxes(fr: Any, start: int, end: int):
    pos = start
    for _ in range(_MAX_BOXES):
        if pos + 8 > end:
            return
        lbox, tbox = struct.unpack(">I4s", fr.read_at(pos, 8))
        header = 8
        if lbox == 1:
            raw = fr.read_at(pos + 8, 8)
            if len(raw) < 8:
                return
            lbox = struct.unpack(">Q", raw)[0]
            header = 16
        elif lbox == 0:
            lbox = end - pos
        if lbox < header:
            return
        yield tbox, pos + header, min(pos + lbox, end)
        pos += lbox


def jp2_facts(fr: Any) -> Facts:
    """JP2/JPX/JPM: ``ihdr``, ``colr`` (enumerated space or ICC), ``res `` boxes, codestream."""
    facts = Facts()
    facts.columns["pages"] = 1
    _resolution(facts, None, None, "")
    for tbox, start, end in _boxes(fr, 0, fr.size):
        if tbox == b"jp2h":
            for sub, s, e in _boxes(fr, start, end):
                body = fr.read_at(s, min(e - s, _MAX_ICC + 3))
                if sub == b"ihdr" and len(body) >= 14:
                    h, w, nc, bpc, _c = struct.unpack(">IIHBB", body[:12])
                    facts.columns.update(
                        width=w,
                        height=h,
                        samples_per_pixel=nc,
                        bits_per_sample=None if bpc == 0xFF else (bpc & 0x7F) + 1,
                    )
                elif sub == b"colr" and len(body) >= 3 and "photometric" not in facts.columns:
                    meth = body[0]
                    if meth == 1 and len(body) >= 7:
                        cs = struct.unpack(">I", body[3:7])[0]
                        name = {
                            16: "srgb",
                            17: "greyscale",
                            18: "sycc",
                            12: "cmyk",
                            14: "cielab",
                            20: "e-sycc",
                            24: "e-sycc",
                        }.get(cs, f"enumcs-{cs}")
                        facts.columns["photometric"] = name
                        facts.columns["colour_mode"] = {
                            "srgb": "RGB",
                            "greyscale": "L",
                            "sycc": "YCbCr",
                            "cmyk": "CMYK",
                        }.get(name, "")
                    elif meth in (2, 3):
                        facts.icc = body[3:]
                        facts.columns["photometric"] = "icc"
                elif sub == b"res ":
                    for rsub, rs, re_ in _boxes(fr, s, e):
                        if rsub in (b"resc", b"resd") and rs + 10 <= e:
                            if re_ - rs < 10:  # read what is there, and say it is damaged
                                facts.finding(
                                    "MEDIA-JP2-RES",
                                    "warn",
                                    f"the {rsub.decode()} box is shorter than its 10 bytes",
                                    f"offset {rs - 8}",
                                )
                            vn, vd, hn, hd, ve, he = struct.unpack(">HHHHbb", fr.read_at(rs, 10))
                            if vd and hd and (rsub == b"resc" or facts.columns["ppi"] is None):
                                x = hn / hd * 10.0**he
                                y = vn / vd * 10.0**ve
                                _resolution(facts, x, y, "metre")
        elif tbox in (b"xml ", b"uuid") and not facts.xmp and end - start < (16 << 20):
            body = fr.read_at(start, end - start)
            if tbox == b"uuid":
                body = body[16:] if body[:16] == _XMP_UUID else b""
            if b"xmpmeta" in body or b"rdf:RDF" in body:
                facts.xmp = body
        elif tbox == b"jp2c":
            _codestream(facts, fr, start)
    return facts


_XMP_UUID = bytes.fromhex("BE7ACFCB97A942E89C71999491E3AFAC")


def j2k_facts(fr: Any) -> Facts:
    """A raw JPEG 2000 codestream."""
    facts = Facts()
    facts.columns["pages"] = 1
    _resolution(facts, None, None, "")
    _codestream(facts, fr, 0)
    return facts


def _codestream(facts: Facts, fr: Any, start: int) -> None:
    pos = start + 2  # after SOC
    for _ in range(64):
        seg = fr.read_at(pos, 4)
        if len(seg) < 4 or seg[0] != 0xFF:
            return
        marker, length = seg[1], (seg[2] << 8) | seg[3]
        if marker == 0x51:  # SIZ
            body = fr.read_at(pos + 4, 38 + 3)
            if len(body) >= 41:
                xs, ys, xo, yo, xt, yt, xto, yto = struct.unpack(">8I", body[2:34])
                (csiz,) = struct.unpack(">H", body[34:36])
                ssiz = body[36]
                facts.columns.setdefault("width", xs - xo)
                facts.columns.setdefault("height", ys - yo)
                facts.columns.setdefault("samples_per_pixel", csiz)
                if facts.columns.get("bits_per_sample") is None:
                    facts.columns["bits_per_sample"] = (ssiz & 0x7F) + 1
                facts.columns["tiled"] = (xt, yt) != (xs - xto, ys - yto)
                facts.columns["tile_width"] = xt
                facts.columns["tile_height"] = yt
        elif marker == 0x52:  # COD
            body = fr.read_at(pos + 4, 10)
            if len(body) >= 10:
                facts.columns["compression"] = (
                    "jpeg2000-lossless" if body[9] == 1 else "jpeg2000-lossy"
                )
            return
        elif marker in (0x90, 0x93, 0xD9):
            return
        pos += 2 + length


# -- dispatch ----------------------------------------------------------------------------------

_READERS = {
    "tiff": tiff_facts,
    "jpeg": jpeg_facts,
    "png": png_facts,
    "jpeg2000": jp2_facts,
}


def facts_for(family: str, fmt: str, fr: Any) -> Facts | None:
    """The facts reader for a format family (``None`` for formats specpub does not read)."""
    if fmt == "j2k":
        return j2k_facts(fr)
    reader = _READERS.get(family)
    return None if reader is None else reader(fr)


def png_facts_from(data: bytes) -> Facts:
    """:func:`png_facts` on bytes in memory (examples and tests)."""
    return png_facts(_Bytes(data))


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self.data = memoryview(data)
        self.head = self.data
        self.size = len(data)

    def read_at(self, offset: int, n: int) -> bytes:
        return bytes(self.data[max(0, offset) : max(0, offset) + max(0, n)])


def _demo_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b"")
