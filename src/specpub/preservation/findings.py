"""Findings: what a validator or a policy rule says about a file, with a stable id.

Every finding has an **id** that never changes meaning (``TIF-12``, ``JPG-04``,
``PNG-04``, ``JP2-05``, ``RES-02`` …), a **severity** (``fail``, ``warn``,
``info``) and **evidence**: the byte offset and the place in the structure
(a tag, a marker, a chunk, a box) where the problem is, plus the measured
value for policy rules.

The catalogue :data:`FINDING_TYPES` lists every structural finding id with its
**tier**, the two-tier model of JHOVE (``docs/preservation.md`` §1.1) plus two
lighter tiers:

``nwf``
    *not well-formed*: the byte structure is broken (JHOVE's ``setWellFormed(false)``).
``inv``
    *well-formed but invalid*: internally inconsistent (JHOVE's ``setValid(false)``).
``warn``
    legal but risky for preservation (bytes after the end marker, overlapping data …).
``info``
    recorded only (multi-page layout, profile detected …).

and the **profile rule** that decides its severity under a policy profile
(``INT-01`` for not-well-formed, ``INT-02`` for invalid, ``INT-03`` for
truncation, ``INT-04`` for a failed full decode, ``INT-05`` for trailing bytes,
``INT-06`` for structural warnings; see :mod:`specpub.preservation.profiles`).
The anchor column names the JHOVE message id, jpylyzer test or checkit_tiff
case the check mirrors.

Examples
--------
>>> FINDING_TYPES["TIF-12"].tier, FINDING_TYPES["TIF-12"].rule
('inv', 'INT-03')
>>> f = Finding("PNG-04", "fail", "CRC mismatch in chunk IDAT", offset=57, where="chunk IDAT")
>>> f.as_dict()["where"]
'chunk IDAT'
>>> structural_severity("TIF-09"), structural_severity("TIF-20")
('fail', 'info')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FINDING_TYPES",
    "SEVERITIES",
    "TIERS",
    "Finding",
    "FindingType",
    "structural_severity",
    "worst",
]

#: Severities, from the mildest to the worst.
SEVERITIES = ("pass", "info", "warn", "fail")
#: Structural tiers and the severity each has when no profile says otherwise.
TIERS = {"nwf": "fail", "inv": "fail", "warn": "warn", "info": "info"}


@dataclass(frozen=True)
class FindingType:
    """One entry of the catalogue: id, title, tier, governing profile rule, anchor.

    Examples
    --------
    >>> FINDING_TYPES["JPG-04"].title
    'JPEG truncated: end of file before the EOI marker'
    """

    id: str
    title: str
    tier: str
    rule: str
    anchor: str = ""


@dataclass(frozen=True)
class Finding:
    """One finding about one file.

    Parameters
    ----------
    id
        Stable id: a structural id of :data:`FINDING_TYPES` or a profile rule id.
    severity
        ``fail``, ``warn`` or ``info``.
    message
        What is wrong and, where it helps, what to do about it.
    offset
        Byte offset in the file where the problem is (``None`` when not applicable).
    where
        The place in the structure: ``"IFD 0, tag 273 StripOffsets"``, ``"marker SOS"``,
        ``"chunk IDAT"``, ``"box jp2h"``, ``"jpylyzer: foundEOCMarker"`` …
    value
        The measured value for a policy rule (``"72 ppi"``, ``"Compression 7 (JPEG)"``).
    rule
        The profile rule this finding was judged under (``INT-02``, ``RES-02`` …).

    Examples
    --------
    >>> Finding("RES-02", "fail", "resolution below 300 ppi", value="72 ppi").severity
    'fail'
    """

    id: str
    severity: str
    message: str
    offset: int | None = None
    where: str = ""
    value: str = ""
    rule: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict.

        Examples
        --------
        >>> sorted(Finding("TIF-01", "fail", "m").as_dict())
        ['id', 'message', 'offset', 'rule', 'severity', 'value', 'where']
        """
        return {
            "id": self.id,
            "severity": self.severity,
            "rule": self.rule,
            "message": self.message,
            "offset": self.offset,
            "where": self.where,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """The inverse of :meth:`as_dict`.

        Examples
        --------
        >>> f = Finding("TIF-01", "fail", "m", offset=0)
        >>> Finding.from_dict(f.as_dict()) == f
        True
        """
        offset = data.get("offset")
        return cls(
            id=str(data["id"]),
            severity=str(data["severity"]),
            message=str(data.get("message", "")),
            offset=None if offset is None or offset != offset else int(offset),
            where=str(data.get("where") or ""),
            value=str(data.get("value") or ""),
            rule=str(data.get("rule") or ""),
        )


def worst(severities: Any) -> str:
    """The worst of some severities (``pass`` when there are none).

    Examples
    --------
    >>> worst(["info", "warn"]), worst([])
    ('warn', 'pass')
    """
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    best = "pass"
    for sev in severities:
        if rank.get(sev, 0) > rank[best]:
            best = sev
    return best


def _t(id: str, title: str, tier: str, anchor: str = "", rule: str | None = None) -> FindingType:
    default_rule = {"nwf": "INT-01", "inv": "INT-02", "warn": "INT-06", "info": ""}[tier]
    return FindingType(id, title, tier, default_rule if rule is None else rule, anchor)


_TYPES = [
    # -- files that cannot be read at all -------------------------------------------------
    _t("FILE-01", "empty file (0 bytes)", "nwf", "jpylyzer empty.jp2"),
    _t("FILE-02", "not a regular file (directory, FIFO, device, broken link)", "nwf"),
    _t("FILE-03", "file could not be read (permission, I/O error, vanished)", "nwf"),
    _t("FILE-04", "file changed while it was being read", "nwf"),
    _t("STR-00", "no structural validator for this format", "info", rule=""),
    _t("STR-01", "the validator stopped with an internal error", "nwf"),
    _t("STR-02", "not decoded: the image is above the decode limit", "info"),
    # -- TIFF (docs/preservation.md §1.4) -------------------------------------------------
    _t("TIF-01", "TIFF header: byte order or magic number invalid", "nwf", "TIFF-HUL-20/21"),
    _t(
        "TIF-02",
        "IFD offset invalid (none, before byte 8, outside the file, or odd)",
        "nwf",
        "TIFF-HUL-58/59",
    ),
    _t("TIF-03", "IFD has no entries or does not fit in the file", "nwf", "TIFF-HUL-1/57"),
    _t("TIF-04", "IFD tags not in ascending order, or a tag is repeated", "nwf", "TIFF-HUL-2"),
    _t("TIF-05", "unknown field type (the tag cannot be read)", "warn", "TIFF-HUL-3"),
    _t("TIF-06", "field type or count wrong for a known tag", "nwf", "TIFF-HUL-6/7/8"),
    _t("TIF-07", "tag value lies outside the file", "nwf", "TIFF-HUL-1"),
    _t("TIF-08", "IFD chain loops, is too long, or points outside the file", "nwf", "TIFF-HUL-60"),
    _t(
        "TIF-09",
        "ASCII value not NUL-terminated, or holds stray NUL bytes",
        "inv",
        "TIFF 6.0 §2; checkit_tiff",
    ),
    _t(
        "TIF-10",
        "ImageWidth, ImageLength or PhotometricInterpretation missing",
        "inv",
        "TIFF-HUL-62/63/64",
    ),
    _t(
        "TIF-11",
        "strip or tile layout inconsistent (missing, both, counts differ)",
        "inv",
        "TIFF-HUL-24…28, 30…39",
    ),
    _t(
        "TIF-12",
        "TIFF truncated: strip or tile data extends past the end of the file",
        "inv",
        "TIFF-HUL-29",
        rule="INT-03",
    ),
    _t(
        "TIF-13",
        "strips, tiles or tag values overlap each other (bytes used twice)",
        "inv",
        "checkit_tiff offsets_multiple_used",
    ),
    _t("TIF-14", "TileWidth or TileLength not a multiple of 16", "inv", "TIFF-HUL-34/35"),
    _t(
        "TIF-15",
        "PhotometricInterpretation inconsistent with samples, bits or ColorMap",
        "inv",
        "TIFF-HUL-40…46",
    ),
    _t("TIF-16", "DateTime not in the form YYYY:MM:DD HH:MM:SS", "inv", "TIFF-HUL-53…56"),
    _t(
        "TIF-17",
        "Exif/GPS IFD pointer or XMP packet invalid",
        "inv",
        "TIFF-HUL-14/70",
        rule="MD-01",
    ),
    _t("TIF-18", "ICC profile (tag 34675) malformed", "inv", "TIFF-HUL-71"),
    _t("TIF-19", "pixel data does not decode", "inv", "beyond JHOVE", rule="INT-04"),
    _t(
        "TIF-20",
        "file holds several images (pages, reduced resolutions, SubIFDs)",
        "info",
        "JHOVE IFD count",
    ),
    _t("TIF-21", "TIFF profile detected (Exif, GeoTIFF, TIFF/EP, DNG)", "info", "JHOVE profiles"),
    _t(
        "TIF-22",
        "value or data offset not word-aligned",
        "nwf",
        "TIFF-HUL-4 (info with byteoffset=true)",
    ),
    _t(
        "TIF-23",
        "strip or tile offset is zero or points into the header",
        "inv",
        "checkit_tiff offsets_are_zero",
    ),
    _t("TIF-24", "strip or tile data overlaps an IFD or tag values", "warn"),
    _t(
        "TIF-25", "Compression or Predictor value unknown or inconsistent", "inv", "TIFF 6.0 §3/§14"
    ),
    _t("TIF-26", "NewSubfileType / SubfileType value invalid", "inv", "TIFF 6.0 §8"),
    # -- JPEG --------------------------------------------------------------------------
    _t("JPG-01", "does not start with SOI FF D8 FF", "nwf", "JPEG-HUL-4"),
    _t("JPG-02", "marker or segment length invalid (junk between segments)", "nwf", "JPEG-HUL-7"),
    _t("JPG-03", "frame header missing or invalid (SOF, DQT, DHT)", "inv", "JPEG-HUL-6"),
    _t(
        "JPG-04",
        "JPEG truncated: end of file before the EOI marker",
        "nwf",
        "JPEG-HUL-2",
        rule="INT-03",
    ),
    _t("JPG-05", "bytes after the EOI marker", "warn", "PRONOM EOF", rule="INT-05"),
    _t("JPG-06", "first segment is neither JFIF APP0 nor Exif APP1", "warn", "JPEG-HUL-9/5"),
    _t("JPG-07", "ICC profile in APP2 incomplete or malformed", "inv", "JPEG-HUL-11"),
    _t("JPG-09", "pixel data does not decode", "inv", "beyond JHOVE", rule="INT-04"),
    _t(
        "JPG-10",
        "marker not valid in its context (second SOI, SOS before SOF …)",
        "inv",
        "JPEG-HUL-6",
    ),
    _t("JPG-11", "Exif or XMP block malformed", "warn", "JPEG-HUL-11", rule="MD-01"),
    # -- PNG ---------------------------------------------------------------------------
    _t("PNG-01", "PNG signature invalid", "nwf", "PNG-GDM-66"),
    _t("PNG-02", "IHDR not first, not 13 bytes long, or repeated", "nwf", "PNG-GDM-22…25, 71"),
    _t(
        "PNG-03",
        "IHDR values invalid (colour type × bit depth, methods, size 0)",
        "nwf",
        "PNG-GDM-26/28",
    ),
    _t("PNG-04", "chunk CRC mismatch", "nwf", "PNG-GDM-68"),
    _t("PNG-05", "IDAT missing or not consecutive", "nwf", "PNG-GDM-72/20"),
    _t("PNG-06", "IEND not empty or not last", "nwf", "PNG-GDM-67/21"),
    _t("PNG-07", "PLTE missing, forbidden, repeated or misplaced", "nwf", "PNG-GDM-74/75"),
    _t("PNG-08", "ancillary chunk misplaced or repeated", "nwf", "PNG-GDM-1…16"),
    _t("PNG-09", "iCCP and sRGB both present", "nwf", "PNG-GDM-17/50"),
    _t("PNG-10", "unknown critical chunk", "nwf", "PNG spec §5.4"),
    _t(
        "PNG-11",
        "image data (IDAT zlib stream) does not decode",
        "inv",
        "beyond JHOVE",
        rule="INT-04",
    ),
    _t(
        "PNG-12",
        "PNG truncated: the file ends inside a chunk or before IEND",
        "nwf",
        "PNG-GDM-69/73",
        rule="INT-03",
    ),
    _t("PNG-13", "bytes after the IEND chunk", "warn", "", rule="INT-05"),
    _t("PNG-14", "chunk length or chunk type invalid", "nwf", "PNG spec §5.3"),
    _t("PNG-15", "ancillary chunk content invalid (length or values)", "inv", "PNG-GDM"),
    _t("PNG-16", "eXIf or XMP block malformed", "warn", "PNG-GDM", rule="MD-01"),
    # -- JPEG 2000 (jpylyzer's tests, grouped as in docs/preservation.md §1.4) ---------------
    _t("JP2-00", "jpylyzer could not analyse the file", "nwf", "jpylyzer success=False"),
    _t("JP2-01", "signature box invalid", "nwf", "signatureIsValid"),
    _t("JP2-02", "file type box invalid (brand, compatibility: not JP2)", "nwf", "brandIsValid"),
    _t("JP2-03", "JP2 header box missing, misplaced or incomplete", "nwf", "containsJP2HeaderBox"),
    _t("JP2-04", "box length inconsistent", "nwf", "boxLengthIsValid"),
    _t("JP2-05", "codestream structure invalid (markers, tiles)", "nwf", "foundSIZMarker"),
    _t("JP2-06", "image header inconsistent with the codestream", "inv", "heightConsistentWithSIZ"),
    _t("JP2-07", "colour specification invalid (METH, enumCS, ICC)", "inv", "methIsValid"),
    _t("JP2-08", "XML box, comment or URL invalid", "inv", "containsWellformedXML"),
    _t("JP2-11", "pixel data does not decode", "inv", "beyond jpylyzer", rule="INT-04"),
    _t(
        "JP2-12",
        "JPEG 2000 truncated: codestream ends early (no EOC, tile-parts missing)",
        "nwf",
        "foundEOCMarker",
        rule="INT-03",
    ),
]

#: The catalogue of structural finding ids.
FINDING_TYPES: dict[str, FindingType] = {t.id: t for t in _TYPES}


def structural_severity(finding_id: str) -> str:
    """The severity a structural finding has on its own (from its tier).

    Examples
    --------
    >>> structural_severity("JPG-05")
    'warn'
    """
    return TIERS[FINDING_TYPES[finding_id].tier]
