"""Preservation verdicts carried forward: a failing master blocks its record (listed among
the specimens without a record, with the reason) unless the user accepts the rule."""

from __future__ import annotations

import json

import pandas as pd

from specpub.records import build_workspace_records


def _report(ws, rows):
    folder = ws.root / "preservation"
    folder.mkdir(exist_ok=True)
    pd.DataFrame(rows).to_parquet(folder / "report.parquet")


def _row(path, verdict, rule, finding):
    findings = [{"id": finding, "severity": "fail", "rule": rule, "message": "m"}] if rule else []
    return {"path": str(path), "verdict": verdict, "failed_rules": rule, "failed_findings": finding,
            "findings": json.dumps(findings)}  # fmt: skip


def test_a_failing_master_blocks_its_record_unless_the_rule_is_allowed(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    media = collection.media
    _report(ws, [_row(media / "BR0000013.tif", "fail", "INT-03", "TIF-12"),
                 _row(media / "E00633257.tif", "pass", "", ""),
                 _row(media / "K000587145.jpg", "fail", "FMT-01", "FMT-01")])  # fmt: skip
    records = build_workspace_records(ws, collection.preset(tmp_path))
    skipped = records.skipped.set_index("catalogNumber")["reason"]
    assert skipped["BR0000013"] == "preservation: BR0000013.tif fails INT-03"
    assert "BR0000013" not in {b.catalog_number for b in records.built}
    # an access copy that fails does not block: a warning on the record
    k = records["K000587145"]
    assert k.status() == "warned"
    assert [f.code for f in k.findings if f.severity == "warning"] == ["PRESERVATION_FAIL"]
    allowed = build_workspace_records(
        ws, collection.preset(tmp_path), overrides={"allow_rules": ["INT-03"]}
    )
    assert "BR0000013" in {b.catalog_number for b in allowed.publishable()}
    by_finding = build_workspace_records(
        ws, collection.preset(tmp_path), overrides={"allow_rules": ["TIF-12"]}
    )
    assert "BR0000013" in {b.catalog_number for b in by_finding.publishable()}
