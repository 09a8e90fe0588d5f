"""Quality flags: every flag id fires on the values it is meant for, and only there."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from specpub.specimens import FLAGS, load_specimens
from specpub.specimens.values import parse_event_date

from ._archives import write_media_dwca

TODAY = dt.date(2026, 1, 1)
SEEN: set[str] = set()


def load(tmp_path: Path, header: list[str], rows: list[list[str]], **kw):
    path = tmp_path / "t.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    sp = load_specimens(path, progress=None, today=TODAY, **kw)
    SEEN.update(sp.flags["flag"])
    return sp


def rows_by_flag(sp) -> dict[str, list[int]]:
    return {k: sorted(v) for k, v in sp.flags.groupby("flag")["row"].apply(list).items()}


def test_catalog_numbers(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "year"],
        [
            ["BR1", "1"],
            ["", "1"],
            ["BR1", "1"],
            [" BR2 ", "1"],
            ["BR 3", "1"],
            ["br.3", "1"],
            ["BR4", "1"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["CATALOG_NUMBER_MISSING"] == [3]
    assert got["CATALOG_NUMBER_DUPLICATE"] == [2, 4]
    assert got["CATALOG_NUMBER_WHITESPACE"] == [5]
    assert got["CATALOG_NUMBER_COLLISION"] == [6, 7]
    assert sp.frame["catalogNumber"].tolist()[3] == " BR2 "  # kept verbatim
    dup = sp.flags[sp.flags["flag"] == "CATALOG_NUMBER_DUPLICATE"].iloc[0]
    assert dup["severity"] == "error"
    assert "rows 2, 4" in dup["message"]
    assert dup["column"] == "catalogNumber"
    assert dup["source"] == "t.csv"


def test_occurrence_ids(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "occurrenceID"],
        [
            ["A1", "http://herbarium.bgbm.org/object/B100250963"],
            ["A2", "urn:catalog:TROM:A:8528"],
            ["A3", "333757c3-0000-0000-0000-000000000000"],
            ["A4", "https://www.botanicalcollections.be/specimen/BR 0001"],
            ["A5", "http://herbarium.bgbm.org/object/B100250963"],
            ["A6", ""],
        ],
    )
    got = rows_by_flag(sp)
    assert got["OCCURRENCE_ID_NOT_URL"] == [3, 4]
    assert got["OCCURRENCE_ID_URL_INVALID"] == [5]
    assert got["OCCURRENCE_ID_DUPLICATE"] == [2, 6]
    # the http URL is kept as published (never upgraded to https)
    assert sp.frame["occurrenceID"].iloc[0].startswith("http://")


def test_required_fields(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "institutionCode", "ownerInstitutionCode", "scientificName"],
        [["A1", "BR", "", "Quercus"], ["A2", "", "L", ""], ["A3", "", "", "Rubus"]],
    )
    got = rows_by_flag(sp)
    assert got["INSTITUTION_CODE_MISSING"] == [3, 4]
    assert got["SCIENTIFIC_NAME_MISSING"] == [3]
    msgs = sp.flags[sp.flags["flag"] == "INSTITUTION_CODE_MISSING"]["message"].tolist()
    assert "ownerInstitutionCode is 'L'" in msgs[0]


def test_event_dates(tmp_path):
    values = [
        "1935-07-02",
        "1935-7-2",
        "1935",
        "1935-07",
        "1935-07-02/1935-07-09",
        "02.07.1935",
        "03/04/1935",
        "13/04/1935",
        "1935-02-30",
        "soon",
        "2030-01-01",
        "1450-05-05",
        "",
        "2.VII.1935",
        "1935-07-02T10:00:00Z",
        "1856-00-00",
    ]
    sp = load(
        tmp_path, ["catalogNumber", "eventDate"], [[f"A{i}", v] for i, v in enumerate(values)]
    )
    got = rows_by_flag(sp)
    row = {v: i + 2 for i, v in enumerate(values)}
    assert got["EVENT_DATE_NORMALISED"] == sorted(
        row[v]
        for v in ["1935-7-2", "02.07.1935", "13/04/1935", "2.VII.1935", "1935-07-02T10:00:00Z"]
    )
    assert got["EVENT_DATE_PARTIAL"] == sorted(row[v] for v in ["1935", "1935-07", "1856-00-00"])
    assert got["EVENT_DATE_INTERVAL"] == [row["1935-07-02/1935-07-09"]]
    assert got["EVENT_DATE_AMBIGUOUS"] == [row["03/04/1935"]]
    assert got["EVENT_DATE_UNPARSABLE"] == [row["1935-02-30"], row["soon"]]
    assert got["EVENT_DATE_IN_FUTURE"] == [row["2030-01-01"]]
    assert got["EVENT_DATE_UNLIKELY"] == [row["1450-05-05"]]
    f = sp.frame.set_index("_row")
    assert f.loc[row["1935-7-2"], "eventDate"] == "1935-07-02"
    assert f.loc[row["1935-7-2"], "eventDate_verbatim"] == "1935-7-2"
    assert f.loc[row["1935"], "eventDate"] == ""
    assert f.loc[row["1935"], "eventDate_edtf"] == "1935"
    assert f.loc[row["1856-00-00"], "eventDate_edtf"] == "1856"
    assert f.loc[row["1935-07-02/1935-07-09"], "eventDate_edtf"] == "1935-07-02/1935-07-09"
    assert f.loc[row["soon"], "eventDate_verbatim"] == "soon"
    unparsable = sp.flags[sp.flags["flag"] == "EVENT_DATE_UNPARSABLE"]
    assert "not a real date" in unparsable["message"].iloc[0]


def test_event_date_mismatch_and_derivation(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "eventDate", "year", "month", "day"],
        [
            ["A1", "1935-07-02", "1935", "7", "2"],
            ["A2", "1935-07-02", "1936", "", ""],
            ["A3", "1935-07-02", "1935", "8", ""],
            ["A4", "", "1959", "7", "9"],
            ["A5", "", "1959", "7", ""],
            ["A6", "", "1959", "2", "30"],
            ["A7", "1935-07-02/1937-01-01", "1936", "", ""],
        ],
    )
    got = rows_by_flag(sp)
    assert got["EVENT_DATE_MISMATCH"] == [3, 4]
    assert got["EVENT_DATE_DERIVED"] == [5]
    assert sp.frame["eventDate"].tolist()[3:6] == ["1959-07-09", "", ""]
    assert sp.frame["eventDate_edtf"].tolist()[3:6] == ["1959-07-09", "1959-07", "1959-02"]


def test_coordinates(tmp_path):
    rows = [
        ["A1", "50.85", "4.35", "BE"],
        ["A2", "0", "0", "BE"],
        ["A3", "95", "40", "BE"],
        ["A4", "50°51'N", "4.35", "BE"],
        ["A5", "50.85", "", "BE"],
        ["A6", "10", "200", "BE"],
        ["A7", "-50.8", "4.4", "BE"],
        ["A8", "4.4", "50.8", "BE"],
        ["A9", "-2.9", "-23.6", "CD"],
        ["A10", "50,85", "4,35", "BE"],
    ]
    rows += [[f"B{i}", str(50 + i / 10), str(4 + i / 10), "BE"] for i in range(6)]
    rows += [[f"C{i}", str(-3 + i / 10), str(23 + i / 10), "CD"] for i in range(6)]
    sp = load(
        tmp_path, ["catalogNumber", "decimalLatitude", "decimalLongitude", "countryCode"], rows
    )
    got = rows_by_flag(sp)
    assert got["ZERO_COORDINATE"] == [3]
    assert got["COORDINATE_OUT_OF_RANGE"] == [4, 7]
    assert got["COORDINATE_INVALID"] == [5, 6]
    assert got["COORDINATES_LIKELY_SWAPPED"] == [4, 9]
    assert got["PRESUMED_NEGATED_LATITUDE"] == [8]
    assert got["PRESUMED_NEGATED_LONGITUDE"] == [10]
    swapped = sp.flags[(sp.flags["flag"] == "COORDINATES_LIKELY_SWAPPED") & (sp.flags["row"] == 9)]
    assert swapped["value"].iloc[0] == "(4.4, 50.8)"
    assert swapped["column"].iloc[0] == "decimalLatitude/decimalLongitude"


def test_coordinate_uncertainty(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "coordinateUncertaintyInMeters"],
        [["A1", "100"], ["A2", "0"], ["A3", "about 5 km"], ["A4", ""]],
    )
    assert rows_by_flag(sp)["COORDINATE_UNCERTAINTY_METERS_INVALID"] == [3, 4]


def test_countries(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "country", "countryCode"],
        [
            ["A1", "Belgium", "BE"],
            ["A2", "Congo, Democratic Republic of the", "CD"],
            ["A3", "Congo Democratic Republic", "CD"],
            ["A4", "Belgium", "FR"],
            ["A5", "Atlantis", "ZZ"],
            ["A6", "France", "FRA"],
            ["A7", "Zaire", "CD"],
            ["A8", "", "none"],
            ["A9", "belgië", "be"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["COUNTRY_MISMATCH"] == [5]
    assert got["COUNTRY_INVALID"] == [6]
    assert got["COUNTRY_CODE_INVALID"] == [7, 9, 10]
    msgs = sp.flags.set_index("row")
    assert "alpha-3" in msgs.loc[7, "message"]


def test_basis_of_record_is_normalised(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "basisOfRecord"],
        [
            ["A1", "PreservedSpecimen"],
            ["A2", "PRESERVED_SPECIMEN"],
            ["A3", "Preserved specimen"],
            ["A4", "preservedspecimen"],
            ["A5", "Preservedspecimen"],
            ["A6", "hb"],
            ["A7", ""],
        ],
    )
    got = rows_by_flag(sp)
    assert got["BASIS_OF_RECORD_NONSTANDARD"] == [3, 4, 5, 6]
    assert got["BASIS_OF_RECORD_INVALID"] == [7]
    assert sp.frame["basisOfRecord"].tolist() == ["PreservedSpecimen"] * 5 + ["hb", ""]


def test_language(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "language"],
        [
            ["A1", "eng"],
            ["A2", "fr"],
            ["A3", "und"],
            ["A4", "lat"],
            ["A5", "fre"],
            ["A6", "xx"],
            ["A7", "English"],
            ["A8", "eng | nld"],
            ["A9", ""],
        ],
    )
    assert rows_by_flag(sp)["LANGUAGE_INVALID"] == [7, 8]


def test_type_status(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "typeStatus"],
        [
            ["A1", "ISOTYPE"],
            ["A2", "Isotype of Abelia"],
            ["A3", "holotype"],
            ["A4", "type ?"],
            ["A5", "Possible"],
            ["A6", "flowering"],
            ["A7", ""],
            ["A8", "Lectotype | Isolectotype"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["TYPE_STATUS_INVALID"] == [7]
    assert got["SUSPECTED_TYPE"] == [5, 6]


def test_ragged_rows_are_flagged(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("catalogNumber,locality\nA1,x\nA2,Kisantu, near river\n")
    sp = load_specimens(path, progress=None)
    SEEN.update(sp.flags["flag"])
    flag = sp.flags[sp.flags["flag"] == "ROW_EXTRA_FIELDS"]
    assert flag["row"].tolist() == [3]
    assert flag["value"].iloc[0] == " near river"


def test_extension_checks(tmp_path):
    path = write_media_dwca(
        tmp_path / "a.zip",
        "id,catalogNumber\n1,A1\n2,A2\n",
        "id,identifier\n1,https://x.org/a.jpg\n3,https://x.org/b.jpg\n2,not a url\n",
    )
    sp = load_specimens(path, progress=None)
    SEEN.update(sp.flags["flag"])
    got = sp.flags.set_index("flag")
    assert got.loc["EXTENSION_CORE_ID_UNKNOWN", "row"] == 3
    assert got.loc["EXTENSION_CORE_ID_UNKNOWN", "source"] == "a.zip:media.csv"
    assert got.loc["MULTIMEDIA_URI_INVALID", "row"] == 4
    ext = sp.extensions["http://rs.gbif.org/terms/1.0/Multimedia"]
    assert ext["_core_row"].tolist() == [2, pd.NA, 3]
    assert sp.rows_with("warning").tolist() == []  # extension rows are not core rows


def test_flag_rows_have_every_field(tmp_path):
    sp = load(tmp_path, ["catalogNumber", "eventDate"], [["", "x"]])
    assert list(sp.flags.columns) == [
        "flag",
        "severity",
        "row",
        "column",
        "term",
        "value",
        "message",
        "fix",
        "source",
    ]
    assert sp.flags["fix"].str.len().min() > 5
    assert set(sp.flags["severity"]) <= {"error", "warning", "info"}


def test_other_dates(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "dateIdentified", "modified"],
        [
            ["A1", "2010-01-01T00:00:00.000+0000", "2015-09-04"],
            ["A2", "1650", "1960-01-01"],
            ["A3", "someday", "x"],
            ["A4", "2030", "2031-01-01"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["IDENTIFIED_DATE_UNLIKELY"] == [3, 5]
    assert got["IDENTIFIED_DATE_INVALID"] == [4]
    assert got["MODIFIED_DATE_UNLIKELY"] == [3, 5]
    assert got["MODIFIED_DATE_INVALID"] == [4]


def test_elevation_depth_count_datum(tmp_path):
    sp = load(
        tmp_path,
        [
            "catalogNumber",
            "minimumElevationInMeters",
            "maximumElevationInMeters",
            "minimumDepthInMeters",
            "maximumDepthInMeters",
            "individualCount",
            "decimalLatitude",
            "decimalLongitude",
            "geodeticDatum",
        ],
        [
            ["A1", "1500", "1600", "", "", "1", "50.1", "4.1", "WGS84"],
            ["A2", "1500 m", "", "5", "2", "two", "50.1", "4.1", "Dms"],
            ["A3", "1700", "1600", "-3", "", "1.5", "50.1", "4.1", ""],
            ["A4", "12000", "", "", "12000", "", "", "", "EPSG:4326"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["ELEVATION_NON_NUMERIC"] == [3]
    assert got["ELEVATION_MIN_MAX_SWAPPED"] == [4]
    assert got["ELEVATION_UNLIKELY"] == [5]
    assert got["DEPTH_MIN_MAX_SWAPPED"] == [3]
    assert got["DEPTH_UNLIKELY"] == [4, 5]
    assert got["INDIVIDUAL_COUNT_INVALID"] == [3, 4]
    assert got["GEODETIC_DATUM_INVALID"] == [3]
    assert got["GEODETIC_DATUM_ASSUMED_WGS84"] == [4]
    sp = load(tmp_path, ["catalogNumber", "minimumDepthInMeters"], [["A1", "deep"]])
    assert rows_by_flag(sp)["DEPTH_NON_NUMERIC"] == [2]


def test_uris_and_licences(tmp_path):
    sp = load(
        tmp_path,
        ["catalogNumber", "references", "associatedMedia", "license"],
        [
            [
                "A1",
                "https://plutof.ut.ee/#/specimen/view/530858",
                "https://x.org/a.jpg | https://x.org/b.jpg",
                "CC-BY-4.0",
            ],
            ["A2", "plutof.ut.ee/view/1", "a.jpg", "All rights reserved"],
            ["A3", "", "", "http://creativecommons.org/licenses/by-sa/4.0/"],
        ],
    )
    got = rows_by_flag(sp)
    assert got["REFERENCES_URI_INVALID"] == [3]
    assert got["MULTIMEDIA_URI_INVALID"] == [3]
    assert got["LICENSE_UNRECOGNISED"] == [3]


@pytest.mark.parametrize(
    ("text", "kind", "iso", "edtf"),
    [
        ("1935-07-02", "exact", "1935-07-02", "1935-07-02"),
        ("19350702", "exact", "1935-07-02", "1935-07-02"),
        ("2 Jul 1935", "exact", "1935-07-02", "1935-07-02"),
        ("July 2, 1935", "exact", "1935-07-02", "1935-07-02"),
        ("juillet 1935", "partial", "", "1935-07"),
        ("VII.1935", "partial", "", "1935-07"),
        ("1935-07-02/09", "interval", "", "1935-07-02/1935-07-09"),
        ("1935/1936", "interval", "", "1935/1936"),
        ("1935-07-02/", "interval", "", "1935-07-02/.."),
        ("1936/1935", "unparsable", "", ""),
        ("0000", "unparsable", "", ""),
        ("1935-13", "unparsable", "", ""),
    ],
)
def test_date_parser(text, kind, iso, edtf):
    value = parse_event_date(text)
    assert (value.kind, value.iso, value.edtf) == (kind, iso, edtf)


def test_zz_every_flag_id_is_exercised():
    """Runs last in this module: each flag id in FLAGS was produced by some test above."""
    missing = set(FLAGS) - SEEN
    assert not missing, f"flag ids never produced by a test: {sorted(missing)}"
