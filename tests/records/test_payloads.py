"""Darwin Core → Zenodo payloads (first cut of the records stage)."""

from __future__ import annotations

import pytest

from specpub.errors import InputError
from specpub.records import PayloadOptions, build_payloads, to_custom_fields

OPTS = PayloadOptions(institution_name="Meise Botanic Garden", publication_date="2026-01-01")


def test_marker_always_in_custom_fields_of_both_payloads():
    p = build_payloads({"catalogNumber": "BR0000013", "institutionCode": "BR"}, OPTS)
    for custom in (p.legacy["metadata"]["custom"], p.native["custom_fields"]):
        assert custom["dwc:catalogNumber"] == ["BR0000013"]
        assert custom["dwc:institutionCode"] == ["BR"]


def test_types_follow_zenodo_custom_fields():
    fields, left_out = to_custom_fields(
        {
            "decimalLatitude": "50.9",
            "decimalLongitude": "x",
            "eventDate": "1890",
            "dateIdentified": "1999-01-02",
            "ac:digitizationDate": "2024-11",
            "municipality": "Meise",
        }
    )
    assert fields == {
        "dwc:decimalLatitude": [50.9],
        "dwc:dateIdentified": ["1999-01-02"],
        "ac:digitizationDate": ["2024-11"],
    }
    assert sorted(left_out) == ["decimalLongitude", "eventDate", "municipality"]


def test_partial_and_interval_dates_go_verbatim():
    p = build_payloads({"catalogNumber": "A", "eventDate": "1890-05-01/1890-05-03"}, OPTS)
    custom = p.native["custom_fields"]
    assert "dwc:eventDate" not in custom
    assert custom["dwc:verbatimEventDate"] == ["1890-05-01/1890-05-03"]
    assert p.legacy["metadata"]["dates"] == [
        {"start": "1890-05-01", "end": "1890-05-03", "type": "Collected"}
    ]
    exact = build_payloads({"catalogNumber": "A", "eventDate": "1890-05-01"}, OPTS)
    assert exact.native["custom_fields"]["dwc:eventDate"] == ["1890-05-01"]


def test_occurrence_id_url_becomes_alternate_identifier_only_if_url():
    url = "https://www.botanicalcollections.be/specimen/BR0000013"
    p = build_payloads({"catalogNumber": "A", "occurrenceID": url}, OPTS)
    assert p.legacy["metadata"]["related_identifiers"][0]["identifier"] == url
    assert p.native["metadata"]["identifiers"] == [{"identifier": url, "scheme": "url"}]
    q = build_payloads({"catalogNumber": "A", "occurrenceID": "urn:catalog:TROM:A:1"}, OPTS)
    assert "related_identifiers" not in q.legacy["metadata"]


def test_coordinates_zero_or_out_of_range_are_not_located():
    ok = build_payloads(
        {"catalogNumber": "A", "decimalLatitude": "50.9", "decimalLongitude": "4.3"}, OPTS
    )
    assert ok.native["metadata"]["locations"]["features"][0]["geometry"]["coordinates"] == [
        4.3,
        50.9,
    ]
    for lat, lon in (("0", "0"), ("95", "4"), ("a", "b")):
        p = build_payloads(
            {"catalogNumber": "A", "decimalLatitude": lat, "decimalLongitude": lon}, OPTS
        )
        assert "locations" not in p.legacy["metadata"]


def test_description_escapes_user_html():
    p = build_payloads({"catalogNumber": "<b>1</b>", "scientificName": "<script>x</script>"}, OPTS)
    desc = p.legacy["metadata"]["description"]
    assert "<script>" not in desc
    assert "&lt;script&gt;" in desc


def test_missing_catalog_number_is_input_error():
    with pytest.raises(InputError, match="catalogNumber"):
        build_payloads({"scientificName": "X"}, OPTS)
