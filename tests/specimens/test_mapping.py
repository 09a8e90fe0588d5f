"""Column → Darwin Core term mapping, user mappings, conflicts, load_specimens errors."""

from __future__ import annotations

import json

import pytest

from specpub.errors import InputError
from specpub.specimens import load_specimens
from specpub.specimens.mapping import plan_mapping, read_user_mapping
from specpub.specimens.terms import lookup_term


@pytest.mark.parametrize(
    ("column", "how"),
    [
        ("catalogNumber", "exact"),
        ("http://rs.tdwg.org/dwc/terms/catalogNumber", "uri"),
        ("https://rs.tdwg.org/dwc/terms/catalogNumber", "uri"),
        ("dwc:catalogNumber", "prefixed"),
        ("DwC:CatalogNumber", "prefixed"),
        ("Catalog Number", "normalised"),
        ("catalog_number", "normalised"),
        ("CATALOGNUMBER", "normalised"),
        ("catalog no.", "variant"),
        ("Catalogue number", "variant"),
        ("Barcode", "variant"),
    ],
)
def test_catalog_number_variants(column, how):
    assert lookup_term(column) == ("catalogNumber", how)


@pytest.mark.parametrize(
    ("column", "term"),
    [
        ("Latitude", "decimalLatitude"),
        ("dcterms:language", "language"),
        ("http://purl.org/dc/terms/license", "license"),
        ("ac:accessURI", "accessURI"),
        ("Basis of record", "basisOfRecord"),
        ("Country code", "countryCode"),
        ("Collector", "recordedBy"),
    ],
)
def test_other_terms(column, term):
    assert lookup_term(column)[0] == term


@pytest.mark.parametrize("column", ["notes", "persistentID", "jpegURL", "dwc:notATerm", ""])
def test_unknown_columns_are_not_terms(column):
    assert lookup_term(column) is None


def test_plan_keeps_unknown_columns_and_reports_how():
    plan = plan_mapping(["Catalog Number", "setID", "eventDate", "_row"])
    assert plan["target"].tolist() == ["catalogNumber", "setID", "eventDate", "source_row"]
    assert plan["how"].tolist() == ["normalised", "unmapped", "exact", "unmapped"]
    assert plan.loc[0, "uri"] == "http://rs.tdwg.org/dwc/terms/catalogNumber"


def test_conflict_names_both_columns_and_the_fix():
    with pytest.raises(InputError) as err:
        plan_mapping(["catalogNumber", "notes", "CATALOG_NUMBER"], file="t.csv")
    text = str(err.value)
    assert "'catalogNumber' and 'CATALOG_NUMBER'" in text
    assert "t.csv" in text
    assert '"CATALOG_NUMBER" = ""' in text


def test_user_mapping_overrides_and_resolves_conflicts():
    plan = plan_mapping(
        ["catalogNumber", "Barcode"], {"catalogNumber": "", "Barcode": "dwc:catalogNumber"}
    )
    assert plan["how"].tolist() == ["unmapped (user)", "user"]
    # the unmapped column must not take the term's name
    assert plan["target"].tolist() == ["catalogNumber_source", "catalogNumber"]


def test_user_mapping_to_unknown_term_is_an_error():
    with pytest.raises(InputError, match="not a known"):
        plan_mapping(["x"], {"x": "catalogNumbr"})


def test_user_mapping_files(tmp_path):
    toml = tmp_path / "m.toml"
    toml.write_text('[mapping]\n"Barcode BR" = "catalogNumber"\n"Notes" = ""\n')
    assert read_user_mapping(toml) == {"Barcode BR": "catalogNumber", "Notes": ""}
    js = tmp_path / "m.json"
    js.write_text(json.dumps({"Barcode BR": "catalogNumber"}))
    assert read_user_mapping(js) == {"Barcode BR": "catalogNumber"}
    bad = tmp_path / "bad.toml"
    bad.write_text("this is = = not toml")
    with pytest.raises(InputError, match="not valid TOML") as err:
        read_user_mapping(bad)
    assert "bad.toml" in str(err.value)
    with pytest.raises(InputError, match="not a term name"):
        read_user_mapping({"a": 3})
    with pytest.raises(InputError, match="cannot read"):
        read_user_mapping(tmp_path / "missing.toml")


def test_load_applies_mapping_and_reports_it(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("Barcode BR,Taxon,notes\nBR1,Quercus,x\n")
    mapping = tmp_path / "m.toml"
    mapping.write_text('"Barcode BR" = "catalogNumber"\nTaxon = "scientificName"\nGhost = "year"\n')
    sp = load_specimens(table, mapping=mapping, progress=None)
    assert list(sp.frame.columns) == ["catalogNumber", "scientificName", "notes", "_row", "_source"]
    assert sp.mapping["how"].tolist() == ["user", "user", "unmapped"]
    assert any("Ghost" in w for w in sp.warnings)


def test_no_catalog_number_column_is_one_clear_error(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("Taxon,Date\nQuercus,1935\n")
    with pytest.raises(InputError) as err:
        load_specimens(table, progress=None)
    text = str(err.value)
    assert "t.csv" in text
    assert "no column holds catalogue numbers" in text
    assert "'Taxon', 'Date'" in text
    assert "--mapping" in text


def test_a_variant_yields_to_the_term_itself(tmp_path):
    plan = plan_mapping(["catalogNumber", "Barcode", "decimalLatitude", "lat"])
    assert plan["term"].tolist() == ["catalogNumber", "", "decimalLatitude", ""]
    assert plan["target"].tolist()[1] == "Barcode"
    assert "taken by 'catalogNumber'" in plan["how"].tolist()[1]
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber,barcode\nA1,0001\n")
    sp = load_specimens(table, progress=None)
    assert sp.frame["barcode"].tolist() == ["0001"]
    assert any("'barcode' is kept as is" in w for w in sp.warnings)


def test_two_variants_of_one_term_conflict():
    with pytest.raises(InputError, match="'Latitude' and 'lat'"):
        plan_mapping(["catalogNumber", "Latitude", "lat"])


def test_missing_key_columns_are_warned(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber\nA1\n")
    warnings = load_specimens(table, progress=None).warnings
    assert any("no institutionCode column" in w for w in warnings)
    assert any("no scientificName column" in w for w in warnings)
