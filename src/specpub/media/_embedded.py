"""Embedded metadata (Exif, XMP, IPTC) through pyexiv2 (exiv2), from the bytes already read.

pyexiv2 is not thread-safe, so every call holds :data:`_LOCK` (the scan runs it in
worker processes, one call at a time per process). It is given the bytes in
memory, never the path: for a JPEG only the header segments before the first
scan (exiv2 needs no more), for other formats the whole buffer. Where exiv2
cannot read a file (BigTIFF), and for TIFFs above the scan's buffer bound (whose
bytes are not all in memory: exiv2 would read the whole file again), the TIFF
tags read by tifffile are used instead, and the XMP packet (tag 700) is read by
exiv2 wrapped in a minimal JPEG; IPTC is then not read.

Examples
--------
>>> columns, nested, findings = embedded_from_bytes(_demo_jpeg())
>>> columns["exif_make"], columns["exif_datetime_original"], findings
('specpub', '2026:01:02 03:04:05', [])
"""

from __future__ import annotations

import struct
import threading
from typing import Any

__all__ = ["EMBEDDED_COLUMNS", "embedded_from_bytes", "embedded_metadata"]

_LOCK = threading.Lock()
_EXIV2_MAX = (2 << 30) - 1
_MAX_VALUE = 4096

_EXIF = {
    "exif_make": "Exif.Image.Make",
    "exif_model": "Exif.Image.Model",
    "exif_software": "Exif.Image.Software",
    "exif_datetime": "Exif.Image.DateTime",
    "exif_datetime_original": "Exif.Photo.DateTimeOriginal",
    "exif_artist": "Exif.Image.Artist",
    "exif_copyright": "Exif.Image.Copyright",
    "exif_orientation": "Exif.Image.Orientation",
}
_XMP = {
    "xmp_identifier": "Xmp.dc.identifier",
    "xmp_title": "Xmp.dc.title",
    "xmp_creator": "Xmp.dc.creator",
    "xmp_rights": "Xmp.dc.rights",
    "xmp_usage_terms": "Xmp.xmpRights.UsageTerms",
    "xmp_web_statement": "Xmp.xmpRights.WebStatement",
    "xmp_owner": "Xmp.xmpRights.Owner",
    "xmp_create_date": "Xmp.xmp.CreateDate",
    "xmp_credit": "Xmp.photoshop.Credit",
}
_IPTC = {
    "iptc_object_name": "Iptc.Application2.ObjectName",
    "iptc_byline": "Iptc.Application2.Byline",
    "iptc_copyright": "Iptc.Application2.Copyright",
    "iptc_credit": "Iptc.Application2.Credit",
    "iptc_source": "Iptc.Application2.Source",
    "iptc_caption": "Iptc.Application2.Caption",
    "iptc_date_created": "Iptc.Application2.DateCreated",
}
#: The manifest columns this module fills (all strings, ``exif_orientation`` an int).
EMBEDDED_COLUMNS = (*_EXIF, *_XMP, *_IPTC, "xmp_iptc_core")
_TIFF_TAGS = {
    "exif_make": 271,
    "exif_model": 272,
    "exif_software": 305,
    "exif_datetime": 306,
    "exif_artist": 315,
    "exif_copyright": 33432,
    "exif_orientation": 274,
}


def _text(value: Any) -> str:
    """One display string for a pyexiv2 value (lists joined, LangAlt → x-default)."""
    if value is None:
        return ""
    if isinstance(value, dict):
        value = value.get('lang="x-default"', next(iter(value.values()), ""))
    if isinstance(value, list | tuple):
        return "; ".join(_text(v) for v in value if _text(v))
    return str(value).replace("\x00", "").strip()


def _clip(value: Any) -> Any:
    if isinstance(value, str):
        return value[:_MAX_VALUE]
    if isinstance(value, list):
        return [_clip(v) for v in value[:200]]
    if isinstance(value, dict):
        return {str(k)[:200]: _clip(v) for k, v in list(value.items())[:200]}
    return str(value)[:_MAX_VALUE]


def _columns(exif: dict, xmp: dict, iptc: dict) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for col, key in _EXIF.items():
        out[col] = _text(exif.get(key))
    orient = out.get("exif_orientation", "")
    out["exif_orientation"] = int(orient) if orient.isdigit() else None
    for col, key in _XMP.items():
        out[col] = _text(xmp.get(key))
    for col, key in _IPTC.items():
        out[col] = _text(iptc.get(key))
    core = {k: _text(v) for k, v in xmp.items() if k.startswith("Xmp.iptc.")}
    out["xmp_iptc_core"] = "; ".join(f"{k[9:]}={v}" for k, v in sorted(core.items()) if v)
    if not out["exif_datetime_original"]:  # written only as XMP by some tools
        out["exif_datetime_original"] = _exif_style(_text(xmp.get("Xmp.exif.DateTimeOriginal")))
    if not out["exif_datetime_original"] and _text(iptc.get("Iptc.Application2.DateCreated")):
        # as exiftool's Composite:DateTimeOriginal: IPTC DateCreated + TimeCreated
        day = _exif_style(_text(iptc.get("Iptc.Application2.DateCreated")))
        clock = _text(iptc.get("Iptc.Application2.TimeCreated"))
        out["exif_datetime_original"] = f"{day} {clock}".strip()
    return out


def _exif_style(value: str) -> str:
    """An XMP date (``2019-10-14T15:00:20+00:00``) in Exif's form (``2019:10:14 15:00:20+00:00``).

    Examples
    --------
    >>> _exif_style("2019-10-14T15:00:20+00:00"), _exif_style("")
    ('2019:10:14 15:00:20+00:00', '')
    """
    if len(value) >= 10 and value[4] == "-" and value[7] == "-":
        value = value[:4] + ":" + value[5:7] + ":" + value[8:]
    return value.replace("T", " ", 1)


def embedded_resolution(nested: dict[str, Any]) -> tuple[float, float, str] | None:
    """``(x, y, unit)`` from the embedded Exif or XMP ``tiff:`` tags (for containers that
    hold none of their own: a JP2 without a ``res `` box, a PNG without ``pHYs``).

    Examples
    --------
    >>> embedded_resolution({"exif": {"Exif.Image.XResolution": "300/1",
    ...                               "Exif.Image.ResolutionUnit": "2"}})
    (300.0, 300.0, 'inch')
    """
    for block, prefix in (("exif", "Exif.Image."), ("xmp", "Xmp.tiff.")):
        tags = nested.get(block) or {}
        x = _number(tags.get(prefix + "XResolution"))
        if x is None:
            continue
        y = _number(tags.get(prefix + "YResolution"))
        unit = {"1": "none", "2": "inch", "3": "cm"}.get(
            _text(tags.get(prefix + "ResolutionUnit")) or "2", "none"
        )
        return x, (y if y is not None else x), unit
    return None


def _number(value: Any) -> float | None:
    text = _text(value)
    try:
        if "/" in text:
            num, den = text.split("/", 1)
            return float(num) / float(den) if float(den) else None
        return float(text) if text else None
    except ValueError:
        return None


def embedded_from_bytes(data: bytes) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """Exif/XMP/IPTC columns, the full nested metadata, and findings, from an image's bytes.

    Examples
    --------
    >>> cols, nested, findings = embedded_from_bytes(b"not an image")
    >>> cols["exif_make"], findings[0]["id"]
    ('', 'MEDIA-METADATA')
    """
    try:
        import pyexiv2
    except ImportError:
        return _pillow_fallback(data)

    findings: list[dict] = []
    exif: dict = {}
    xmp: dict = {}
    iptc: dict = {}
    with _LOCK:
        pyexiv2.set_log_level(4)
        try:
            img = pyexiv2.ImageData(data)
        except Exception as err:  # exiv2 raises RuntimeError on anything it cannot parse
            findings.append(_finding(f"exiv2 cannot read the file's metadata: {err}"))
            return _columns({}, {}, {}), {}, findings
        try:
            for name, reader in (
                ("exif", img.read_exif),
                ("xmp", img.read_xmp),
                ("iptc", img.read_iptc),
            ):
                try:
                    block = _read_block(reader)
                except Exception as err:
                    findings.append(_finding(f"exiv2 cannot read the {name.upper()} block: {err}"))
                    continue
                {"exif": exif, "xmp": xmp, "iptc": iptc}[name].update(block)
        finally:
            img.close()
    nested = {k: _clip(v) for k, v in (("exif", exif), ("xmp", xmp), ("iptc", iptc)) if v}
    return _columns(exif, xmp, iptc), nested, findings


_PIL_EXIF = {
    0x010F: "Exif.Image.Make",
    0x0110: "Exif.Image.Model",
    0x0131: "Exif.Image.Software",
    0x0132: "Exif.Image.DateTime",
    0x013B: "Exif.Image.Artist",
    0x8298: "Exif.Image.Copyright",
    0x0112: "Exif.Image.Orientation",
}


def _pillow_fallback(data: bytes) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """Without pyexiv2 (the optional ``exif`` extra): Exif through Pillow; no XMP/IPTC."""
    import io

    from PIL import Image

    note = {
        "id": "MEDIA-NO-EXIV2",
        "severity": "info",
        "message": "pyexiv2 is not installed: XMP and IPTC were not read "
        "(pip install 'specpub[exif]')",
        "evidence": "",
    }
    exif: dict[str, str] = {}
    try:
        with Image.open(io.BytesIO(data)) as img:
            tags = img.getexif()
            for code, key in _PIL_EXIF.items():
                if code in tags:
                    exif[key] = _text(tags[code])
            original = tags.get_ifd(0x8769).get(0x9003)
            if original:
                exif["Exif.Photo.DateTimeOriginal"] = _text(original)
    except Exception as err:  # Pillow raises many types on broken files
        return _columns({}, {}, {}), {}, [note, _finding(f"Pillow cannot read the Exif: {err}")]
    return _columns(exif, {}, {}), ({"exif": exif} if exif else {}), [note]


def _read_block(reader: Any) -> dict[str, Any]:
    """One metadata block; text that is not UTF-8 (legacy 8-bit tags) is read as Latin-1."""
    try:
        return reader()
    except UnicodeDecodeError:
        return reader(encoding="latin-1")


def _finding(message: str) -> dict[str, str]:
    return {"id": "MEDIA-METADATA", "severity": "warn", "message": message[:400], "evidence": ""}


def embedded_metadata(
    fr: Any, fmt: str, family: str, metadata_end: int | None
) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """Embedded metadata of a file read once (see the module docstring for what exiv2 gets)."""
    if fmt == "j2k":  # a bare codestream has no metadata container
        return _columns({}, {}, {}), {}, []
    if family == "jpeg" and metadata_end:
        return embedded_from_bytes(fr.read_at(0, metadata_end) + b"\xff\xd9")
    if family == "tiff" and (fmt == "bigtiff" or fr.data is None):
        return _tiff_fallback(fr)
    if fr.data is not None:
        return embedded_from_bytes(bytes(fr.data))
    if fr.size <= _EXIV2_MAX:
        return embedded_from_bytes(fr.read_at(0, fr.size))
    return _columns({}, {}, {}), {}, [_finding("the file is over 2 GB: exiv2 cannot read it")]


def xmp_from_packet(packet: bytes) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """XMP columns from a bare XMP packet (a JP2 ``xml `` box, TIFF tag 700), read by exiv2
    through a minimal JPEG that carries it."""
    if not packet or len(packet) >= 65000:
        return {}, {}, []
    seg = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    jpeg = b"\xff\xd8\xff\xe1" + struct.pack(">H", len(seg) + 2) + seg + b"\xff\xd9"
    cols, nested, findings = embedded_from_bytes(jpeg)
    return {k: v for k, v in cols.items() if k.startswith("xmp_") and v}, nested, findings


def _tiff_fallback(fr: Any) -> tuple[dict[str, Any], dict[str, Any], list[dict]]:
    """BigTIFF / huge TIFF: baseline and Exif tags from tifffile, XMP through exiv2."""
    import tifffile

    columns = _columns({}, {}, {})
    nested: dict[str, Any] = {}
    findings: list[dict] = []
    from specpub.media._formats import tifffile_log

    try:
        with tifffile_log(), tifffile.TiffFile(fr.open()) as tf:
            tags = tf.pages.first.tags
            for col, code in _TIFF_TAGS.items():
                tag = tags.get(code)
                if tag is not None:
                    columns[col] = tag.value if col == "exif_orientation" else _text(tag.value)
            if columns["exif_orientation"] is not None:
                columns["exif_orientation"] = int(columns["exif_orientation"])
            exif_ifd = tags.get(34665)
            if exif_ifd is not None and isinstance(exif_ifd.value, dict):
                columns["exif_datetime_original"] = _text(exif_ifd.value.get("DateTimeOriginal"))
            xmp_tag = tags.get(700)
            packet = bytes(xmp_tag.value) if xmp_tag is not None else b""
    except Exception as err:
        return columns, nested, [_finding(f"tifffile cannot read the tags: {err}")]
    xmp_cols, xmp_nested, findings = xmp_from_packet(packet)
    columns.update(xmp_cols)
    nested.update(xmp_nested)
    return columns, nested, findings


def _demo_jpeg() -> bytes:
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[271] = "specpub"
    exif[0x8769] = {0x9003: "2026:01:02 03:04:05"}
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG", exif=exif)
    return buf.getvalue()
