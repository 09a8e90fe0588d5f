"""Presets: the pilot's two mappings (tables 1 and 3 of the ICEDIG report, docs/darwin-core.md
§5.5), the generic one, and validation of what users write."""

from __future__ import annotations

import pytest

from specpub.errors import InputError
from specpub.records import build_workspace_records, list_presets, load_preset, register_preset
from specpub.records.presets import preset_dirs

from .conftest import NAMES


@pytest.fixture
def icedig(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    return build_workspace_records(ws, collection.preset(tmp_path, "icedig-benchmark"))


@pytest.fixture
def meise(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    return build_workspace_records(ws, collection.preset(tmp_path, "meise-belgium-herbarium"))


def test_builtin_presets_are_listed_and_load():
    names = set(list_presets()["name"])
    assert {"icedig-benchmark", "meise-belgium-herbarium", "minimal"} <= names
    for name in ("icedig-benchmark", "meise-belgium-herbarium", "minimal"):
        assert load_preset(name).name == name


# -- ICEDIG benchmark: the pilot's first dataset ---------------------------------------------
def test_icedig_title_and_creator_name_each_rows_own_institution(icedig):
    for built in icedig.built:
        md = built.legacy["metadata"]
        code = built.marker.institution_code or "L"  # the L row's code is ownerInstitutionCode
        name = NAMES[code]
        sci = built.native["custom_fields"]["dwc:scientificName"][0]
        assert md["title"] == (
            f"Herbarium specimen image of {sci}, part of the collection of {name}"
        )
        assert md["creators"] == [{"name": name}]
        assert built.native["metadata"]["creators"] == [
            {"person_or_org": {"type": "organizational", "name": name}}
        ]
    creators = {b.legacy["metadata"]["creators"][0]["name"] for b in icedig.built}
    assert len(creators) == 5, "a mixed table has one creator per institution, never one name"


def test_icedig_pilot_mapping_table(icedig):
    br = icedig["BR0000013"]
    md, native = br.legacy["metadata"], br.native["metadata"]
    assert (md["upload_type"], md["image_type"]) == ("image", "photo")
    assert native["resource_type"] == {"id": "image-photo"}
    assert md["grants"] == [{"id": "777483"}]
    assert native["funding"] == [
        {"funder": {"id": "00k4n6c32"}, "award": {"id": "00k4n6c32::777483"}}
    ]
    assert md["language"] == "fra"
    assert native["languages"] == [{"id": "fra"}]
    cetaf = "http://www.botanicalcollections.be/specimen/BR0000013"
    assert md["related_identifiers"] == [{"identifier": cetaf, "relation": "isAlternateIdentifier"}]
    assert native["identifiers"] == [{"identifier": cetaf, "scheme": "url"}]
    assert md["keywords"] == ["Fagaceae", "Isotype", "herbarium specimen", "ICEDIG"]
    assert md["communities"] == [{"identifier": "icedig"}]
    assert "communities" not in br.native  # the native API takes them by request
    assert md["license"] == "cc-by-4.0"  # the table's CC BY URL, as Zenodo's id
    assert br.sidecar.key == "BR0000013.json"  # the pilot's layout


def test_icedig_alternate_identifier_only_for_urls(icedig):
    assert "related_identifiers" not in icedig["TU278158"].legacy["metadata"]  # bare TU number


def test_icedig_description_lists_the_files_present(icedig):
    with_tiff = icedig["BR0000013"].legacy["metadata"]["description"]
    assert "A lossless TIFF image of the herbarium sheet: BR0000013.tif" in with_tiff
    assert "(96 × 64 pixels" not in with_tiff  # no scan: no pixel facts are invented
    assert "BR0000013.json" in with_tiff
    without = icedig["K000587145"].legacy["metadata"]["description"]
    assert "TIFF" not in without
    assert "A JPEG image of the herbarium sheet: K000587145.jpg" in without


def test_icedig_custom_fields_typed_with_the_marker(icedig):
    custom = icedig["BR0000013"].native["custom_fields"]
    assert custom["dwc:catalogNumber"] == ["BR0000013"]
    assert custom["dwc:institutionCode"] == ["BR"]
    assert custom["dwc:decimalLatitude"] == [50.93]
    assert custom["dwc:recordedBy"] == ["J. Smith", "A. Jones"]  # the DwC " | " list
    assert custom["dc:rightsHolder"] == ["Meise Botanic Garden"]
    assert custom["ac:associatedSpecimenReference"] == [
        "http://www.botanicalcollections.be/specimen/BR0000013"
    ]
    assert "dwc:recordNumber" not in custom  # no such field on Zenodo: in the sidecar


# -- Meise Belgium herbarium: the pilot's second dataset ---------------------------------------
def test_meise_mapping_table(meise):
    br = meise["BR0000013"]
    md, native = br.legacy["metadata"], br.native["metadata"]
    assert md["title"] == "Quercus robur L. (BR0000013)"
    assert md["imprint_publisher"] == "Meise Botanic Garden"
    assert native["publisher"] == "Meise Botanic Garden"
    assert md["license"] == "cc-by-4.0"  # the row's own licence wins over the preset's
    assert md["keywords"] == ["Fagaceae"]
    assert md["communities"] == [{"identifier": "belgiumherbarium"}]
    assert md["grants"] == [{"id": "777483"}]
    assert md["creators"] == [{"name": "Meise Botanic Garden"}]
    assert md["access_right"] == "open"
    assert [r["identifier"] for r in md["related_identifiers"]] == [
        "http://www.botanicalcollections.be/specimen/BR0000013"
    ]


def test_meise_blocks_other_institutions(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    meise = build_workspace_records(ws, "meise-belgium-herbarium")
    assert {b.catalog_number for b in meise.publishable()} == {"BR0000013"}
    blocked = meise["E00633257"].errors()
    assert blocked[0].code == "INSTITUTION_UNKNOWN"  # then: no creator, on both APIs
    assert "'E' is not in the preset's [institutions]" in blocked[0].message


def test_meise_preset_licence_for_rows_without_one(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    rec = build_workspace_records(ws, "meise-belgium-herbarium")["E00633257"]
    assert rec.legacy["metadata"]["license"] == "cc-by-sa-4.0"


def test_minimal_adds_no_grant_community_or_publisher(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    md = build_workspace_records(ws, collection.preset(tmp_path))["K000587145"].legacy["metadata"]
    assert not {"grants", "communities", "imprint_publisher"} & set(md)
    assert md["license"] == "cc-by-4.0"
    assert md["title"] == "Poa annua L. (K000587145)"


# -- validation --------------------------------------------------------------------------------
def _preset(tmp_path, text: str):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ('[record]\ntitel = "x"', "record.titel", "did you mean 'title'"),
        ('[recrod]\ntitle = "x"', "recrod", "unknown section [recrod]"),
        ('extends = "minimal"', "extends", "belongs in [preset]"),
        ('title = "{scientificName}"', "title", "belongs in [record]"),
        ("[record]\ntitle = 5", "record.title", "expected a template text"),
        ('[record]\nlicense = "cc-by-5.0"', "record.license", "not a licence in Zenodo"),
        ('[record]\ntitle = "[[ {a}"', "record.title", "never closed"),
        ('[record]\ntitle = "{master.widht}"', "record.title", "did you mean 'master.width'"),
        ('[record]\nupload_type = "picture"', "record.upload_type", "not a Zenodo upload type"),
        ('[record]\npublication_date = "2026-13-01"', "record.publication_date", "not a date"),
        ('[record]\ngrants = ["10.1/x::1"]', "record.grants.0", "not a grant Zenodo accepts"),
        ('[record]\ncommunities = ["Belgium Herbarium"]', "record.communities.0", "slug"),
        ('[record]\nlanguage = "english"', "record.language", "ISO 639"),
        (
            '[flags]\nGEODETIC_DATUM_INVALD = "correct"',
            "flags.GEODETIC_DATUM_INVALD",
            "did you mean",
        ),
        (
            '[flags]\nCATALOG_NUMBER_DUPLICATE = "publish"',
            "flags.CATALOG_NUMBER_DUPLICATE",
            "always",
        ),
        ('[flags]\nVALUE_UNTYPEABLE = "publish"', "flags.VALUE_UNTYPEABLE", "cannot be published"),
        ('[flags]\nZERO_COORDINATE = "fix"', "flags.ZERO_COORDINATE", "not a decision"),
        (
            '[creators]\nlist = [{name = "Doe, J.", orcid = "0000-0002-1825-0098"}]',
            "creators.list.0.orcid",
            "check digit",
        ),
        (
            '[contributors]\nlist = [{name = "X", role = "Boss"}]',
            "contributors.list.0.role",
            "role",
        ),
        ('[custom_fields]\nterms = ["recordNumber"]', "custom_fields.terms", "no custom field"),
        ('[custom_fields.set]\n"ac:foo" = "x"', "custom_fields.set.ac:foo", "no custom field"),
        ("[creators]\ninstitution = false", "creators", "no creator"),
        ('[institution]\nunknown = "guess"', "institution.unknown", "not 'code' or 'block'"),
        ('[record]\ndescription = [{txt = "a"}]', "record.description.0", "text"),
    ],
)
def test_invalid_presets_are_one_clear_error_naming_file_and_key(tmp_path, text, field, words):
    path = _preset(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_preset(path)
    assert err.value.file == str(path)
    assert err.value.field == field
    assert words in str(err.value)
    assert err.value.fix


def test_toml_syntax_error_names_the_file(tmp_path):
    path = _preset(tmp_path, "[record\ntitle =")
    with pytest.raises(InputError, match="not valid TOML") as err:
        load_preset(path)
    assert err.value.file == str(path)


def test_unknown_preset_name_suggests(tmp_path):
    with pytest.raises(InputError, match="did you mean 'icedig-benchmark'"):
        load_preset("icedig-benchmrk")


def test_extends_in_a_circle_is_refused(tmp_path):
    a, b = tmp_path / "a.toml", tmp_path / "b.toml"
    a.write_text(f'[preset]\nextends = "{b}"\n')
    b.write_text(f'[preset]\nextends = "{a}"\n')
    with pytest.raises(InputError, match="in a circle"):
        load_preset(a)


def test_user_presets_by_name_from_env_and_workspace(tmp_path, monkeypatch, collection):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "tartu.toml").write_text(
        '[preset]\nextends = "icedig-benchmark"\ndescription = "Tartu"\n[record]\n'
        'license = "cc0-1.0"\n'
    )
    monkeypatch.setenv("SPECPUB_PRESETS", str(mine))
    preset = load_preset("tartu")
    assert preset.license == "cc0-1.0"
    assert preset.grants == ("777483",)  # inherited
    assert "tartu" in set(list_presets()["name"])
    ws = collection.workspace(tmp_path / "ws")
    folder = ws.root / "records" / "presets"
    folder.mkdir(parents=True)
    (folder / "here.toml").write_text('[preset]\nextends = "minimal"\n')
    assert folder in preset_dirs(ws)
    assert load_preset("here", workspace=ws).name == "here"


def test_register_preset(tmp_path):
    path = _preset(tmp_path, '[preset]\nextends = "minimal"\n[record]\nkeywords = ["x"]\n')
    register_preset("registered-one", path)
    assert load_preset("registered-one").keywords[0].source == "x"


def test_to_toml_round_trip_keeps_every_setting(tmp_path):
    preset = load_preset("icedig-benchmark").with_overrides(keywords=["batch {7}"])
    path = _preset(tmp_path, preset.to_toml())
    again = load_preset(path)
    assert again.templates().keys() == preset.templates().keys()
    assert [t.source for t in again.templates().values()] == [
        t.source for t in preset.templates().values()
    ]
    assert again.flags == preset.flags
    assert again.institutions == preset.institutions


def test_one_name_for_a_mixed_table_is_refused(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    with pytest.raises(
        InputError, match="cannot be the creator of a table of 5 institutions"
    ) as err:
        build_workspace_records(
            ws, "minimal", overrides={"institution_name": "Meise Botanic Garden"}
        )
    assert err.value.field == "institution.name"
    records = build_workspace_records(ws, "minimal", overrides={"institution_name": NAMES})
    assert {b.legacy["metadata"]["creators"][0]["name"] for b in records.built} == set(
        NAMES.values()
    )
