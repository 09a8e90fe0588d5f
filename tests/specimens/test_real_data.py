"""Real data (darwin-core.md §6): the ICEDIG benchmark table, the TROM archive, Meise sheets."""

from __future__ import annotations

import os
import shutil

import pytest

from specpub.specimens import link_media, load_specimens

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def icedig(real_data):
    return load_specimens(
        real_data / "data/real/tables/dillen2019_icedig_benchmark_dwc.csv", progress=None
    )


def test_icedig_loads_every_row_and_column(icedig):
    assert len(icedig) == 1800
    assert icedig.summary()["columns"] == 117
    assert len(icedig.mapping) == 117
    assert icedig.frame["_row"].tolist() == list(range(2, 1802))
    assert icedig.frame["catalogNumber"].is_unique
    # unknown columns are kept under their own names
    for col in ("setID", "persistentID", "jpegURL", "DOI", "tiffURL2"):
        assert col in icedig.frame.columns
    assert icedig.warnings == []


def test_icedig_known_quirks_are_flagged(icedig):
    flags = icedig.flags
    by = flags.groupby("flag")["row"].nunique().to_dict()
    frame = icedig.frame.set_index("_row")
    # basisOfRecord: 1,600 PRESERVED_SPECIMEN normalised, 200 already standard
    assert by["BASIS_OF_RECORD_NONSTANDARD"] == 1600
    assert set(icedig.frame["basisOfRecord"]) == {"PreservedSpecimen"}
    # institutionCode empty for the L and H sets
    rows = flags.loc[flags["flag"] == "INSTITUTION_CODE_MISSING", "row"]
    assert len(rows) == 400
    assert set(frame.loc[rows, "setID"]) == {"L", "H"}
    # occurrenceID: bare UUIDs (BM) and TU numbers are not URLs
    rows = flags.loc[flags["flag"] == "OCCURRENCE_ID_NOT_URL", "row"]
    assert set(frame.loc[rows, "setID"]) == {"BM", "TU"}
    assert len(rows) == 400
    # dates: 50 intervals, 7 years + 6 year-months (+ 4 GBIF-style -00 dates), 2 unpadded
    assert by["EVENT_DATE_INTERVAL"] == 50
    assert by["EVENT_DATE_NORMALISED"] == 2
    assert by["EVENT_DATE_PARTIAL"] == 7 + 6 + 4
    assert "EVENT_DATE_UNPARSABLE" not in by
    assert frame.loc[frame["eventDate_verbatim"] == "1935-7-2", "eventDate"].tolist() == [
        "1935-07-02"
    ]
    exact = (icedig.frame["eventDate"] != "").sum()
    assert exact == 1389 - 50 - 13 - 4  # every full date, Zenodo-ready
    # both spellings of the DR Congo resolve; no coordinate is (0, 0)
    assert "ZERO_COORDINATE" not in by
    invalid_countries = set(flags.loc[flags["flag"] == "COUNTRY_INVALID", "value"])
    assert not {"Congo, Democratic Republic of the", "Congo Democratic Republic"} & (
        invalid_countries
    )
    assert "LANGUAGE_INVALID" not in by  # eng, fra, lat, und, est, deu, nld, por …
    # more quirks found by the checks: 'Dms' as a datum, units in elevations, and
    # `modified` written as Unix timestamps by one herbarium
    assert by["GEODETIC_DATUM_INVALID"] == 23
    assert "1500 m" in set(flags.loc[flags["flag"] == "ELEVATION_NON_NUMERIC", "value"])
    epoch = flags[flags["flag"] == "MODIFIED_DATE_INVALID"]
    assert len(epoch) == 200
    assert epoch["message"].str.contains("Unix timestamp").all()
    # catalogue numbers with spaces are kept verbatim
    assert (icedig.frame["catalogNumber"].str.contains(" ")).sum() == 241


def test_trom_archive_with_multimedia(real_data):
    sp = load_specimens(real_data / "data/real/tables/dwca-trom_algae-v1.25.zip", progress=None)
    assert len(sp) == 2921
    assert sp.info["format"] == "dwca"
    ext = sp.extensions["http://rs.gbif.org/terms/1.0/Multimedia"]
    assert len(ext) == 2951
    assert ext["_core_row"].notna().all()
    assert ext["_core_row"].nunique() == 2844
    assert set(sp.frame["basisOfRecord"]) == {"PreservedSpecimen"}
    assert sp.flag_summary().set_index("flag").loc["BASIS_OF_RECORD_NONSTANDARD", "count"] == 2921
    # no eventDate column: built from year/month/day where complete
    assert sp.frame.loc[sp.frame["catalogNumber"] == "8528", "eventDate"].item() == "1959-07-09"
    links = link_media(sp, [], progress=None)
    s = links.summary()
    assert (s["online_media_linked"], s["specimens_with_files"]) == (2951, 2844)
    assert s["specimens_without_files"] == 2921 - 2844


def test_meise_sheets_link_by_barcode(real_data, icedig, tmp_path):
    images = real_data / "data/real/images"
    # (1) the five real scans link to a table of their own barcodes
    barcodes = sorted(p.stem for p in images.glob("BR*.jpg"))
    table = tmp_path / "br.csv"
    table.write_text(
        "catalogNumber,institutionCode,occurrenceID\n"
        + "".join(f"{b},BR,https://www.botanicalcollections.be/specimen/{b}\n" for b in barcodes)
    )
    sp = load_specimens(table, progress=None)
    links = link_media(sp, [images], progress=None)
    assert sorted(links.links["catalogNumber"]) == barcodes
    assert links.unlinked_files["name"].tolist() == ["two_sheets.JPG"]
    # (2) none of them is in the ICEDIG table (darwin-core.md §6.3)
    on_icedig = link_media(icedig, [images], progress=None)
    assert on_icedig.links.empty
    assert len(on_icedig.unlinked_files) == 6
    # (3) renamed copies (symlinks) named like ICEDIG barcodes, spaces and suffixes included
    br_rows = icedig.frame[icedig.frame["setID"].isin(["BR", "B", "L"])]
    picks = br_rows.groupby("setID")["catalogNumber"].first().tolist()
    folder = tmp_path / "renamed"
    folder.mkdir()
    src = images / f"{barcodes[0]}.jpg"
    for i, number in enumerate(picks):
        for suffix in ("", "_lab"):
            target = folder / f"{number}{suffix}.jpg"
            try:
                os.symlink(src, target)
            except OSError:
                shutil.copy(src, target)
        assert i < 3
    linked = link_media(icedig, [folder], progress=None)
    assert sorted(set(linked.links["catalogNumber"])) == sorted(picks)
    assert sorted(linked.links["role"].unique()) == ["access", "label"]
