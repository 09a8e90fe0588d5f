"""Row → record: flag decisions, dates, coordinates, creators, languages, licences, types,
Audubon Core from the scan, and the errors a preset can cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from specpub.errors import InputError
from specpub.records import load_preset
from specpub.records.mapping import RecordBuilder, RowInput, build_one
from specpub.records.media import MediaFile
from specpub.records.payloads import to_legacy, to_native
from specpub.records.spec import FileSpec


def _preset(tmp_path: Path, body: str, base: str = "minimal") -> Path:
    path = tmp_path / "p.toml"
    path.write_text(f'[preset]\nextends = "{base}"\n{body}\n', encoding="utf-8")
    return path


def _build(row: dict, preset="minimal"):
    record, left_out = build_one({"institutionCode": "BR", **row}, preset=preset)
    return record, left_out


# -- what the preset decides for flagged values ----------------------------------------------
@pytest.mark.parametrize("decision", ["publish", "correct", "block"])
def test_flag_decisions_publish_correct_or_block(tmp_path, decision):
    preset = _preset(tmp_path, f'[flags]\nGEODETIC_DATUM_INVALID = "{decision}"')
    rec, _ = _build(
        {
            "catalogNumber": "A1",
            "decimalLatitude": "50.1",
            "decimalLongitude": "4.1",
            "geodeticDatum": "Dms",
        },
        preset,
    )
    if decision == "publish":
        assert rec.custom["dwc:geodeticDatum"] == ["Dms"]
        assert rec.status != "blocked"
    elif decision == "correct":
        assert "dwc:geodeticDatum" not in rec.custom
        assert [(c.term, c.original, c.published) for c in rec.corrections] == [
            ("geodeticDatum", "Dms", None)
        ]
    else:
        assert rec.status == "blocked"
        (finding,) = [f for f in rec.findings if f.severity == "error"]
        assert finding.code == "FLAG_BLOCKS"
        assert "GEODETIC_DATUM_INVALID" in finding.message
        assert "Dms" in finding.message


def test_basis_of_record_correct_normalises_publish_keeps_the_original(tmp_path):
    row = {"catalogNumber": "A1", "basisOfRecord": "PRESERVED_SPECIMEN"}
    rec, _ = _build(row)
    assert rec.custom["dwc:basisOfRecord"] == ["PreservedSpecimen"]
    assert rec.corrections[0].original == "PRESERVED_SPECIMEN"
    rec, _ = _build(row, _preset(tmp_path, '[flags]\nBASIS_OF_RECORD_NONSTANDARD = "publish"'))
    assert rec.custom["dwc:basisOfRecord"] == ["PRESERVED_SPECIMEN"]


def test_coordinate_flags_withhold_both_coordinates_and_the_point():
    rec, _ = _build({"catalogNumber": "A1", "decimalLatitude": "0", "decimalLongitude": "0"})
    assert "dwc:decimalLatitude" not in rec.custom
    assert "dwc:decimalLongitude" not in rec.custom
    assert rec.locations == []
    assert {c.term for c in rec.corrections} == {"decimalLatitude", "decimalLongitude"}


def test_country_code_corrected_from_the_country_named():
    rec, _ = _build({"catalogNumber": "A1", "country": "China", "countryCode": "none"})
    assert rec.custom["dwc:countryCode"] == ["CN"]
    rec, _ = _build({"catalogNumber": "A1", "countryCode": "none"})
    assert "dwc:countryCode" not in rec.custom


# -- dates keep all they say -------------------------------------------------------------------
def test_interval_is_a_collected_date_with_start_and_end_plus_the_verbatim_value():
    rec, _ = _build({"catalogNumber": "A1", "eventDate": "1982-10-29/1982-10-30"})
    assert "dwc:eventDate" not in rec.custom
    assert rec.custom["dwc:verbatimEventDate"] == ["1982-10-29/1982-10-30"]
    assert to_legacy(rec)["metadata"]["dates"] == [
        {"start": "1982-10-29", "end": "1982-10-30", "type": "Collected"}
    ]
    assert to_native(rec)["metadata"]["dates"] == [
        {"date": "1982-10-29/1982-10-30", "type": {"id": "collected"}}
    ]


@pytest.mark.parametrize(
    ("given", "event_date", "collected", "verbatim"),
    [
        ("1890-05-01", ["1890-05-01"], "1890-05-01", None),
        ("1905-07", None, "1905-07", ["1905-07"]),
        ("1931", None, "1931", ["1931"]),
        ("1935-7-2", ["1935-07-02"], "1935-07-02", ["1935-7-2"]),
    ],
)
def test_exact_partial_and_unpadded_event_dates(given, event_date, collected, verbatim):
    rec, _ = _build({"catalogNumber": "A1", "eventDate": given})
    assert rec.custom.get("dwc:eventDate") == event_date
    assert rec.custom.get("dwc:verbatimEventDate") == verbatim
    assert [d.edtf for d in rec.dates] == [collected]


def test_table_verbatim_event_date_is_kept_next_to_the_interval():
    rec, _ = _build(
        {
            "catalogNumber": "A1",
            "eventDate": "1890-05-01/1890-05-03",
            "verbatimEventDate": "1-3 V 1890",
        }
    )
    assert rec.custom["dwc:verbatimEventDate"] == ["1-3 V 1890", "1890-05-01/1890-05-03"]


def test_date_identified_timestamps_normalised_partial_kept_in_the_sidecar():
    rec, left = _build({"catalogNumber": "A1", "dateIdentified": "1965-08-01T00:00:00.000+0000"})
    assert rec.custom["dwc:dateIdentified"] == ["1965-08-01"]
    assert rec.corrections[-1].original == "1965-08-01T00:00:00.000+0000"
    assert "dateIdentified" not in left
    rec, left = _build({"catalogNumber": "A1", "dateIdentified": "1994"})
    assert "dwc:dateIdentified" not in rec.custom
    assert "dateIdentified" in left


# -- creators and institutions -----------------------------------------------------------------
def test_unknown_institution_code_is_named_by_its_code_with_a_warning():
    rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "XYZ"})
    assert [a.name for a in rec.creators] == ["XYZ"]
    assert [f.code for f in rec.findings if f.severity == "warning"] == ["INSTITUTION_UNNAMED"]


def test_institution_ror_from_institution_id(tmp_path):
    preset = _preset(
        tmp_path, '[institutions]\nTROM = {name = "The Arctic University Museum of Norway"}'
    )
    rec, _ = build_one(
        {
            "catalogNumber": "8528",
            "institutionCode": "TROM",
            "institutionID": "https://ror.org/00wge5k78",
        },
        preset=preset,
    )
    creator = to_native(rec)["metadata"]["creators"][0]["person_or_org"]
    assert creator == {
        "type": "organizational",
        "name": "The Arctic University Museum of Norway",
        "identifiers": [{"scheme": "ror", "identifier": "00wge5k78"}],
    }


def test_no_institution_at_all_blocks_unless_the_preset_has_a_default(tmp_path):
    rec, _ = build_one({"catalogNumber": "A1"})
    assert rec.status == "blocked"
    assert rec.findings[0].code == "INSTITUTION_MISSING"
    rec, _ = build_one(
        {"catalogNumber": "A1"}, preset=_preset(tmp_path, '[institution]\ndefault = "Herbarium X"')
    )
    assert [a.name for a in rec.creators] == ["Herbarium X"]


def test_preset_creators_and_contributors(tmp_path):
    preset = _preset(
        tmp_path,
        '[creators]\nlist = [{name = "Doe, Jane", orcid = "0000-0002-1825-0097"}]\n'
        '[contributors]\nlist = [{name = "Digitisation Team", role = "DataCollector"}]',
    )
    rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "BR"}, preset=preset)
    md = to_legacy(rec)["metadata"]
    assert md["creators"] == [{"name": "BR"}, {"name": "Doe, Jane", "orcid": "0000-0002-1825-0097"}]
    assert md["contributors"] == [{"name": "Digitisation Team", "type": "DataCollector"}]
    person = to_native(rec)["metadata"]["creators"][1]["person_or_org"]
    assert (person["family_name"], person["given_name"]) == ("Doe", "Jane")


# -- languages, licences, types ------------------------------------------------------------------
def test_languages_several_and_bibliographic_codes():
    rec, _ = _build({"catalogNumber": "A1", "language": "eng | lat"})
    assert rec.languages == ["eng", "lat"]
    assert to_legacy(rec)["metadata"]["language"] == "eng"  # the legacy API takes one
    rec, _ = _build({"catalogNumber": "A1", "language": "fre"})
    assert rec.languages == ["fra"]


def test_licence_from_the_table_and_an_unknown_one_blocks():
    rec, _ = _build(
        {"catalogNumber": "A1", "license": "http://creativecommons.org/licenses/by-nc/4.0/"}
    )
    assert rec.license == "cc-by-nc-4.0"
    rec, _ = _build({"catalogNumber": "A1", "license": "all rights reserved"})
    assert rec.status == "blocked"


def test_a_value_its_field_cannot_hold(tmp_path):
    rec, left = _build({"catalogNumber": "A1", "organismQuantity": "many"})
    assert "dwc:organismQuantity" not in rec.custom
    assert rec.corrections[-1].reason == "VALUE_UNTYPEABLE"
    assert "organismQuantity" in left
    preset = _preset(tmp_path, '[flags]\nVALUE_UNTYPEABLE = "block"')
    rec, _ = _build({"catalogNumber": "A1", "organismQuantity": "many"}, preset)
    (err,) = [f for f in rec.findings if f.severity == "error"]
    assert err.code == "VALUE_UNTYPEABLE"
    assert err.field == "dwc:organismQuantity"  # the field; the message names preset and column
    assert "'many' is not a number" in err.message
    assert "preset p" in err.message
    assert "column 'organismQuantity'" in err.message


def test_custom_field_terms_and_exclude(tmp_path):
    preset = _preset(
        tmp_path, '[custom_fields]\nterms = ["catalogNumber", "family"]\nexclude = ["family"]'
    )
    rec, _ = _build({"catalogNumber": "A1", "family": "Fagaceae", "genus": "Quercus"}, preset)
    assert set(rec.custom) == {"dwc:catalogNumber", "dwc:institutionCode"}  # markers always


def test_custom_field_values_from_the_preset(tmp_path):
    preset = _preset(
        tmp_path,
        '[custom_fields.set]\n"ac:subjectPart" = "whole organism"\n'
        '"ac:resourceCreationTechnique" = "[[scanned at {master.ppi} ppi]]"',
    )
    rec, _ = _build({"catalogNumber": "A1"}, preset)
    assert rec.custom["ac:subjectPart"] == ["whole organism"]
    assert "ac:resourceCreationTechnique" not in rec.custom  # no scan: no ppi


# -- templates against the table -------------------------------------------------------------
def test_a_template_naming_a_missing_column_names_preset_field_and_row(tmp_path):
    preset = _preset(tmp_path, '[record]\ntitle = "{scientificName} ({colectorNumber})"')
    with pytest.raises(InputError) as err:
        RecordBuilder(preset, ["catalogNumber", "scientificName"], first_row=2)
    e = err.value
    assert e.file == str(preset)
    assert e.field == "title"
    assert e.row == 2
    assert "'colectorNumber'" in e.message


def test_optional_columns_and_absent_terms_render_empty(tmp_path):
    preset = _preset(tmp_path, '[record]\ntitle = "{scientificName}[[ — {setID?}]]"')
    builder = RecordBuilder(preset, ["catalogNumber", "scientificName"])
    rec, _ = builder.build(RowInput(2, {"catalogNumber": "A1", "scientificName": "Poa annua"}))
    assert rec.title == "Poa annua"
    assert any("family" in w for w in builder.warnings)  # a DwC term the table lacks


# -- Audubon Core from the media scan ------------------------------------------------------------
def test_audubon_core_from_the_scan(tmp_path):
    media = MediaFile.from_manifest(
        {
            "path": str(tmp_path / "A1.tif"),
            "key": "A1.tif",
            "size": 100,
            "md5": "a" * 32,
            "sha256": "b" * 64,
            "format": "tiff",
            "mime": "image/tiff",
            "width": 6000,
            "height": 9000,
            "ppi": 600.0,
            "exif_make": "Phase One",
            "exif_model": "iXG 100MP",
            "exif_datetime_original": "2018:05:03 10:22:01",
            "role": "master",
        }
    )
    preset = _preset(
        tmp_path,
        '[custom_fields.set]\n"ac:resourceCreationTechnique" = "scanned at {master.ppi} ppi"',
    )
    builder = RecordBuilder(preset, ["catalogNumber", "institutionCode", "occurrenceID"])
    rec, _ = builder.build(
        RowInput(
            2,
            {"catalogNumber": "A1", "institutionCode": "BR", "occurrenceID": "https://x.org/A1"},
            files=[media],
        )
    )
    assert rec.custom["ac:captureDevice"] == ["Phase One iXG 100MP"]
    assert rec.custom["ac:digitizationDate"] == ["2018-05-03T10:22:01"]
    assert rec.custom["ac:associatedSpecimenReference"] == ["https://x.org/A1"]
    assert rec.custom["ac:resourceCreationTechnique"] == ["scanned at 600 ppi"]
    assert rec.files == [media.spec]


def test_scan_error_rows_are_unreadable_files(tmp_path):
    with pytest.raises(OSError, match="permission"):
        MediaFile.from_manifest(
            {
                "path": "/x/A.tif",
                "size": 0,
                "md5": "",
                "error": "denied",
                "error_code": "permission",
            }
        )


def test_left_out_lists_terms_no_zenodo_field_holds():
    _, left = _build(
        {"catalogNumber": "A1", "recordNumber": "12", "fieldNotes": "wet", "family": "Fagaceae"}
    )
    assert sorted(left) == ["fieldNotes", "recordNumber"]


def test_file_spec_from_the_scan_is_not_read_again(tmp_path):
    media = MediaFile.from_manifest(
        {"path": str(tmp_path / "absent.jpg"), "key": "absent.jpg", "size": 10, "md5": "c" * 32}
    )
    assert media.spec == FileSpec(tmp_path / "absent.jpg", "absent.jpg", 10, "c" * 32, None, None)
    assert load_preset("minimal").decision("ZERO_COORDINATE") == "correct"


def test_every_finding_code_of_the_builder_is_documented():
    import re

    from specpub.records import build as build_module
    from specpub.records import mapping
    from specpub.records.mapping import FINDINGS

    source = Path(mapping.__file__).read_text() + Path(build_module.__file__).read_text()
    made = set(re.findall(r'"(?:error|warning|info)",\s*"([A-Z_]+)"', source))
    assert made <= set(FINDINGS), made - set(FINDINGS)
