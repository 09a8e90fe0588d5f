"""The files of each record, with the facts templates and Audubon Core need.

Where a media scan exists (``WS/media/manifest.parquet``, see
:mod:`specpub.media`), each file's fixity (size, MD5, SHA-256) and
metadata (format, dimensions, bit depth, resolution, ICC profile, EXIF
capture device and date) come from it, and no image byte is read again.
Without a scan, each linked file is read once here for its fixity and the
other facts are guessed from the file name.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "BR1.tif"; _ = p.write_bytes(b"II*\\x00")
>>> f = MediaFile.from_path(p, role="master")
>>> f.group, f.mime, f.fact("name"), f.fact("size")
('tiff', 'image/tiff', 'BR1.tif', '4 bytes')
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.records.spec import FileSpec

__all__ = ["MediaFile", "clean_text", "edtf_datetime", "format_group", "human_size"]

_GROUPS = {
    ".tif": "tiff",
    ".tiff": "tiff",
    ".jpg": "jpeg",
    ".jpeg": "jpeg",
    ".jpe": "jpeg",
    ".jfif": "jpeg",
    ".png": "png",
    ".jp2": "jp2",
    ".j2k": "jp2",
    ".jpf": "jp2",
    ".jpx": "jp2",
    ".dng": "dng",
}
_MIMES = {
    "tiff": "image/tiff",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "jp2": "image/jp2",
    "dng": "image/x-adobe-dng",
}
_FORMAT_NAMES = {"tiff": "TIFF", "jpeg": "JPEG", "png": "PNG", "jp2": "JPEG 2000", "dng": "DNG"}
#: Manifest columns (:data:`specpub.media.MANIFEST_COLUMNS`) read for each fact, first
#: non-empty wins.
_MANIFEST_COLUMNS: dict[str, tuple[str, ...]] = {
    "format": ("format",),
    "mime": ("mime",),
    "width": ("width",),
    "height": ("height",),
    "bits": ("bits_per_sample",),
    "colour": ("colour_mode", "photometric"),
    "compression": ("compression",),
    "ppi": ("ppi",),
    "icc": ("icc_description",),
    "make": ("exif_make",),
    "model": ("exif_model",),
    "created": ("exif_datetime_original", "xmp_create_date", "iptc_date_created"),
}
#: Embedded rights metadata the sidecar carries per file (manifest column → Audubon Core /
#: XMP term).
_EMBEDDED_TERMS = {
    "xmp_rights": "dcterms:rights",
    "exif_copyright": "dcterms:rights",
    "xmp_owner": "xmpRights:Owner",
    "xmp_usage_terms": "xmpRights:UsageTerms",
    "xmp_web_statement": "xmpRights:WebStatement",
    "xmp_credit": "photoshop:Credit",
    "exif_artist": "dcterms:creator",
    "xmp_identifier": "dcterms:identifier",
    "puid": "specpub:puid",
}
#: The scan's format names → the format groups of templates.
_SCAN_FORMATS = {
    "tiff": "tiff",
    "bigtiff": "tiff",
    "tiff-ep": "tiff",
    "dng": "dng",
    "jpeg": "jpeg",
    "png": "png",
    "apng": "png",
    "jp2": "jp2",
    "jpx": "jp2",
    "jpm": "jp2",
    "jph": "jp2",
    "j2k": "jp2",
}


def format_group(name: str) -> str:
    """The format group of a file name by its extension (``other`` when unknown).

    Examples
    --------
    >>> format_group("B 10 0250963.JPG"), format_group("x.cr2")
    ('jpeg', 'other')
    """
    return _GROUPS.get(Path(name).suffix.lower(), "other")


def human_size(size: int) -> str:
    """A short readable size.

    Examples
    --------
    >>> human_size(3361423), human_size(512)
    ('3.4 MB', '512 bytes')
    """
    if size < 1000:
        return f"{size} bytes"
    for unit in ("kB", "MB", "GB", "TB"):
        size /= 1000
        if size < 1000:
            return f"{size:.1f} {unit}"
    return f"{size:.1f} PB"


_EXIF_DT = re.compile(r"^(\d{4})[:-](\d{2})[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?")


def edtf_datetime(value: Any) -> str | None:
    """An EXIF date-time (``2018:05:03 10:22:01``) as EDTF (``2018-05-03T10:22:01``).

    Examples
    --------
    >>> edtf_datetime("2018:05:03 10:22:01"), edtf_datetime("0000:00:00 00:00:00")
    ('2018-05-03T10:22:01', None)
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    m = _EXIF_DT.match(str(value).strip())
    if not m or m.group(1) == "0000" or m.group(2) == "00" or m.group(3) == "00":
        return None
    out = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    if m.group(4):
        out += f"T{m.group(4)}:{m.group(5)}:{m.group(6) or '00'}"
    return out


def clean_text(value: Any) -> str:
    """A manifest cell as text: ``""`` for missing values, ``600`` for ``600.0``.

    Examples
    --------
    >>> clean_text(600.0), clean_text(None), clean_text(" jpeg ")
    ('600', '', 'jpeg')
    """
    return _text(value)


def _text(value: Any) -> str:
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass(frozen=True)
class MediaFile:
    """One file of a record: its fixity and the facts the record can show.

    Examples
    --------
    >>> f = MediaFile(FileSpec(Path("/m/a.jpg"), "a.jpg", 1500, "0" * 32), role="access",
    ...               width=600, height=900)
    >>> f.fact("pixels"), f.fact("format")
    ('600 × 900', 'JPEG')
    """

    spec: FileSpec
    role: str = "other"
    group: str = "other"
    mime: str = "application/octet-stream"
    format: str = ""
    width: int | None = None
    height: int | None = None
    bits: str = ""
    colour: str = ""
    compression: str = ""
    ppi: str = ""
    icc: str = ""
    device: str = ""
    created: str | None = None
    embedded: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.group == "other" and self.format in ("", "other"):
            object.__setattr__(self, "group", format_group(self.spec.key))
        if self.mime == "application/octet-stream" and self.group in _MIMES:
            object.__setattr__(self, "mime", _MIMES[self.group])

    @property
    def is_image(self) -> bool:
        """Whether the file is an image (by format)."""
        return self.group != "other" or self.mime.startswith("image/")

    @classmethod
    def from_path(
        cls, path: Path | str, *, key: str | None = None, role: str = "other"
    ) -> MediaFile:
        """Read the file once for its fixity; other facts from the name.

        Examples
        --------
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x.png"; _ = p.write_bytes(b"png")
        >>> MediaFile.from_path(p).spec.size
        3
        """
        return cls(FileSpec.from_path(path, key=key), role=role)

    @classmethod
    def from_manifest(cls, row: Mapping[str, Any], *, role: str | None = None) -> MediaFile:
        """A file as the media scan described it (``path``, ``key``, ``size``, ``md5``, …).

        Examples
        --------
        >>> f = MediaFile.from_manifest({"path": "/m/BR1.tif", "key": "BR1.tif", "size": 10,
        ...     "md5": "a" * 32, "sha256": "b" * 64, "width": 6000, "height": 9000,
        ...     "exif_make": "Phase One", "exif_model": "iXG 100MP",
        ...     "exif_datetime_original": "2018:05:03 10:22:01", "role": "master"})
        >>> f.device, f.created, f.fact("pixels")
        ('Phase One iXG 100MP', '2018-05-03T10:22:01', '6000 × 9000')
        """

        def get(fact: str) -> Any:
            for column in _MANIFEST_COLUMNS[fact]:
                if column in row:
                    value = row[column]
                    if _text(value):
                        return value
            return None

        path = Path(str(row["path"]))
        error = _text(row.get("error"))
        if error:
            raise OSError(_text(row.get("error_code")) or "unreadable", error, str(path))
        key = _text(row.get("key")) or path.name
        mtime = row.get("mtime")
        spec = FileSpec(
            path=path,
            key=key,
            size=int(float(row["size"])),
            md5=str(row["md5"]).lower(),
            mtime=float(mtime) if _text(mtime) else None,
            sha256=_text(row.get("sha256")) or None,
        )
        make, model = _text(get("make")), _text(get("model"))
        device = model if make and model.lower().startswith(make.lower()) else f"{make} {model}"

        def integer(fact: str) -> int | None:
            value = get(fact)
            try:
                return int(float(value)) if value is not None else None
            except (TypeError, ValueError):
                return None

        scanned = _text(get("format")).lower()
        group = _SCAN_FORMATS.get(scanned, "other")
        embedded = tuple(
            (term, _text(row.get(column)))
            for column, term in _EMBEDDED_TERMS.items()
            if _text(row.get(column))
        )
        return cls(
            spec=spec,
            role=role or _text(row.get("role")) or "other",
            group=group,
            mime=_text(get("mime")) or "application/octet-stream",
            format=_FORMAT_NAMES.get(group, scanned.upper()) if scanned else "",
            width=integer("width"),
            height=integer("height"),
            bits=_text(get("bits")),
            colour=_text(get("colour")),
            compression=_text(get("compression")),
            ppi=_text(get("ppi")),
            icc=_text(get("icc")),
            device=device.strip(),
            created=edtf_datetime(get("created")),
            embedded=embedded,
        )

    def fact(self, name: str) -> str:
        """A fact of this file as text for a template (``""`` when unknown).

        Examples
        --------
        >>> MediaFile(FileSpec(Path("/a.tif"), "a.tif", 5, "0" * 32)).fact("width")
        ''
        """
        if name == "name":
            return self.spec.key
        if name == "format":
            return self.format or _FORMAT_NAMES.get(self.group, "")
        if name == "mime":
            return self.mime
        if name == "size":
            return human_size(self.spec.size)
        if name == "width":
            return "" if self.width is None else str(self.width)
        if name == "height":
            return "" if self.height is None else str(self.height)
        if name == "pixels":
            return f"{self.width} × {self.height}" if self.width and self.height else ""
        if name == "md5":
            return self.spec.md5
        if name == "sha256":
            return self.spec.sha256 or ""
        if name == "created":
            return self.created or ""
        value = getattr(self, name, "")
        return "" if value is None else str(value)
