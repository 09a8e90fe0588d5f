"""Records that pass the checks publish on the embedded repository (both APIs) and read back
with the same metadata; the sidecar downloads and equals the table row."""

from __future__ import annotations

import csv
import hashlib

import pytest

from specpub.records import build_workspace_records
from specpub.records.sidecar import read_sidecar

from ._roundtrip import publish, read_back, same_legacy, same_native

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("preset", ["icedig-benchmark", "meise-belgium-herbarium", "minimal"])
@pytest.mark.parametrize("api", ["legacy", "native"])
def test_checked_records_publish_and_read_back_the_same(
    collection, tmp_path, sandbox, monkeypatch, api, preset
):
    ws = collection.workspace(tmp_path / "ws")
    records = build_workspace_records(ws, collection.preset(tmp_path, preset))
    publishable = records.publishable(api)
    assert publishable, records.skipped
    result = publish(ws, [b.spec() for b in publishable], sandbox, monkeypatch, api)
    assert result.ok, result.summary()
    back = read_back(ws, sandbox, api)
    assert set(back) == {b.marker.key for b in publishable}
    with collection.table.open(encoding="utf-8", newline="") as fh:
        table = {row["catalogNumber"]: row for row in csv.DictReader(fh)}
    for built in publishable:
        got = back[built.marker.key]
        if api == "legacy":
            problems = same_legacy(
                built.legacy["metadata"], got["record"]["metadata"], got["native"]
            )
        else:
            problems = same_native(built.native, got["record"])
        assert not problems, (built.catalog_number, problems)
        assert got["doi"], built.catalog_number
        # every file arrived with its bytes; the sidecar is the table row, value for value
        for spec in built.all_files:
            assert hashlib.md5(got["files"][spec.key]).hexdigest() == spec.md5
        row = {k: v for k, v in table[built.catalog_number].items() if v}
        assert read_sidecar(got["files"][built.sidecar.key]) == row


@pytest.mark.parametrize("api", ["legacy", "native"])
def test_blocked_records_are_not_planned(collection, tmp_path, sandbox, monkeypatch, api):
    ws = collection.workspace(tmp_path / "ws")
    # a preset that blocks values the flags question: the E row carries "Dms" as datum
    preset = collection.preset(
        tmp_path, "minimal", extra='\n[flags]\nGEODETIC_DATUM_INVALID = "block"'
    )
    records = build_workspace_records(ws, preset)
    blocked = {b.catalog_number for b in records.built if b.errors(api)}
    assert blocked == {"E00633257"}
    result = publish(ws, records.specs_for(api), sandbox, monkeypatch, api)
    assert result.ok
    back = read_back(ws, sandbox, api)
    assert "E|E00633257" not in back
    assert len(back) == len(records.built) - 1
