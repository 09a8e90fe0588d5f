"""The Darwin Core table of a demo collection, with controlled messiness.

Every row starts clean; a share of the rows then receives defects copied from
real herbarium data (see ``docs/darwin-core.md`` §6). Each defect is recorded
with the row it was put in, so tests of the quality flags can assert against it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from specpub.demo import _vocab

#: The CSV columns, in order.
COLUMNS: tuple[str, ...] = (
    "catalogNumber",
    "institutionCode",
    "ownerInstitutionCode",
    "collectionCode",
    "occurrenceID",
    "basisOfRecord",
    "preparations",
    "scientificName",
    "scientificNameAuthorship",
    "family",
    "genus",
    "specificEpithet",
    "typeStatus",
    "recordedBy",
    "recordNumber",
    "eventDate",
    "verbatimEventDate",
    "country",
    "countryCode",
    "stateProvince",
    "locality",
    "decimalLatitude",
    "decimalLongitude",
    "geodeticDatum",
    "identifiedBy",
    "dateIdentified",
    "language",
    "license",
    "rightsHolder",
    "associatedMedia",
)

#: Every defect kind: ``kind -> (group, column, description)``. A row gets at
#: most one defect per group (one cannot both empty and duplicate a value).
DEFECT_KINDS: dict[str, tuple[str, str, str]] = {
    "catalogNumber_formatted": (
        "catalogNumber",
        "catalogNumber",
        "catalogue number written with spaces, dots or lower case (e.g. 'DEMO 000.0123'); "
        "it still normalises to the barcode used in the file names",
    ),
    "catalogNumber_missing": (
        "catalogNumber",
        "catalogNumber",
        "catalogue number empty; the specimen's images exist under its barcode",
    ),
    "catalogNumber_duplicate": (
        "catalogNumber",
        "catalogNumber",
        "the row repeats the catalogue number and occurrenceID of another row "
        "(the same specimen entered twice; the occurrenceID is kept if the row also has "
        "occurrenceID_not_url); it has no images of its own",
    ),
    "eventDate_year": ("eventDate", "eventDate", "partial date: year only ('1890')"),
    "eventDate_year_month": ("eventDate", "eventDate", "partial date: year and month ('1890-05')"),
    "eventDate_interval": (
        "eventDate",
        "eventDate",
        "ISO 8601 interval ('1890-05-01/1890-05-03')",
    ),
    "eventDate_unpadded": ("eventDate", "eventDate", "unpadded date ('1935-7-2')"),
    "eventDate_verbatim": (
        "eventDate",
        "eventDate",
        "a verbatim, non-ISO date in eventDate ('2 July 1935')",
    ),
    "eventDate_future": ("eventDate", "eventDate", "a date in the future (year 2090-2099)"),
    "basisOfRecord_gbif": (
        "basisOfRecord",
        "basisOfRecord",
        "GBIF-interpreted spelling 'PRESERVED_SPECIMEN'",
    ),
    "basisOfRecord_case": ("basisOfRecord", "basisOfRecord", "wrong case 'Preservedspecimen'"),
    "occurrenceID_not_url": (
        "occurrenceID",
        "occurrenceID",
        "occurrenceID is not a URL (a bare barcode, a URN or a UUID)",
    ),
    "institutionCode_empty": (
        "institutionCode",
        "institutionCode",
        "institutionCode empty (ownerInstitutionCode still holds the code, as in the L and H "
        "rows of the ICEDIG table)",
    ),
    "family_missing": ("family", "family", "family empty"),
    "coordinates_zero": (
        "coordinates",
        "decimalLatitude",
        "coordinates are exactly 0, 0",
    ),
    "coordinates_swapped": (
        "coordinates",
        "decimalLatitude",
        "latitude and longitude swapped (both still in range, wrong for the country)",
    ),
    "coordinates_out_of_range": (
        "coordinates",
        "decimalLatitude",
        "latitude beyond ±90 or longitude beyond ±180",
    ),
    "countryCode_invalid": (
        "countryCode",
        "countryCode",
        "not an ISO 3166-1 alpha-2 code ('UK', 'XX', 'BEL')",
    ),
    "language_invalid": (
        "language",
        "language",
        "not an ISO 639 code ('english', 'xx', 'Latin')",
    ),
}

#: Spellings of PreservedSpecimen found in real data (docs/darwin-core.md §6).
BASIS_SPELLINGS = ("PreservedSpecimen", "PRESERVED_SPECIMEN", "Preservedspecimen")


@dataclass
class SpecimenPlan:
    """One row of the table and what the sheet should show."""

    index: int
    barcode: str
    taxon: _vocab.Taxon
    place: _vocab.Place
    year: int
    month: int
    day: int
    collector: str
    record_number: str
    determiner: str
    language: str
    type_status: str
    has_coordinates: bool
    lat: float
    lon: float
    row: dict[str, str] = field(default_factory=dict)
    defects: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    #: False for a duplicate row (no images of its own).
    imaged: bool = True

    @property
    def scientific_name(self) -> str:
        t = self.taxon
        return f"{t.genus} {t.epithet} {t.authorship}"

    @property
    def clean_date(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def verbatim_date(self) -> str:
        return f"{self.day} {_vocab.MONTHS[self.month - 1]} {self.year}"


@dataclass
class TablePlan:
    """The rows plus the defects that could not be placed."""

    specimens: list[SpecimenPlan]
    skipped: list[str]
    institution: str
    base_url: str


def _weighted(rng: random.Random, items: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in items], weights=[w for _, w in items], k=1)[0]


def _clean_row(s: SpecimenPlan, institution: str, base_url: str) -> dict[str, str]:
    t, p = s.taxon, s.place
    det_year = min(2020, max(s.year, s.year + 1 + (s.index * 7) % 90))
    verbatim = ""
    if s.index % 2 == 0:
        verbatim = (
            s.verbatim_date
            if s.index % 4 == 0
            else f"{s.day}.{_vocab.ROMAN_MONTHS[s.month - 1]}.{s.year}"
        )
    return {
        "catalogNumber": s.barcode,
        "institutionCode": institution,
        "ownerInstitutionCode": institution,
        "collectionCode": "HERB",
        "occurrenceID": f"{base_url}/specimen/{s.barcode}",
        "basisOfRecord": BASIS_SPELLINGS[0],
        "preparations": "HerbariumSheet",
        "scientificName": s.scientific_name,
        "scientificNameAuthorship": t.authorship,
        "family": t.family,
        "genus": t.genus,
        "specificEpithet": t.epithet,
        "typeStatus": s.type_status,
        "recordedBy": s.collector,
        "recordNumber": s.record_number,
        "eventDate": s.clean_date,
        "verbatimEventDate": verbatim,
        "country": p.country,
        "countryCode": p.code,
        "stateProvince": p.province,
        "locality": p.locality,
        "decimalLatitude": f"{s.lat:.5f}" if s.has_coordinates else "",
        "decimalLongitude": f"{s.lon:.5f}" if s.has_coordinates else "",
        "geodeticDatum": "WGS84" if s.has_coordinates else "",
        "identifiedBy": s.determiner,
        "dateIdentified": f"{det_year:04d}-{1 + s.index % 12:02d}-{1 + s.index % 28:02d}",
        "language": s.language,
        "license": "https://creativecommons.org/licenses/by/4.0/",
        "rightsHolder": f"Demo Herbarium {institution}",
        "associatedMedia": "",
    }


def _messy_catalogue(rng: random.Random, barcode: str, institution: str) -> str:
    digits = barcode[len(institution) :]
    forms = (
        f"{institution} {digits}",
        f"{institution} {digits[:3]}.{digits[3:]}",
        f"{institution}.{digits}",
        f"{institution}  {digits}",
        f"{institution.lower()}{digits}",
        f"{institution} {digits[:2]} {digits[2:]}",
    )
    return rng.choice(forms)


def _apply(
    kind: str,
    s: SpecimenPlan,
    rng: random.Random,
    plan: TablePlan,
    sources: list[SpecimenPlan],
) -> bool:
    """Put defect ``kind`` into row ``s``; False if it cannot be placed."""
    row = s.row
    inst = plan.institution
    if kind == "catalogNumber_formatted":
        row["catalogNumber"] = _messy_catalogue(rng, s.barcode, inst)
    elif kind == "catalogNumber_missing":
        row["catalogNumber"] = ""
    elif kind == "catalogNumber_duplicate":
        if not sources:
            return False
        src = rng.choice(sources)
        row["catalogNumber"] = src.row["catalogNumber"]
        if "occurrenceID_not_url" not in s.defects:  # keep a recorded defect visible
            row["occurrenceID"] = src.row["occurrenceID"]
        s.barcode = src.barcode
        s.imaged = False
        s.details[kind] = {"of_index": src.index}
    elif kind == "eventDate_year":
        row["eventDate"] = f"{s.year:04d}"
    elif kind == "eventDate_year_month":
        row["eventDate"] = f"{s.year:04d}-{s.month:02d}"
    elif kind == "eventDate_interval":
        s.day = min(s.day, 26)
        end = s.day + 2
        row["eventDate"] = f"{s.clean_date}/{s.year:04d}-{s.month:02d}-{end:02d}"
        row["verbatimEventDate"] = f"{s.day}-{end} {_vocab.MONTHS[s.month - 1]} {s.year}"
    elif kind == "eventDate_unpadded":
        s.month, s.day = 1 + s.month % 9, 1 + s.day % 9
        row["eventDate"] = f"{s.year}-{s.month}-{s.day}"
    elif kind == "eventDate_verbatim":
        row["eventDate"] = s.verbatim_date
        row["verbatimEventDate"] = s.verbatim_date
    elif kind == "eventDate_future":
        row["eventDate"] = f"{rng.randint(2090, 2099):04d}-{s.month:02d}-{s.day:02d}"
    elif kind == "basisOfRecord_gbif":
        row["basisOfRecord"] = BASIS_SPELLINGS[1]
    elif kind == "basisOfRecord_case":
        row["basisOfRecord"] = BASIS_SPELLINGS[2]
    elif kind == "occurrenceID_not_url":
        h = f"{rng.getrandbits(128):032x}"
        uuid = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"
        forms = (
            s.barcode,
            f"urn:catalog:{inst}:HERB:{s.barcode[len(inst) :].lstrip('0')}",
            uuid,
        )
        row["occurrenceID"] = rng.choice(forms)
    elif kind == "institutionCode_empty":
        row["institutionCode"] = ""
    elif kind == "family_missing":
        row["family"] = ""
    elif kind.startswith("coordinates_"):
        s.has_coordinates = True
        row["geodeticDatum"] = "WGS84"
        if kind == "coordinates_zero":
            lat, lon = "0", "0"
        elif kind == "coordinates_swapped":
            lat, lon = f"{s.lon:.5f}", f"{s.lat:.5f}"
        else:
            sign = rng.choice((-1, 1))
            if rng.random() < 0.5:
                lat, lon = f"{sign * rng.uniform(90.5, 99.5):.5f}", f"{s.lon:.5f}"
            else:
                lat, lon = f"{s.lat:.5f}", f"{sign * rng.uniform(180.5, 199.5):.5f}"
        row["decimalLatitude"], row["decimalLongitude"] = lat, lon
    elif kind == "countryCode_invalid":
        row["countryCode"] = rng.choice(("UK", "XX", "BEL"))
    elif kind == "language_invalid":
        row["language"] = rng.choice(("english", "xx", "Latin"))
    else:  # pragma: no cover - guarded by the caller
        raise KeyError(kind)
    return True


def build_table(
    n: int,
    *,
    seed: int,
    institution: str,
    base_url: str,
    messiness: float,
    kinds: tuple[str, ...],
) -> TablePlan:
    """Draw ``n`` specimens and spread the requested defect kinds over a share of them."""
    rng = random.Random(f"specpub.demo.table:{seed}")
    numbers = sorted(rng.sample(range(100_000, 9_000_000), n))
    specimens: list[SpecimenPlan] = []
    for i, number in enumerate(numbers):
        place = rng.choice(_vocab.PLACES)
        s = SpecimenPlan(
            index=i,
            barcode=f"{institution}{number:07d}",
            taxon=rng.choice(_vocab.TAXA),
            place=place,
            year=rng.randint(1830, 2015),
            month=rng.randint(1, 12),
            day=rng.randint(1, 28),
            collector=rng.choice(_vocab.COLLECTORS),
            record_number=str(rng.randint(1, 4000)) if rng.random() < 0.85 else "s.n.",
            determiner=rng.choice(_vocab.DETERMINERS),
            language=_weighted(rng, _vocab.LANGUAGES),
            type_status=rng.choice(_vocab.TYPE_STATUSES) if rng.random() < 0.15 else "",
            has_coordinates=rng.random() < 0.75,
            lat=place.lat + rng.uniform(-0.05, 0.05),
            lon=place.lon + rng.uniform(-0.05, 0.05),
        )
        s.row = _clean_row(s, institution, base_url)
        specimens.append(s)
    plan = TablePlan(specimens, [], institution, base_url)

    n_messy = 0
    if messiness > 0 and n > 0:
        n_messy = min(n, max(1, round(messiness * n)))
    messy = sorted(rng.sample(range(n), n_messy))
    order = list(kinds)
    rng.shuffle(order)
    # The duplicate must copy a row whose catalogue number is otherwise clean,
    # and nothing may copy a row that itself became a duplicate or lost its number.
    if "catalogNumber_duplicate" in order:
        order.remove("catalogNumber_duplicate")
        order.append("catalogNumber_duplicate")
    for kind in order:
        group = DEFECT_KINDS[kind][0]
        candidates = [
            specimens[i]
            for i in messy
            if all(DEFECT_KINDS[k][0] != group for k in specimens[i].defects)
        ]
        if not candidates:
            plan.skipped.append(kind)
            continue
        target = min(candidates, key=lambda s: (len(s.defects), (s.index * 7919) % 101))
        sources = [
            s
            for s in specimens
            if s is not target
            and not any(k.startswith(("catalogNumber", "occurrenceID")) for k in s.defects)
        ]
        if _apply(kind, target, rng, plan, sources):
            target.defects.append(kind)
        else:
            plan.skipped.append(kind)
    for s in specimens:
        s.defects.sort(key=list(DEFECT_KINDS).index)
    return plan
