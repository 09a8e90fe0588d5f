"""Build small Darwin Core Archives (a core and one media extension) for the tests."""

from __future__ import annotations

import zipfile
from pathlib import Path

GBIF_MULTIMEDIA = "http://rs.gbif.org/terms/1.0/Multimedia"
AC_MULTIMEDIA = "http://rs.tdwg.org/ac/terms/Multimedia"
DC_IDENTIFIER = "http://purl.org/dc/terms/identifier"
AC_ACCESS_URI = "http://rs.tdwg.org/ac/terms/accessURI"

_META = """<archive xmlns="http://rs.tdwg.org/dwc/text/">
  <core fieldsTerminatedBy="," ignoreHeaderLines="1" rowType="http://rs.tdwg.org/dwc/terms/Occurrence">
    <files><location>occ.csv</location></files><id index="0"/>
    <field index="1" term="http://rs.tdwg.org/dwc/terms/catalogNumber"/>
  </core>
  <extension fieldsTerminatedBy="," ignoreHeaderLines="1" rowType="{row_type}">
    <files><location>{location}</location></files><coreid index="0"/>
    <field index="1" term="{term}"/>
  </extension>
</archive>"""


def write_media_dwca(
    path: Path,
    occurrences: str,
    media: str,
    *,
    location: str = "media.csv",
    row_type: str = GBIF_MULTIMEDIA,
    term: str = DC_IDENTIFIER,
) -> Path:
    """Zip ``occ.csv`` (``id,catalogNumber``) and a one-field media extension at ``path``."""
    meta = _META.format(row_type=row_type, location=location, term=term)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.xml", meta)
        zf.writestr("occ.csv", occurrences)
        zf.writestr(location, media)
    return path
