"""Verdicts flow forward: table → links → scan (with validation) → records.

A truncated master keeps its specimen out of the records, listed among the
skipped specimens with the reason; a good master's specimen gets its record.
"""

from __future__ import annotations

import specpub

from . import builders as b


def test_a_failing_master_blocks_its_record(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "BR0000001.tif").write_bytes(b.tiff())
    (images / "BR0000002.tif").write_bytes(b.tiff()[:-500])  # truncated in its strip
    table = tmp_path / "specimens.csv"
    table.write_text(
        "catalogNumber,institutionCode,scientificName\n"
        "BR0000001,BR,Quercus robur\nBR0000002,BR,Fagus sylvatica\n"
    )
    ws = tmp_path / "ws"
    specpub.load(ws, table, media=[images], progress=None)
    from specpub.media import scan

    scan(workspace=ws, analysers=("facts", "structure"), workers=0, progress=None)
    report = specpub.validate(ws, progress=None)
    assert report.provenance["judged_from_scan"] == 2
    assert {r.catalog_number: r.verdict for r in report} == {
        "BR0000001": "pass",
        "BR0000002": "fail",
    }
    records = specpub.build_records(ws, progress=None)
    skipped = records.skipped.set_index("catalogNumber")
    assert "BR0000002" in skipped.index
    assert (
        "TIF-12" in skipped.loc["BR0000002", "reason"]
        or "INT-03" in skipped.loc["BR0000002", "reason"]
    )
    assert "BR0000001" not in skipped.index
