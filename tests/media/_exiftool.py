"""Compare the scan's facts with exiftool's, field by field (the real-data agreement test)."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
from pathlib import Path
from typing import Any

FIELDS = (
    "width",
    "height",
    "bits_per_sample",
    "compression",
    "icc_description",
    "resolution",
    "make",
    "model",
    "datetime_original",
)
TAGS = [
    "-ImageWidth#",
    "-ImageHeight#",
    "-BitsPerSample#",
    "-BitDepth#",
    "-BitsPerComponent#",
    "-Compression#",
    "-EncodingProcess#",
    "-ProfileDescription",
    "-XResolution#",
    "-ResolutionUnit",
    "-PixelsPerUnitX#",
    "-PixelUnits",
    "-CaptureXResolution#",
    "-CaptureXResolutionUnit",
    "-DisplayXResolution#",
    "-DisplayXResolutionUnit",
    "-Make",
    "-Model",
    "-DateTimeOriginal",
    "-DisplayedUnitsX",
    "-FileType",
    "-Error",
]
_UNIT_PPI = {
    "inches": 1.0,
    "inch": 1.0,
    "2": 1.0,
    "3": 2.54,
    "cm": 2.54,
    "m": 0.0254,
    "meters": 0.0254,
    "mm": 25.4,
    "0.1 mm": 254.0,
    "um": 25400.0,
    "10 um": 2540.0,
    "km": 0.0000254,
}
_DOCS = {".md", ".csv", ".txt"}


def exiftool_available() -> bool:
    return shutil.which("exiftool") is not None


def run_exiftool(paths: list[Path]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(paths), 200):
        batch = [str(p) for p in paths[i : i + 200]]
        proc = subprocess.run(
            ["exiftool", "-j", "-q", "-q", *TAGS, *batch], capture_output=True, check=False
        )
        for rec in json.loads(proc.stdout or b"[]"):
            out[rec["SourceFile"]] = rec
    return out


def image_files(roots: list[Path]) -> list[Path]:
    files = []
    for root in roots:
        for p in sorted(root.rglob("*")):
            if (
                p.is_file()
                and p.suffix.lower() not in _DOCS
                and not p.name.startswith(("LICENSE", "."))
            ):
                files.append(p)
    return files


def _first_int(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(str(value).split()[0])
    except ValueError:
        return None


def _clean(value: Any) -> str:
    """Text as exiftool prints it: NULs dropped, bytes that are no printable text as ``?``."""
    if value is None:
        return ""
    text = str(value).replace("\x00", "").strip()
    return "".join("?" if 0x7F <= ord(c) <= 0x9F else c for c in text)


def expected(rec: dict[str, Any]) -> dict[str, Any]:
    """exiftool's answer for each field, in the scan's terms."""
    ftype = rec.get("FileType")
    bits = rec.get("BitsPerSample")
    if ftype == "PNG":
        bits = rec.get("BitDepth")
    elif ftype in ("JP2", "JPX", "JPM", "J2C"):
        bpc = _first_int(rec.get("BitsPerComponent"))
        bits = (bpc & 0x7F) + 1 if bpc is not None else bits
    if ftype == "JPEG":
        process = _first_int(rec.get("EncodingProcess"))
        compression = (
            {0: "jpeg-baseline", 1: "jpeg-extended", 2: "jpeg-progressive", 3: "jpeg-lossless"}.get(
                process
            )
            if process is not None
            else None
        )
    elif ftype == "PNG":
        compression = "deflate" if _first_int(rec.get("Compression")) == 0 else None
    elif ftype in ("JP2", "JPX", "JPM", "J2C"):
        compression = "jpeg2000" if _first_int(rec.get("Compression")) in (7, None) else None
    else:
        compression = _first_int(rec.get("Compression"))
    return {
        "width": _first_int(rec.get("ImageWidth")),
        "height": _first_int(rec.get("ImageHeight")),
        "bits_per_sample": _first_int(bits),
        "compression": compression,
        "icc_description": _clean(rec.get("ProfileDescription")) or None,
        "resolution": _finite(_resolution(rec)),
        "make": _clean(rec.get("Make")) or None,
        "model": _clean(rec.get("Model")) or None,
        "datetime_original": _clean(rec.get("DateTimeOriginal")) or None,
    }


def _resolution(rec: dict[str, Any]) -> tuple[str, float] | None:
    """``("ppi", value)`` when the unit is absolute, ``("raw", value)`` when it is not."""
    if rec.get("FileType") == "PNG" and rec.get("PixelsPerUnitX") is not None:
        unit = str(rec.get("PixelUnits", ""))
        x = float(rec["PixelsPerUnitX"])
        return ("ppi", x * 0.0254) if unit == "meters" else ("raw", x)
    for key, unit_key in (
        ("CaptureXResolution", "CaptureXResolutionUnit"),
        ("DisplayXResolution", "DisplayXResolutionUnit"),
    ):
        if rec.get(key) is not None:
            unit = str(rec.get(unit_key))
            if unit in ("?", "None"):  # exiftool cannot tell the unit: nothing to compare
                return None
            factor = _UNIT_PPI.get(unit)
            x = float(rec[key])
            return ("ppi", x * factor) if factor else ("raw", x)
    if rec.get("XResolution") is not None:
        unit = rec.get("ResolutionUnit", "inches")
        if str(unit) == "None" and rec.get("DisplayedUnitsX"):  # Photoshop's resolution
            unit = rec["DisplayedUnitsX"]
        factor = _UNIT_PPI.get(str(unit))
        x = float(rec["XResolution"])
        return ("ppi", x * factor) if factor else ("raw", x)
    return None


def _finite(value: tuple[str, float] | None) -> tuple[str, float] | None:
    """A resolution exiftool computed as infinite (a zero denominator) is no resolution."""
    return value if value is None or math.isfinite(value[1]) else None


def observed(row: dict[str, Any]) -> dict[str, Any]:
    """The scan's answer for each field."""
    comp = row.get("compression")
    if row.get("format") in ("tiff", "bigtiff", "dng", "tiff-ep"):
        comp = row.get("compression_code")
    elif isinstance(comp, str) and comp.startswith("jpeg2000"):
        comp = "jpeg2000"
    ppi, x = row.get("ppi"), row.get("x_resolution")
    resolution = (
        ("ppi", float(ppi)) if ppi is not None else (("raw", float(x)) if x is not None else None)
    )
    return {
        "width": row.get("width"),
        "height": row.get("height"),
        "bits_per_sample": row.get("bits_per_sample"),
        "compression": comp if comp not in ("", None) else None,
        "icc_description": _clean(row.get("icc_description")) or None,
        "resolution": resolution,
        "make": _clean(row.get("exif_make")) or None,
        "model": _clean(row.get("exif_model")) or None,
        "datetime_original": _clean(row.get("exif_datetime_original")) or None,
    }


def agree(field: str, ours: Any, theirs: Any) -> bool:
    if field == "resolution" and ours is not None and theirs is not None:
        if ours[0] != theirs[0]:
            return False
        return math.isclose(ours[1], theirs[1], rel_tol=0.01, abs_tol=0.01)
    return ours == theirs


def compare(rows: list[dict[str, Any]], tool: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Per field: files where exiftool (the reference) has a value, how many agree, every
    disagreement; and ``extra``: files where only specpub has a value."""
    result = {f: {"compared": 0, "agree": 0, "disagreements": [], "extra": []} for f in FIELDS}
    files = 0
    for row in rows:
        rec = tool.get(row["path"])
        if rec is None or "Error" in rec or rec.get("FileType") in (None, "TXT", "CSV"):
            continue
        files += 1
        want, got = expected(rec), observed(row)
        for field in FIELDS:
            res = result[field]
            if want[field] is None:
                if got[field] is not None:
                    res["extra"].append((row["path"], got[field]))
                continue
            res["compared"] += 1
            if agree(field, got[field], want[field]):
                res["agree"] += 1
            else:
                res["disagreements"].append((row["path"], got[field], want[field]))
    return {"files": files, "fields": result}
