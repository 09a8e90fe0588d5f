"""The demo table: columns, rows, messiness, and agreement with the manifest."""

from __future__ import annotations

import csv
import json
import re

import pycountry
import pytest

from specpub.demo import COLUMNS, DEFECT_KINDS, generate_collection, normalise_catalogue_number
from specpub.demo._vocab import PLACES
from specpub.errors import InputError

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}$")


def read_rows(demo):
    with open(demo.table, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_columns_and_row_count(demo_collection):
    header, rows = read_rows(demo_collection)
    assert tuple(header) == COLUMNS
    assert len(rows) == demo_collection.specimens == 12
    for required in (
        "catalogNumber",
        "occurrenceID",
        "basisOfRecord",
        "scientificName",
        "eventDate",
        "decimalLatitude",
        "language",
        "license",
        "associatedMedia",
    ):
        assert required in header


def test_manifest_rows_agree_with_csv(demo_collection):
    _, rows = read_rows(demo_collection)
    manifest = json.loads(demo_collection.manifest_path.read_text(encoding="utf-8"))
    assert [r["catalogNumber"] for r in manifest["rows"]] == [r["catalogNumber"] for r in rows]
    assert [r["row"] for r in manifest["rows"]] == list(range(2, 14))
    for kind, indices in manifest["defects"].items():
        for i in indices:
            assert kind in manifest["rows"][i]["defects"]
    assert {i: r["defects"] for i, r in enumerate(manifest["rows"])} == demo_collection.defects
    for r in manifest["rows"]:
        assert bool(r["values"]) == bool(r["defects"])
        for column, value in r["values"].items():
            assert rows[r["index"]][column] == value


def test_every_defect_kind_is_placed_and_visible_in_the_csv(demo_collection):
    check_defects_in_csv(demo_collection)


@pytest.mark.parametrize("seed", [1, 2, 3, 17, 99])
def test_defects_hold_for_other_seeds(tmp_path, seed):
    demo = generate_collection(tmp_path, specimens=7, seed=seed, messiness=1.0, formats=())
    check_defects_in_csv(demo)


def check_defects_in_csv(demo_collection):
    _, rows = read_rows(demo_collection)
    manifest = demo_collection.manifest
    assert manifest["defects_skipped"] == []
    assert set(manifest["defects"]) == set(DEFECT_KINDS)
    barcodes = [r["barcode"] for r in manifest["rows"]]
    for kind, indices in manifest["defects"].items():
        for i in indices:
            row = rows[i]
            if kind == "catalogNumber_formatted":
                assert row["catalogNumber"] != barcodes[i]
                assert normalise_catalogue_number(row["catalogNumber"]) == barcodes[i].casefold()
                assert re.search(r"[ .]|[a-z]", row["catalogNumber"])
            elif kind == "catalogNumber_missing":
                assert row["catalogNumber"] == ""
            elif kind == "catalogNumber_duplicate":
                other = manifest["rows"][i]["details"][kind]["of_index"]
                assert other != i
                assert row["catalogNumber"] == rows[other]["catalogNumber"] != ""
                if "occurrenceID_not_url" not in manifest["rows"][i]["defects"]:
                    assert row["occurrenceID"] == rows[other]["occurrenceID"]
                source_defects = manifest["rows"][other]["defects"]
                assert not [k for k in source_defects if k.startswith(("catalog", "occurrence"))]
            elif kind == "eventDate_year":
                assert re.fullmatch(r"\d{4}", row["eventDate"])
            elif kind == "eventDate_year_month":
                assert re.fullmatch(r"\d{4}-\d{2}", row["eventDate"])
            elif kind == "eventDate_interval":
                start, end = row["eventDate"].split("/")
                assert ISO_DATE.match(start)
                assert ISO_DATE.match(end)
                assert start < end
            elif kind == "eventDate_unpadded":
                assert re.fullmatch(r"\d{4}-\d-\d", row["eventDate"])
            elif kind == "eventDate_verbatim":
                assert not re.match(r"\d{4}", row["eventDate"])
                assert row["eventDate"] == row["verbatimEventDate"]
            elif kind == "eventDate_future":
                assert ISO_DATE.match(row["eventDate"])
                assert row["eventDate"] >= "2090"
            elif kind == "basisOfRecord_gbif":
                assert row["basisOfRecord"] == "PRESERVED_SPECIMEN"
            elif kind == "basisOfRecord_case":
                assert row["basisOfRecord"] == "Preservedspecimen"
            elif kind == "occurrenceID_not_url":
                assert row["occurrenceID"]
                assert "://" not in row["occurrenceID"]
            elif kind == "institutionCode_empty":
                assert row["institutionCode"] == ""
                assert row["ownerInstitutionCode"] == "DEMO"
            elif kind == "family_missing":
                assert row["family"] == ""
            elif kind == "coordinates_zero":
                assert float(row["decimalLatitude"]) == float(row["decimalLongitude"]) == 0
            elif kind == "coordinates_swapped":
                lat, lon = float(row["decimalLatitude"]), float(row["decimalLongitude"])
                assert abs(lat) <= 90
                assert abs(lon) <= 180
                assert any(
                    abs(p.lat - lon) < 0.06 and abs(p.lon - lat) < 0.06
                    for p in PLACES
                    if p.code == rows[i]["countryCode"] or p.country == row["country"]
                )
            elif kind == "coordinates_out_of_range":
                lat, lon = float(row["decimalLatitude"]), float(row["decimalLongitude"])
                assert abs(lat) > 90 or abs(lon) > 180
            elif kind == "countryCode_invalid":
                assert pycountry.countries.get(alpha_2=row["countryCode"]) is None
            elif kind == "language_invalid":
                assert pycountry.languages.get(alpha_3=row["language"]) is None
            else:  # pragma: no cover
                pytest.fail(f"untested defect kind {kind}")


def test_clean_rows_are_clean(demo_collection):
    _, rows = read_rows(demo_collection)
    clean = [i for i, kinds in demo_collection.defects.items() if not kinds]
    assert clean, "messiness 0.75 leaves some clean rows"
    for i in clean:
        row = rows[i]
        barcode = demo_collection.manifest["rows"][i]["barcode"]
        assert row["catalogNumber"] == barcode
        assert re.fullmatch(r"DEMO\d{7}", barcode)
        assert row["occurrenceID"] == f"https://demo.example.org/specimen/{barcode}"
        assert row["basisOfRecord"] == "PreservedSpecimen"
        assert row["institutionCode"] == "DEMO"
        assert ISO_DATE.match(row["eventDate"])
        assert pycountry.countries.get(alpha_2=row["countryCode"]) is not None
        assert pycountry.languages.get(alpha_3=row["language"]) is not None
        if row["decimalLatitude"]:
            assert abs(float(row["decimalLatitude"])) <= 90
            assert abs(float(row["decimalLongitude"])) <= 180
            assert row["geodeticDatum"] == "WGS84"
        assert row["scientificName"].startswith(f"{row['genus']} {row['specificEpithet']}")
        assert row["associatedMedia"].startswith("https://demo.example.org/media/")


def test_catalogue_numbers_unique_except_the_duplicate(demo_collection):
    _, rows = read_rows(demo_collection)
    keys = [normalise_catalogue_number(r["catalogNumber"]) for r in rows if r["catalogNumber"]]
    assert len(keys) - len(set(keys)) == len(demo_collection.rows_with("catalogNumber_duplicate"))


@pytest.mark.parametrize(("messiness", "expected"), [(0.0, 0), (0.2, 1), (0.5, 3), (1.0, 6)])
def test_messiness_is_the_share_of_rows_with_defects(tmp_path, messiness, expected):
    demo = generate_collection(tmp_path, specimens=6, messiness=messiness, formats=(), broken=False)
    assert sum(1 for kinds in demo.defects.values() if kinds) == expected
    placed = sum(len(k) for k in demo.defects.values())
    skipped = demo.manifest["defects_skipped"]
    if expected:
        assert placed + len(skipped) == len(DEFECT_KINDS)
    else:
        assert placed == 0
    if expected == 6:  # as many messy rows as the largest group (eventDate) has kinds
        assert skipped == []


def test_defects_can_be_restricted(tmp_path):
    demo = generate_collection(
        tmp_path,
        specimens=5,
        messiness=1.0,
        formats=(),
        defects=["eventDate_interval", "language_invalid"],
    )
    assert set(demo.manifest["defects"]) == {"eventDate_interval", "language_invalid"}
    with pytest.raises(InputError, match="unknown defect kind"):
        generate_collection(tmp_path / "x", defects=["nope"])


def test_table_is_utf8_with_non_ascii_names(demo_collection):
    text = demo_collection.table.read_text(encoding="utf-8")
    assert text.startswith("catalogNumber,")
    assert "\r\n" not in text
    _, rows = read_rows(demo_collection)
    # Coordinates are plain decimal numbers where given.
    for r in rows:
        assert r["decimalLatitude"] == "" or is_number(r["decimalLatitude"])


def check_no_unrecorded_defects(demo):
    """A column no recorded defect touched holds a clean value."""
    _, rows = read_rows(demo)
    for r in demo.manifest["rows"]:
        row, kinds = rows[r["index"]], set(r["defects"])
        groups = {DEFECT_KINDS[k][0] for k in kinds}
        if "catalogNumber" not in groups:
            assert row["catalogNumber"] == r["barcode"]
        if "occurrenceID" not in groups and "catalogNumber_duplicate" not in kinds:
            assert row["occurrenceID"] == f"https://demo.example.org/specimen/{r['barcode']}"
        if "occurrenceID" not in groups:
            assert row["occurrenceID"].startswith("https://demo.example.org/specimen/")
        if "eventDate" not in groups:
            assert ISO_DATE.match(row["eventDate"])
            assert "2020" > row["eventDate"] > "1800"
        if "basisOfRecord" not in groups:
            assert row["basisOfRecord"] == "PreservedSpecimen"
        if "institutionCode" not in groups:
            assert row["institutionCode"] == "DEMO"
        if "family" not in groups:
            assert row["family"]
        if "coordinates" not in groups and row["decimalLatitude"]:
            lat, lon = float(row["decimalLatitude"]), float(row["decimalLongitude"])
            assert (lat, lon) != (0, 0)
            assert any(
                abs(p.lat - lat) < 0.06 and abs(p.lon - lon) < 0.06
                for p in PLACES
                if p.code == row["countryCode"] or "countryCode" in groups
            )
        if "countryCode" not in groups:
            assert pycountry.countries.get(alpha_2=row["countryCode"]) is not None
        if "language" not in groups:
            assert pycountry.languages.get(alpha_3=row["language"]) is not None


def test_no_unrecorded_defects_in_fixture(demo_collection):
    check_no_unrecorded_defects(demo_collection)


@pytest.mark.parametrize(("seed", "messiness"), [(5, 0.3), (8, 1.0), (13, 0.6)])
def test_no_unrecorded_defects_other_seeds(tmp_path, seed, messiness):
    demo = generate_collection(tmp_path, specimens=9, seed=seed, messiness=messiness, formats=())
    check_no_unrecorded_defects(demo)
