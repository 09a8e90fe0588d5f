"""The built-in ``facts`` analyser: identification, technical facts, ICC, Exif/XMP/IPTC.

Examples
--------
>>> from specpub.media._embedded import _demo_jpeg
>>> import tempfile, pathlib
>>> from specpub.media._read import read_file
>>> from specpub.media.analysers import ScanItem
>>> from specpub.preservation.identify import identify
>>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jpg"; _ = p.write_bytes(_demo_jpeg())
>>> with read_file(p) as fr:
...     item = ScanItem(str(p), fr.size, identify(fr.data, name=p), fr)
...     result = facts(item)
>>> result.columns["width"], result.columns["format"], result.columns["exif_make"]
(8, 'jpeg', 'specpub')
"""

from __future__ import annotations

from typing import Any

from specpub.media._embedded import embedded_metadata, embedded_resolution, xmp_from_packet
from specpub.media._formats import _ppi, facts_for
from specpub.media._icc import icc_facts
from specpub.media.analysers import AnalyserResult, ScanItem

__all__ = ["facts"]


def facts(item: ScanItem) -> AnalyserResult:
    """Identification + technical facts + ICC + embedded metadata of one file."""
    ident = item.identification
    columns: dict[str, Any] = {
        "format": ident.format,
        "format_version": ident.version,
        "puid": ident.puid,
        "mime": ident.mime,
        "extension_ok": ident.extension_ok,
    }
    findings = [f.as_dict() for f in ident.findings]
    nested: dict[str, Any] = {}
    fr = item.read
    found = facts_for(ident.family, ident.format, fr)
    if found is None:
        columns.update(icc_facts(b""))
        return AnalyserResult(columns, findings, nested)
    columns.update(found.columns)
    findings.extend(found.findings)
    columns.update(icc_facts(found.icc))
    meta_cols, nested, meta_findings = embedded_metadata(
        fr, ident.format, ident.family, found.metadata_end
    )
    columns.update(meta_cols)
    findings.extend(meta_findings)
    if found.xmp and "xmp" not in nested:  # an XMP packet exiv2 does not look for
        xmp_cols, xmp_nested, xmp_findings = xmp_from_packet(found.xmp)
        columns.update(xmp_cols)
        nested.update(xmp_nested)
        findings.extend(xmp_findings)
    if columns.get("x_resolution") is None and ident.family in ("png", "jpeg2000"):
        found_res = embedded_resolution(nested)
        if found_res is not None:
            x, y, unit = found_res
            columns.update(
                x_resolution=x,
                y_resolution=y,
                resolution_unit=unit,
                ppi=_ppi(x, unit),
                ppi_y=_ppi(y, unit),
            )
    return AnalyserResult(columns, findings, nested)
