"""``specpub records``, ``specpub plan`` and ``specpub preview`` as a user types them."""

from __future__ import annotations

import json
import os

import pandas as pd

from specpub.cli import main


def test_records_then_plan_then_preview(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws").root
    preset = collection.preset(tmp_path, "icedig-benchmark")
    assert main(["records", "-w", str(ws), "--preset", str(preset), "--progress", "none"]) == 0
    out = capsys.readouterr().out
    assert "Built 5 records of 6 specimens with preset 'collection'" in out
    assert "5 ready, 0 with warnings, 0 blocked; 1 specimens without a record" in out
    assert "no linked file" in out
    assert "Kept in the JSON-LD sidecars only" in out
    assert "recordNumber (1)" in out
    assert (ws / "records" / "records.parquet").is_file()
    frame = pd.read_parquet(ws / "records" / "records.parquet")  # plain files, no specpub needed
    assert json.loads(frame.loc[0, "legacy"])["metadata"]["grants"] == [{"id": "777483"}]

    assert main(["plan", "-w", str(ws), "--to", "zenodo", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["records"], plan["added"], plan["preset"]) == (5, 5, "collection")
    assert plan["notes"] == []  # the built records were current: used as they are

    assert (
        main(["preview", "-w", str(ws), "--out", str(tmp_path / "p"), "--record", "BR0000013"]) == 0
    )
    out = capsys.readouterr().out
    assert "Wrote 1 record pages" in out
    assert "BR0000013-" in out


def test_records_json_and_strict(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws").root
    code = main(
        ["records", "-w", str(ws), "--preset", "meise-belgium-herbarium", "--json", "--strict"]
    )
    summary = json.loads(capsys.readouterr().out)
    assert code == 3  # blocked and unlinked specimens
    assert (summary["built"], summary["blocked"], summary["ready"]) == (5, 4, 1)


def test_plan_builds_with_the_default_preset_when_records_was_not_run(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws").root
    assert main(["plan", "-w", str(ws), "--to", "zenodo", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["preset"] == "minimal"
    assert "default preset 'minimal'" in plan["notes"][0]


def test_plan_rebuilds_stale_records_with_the_preset_used_before(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws")
    main(["records", "-w", str(ws.root), "--preset", "icedig-benchmark", "--json"])
    capsys.readouterr()
    os.utime(ws.root / "specimens" / "specimens.parquet", ns=(1, 1))  # the table changed
    assert main(["plan", "-w", str(ws.root), "--to", "zenodo", "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["preset"] == "icedig-benchmark"
    assert "preset used before" in plan["notes"][0]


def test_overrides_and_institution_names(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws").root
    args = [
        "records",
        "-w",
        str(ws),
        "--json",
        "--license",
        "cc0-1.0",
        "--keyword",
        "batch-7",
        "--institution-name",
        "BR=Meise Botanic Garden",
        "--institution-name",
        "E=RBGE",
    ]
    assert main(args) == 0
    capsys.readouterr()
    from specpub.records import Records

    rec = Records.load(ws)["BR0000013"].legacy["metadata"]
    assert rec["creators"] == [{"name": "Meise Botanic Garden"}]
    assert rec["keywords"][-1] == "batch-7"
    assert Records.load(ws)["K000587145"].legacy["metadata"]["license"] == "cc0-1.0"


def test_bad_input_is_one_clear_error_exit_2(collection, tmp_path, capsys):
    ws = collection.workspace(tmp_path / "ws").root
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[preset]\nextends = "minimal"\n[record]\ntitle = "{scientificName} {colector}"\n'
    )
    assert main(["records", "-w", str(ws), "--preset", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "row 2" in err
    assert "field 'title'" in err
    assert "'colector'" in err
    assert main(["records", "-w", str(ws), "--institution-name", "Meise"]) == 2
    assert "cannot be the creator of a table of 5 institutions" in capsys.readouterr().err
    assert main(["records", "-w", str(ws), "--preset", "nope"]) == 2
    assert "there is no preset named 'nope'" in capsys.readouterr().err
    assert main(["preview", "-w", str(ws), "--out", str(tmp_path / "p"), "--record", "X1"]) == 2


def test_list_presets(capsys):
    assert main(["records", "--list-presets"]) == 0
    out = capsys.readouterr().out
    assert "icedig-benchmark" in out
    assert "meise-belgium-herbarium" in out
    assert "minimal" in out


def test_preview_after_publishing_shows_what_a_new_preset_would_change(tmp_path, capsys):
    # The ledger's published payloads are the "before": `specpub preview` compares each
    # rebuilt record with what this workspace published (same API; --target narrows it).
    import specpub

    media = tmp_path / "images"
    media.mkdir()
    rows = ["catalogNumber,institutionCode,scientificName"]
    for cat in ("BR0001", "BR0002"):
        rows.append(f"{cat},BR,Quercus robur")
        (media / f"{cat}.jpg").write_bytes(b"\xff\xd8\xff" + cat.encode())
    table = tmp_path / "specimens.csv"
    table.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ws = tmp_path / "ws"
    specpub.load(ws, table, media=[media], progress=None)
    with specpub.running(tmp_path / "repo", index_lag=0) as sb:
        records = specpub.build_records(ws, progress=None)
        specpub.plan(ws, to=sb, records=records, api="native", progress=None)
        assert specpub.publish(ws, to=sb, progress=None).ok
    preset = tmp_path / "retitled.toml"
    preset.write_text(
        '[preset]\nextends = "minimal"\n[record]\ntitle = "Herbarium sheet of {scientificName}"\n',
        encoding="utf-8",
    )
    assert main(["records", "-w", str(ws), "--preset", str(preset), "--progress", "none"]) == 0

    def page(*extra: str) -> str:
        out = tmp_path / f"p{len(extra)}{'-'.join(extra)}"
        argv = ["preview", "-w", str(ws), "--out", str(out), "--record", "BR0001", *extra]
        assert main([*argv, "--progress", "none"]) == 0
        capsys.readouterr()
        return next((out / "records").glob("BR0001*.html")).read_text(encoding="utf-8")

    changed = page()
    assert "Changes against the published record" in changed
    assert "<del>Quercus robur (BR0001)</del>" in changed
    assert "<ins>Herbarium sheet of Quercus robur</ins>" in changed
    assert "Changes against the published record" in page("--target", "embedded")
    # published to another target, or through the other API: nothing to compare with
    assert "Changes against the published record" not in page("--target", "zenodo")
    assert "Changes against the published record" not in page("--api", "legacy")
