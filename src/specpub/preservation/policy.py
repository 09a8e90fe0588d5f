"""Preservation policy: the rule catalogue and how a profile judges one file.

Each rule has a stable id from ``docs/preservation.md`` §2.2 (``FMT-01``,
``CMP-01``, ``BIT-01``, ``COL-03``, ``RES-02``, ``MD-02`` …), a title, its
sources, default parameters, and a check over the file's *facts*: its
identification, its structural findings and the properties the structural
validator read (bit depth, colour, compression, resolution, ICC profile, XMP,
Exif …). A :class:`~specpub.preservation.profiles.Profile` says, per rule,
``fail``, ``warn``, ``info`` or ``off`` and may change the parameters.

Structural findings are judged too: each finding id names the rule that governs
it (``INT-01`` not well-formed, ``INT-02`` invalid, ``INT-03`` truncation,
``INT-04`` decode, ``INT-05`` trailing bytes, ``INT-06`` structural warnings,
``MD-01`` metadata blocks); the profile's severity for that rule applies
(``tier`` keeps the finding's own tier), and a profile may override single
finding ids (``[findings] TIF-22 = "warn"``, like JHOVE's ``byteoffset=true``).

The file's verdict is the worst severity of what remains (``info`` counts as
``pass``).

Examples
--------
>>> from specpub.preservation.profiles import get_profile
>>> facts = Facts(name="BR1.tif", size=10, format="tiff",
...               properties={"compression": 7, "bits_per_sample": [8, 8, 8]})
>>> [f.id for f in evaluate(facts, get_profile("master")) if f.id.startswith("CMP")]
['CMP-01']
>>> RULES["RES-02"].defaults
{'min_ppi': 300}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from specpub.preservation._metadata import check_icc, icc_info, xmp_fields
from specpub.preservation.findings import FINDING_TYPES, TIERS, Finding

if TYPE_CHECKING:
    from specpub.preservation.profiles import Profile

__all__ = ["RULES", "Facts", "Rule", "evaluate", "ppi", "rule"]

_TIFF_FAMILY = ("tiff", "bigtiff", "dng", "tiff-ep")
_COMPRESSION_NAMES = {
    1: "none",
    2: "CCITT RLE",
    3: "CCITT G3",
    4: "CCITT G4",
    5: "LZW",
    6: "old-style JPEG",
    7: "JPEG",
    8: "Adobe Deflate",
    32773: "PackBits",
    32946: "Deflate",
    34712: "JPEG 2000",
    34887: "LERC",
    34925: "LZMA",
    50000: "ZSTD",
    50001: "WebP",
    50002: "JPEG XL",
}
_PHOTOMETRIC_COLOUR = {
    0: "gray",
    1: "gray",
    2: "rgb",
    3: "palette",
    4: "mask",
    5: "cmyk",
    6: "ycbcr",
    8: "lab",
    9: "lab",
    10: "lab",
    32844: "logl",
    32845: "logluv",
    34892: "linearraw",
}


@dataclass
class Facts:
    """Everything policy rules may look at for one file.

    Attributes
    ----------
    name
        The file name (its stem is compared with the barcode pattern, ``MD-02``).
    size
        Size in bytes.
    format, puid
        Identification by signature.
    identification
        Findings of identification (``ID-00`` unknown, ``ID-02`` end-of-file signature
        missing, ``ID-03`` extension mismatch), as dicts.
    structure
        Structural findings (:class:`~specpub.preservation.findings.Finding`).
    properties
        What the structural validator read.

    Examples
    --------
    >>> Facts(name="a.png", size=1, format="png").stem
    'a'
    """

    name: str
    size: int
    format: str
    puid: str = ""
    identification: list[dict[str, Any]] = field(default_factory=list)
    structure: list[Finding] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def stem(self) -> str:
        """The file name without folder and extension."""
        base = self.name.replace("\\", "/").rsplit("/", 1)[-1]
        return base.rsplit(".", 1)[0] if "." in base else base

    @property
    def is_tiff(self) -> bool:
        """Whether the format is TIFF-based."""
        return self.format in _TIFF_FAMILY

    def prop(self, key: str, default: Any = None) -> Any:
        """A property (``default`` when absent or ``None``)."""
        value = self.properties.get(key)
        return default if value is None else value

    @property
    def colour(self) -> str | None:
        """``rgb``, ``gray``, ``palette``, ``cmyk``, ``ycbcr``, ``lab``, ``mask`` … or ``None``."""
        if self.is_tiff and self.properties.get("photometric") is not None:
            return _PHOTOMETRIC_COLOUR.get(self.properties["photometric"], "other")
        return self.properties.get("colour")

    @property
    def icc(self) -> dict[str, Any]:
        """Colour space and description of the embedded ICC profile (``{}`` when none)."""
        if self.properties.get("icc_summary"):
            return dict(self.properties["icc_summary"])
        return icc_info(self.properties.get("icc"))

    @property
    def xmp(self) -> dict[str, list[str]]:
        """Selected XMP fields (see :func:`specpub.preservation._metadata.xmp_fields`)."""
        cached = self.properties.get("_xmp_fields")
        if cached is None:
            cached = xmp_fields(self.properties.get("xmp"))
            self.properties["_xmp_fields"] = cached
        return cached


def ppi(facts: Facts) -> tuple[float | None, float | None]:
    """Horizontal and vertical resolution in pixels per inch (``None`` without a unit).

    Examples
    --------
    >>> ppi(Facts("a", 1, "png", properties={"resolution_present": True,
    ...     "resolution_unit": "metre", "x_resolution": 23622, "y_resolution": 23622}))
    (600.0, 600.0)
    """
    p = facts.properties
    if not p.get("resolution_present"):
        return None, None
    factor = {"inch": 1.0, "cm": 2.54, "metre": 0.0254}.get(p.get("resolution_unit") or "")
    if factor is None:
        return None, None
    x, y = p.get("x_resolution"), p.get("y_resolution")
    return (
        None if x is None else round(float(x) * factor, 2),
        None if y is None else round(float(y) * factor, 2),
    )


# -- the rule catalogue -------------------------------------------------------------------

Outcome = tuple[str, str]  # (message, measured value)
Check = Callable[[Facts, dict[str, Any]], Iterable[Outcome | tuple[str, str, str]] | None]


@dataclass(frozen=True)
class Rule:
    """A policy rule: id, title, sources, default parameters, check.

    The check returns the problems it found (``(message, value)`` pairs, or
    ``(message, value, severity)`` to override the profile's severity for that
    outcome, as ``FMT-02`` does for small BigTIFFs), or ``None``/``[]`` when the rule
    passes or does not apply.
    """

    id: str
    title: str
    source: str
    defaults: dict[str, Any]
    check: Check | None


RULES: dict[str, Rule] = {}


def rule(rule_id: str, title: str, source: str, **defaults: Any) -> Callable[[Check], Check]:
    """Register a policy rule (decorator). Rules with ``check=None`` judge structural findings.

    Examples
    --------
    >>> RULES["FMT-01"].title
    'the format is allowed by the profile'
    """

    def add(func: Check) -> Check:
        RULES[rule_id] = Rule(rule_id, title, source, dict(defaults), func)
        return func

    return add


for _id, _title, _source in (
    ("INT-01", "the file is well-formed (no NWF structural finding)", "JHOVE well-formed"),
    ("INT-02", "the file is valid (no INV structural finding)", "JHOVE valid"),
    ("INT-03", "the file is not truncated", "TIFF-HUL-29, JPEG-HUL-2, PNG-GDM-69, foundEOCMarker"),
    ("INT-04", "the pixel data decodes (with --decode)", "Pillow/tifffile, §4.3"),
    ("INT-05", "no bytes after the end marker", "PRONOM EOF signatures"),
    ("INT-06", "no structural warning", "JHOVE messages"),
):
    RULES[_id] = Rule(_id, _title, _source, {}, None)


@rule("ID-01", "the format is identified by its signature", "PRONOM/DROID")
def _id01(f: Facts, p: dict[str, Any]) -> Any:
    if f.format in ("unknown", "empty", ""):
        what = "the file is empty" if f.format == "empty" else "no known image signature"
        return [(f"the format cannot be identified by signature ({what})", f.format or "?")]
    return None


@rule(
    "ID-04",
    "not a look-alike of an allowed format (JPX, JPM, raw codestream, DNG …)",
    "§2.2 scope",
    lookalikes=["jpx", "jpm", "jph", "j2k", "dng", "tiff-ep", "apng"],
)
def _id04(f: Facts, p: dict[str, Any]) -> Any:
    if f.format in p["lookalikes"]:
        return [
            (
                f"the file is {f.format.upper()}, a look-alike of an allowed format that "
                "many readers of that format cannot open",
                f.format,
            )
        ]
    return None


@rule(
    "FMT-01",
    "the format is allowed by the profile",
    "NARA; Metamorfoze; iDigBio",
    formats=["tiff", "bigtiff", "png", "jp2"],
)
def _fmt01(f: Facts, p: dict[str, Any]) -> Any:
    if f.format in ("unknown", "empty") or f.format in p["lookalikes_skip"]:
        return None
    if f.format not in p["formats"]:
        return [
            (
                f"{f.format.upper()} is not a format this profile accepts (allowed: "
                f"{', '.join(p['formats'])})",
                f.format,
            )
        ]
    return None


RULES["FMT-01"].defaults["lookalikes_skip"] = ["jpx", "jpm", "jph", "j2k", "dng", "tiff-ep", "apng"]


@rule(
    "FMT-02",
    "not BigTIFF (fail when under the size where classic TIFF would do)",
    "JHOVE TIFF-HUL-21; exiv2; PRONOM fmt/1917",
    small_bytes=4 << 30,
    small_severity="fail",
)
def _fmt02(f: Facts, p: dict[str, Any]) -> Any:
    if f.format == "bigtiff" or f.prop("bigtiff"):
        if f.size < p["small_bytes"]:
            return [
                (
                    "BigTIFF below 4 GiB: a classic TIFF would hold it, and many tools "
                    "(JHOVE, exiv2) cannot read BigTIFF",
                    f"{f.size} bytes",
                    p["small_severity"],
                )
            ]
        return [("BigTIFF: many tools (JHOVE, exiv2) cannot read it", f"{f.size} bytes")]
    return None


@rule(
    "FMT-03",
    "one full-resolution image per file",
    "SLUB NewSubfileType; one specimen",
    reduced_severity="warn",
)
def _fmt03(f: Facts, p: dict[str, Any]) -> Any:
    full = f.prop("full_resolution_images", 1)
    reduced = f.prop("reduced_images", 0)
    out: list[Any] = []
    if full > 1:
        out.append((f"{full} full-resolution images in one file", f"{full} images"))
    if reduced:
        out.append(
            (
                f"{reduced} reduced-resolution images or thumbnails",
                f"{reduced} reduced",
                p["reduced_severity"],
            )
        )
    return out


@rule(
    "CMP-01",
    "TIFF compression is lossless and widely readable",
    "SLUB; NARA; DLF",
    allowed=[1, 5, 8],
    tolerated=[32773],
    tolerated_severity="warn",
)
def _cmp01(f: Facts, p: dict[str, Any]) -> Any:
    if not f.is_tiff or f.prop("compression") is None:
        return None
    c = int(f.prop("compression"))
    name = f"Compression {c} ({_COMPRESSION_NAMES.get(c, 'unknown')})"
    if c in p["allowed"]:
        return None
    if c in p["tolerated"]:
        return [(f"{name} is lossless but little used for masters", name, p["tolerated_severity"])]
    return [
        (
            f"{name} is not allowed for this profile (allowed: "
            f"{', '.join(str(a) for a in p['allowed'])})",
            name,
        )
    ]


@rule("CMP-02", "TIFF Predictor is 1 or 2", "interoperability", allowed=[1, 2])
def _cmp02(f: Facts, p: dict[str, Any]) -> Any:
    if f.is_tiff and f.prop("predictor", 1) not in p["allowed"]:
        return [
            (
                f"Predictor {f.prop('predictor')} is not widely supported",
                f"Predictor {f.prop('predictor')}",
            )
        ]
    return None


@rule("CMP-03", "JPEG 2000 is lossless (5-3 reversible wavelet)", "Metamorfoze; jpylyzer")
def _cmp03(f: Facts, p: dict[str, Any]) -> Any:
    t = f.prop("jp2_transformation")
    if t and t != "5-3 reversible":
        return [("the JPEG 2000 codestream uses the irreversible 9-7 wavelet: it is lossy", t)]
    return None


@rule(
    "CMP-04",
    "JPEG process is baseline, extended or progressive Huffman",
    "interoperability",
    allowed=["SOF0", "SOF1", "SOF2"],
)
def _cmp04(f: Facts, p: dict[str, Any]) -> Any:
    proc = f.prop("jpeg_process")
    if proc and proc not in p["allowed"]:
        return [
            (
                f"JPEG process {proc} (lossless, hierarchical or arithmetic) is poorly supported",
                proc,
            )
        ]
    return None


@rule("CMP-05", "PNG is neither animated (APNG) nor interlaced", "interoperability")
def _cmp05(f: Facts, p: dict[str, Any]) -> Any:
    out = []
    if f.format == "apng" or f.prop("apng", False):
        out.append(("the PNG is animated (APNG)", "acTL"))
    if f.prop("interlaced", False):
        out.append(("the PNG is interlaced (Adam7): larger and slower to read", "interlace 1"))
    return out


def _tiff_tag_rule(key: str, allowed: tuple[int, ...], what: str) -> Check:
    def check(f: Facts, p: dict[str, Any]) -> Any:
        value = f.properties.get(key)
        if f.is_tiff and value is not None and value not in p["allowed"]:
            return [
                (
                    f"{what} is {value}; expected {' or '.join(map(str, p['allowed']))}",
                    f"{what} {value}",
                )
            ]
        return None

    return check


rule("LAY-01", "PlanarConfiguration is 1 (chunky)", "SLUB; baseline readers", allowed=[1])(
    _tiff_tag_rule("planar", (1,), "PlanarConfiguration")
)
rule("LAY-02", "Orientation is absent or 1", "SLUB", allowed=[1])(
    lambda f, p: (
        [
            (
                f"Orientation is {f.prop('orientation')}: viewers that ignore it show the "
                "image rotated",
                f"Orientation {f.prop('orientation')}",
            )
        ]
        if f.prop("orientation") not in (None, *p["allowed"])
        else None
    )
)
rule("LAY-03", "FillOrder is absent or 1", "SLUB", allowed=[1])(
    lambda f, p: (
        [(f"FillOrder is {f.prop('fill_order')}", f"FillOrder {f.prop('fill_order')}")]
        if f.is_tiff and f.prop("fill_order") not in (None, *p["allowed"])
        else None
    )
)
rule("LAY-04", "stripped rather than tiled", "baseline TIFF")(
    lambda f, p: (
        [("the TIFF is tiled (a TIFF 6.0 extension)", "tiled")]
        if f.is_tiff and f.prop("tiled", False)
        else None
    )
)


@rule(
    "BIT-01",
    "bits per sample are equal and allowed",
    "FADGI; Metamorfoze; SLUB; DLF",
    allowed=[8, 16],
)
def _bit01(f: Facts, p: dict[str, Any]) -> Any:
    bps = f.prop("bits_per_sample")
    if not bps:
        return None
    colour_bits = bps[: max(1, len(bps) - len(f.prop("extra_samples", [])))]
    if len(set(bps)) > 1:
        return [(f"bits per sample differ between samples: {bps}", str(bps))]
    if f.colour == "palette":
        return None  # judged by COL-01
    if colour_bits[0] not in p["allowed"]:
        return [
            (
                f"{colour_bits[0]} bits per sample; allowed: {', '.join(map(str, p['allowed']))}",
                f"{colour_bits[0]} bits",
            )
        ]
    return None


@rule("BIT-02", "at least the profile's bits per sample", "Metamorfoze Full v2.0", min_bits=16)
def _bit02(f: Facts, p: dict[str, Any]) -> Any:
    bps = f.prop("bits_per_sample")
    if bps and max(bps) < p["min_bits"]:
        return [
            (
                f"{max(bps)} bits per sample; this profile asks for {p['min_bits']}",
                f"{max(bps)} bits",
            )
        ]
    return None


@rule("BIT-03", "samples are unsigned integers (SampleFormat 1)", "SLUB", allowed=[1])
def _bit03(f: Facts, p: dict[str, Any]) -> Any:
    fmts = f.prop("sample_format")
    if f.is_tiff and fmts and any(x not in p["allowed"] for x in fmts):
        kinds = {1: "unsigned", 2: "signed", 3: "floating point", 4: "undefined"}
        return [(f"SampleFormat {fmts[0]} ({kinds.get(fmts[0], '?')})", f"SampleFormat {fmts[0]}")]
    return None


@rule(
    "COL-01",
    "the colour model is RGB or greyscale",
    "SLUB; TI/A; iDigBio",
    allowed=["rgb", "gray"],
    tolerated_photometric=[0],
    tolerated_severity="warn",
)
def _col01(f: Facts, p: dict[str, Any]) -> Any:
    colour = f.colour
    if colour is None:
        return None
    if colour not in p["allowed"]:
        return [(f"the colour model is {colour}; allowed: {', '.join(p['allowed'])}", colour)]
    if f.is_tiff and f.prop("photometric") in p["tolerated_photometric"]:
        return [
            (
                "PhotometricInterpretation 0 (WhiteIsZero): inverted greyscale",
                "Photometric 0",
                p["tolerated_severity"],
            )
        ]
    return None


@rule("COL-02", "no alpha or extra samples", "SLUB")
def _col02(f: Facts, p: dict[str, Any]) -> Any:
    if f.prop("alpha", False) or f.prop("extra_samples"):
        return [("the image has an alpha channel or extra samples", "alpha")]
    return None


@rule("COL-03", "the colour space is declared in the file", "SLUB; Metamorfoze; iDigBio")
def _col03(f: Facts, p: dict[str, Any]) -> Any:
    if f.colour not in ("rgb", "gray", "ycbcr", "cmyk", None):
        return None
    if f.prop("icc") is not None or f.properties.get("icc_summary"):
        return None
    if f.prop("srgb", False) or f.prop("jp2_enumcs") in (16, 17, 18):
        return None
    where = {"tiff": "tag 34675", "jpeg": "APP2", "png": "iCCP/sRGB", "jp2": "colr"}.get(
        "tiff" if f.is_tiff else f.format, ""
    )
    return [
        (
            f"no embedded ICC profile{f' ({where})' if where else ''}: the colours are "
            "undefined; embed the profile the capture was calibrated in",
            "no ICC",
        )
    ]


@rule(
    "COL-04",
    "the ICC profile parses and matches the samples",
    "TIFF-HUL-71; JPEG-HUL-11; JPEG2000-HUL-10",
)
def _col04(f: Facts, p: dict[str, Any]) -> Any:
    raw = f.prop("icc")
    info = f.icc
    out = []
    problem = check_icc(raw) if raw is not None else info.get("problem", "")
    if problem:
        return [(f"the ICC profile is malformed: {problem}", "malformed")]
    space = info.get("colour_space")
    colour = f.colour
    if space and colour in ("rgb", "gray", "cmyk"):
        expected = {"rgb": "RGB", "gray": "GRAY", "cmyk": "CMYK"}[colour]
        if space != expected:
            out.append(
                (f"the ICC profile is for {space} but the image is {colour}", f"ICC {space}")
            )
    return out


@rule(
    "COL-05",
    "the ICC profile is a known working space",
    "FADGI; Metamorfoze",
    allowed=[
        "eciRGB v2",
        "Adobe RGB (1998)",
        "ProPhoto RGB",
        "sRGB IEC61966-2.1",
        "Gray Gamma 2.2",
    ],
)
def _col05(f: Facts, p: dict[str, Any]) -> Any:
    desc = f.icc.get("description")
    if not desc:
        return None
    allowed = [a.lower() for a in p["allowed"]]
    if not any(a in desc.lower() for a in allowed):
        return [(f"the ICC profile {desc!r} is not one of {', '.join(p['allowed'])}", desc)]
    return None


@rule("RES-01", "the resolution is recorded with an absolute unit", "DLF; SLUB; iDigBio")
def _res01(f: Facts, p: dict[str, Any]) -> Any:
    x, _ = ppi(f)
    if x is None:
        if f.prop("resolution_present", False):
            return [("the resolution has no absolute unit (aspect ratio only)", "no unit")]
        return [("no resolution is recorded in the file", "missing")]
    return None


@rule("RES-02", "at least the minimum resolution", "DLF; SLUB; Metamorfoze; FADGI 3★", min_ppi=300)
def _res02(f: Facts, p: dict[str, Any]) -> Any:
    x, y = ppi(f)
    if x is None or y is None:
        return None
    low = min(x, y)
    if low < p["min_ppi"]:
        return [(f"{low:g} ppi is below the minimum of {p['min_ppi']} ppi", f"{low:g} ppi")]
    return None


@rule("RES-03", "herbarium sheets at 600 ppi", "ENBI manual; Coimbra", min_ppi=600)
def _res03(f: Facts, p: dict[str, Any]) -> Any:
    return _res02(f, p)


@rule("RES-04", "square pixels (X = Y resolution)", "reasoning", tolerance=0.01)
def _res04(f: Facts, p: dict[str, Any]) -> Any:
    x, y = ppi(f)
    if x and y and abs(x - y) / max(x, y) > p["tolerance"]:
        return [(f"X resolution {x:g} ppi and Y resolution {y:g} ppi differ", f"{x:g}×{y:g} ppi")]
    return None


@rule("RES-05", "a plausible resolution", "SLUB; TI/A", max_ppi=4000)
def _res05(f: Facts, p: dict[str, Any]) -> Any:
    x, y = ppi(f)
    if x and y and max(x, y) > p["max_ppi"]:
        return [
            (
                f"{max(x, y):g} ppi is above {p['max_ppi']} ppi: probably a wrong unit",
                f"{max(x, y):g} ppi",
            )
        ]
    return None


@rule(
    "RES-06",
    "enough pixels for the sheet",
    "reasoning: 29×42 cm sheet",
    sheet_long_edge_in=16.5,
    min_ppi=300,
)
def _res06(f: Facts, p: dict[str, Any]) -> Any:
    w, h = f.prop("width"), f.prop("height")
    if not w or not h:
        return None
    need = int(p["sheet_long_edge_in"] * p["min_ppi"])
    if max(w, h) < need:
        return [
            (
                f"the long edge is {max(w, h)} px; a {p['sheet_long_edge_in']}-inch sheet at "
                f"{p['min_ppi']} ppi needs {need}",
                f"{max(w, h)} px",
            )
        ]
    return None


@rule(
    "MD-02",
    "the specimen's identifier is in the file name (and XMP dc:identifier)",
    "AC dcterms:identifier; MIDS0; Coimbra, LSU naming",
    pattern=r"^[A-Z]{1,5}\d{5,12}(_\d+)?$",
    require_xmp=False,
)
def _md02(f: Facts, p: dict[str, Any]) -> Any:
    stem = f.stem
    ids = f.xmp.get("dc:identifier", [])
    out = []
    if not re.match(p["pattern"], stem) and stem not in ids:
        out.append(
            (f"the file name {stem!r} does not match the barcode pattern {p['pattern']}", stem)
        )
    if p["require_xmp"] and not ids:
        out.append(("no dc:identifier in the XMP packet", "no dc:identifier"))
    return out


@rule("MD-03", "rights and licence are embedded", "AC dcterms:rights; MIDS1 License")
def _md03(f: Facts, p: dict[str, Any]) -> Any:
    x = f.xmp
    if any(x.get(k) for k in ("dc:rights", "xmpRights:UsageTerms", "xmpRights:WebStatement")):
        return None
    if (f.prop("exif") or {}).get("Copyright"):
        return None
    return [
        ("no rights statement (XMP dc:rights / xmpRights:UsageTerms, or Exif Copyright)", "missing")
    ]


@rule("MD-04", "capture provenance is embedded (device, date, software)", "AC; LoC")
def _md04(f: Facts, p: dict[str, Any]) -> Any:
    exif = f.prop("exif") or {}
    x = f.xmp
    missing = []
    if not (exif.get("Make") or exif.get("Model") or x.get("tiff:Make") or x.get("tiff:Model")):
        missing.append("capture device (Make/Model)")
    if not (
        exif.get("DateTimeOriginal")
        or exif.get("DateTimeDigitized")
        or x.get("xmp:CreateDate")
        or x.get("exif:DateTimeOriginal")
    ):
        missing.append("capture date (DateTimeOriginal / xmp:CreateDate)")
    if not (exif.get("Software") or x.get("xmp:CreatorTool")):
        missing.append("software")
    if missing:
        return [(f"missing: {', '.join(missing)}", ", ".join(missing))]
    return None


_EXIF_DATE = re.compile(r"^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$")


@rule("MD-05", "Exif dates are well-formatted (YYYY:MM:DD HH:MM:SS)", "TIFF-HUL-53…56")
def _md05(f: Facts, p: dict[str, Any]) -> Any:
    exif = f.prop("exif") or {}
    out = []
    for key in ("DateTime", "DateTimeOriginal", "DateTimeDigitized"):
        value = exif.get(key)
        if f.is_tiff and key == "DateTime":
            continue  # the TIFF DateTime tag is checked structurally (TIF-16)
        if value and not _EXIF_DATE.match(value):
            out.append((f"Exif {key} is {value!r}, not YYYY:MM:DD HH:MM:SS", value))
    return out


@rule("MD-01", "metadata blocks (Exif, XMP) parse", "TIFF-HUL-14/70; pyexiv2")
def _md01(f: Facts, p: dict[str, Any]) -> Any:
    return None  # judged through the structural findings TIF-17, JPG-11, PNG-16


@rule("OPS-01", "the file fits a Zenodo record", "Zenodo policy", max_bytes=50 * 10**9)
def _ops01(f: Facts, p: dict[str, Any]) -> Any:
    if f.size > p["max_bytes"]:
        return [
            (
                f"{f.size} bytes: more than a Zenodo record holds ({p['max_bytes']})",
                f"{f.size} bytes",
            )
        ]
    return None


@rule(
    "OPS-02",
    "pixel count within Pillow's decompression-bomb limit",
    "Pillow Image.py",
    max_pixels=89_478_485,
)
def _ops02(f: Facts, p: dict[str, Any]) -> Any:
    w, h = f.prop("width"), f.prop("height")
    if w and h and w * h > p["max_pixels"]:
        return [
            (
                f"{w}×{h} = {w * h} pixels: Pillow refuses to open it without raising "
                "Image.MAX_IMAGE_PIXELS",
                f"{w * h} px",
            )
        ]
    return None


@rule("ACC-04", "the access copy is large enough", "Metamorfoze Extra Light", min_long_edge=2000)
def _acc04(f: Facts, p: dict[str, Any]) -> Any:
    w, h = f.prop("width"), f.prop("height")
    if w and h and max(w, h) < p["min_long_edge"]:
        return [
            (f"the long edge is {max(w, h)} px, below {p['min_long_edge']} px", f"{max(w, h)} px")
        ]
    return None


# -- evaluation ---------------------------------------------------------------------------

_ID_RULE = {"ID-00": "ID-01", "ID-02": "ID-02", "ID-03": "ID-03"}
RULES["ID-02"] = Rule(
    "ID-02",
    "the end-of-file signature is present (JPEG EOI, PNG IEND)",
    "PRONOM EOF signatures",
    {},
    None,
)
RULES["ID-03"] = Rule(
    "ID-03",
    "the extension agrees with the identified format",
    "siegfried extension mismatch",
    {},
    None,
)


# Rules that judge a file even when its structure yielded no properties.
_WITHOUT_PROPERTIES = {"ID-01", "ID-04", "FMT-01", "FMT-02", "OPS-01"}


def evaluate(facts: Facts, profile: Profile) -> list[Finding]:
    """Judge one file under a profile: structural findings re-weighed, then every rule.

    Returns the findings with their effective severity (``off`` ones dropped), in a
    stable order: identification, structure, policy rules in catalogue order.

    Examples
    --------
    >>> from specpub.preservation.profiles import get_profile
    >>> facts = Facts("x.tif", 9, "tiff",
    ...               structure=[Finding("TIF-22", "fail", "odd offset", rule="INT-01")])
    >>> [(f.id, f.severity) for f in evaluate(facts, get_profile("structure"))]
    [('TIF-22', 'fail')]
    """
    out: list[Finding] = []
    for found in facts.identification:
        fid = str(found.get("id"))
        governing = _ID_RULE.get(fid, fid)
        sev = profile.severity_of(governing, default=str(found.get("severity", "warn")))
        if fid in profile.findings:
            sev = profile.findings[fid]
        if sev == "off" or (fid == "ID-00" and profile.severity_of("ID-01") != "off"):
            continue  # ID-00 is restated by rule ID-01 below
        out.append(
            Finding(
                fid,
                sev,
                str(found.get("message", "")),
                where=str(found.get("evidence", "")),
                rule=governing,
            )
        )
    for f in facts.structure:
        ftype = FINDING_TYPES.get(f.id)
        tier_sev = TIERS[ftype.tier] if ftype else f.severity
        governing = ftype.rule if ftype else f.rule
        if f.id in profile.findings:
            sev = profile.findings[f.id]
        elif governing:
            sev = profile.severity_of(governing, default=tier_sev)
            if sev == "tier":
                sev = tier_sev
        else:
            sev = tier_sev
        if sev == "off":
            continue
        out.append(
            Finding(
                f.id, sev, f.message, offset=f.offset, where=f.where, value=f.value, rule=governing
            )
        )
    for rule_id, r in RULES.items():
        if r.check is None:
            continue
        if not facts.properties and rule_id not in _WITHOUT_PROPERTIES:
            continue  # nothing was read from the structure: only identification rules apply
        sev = profile.severity_of(rule_id)
        if sev == "off":
            continue
        params = {**r.defaults, **profile.params.get(rule_id, {})}
        for outcome in r.check(facts, params) or ():
            message, value = outcome[0], outcome[1]
            this = outcome[2] if len(outcome) > 2 else sev
            if this == "off":
                continue
            out.append(Finding(rule_id, this, message, value=value, rule=rule_id))
    return out
