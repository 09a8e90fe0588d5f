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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.records.spec import FileSpec

__all__ = [
    "MANIFEST_FIELDS",
    "MediaFile",
    "clean_text",
    "edtf_datetime",
    "format_group",
    "human_size",
]

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
#: Every manifest column :meth:`MediaFile.from_manifest` reads.
MANIFEST_FIELDS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            "path",
            "key",
            "size",
            "mtime",
            "md5",
            "sha256",
            "error",
            "error_code",
            "role",
            *(c for columns in _MANIFEST_COLUMNS.values() for c in columns),
            *_EMBEDDED_TERMS,
        )
    )
)


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
    if type(value) is str:  # the common case first
        return value.strip()
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _shared_facts(get: Callable[[str], Any]) -> dict[str, Any]:
    """The facts of a file that many files share (format, dimensions, camera), from
    ``get(fact)``: the first non-empty of the fact's manifest columns, or ``None``."""
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
    return {
        "group": group,
        "mime": _text(get("mime")) or "application/octet-stream",
        "format": _FORMAT_NAMES.get(group, scanned.upper()) if scanned else "",
        "width": integer("width"),
        "height": integer("height"),
        "bits": _text(get("bits")),
        "colour": _text(get("colour")),
        "compression": _text(get("compression")),
        "ppi": _text(get("ppi")),
        "icc": _text(get("icc")),
        "device": device.strip(),
    }


#: The manifest columns :func:`_shared_facts` reads.
_SHARED_COLUMNS = tuple(
    c
    for fact in (
        "format",
        "mime",
        "width",
        "height",
        "bits",
        "colour",
        "compression",
        "ppi",
        "icc",
        "make",
        "model",
    )
    for c in _MANIFEST_COLUMNS[fact]
)


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
        return cls._from_cells(row.get if isinstance(row, dict) else dict(row).get, role)

    @classmethod
    def _from_cells(
        cls,
        cell: Callable[[str], Any],
        role: str | None,
        path: Path | None = None,
        cache: dict[tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> MediaFile:
        """:meth:`from_manifest` with ``cell(column)`` giving a row's cells (``None`` when
        absent) and, optionally, ``path`` already made from ``cell("path")``. The facts a
        scan repeats from file to file (format, dimensions, camera) are kept in ``cache``,
        by their cells, when one is given."""

        def get(fact: str) -> Any:
            for column in _MANIFEST_COLUMNS[fact]:
                value = cell(column)
                if value is not None and _text(value):
                    return value
            return None

        if path is None:
            text = cell("path")
            if text is None:
                raise KeyError("path")
            path = Path(str(text))
        error = _text(cell("error"))
        if error:
            raise OSError(_text(cell("error_code")) or "unreadable", error, str(path))
        size, md5 = cell("size"), cell("md5")
        if size is None or md5 is None:
            raise KeyError("size" if size is None else "md5")
        key = _text(cell("key")) or path.name
        mtime = cell("mtime")
        spec = FileSpec(
            path=path,
            key=key,
            size=int(float(size)),
            md5=str(md5).lower(),
            mtime=float(mtime) if _text(mtime) else None,
            sha256=_text(cell("sha256")) or None,
        )
        if cache is None:
            shared = _shared_facts(get)
        else:
            cells = tuple(map(cell, _SHARED_COLUMNS))
            shared = cache.get(cells)  # type: ignore[assignment]
            if shared is None:
                if len(cache) >= 4096:
                    cache.clear()
                shared = cache[cells] = _shared_facts(get)
        embedded = []
        for column, term in _EMBEDDED_TERMS.items():
            value = cell(column)
            if value is not None and (value := _text(value)):
                embedded.append((term, value))
        return cls(
            spec=spec,
            role=role or _text(cell("role")) or "other",
            created=edtf_datetime(get("created")),
            embedded=tuple(embedded),
            **shared,
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
