"""A small specimen collection that exercises the records stage, generated per test session.

Six specimens of five herbaria, with what real tables hold (``docs/darwin-core.md`` §6):
an interval, a partial and an unpadded collection date, a timestamp and a bare year as
``dateIdentified``, an invalid datum ``Dms``, ``countryCode = none``, two languages, a
licence URL, a non-URL occurrenceID, a row without institutionCode, a rightsHolder with a
comma, a hostile value in a label field, and image files: 16-bit TIFF masters, JPEG
access copies, a PNG label, and one specimen without any file.
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import tifffile
from PIL import Image

from specpub.specimens import link_media, load_specimens
from specpub.workspace import Workspace

COLUMNS = [
    "catalogNumber",
    "institutionCode",
    "ownerInstitutionCode",
    "occurrenceID",
    "basisOfRecord",
    "scientificName",
    "family",
    "typeStatus",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "verbatimEventDate",
    "dateIdentified",
    "decimalLatitude",
    "decimalLongitude",
    "geodeticDatum",
    "country",
    "countryCode",
    "locality",
    "language",
    "license",
    "rightsHolder",
    "modified",
    "Herbarium notes",
]
ROWS = [
    {
        "catalogNumber": "BR0000013",
        "institutionCode": "BR",
        "occurrenceID": "http://www.botanicalcollections.be/specimen/BR0000013",
        "basisOfRecord": "PreservedSpecimen",
        "scientificName": "Quercus robur L.",
        "family": "Fagaceae",
        "typeStatus": "Isotype",
        "recordedBy": "J. Smith | A. Jones",
        "recordNumber": "4711",
        "eventDate": "1890-05-01/1890-05-03",
        "verbatimEventDate": "1-3 May 1890",
        "decimalLatitude": "50.93",
        "decimalLongitude": "4.33",
        "geodeticDatum": "WGS84",
        "country": "Belgium",
        "countryCode": "BE",
        "locality": "Meise, Bouchout",
        "language": "fra",
        "license": "http://creativecommons.org/licenses/by/4.0/",
        "rightsHolder": "Meise Botanic Garden",
        "modified": "2017-07-31",
        "Herbarium notes": "sheet 1 of 2",
    },
    {
        "catalogNumber": "E00633257",
        "institutionCode": "E",
        "occurrenceID": "http://data.rbge.org.uk/herb/E00633257",
        "basisOfRecord": "PRESERVED_SPECIMEN",
        "scientificName": "Abelia forrestii (Diels) W.W.Sm.",
        "family": "Caprifoliaceae",
        "recordedBy": "Forrest, George",
        "eventDate": "1935-7-2",
        "dateIdentified": "1965-08-01T00:00:00.000+0000",
        "decimalLatitude": "27.1",
        "decimalLongitude": "100.2",
        "geodeticDatum": "Dms",
        "country": "China",
        "countryCode": "none",
        "locality": '<img src=x onerror="alert(1)"><script>alert(2)</script>Lijiang',
        "language": "eng | lat",
        "Herbarium notes": "javascript:alert(3)",
    },
    {
        "catalogNumber": "K000587145",
        "institutionCode": "K",
        "occurrenceID": "http://specimens.kew.org/herbarium/K000587145",
        "basisOfRecord": "PRESERVED_SPECIMEN",
        "scientificName": "Poa annua L.",
        "family": "Poaceae",
        "typeStatus": "ISOTYPE",
        "recordedBy": "Luke W.R.Q. & Luke P.A.",
        "eventDate": "1905-07",
        "dateIdentified": "1994",
        "country": "Kenya",
        "countryCode": "KE",
        "language": "eng",
    },
    {
        "catalogNumber": "L  0329805",
        "ownerInstitutionCode": "L",
        "occurrenceID": "http://data.biodiversitydata.nl/naturalis/specimen/L%20%200329805",
        "basisOfRecord": "PreservedSpecimen",
        "scientificName": "Ficus benjamina L.",
        "family": "Moraceae",
        "eventDate": "1931",
        "country": "Indonesia",
        "language": "nld",
    },
    {
        "catalogNumber": "TU278158",
        "institutionCode": "UTE",
        "occurrenceID": "TU278158",
        "basisOfRecord": "PreservedSpecimen",
        "scientificName": "Carex nigra (L.) Reichard",
        "family": "Cyperaceae",
        "eventDate": "1972-06-17",
        "country": "Estonia",
        "countryCode": "EE",
        "language": "est",
        "rightsHolder": "Natural History Museum, University of Tartu",
    },
    {
        "catalogNumber": "BR0000099",
        "institutionCode": "BR",
        "occurrenceID": "http://www.botanicalcollections.be/specimen/BR0000099",
        "basisOfRecord": "PreservedSpecimen",
        "scientificName": "Fagus sylvatica L.",
        "family": "Fagaceae",
        "language": "und",
    },
]
#: Institution names for the table's codes (what a preset's [institutions] holds).
NAMES = {
    "BR": "Meise Botanic Garden",
    "E": "Royal Botanic Garden Edinburgh",
    "K": "Royal Botanic Gardens Kew",
    "L": "Naturalis Biodiversity Center",
    "UTE": "University of Tartu Natural History Museum",
}


@dataclass
class Collection:
    """The generated files: ``table`` (CSV), ``media`` (folder), ``rows`` (dicts)."""

    table: Path
    media: Path
    rows: list[dict[str, str]]

    def workspace(self, root: Path) -> Workspace:
        """A workspace with this collection loaded and linked (as `specpub load --media`)."""
        ws = Workspace.create(root)
        sp = load_specimens(self.table, progress=None)
        sp.save(ws)
        link_media(sp, [self.media], progress=None).save(ws)
        return ws

    def preset(self, folder: Path, base: str = "minimal", extra: str = "") -> Path:
        """A preset extending ``base`` that names this table's institutions."""
        names = "\n".join(f'{code} = {{name = "{name}"}}' for code, name in NAMES.items())
        path = folder / "collection.toml"
        path.write_text(
            f'[preset]\nextends = "{base}"\n[record]\npublication_date = "2026-01-01"\n'
            f"{extra}\n[institutions]\n{names}\n",
            encoding="utf-8",
        )
        return path


def _tiff16(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    data = (rng.random((96, 64, 3)) * 65535).astype(np.uint16)
    tifffile.imwrite(path, data, photometric="rgb", resolution=(600, 600), resolutionunit="INCH")


def make_collection(folder: Path) -> Collection:
    """Write the table and images into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    media = folder / "media"
    media.mkdir()
    table = folder / "specimens.csv"
    with table.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        for row in ROWS:
            writer.writerow({c: row.get(c, "") for c in COLUMNS})
    for i, row in enumerate(ROWS[:-1]):
        name = row["catalogNumber"]
        Image.new("RGB", (60, 90), (200 - 20 * i, 190, 170)).save(media / f"{name}.jpg", quality=85)
        if i in (0, 1):
            _tiff16(media / f"{name}.tif", i)
    Image.new("RGB", (40, 30), "white").save(media / "TU278158_lab.png")
    return Collection(table, media, [dict(r) for r in ROWS])


@pytest.fixture(scope="session")
def collection_template(tmp_path_factory: pytest.TempPathFactory) -> Collection:
    return make_collection(tmp_path_factory.mktemp("records-collection"))


@pytest.fixture
def collection(collection_template: Collection, tmp_path: Path) -> Collection:
    """A private copy of the generated collection."""
    folder = tmp_path / "collection"
    shutil.copytree(collection_template.table.parent, folder)
    return Collection(folder / "specimens.csv", folder / "media", collection_template.rows)
