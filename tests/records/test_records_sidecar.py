"""The JSON-LD sidecar: the full row as the table gave it, with contexts, corrections and the
files' Audubon Core facts; deterministic; uploaded and checked like any file."""

from __future__ import annotations

import csv
import hashlib
import json

from specpub.records import build_workspace_records
from specpub.records.sidecar import CONTEXT, read_sidecar


def _table(collection):
    with collection.table.open(encoding="utf-8", newline="") as fh:
        return {r["catalogNumber"]: {k: v for k, v in r.items() if v} for r in csv.DictReader(fh)}


def test_sidecar_holds_every_column_exactly_as_given(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    records = build_workspace_records(ws, collection.preset(tmp_path))
    table = _table(collection)
    for built in records.built:
        assert read_sidecar(built.sidecar.path) == table[built.catalog_number]
    # normalised on the way in (PRESERVED_SPECIMEN, 1935-7-2): still the original here
    e = read_sidecar(records["E00633257"].sidecar.path)
    assert e["basisOfRecord"] == "PRESERVED_SPECIMEN"
    assert e["eventDate"] == "1935-7-2"


def test_sidecar_is_json_ld_with_darwin_core_and_audubon_core(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    built = build_workspace_records(ws, collection.preset(tmp_path))["BR0000013"]
    doc = json.loads(built.sidecar.path.read_text(encoding="utf-8"))
    assert doc["@context"] == CONTEXT
    assert doc["@id"] == "http://www.botanicalcollections.be/specimen/BR0000013"
    assert doc["@type"] == "dwc:PreservedSpecimen"
    assert doc["dwc:recordNumber"] == "4711"  # a term no Zenodo field holds
    assert doc["dcterms:license"].startswith("http://creativecommons.org")
    assert doc["col:Herbarium notes"] == "sheet 1 of 2"  # a column mapped to no term
    assert doc["specpub:source"] == {"specpub:file": "specimens.csv", "specpub:row": 2}
    media = {m["dcterms:identifier"]: m for m in doc["specpub:media"]}
    assert set(media) == {"BR0000013.jpg", "BR0000013.tif"}
    tif = media["BR0000013.tif"]
    assert tif["ac:hashFunction"] == "MD5"
    assert len(tif["ac:hashValue"]) == 32
    assert tif["ac:associatedSpecimenReference"] == doc["@id"]
    assert tif["ac:subtypeLiteral"] == "master"


def test_corrections_keep_the_original(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    built = build_workspace_records(ws, collection.preset(tmp_path))["E00633257"]
    doc = json.loads(built.sidecar.path.read_text(encoding="utf-8"))
    corrections = {c["specpub:term"]: c for c in doc["specpub:corrections"]}
    assert corrections["dwc:geodeticDatum"] == {
        "specpub:term": "dwc:geodeticDatum",
        "specpub:original": "Dms",
        "specpub:published": None,
        "specpub:reason": "GEODETIC_DATUM_INVALID",
    }
    assert corrections["dwc:countryCode"]["specpub:published"] == "CN"


def test_sidecar_bytes_are_deterministic_and_in_the_record_files(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    preset = collection.preset(tmp_path)
    first = build_workspace_records(ws, preset)["BR0000013"].sidecar
    again = build_workspace_records(ws, preset)["BR0000013"]
    assert again.sidecar.md5 == first.md5
    assert again.sidecar.size == first.size
    assert again.all_files[-1] == again.sidecar
    assert again.spec().files[-1].key == "BR0000013.jsonld"


def test_no_sidecar_when_the_preset_says_so(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    preset = collection.preset(tmp_path, extra="\n[sidecar]\nenabled = false")
    built = build_workspace_records(ws, preset)["BR0000013"]
    assert built.sidecar is None
    assert [f.key for f in built.all_files] == ["BR0000013.jpg", "BR0000013.tif"]


def test_parallel_build_gives_the_same_records(collection, tmp_path, monkeypatch):
    from specpub.records import build as build_module
    from specpub.records import build_records
    from specpub.specimens import MediaLinks, Specimens

    ws = collection.workspace(tmp_path / "ws")
    specimens, links = Specimens.load(ws), MediaLinks.load(ws)
    preset = collection.preset(tmp_path)
    one = build_records(specimens, links, preset, sidecar_dir=tmp_path / "a", workers=1)
    monkeypatch.setattr(build_module, "_CHUNK", 2)  # six rows: three chunks
    two = build_records(specimens, links, preset, sidecar_dir=tmp_path / "b", workers=2)
    assert [b.to_row()["legacy"] for b in one] == [b.to_row()["legacy"] for b in two]
    assert [b.to_row()["native"] for b in one] == [b.to_row()["native"] for b in two]
    assert [len(b.findings) for b in one] == [len(b.findings) for b in two]
    assert one.skipped.equals(two.skipped)
    assert [f.read_bytes() for f in sorted((tmp_path / "a").iterdir())] == [
        f.read_bytes() for f in sorted((tmp_path / "b").iterdir())
    ]


def test_building_again_rewrites_only_the_sidecars_that_change(collection, tmp_path):
    import os

    ws = collection.workspace(tmp_path / "ws")
    first = build_workspace_records(ws, collection.preset(tmp_path))
    paths = {b.catalog_number: b.sidecar.path for b in first.built}
    old = {c: p.stat().st_mtime_ns for c, p in paths.items()}
    for c, p in paths.items():  # an old time stamp shows whether a file is written again
        os.utime(p, ns=(old[c] - 10**9, old[c] - 10**9))
    paths["BR0000013"].write_bytes(b"damaged")  # a sidecar changed on disk since
    again = build_workspace_records(ws, collection.preset(tmp_path))
    assert {b.catalog_number: b.sidecar.path for b in again.built} == paths
    for built in again.built:
        data = built.sidecar.path.read_bytes()
        assert hashlib.md5(data).hexdigest() == built.sidecar.md5  # every one holds its bytes
        assert len(data) == built.sidecar.size
    rewritten = {c for c, p in paths.items() if p.stat().st_mtime_ns != old[c] - 10**9}
    assert rewritten == {"BR0000013"}
