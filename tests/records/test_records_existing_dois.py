"""Specimens whose table already names a DOI: the build says a second DOI would be minted.

The ICEDIG benchmark table has a ``DOI`` column (each specimen's Zenodo record of the
pilot); publishing it again gave every specimen a second DOI without a word.
"""

from __future__ import annotations

from specpub.records import build_workspace_records
from specpub.specimens import link_media, load_specimens

TABLE = (
    "catalogNumber,institutionCode,scientificName,DOI,references\n"
    "E00633257,E,Quercus robur,http://dx.doi.org/10.5281/zenodo.1484146,\n"
    "E00633258,E,Rubus sp.,10.5281/zenodo.1484147,https://doi.org/10.1000/paper\n"
    "E00633259,E,Rubus sp.,,https://doi.org/10.1000/paper\n"
)


def _workspace(tmp_path):
    (tmp_path / "t.csv").write_text(TABLE)
    for cat in ("E00633257", "E00633258", "E00633259"):
        (tmp_path / f"{cat}.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg " + cat.encode())
    sp = load_specimens(tmp_path / "t.csv", progress=None)
    sp.save(tmp_path / "ws")
    link_media(sp, [tmp_path], progress=None).save(tmp_path / "ws")
    return tmp_path / "ws"


def test_a_table_naming_doi_says_each_would_get_a_second_one_and_how_to_link(tmp_path):
    records = build_workspace_records(_workspace(tmp_path), "minimal")
    notes = [w for w in records.summary()["warnings"] if "already name a DOI" in w]
    assert len(notes) == 1
    note = notes[0]
    # the DOI column counts (2), a publication's DOI in `references` does not
    assert note.startswith("2 specimens already name a DOI in column 'DOI'")
    assert "second DOI" in note
    assert 'related_identifiers = [{identifier = "{DOI?}", relation = "isNewVersionOf"}]' in note


def test_the_preset_the_warning_suggests_links_the_records_and_silences_it(tmp_path):
    ws = _workspace(tmp_path)
    preset = tmp_path / "again.toml"
    preset.write_text(
        '[preset]\nextends = "minimal"\nname = "again"\n\n[record]\n'
        'related_identifiers = [{identifier = "{DOI?}", relation = "isNewVersionOf"}]\n'
    )
    records = build_workspace_records(ws, preset)
    assert not [w for w in records.summary()["warnings"] if "already name a DOI" in w]
    by_cat = {b.marker.catalog_number: b for b in records.built}
    legacy = by_cat["E00633257"].legacy
    assert {
        "identifier": "http://dx.doi.org/10.5281/zenodo.1484146",
        "relation": "isNewVersionOf",
    } in legacy["metadata"]["related_identifiers"]
    # a row without a DOI gets no empty relation
    assert not any(
        r["relation"] == "isNewVersionOf"
        for r in by_cat["E00633259"].legacy["metadata"].get("related_identifiers", [])
    )
    assert records.summary()["publishable"] == {"legacy": 3, "native": 3}
