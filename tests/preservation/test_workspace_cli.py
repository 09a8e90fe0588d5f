"""Validation of a scanned workspace (the scan's single read), the report files, the CLI."""

from __future__ import annotations

import json
import tomllib

import pandas as pd
import pytest

from specpub.cli import main
from specpub.media import scan
from specpub.preservation import ValidationReport, validate
from specpub.preservation import validation as validation_module
from specpub.preservation.report import REPORT_COLUMNS
from specpub.preservation.validation import validate_workspace
from specpub.specimens import link_media, load_specimens
from specpub.workspace import Workspace

from . import builders as b


@pytest.fixture
def collection(tmp_path):
    images = tmp_path / "images"
    images.mkdir()
    (images / "BR0000001.tif").write_bytes(b.tiff())
    (images / "BR0000002.tif").write_bytes(b.tiff()[:-200])  # truncated master
    (images / "BR0000001.jpg").write_bytes(b.jpeg(size=(2400, 1600)))
    (images / "BR0000002.jpg").write_bytes(b.png())  # a PNG named .jpg
    table = tmp_path / "specimens.csv"
    table.write_text("catalogNumber,institutionCode\nBR0000001,BR\nBR0000002,BR\n")
    ws = Workspace.create(tmp_path / "ws")
    specimens = load_specimens(table, progress=None)
    specimens.save(ws)
    link_media(specimens, [images], progress=None).save(ws)
    return ws, images


def _verdicts(report):
    return {r.key: (r.verdict, sorted({f.id for f in r.findings})) for r in report}


def test_scan_then_validate_reads_no_file_again(collection, monkeypatch):
    ws, _images = collection
    scan(workspace=ws, analysers=("facts", "structure"), workers=0, progress=None)

    def no_read(*args, **kwargs):
        raise AssertionError("a file was read again")

    monkeypatch.setattr(validation_module, "validate_file", no_read)
    report = validate_workspace(ws, progress=None)
    assert report.provenance["judged_from_scan"] == 4
    assert report.provenance["read_here"] == 0
    got = _verdicts(report)
    assert got["BR0000001.tif"] == ("pass", [])
    assert got["BR0000002.tif"][0] == "fail"
    assert "TIF-12" in got["BR0000002.tif"][1]
    assert "ID-03" in got["BR0000002.jpg"][1]
    roles = {r.key: (r.role, r.profile, r.catalog_number) for r in report}
    assert roles["BR0000001.jpg"] == ("access", "access", "BR0000001")
    assert roles["BR0000001.tif"] == ("master", "master", "BR0000001")


def test_judging_from_the_scan_equals_reading_the_files(collection):
    ws, images = collection
    scan(workspace=ws, analysers=("facts", "structure"), workers=0, progress=None)
    from_scan = validate_workspace(ws, progress=None, save=False)
    role_profiles = {"access": "access"}
    roles = {r.path: (r.catalog_number, r.role) for r in from_scan}
    direct = validate([images], progress=None, roles=roles, role_profiles=role_profiles)
    assert _verdicts(from_scan) == _verdicts(direct)
    for a, d in zip(from_scan, direct, strict=True):
        assert [(f.id, f.severity, f.rule) for f in a.findings] == [
            (f.id, f.severity, f.rule) for f in d.findings
        ]


def test_a_file_changed_since_the_scan_is_read_again(collection):
    ws, images = collection
    scan(workspace=ws, analysers=("facts", "structure"), workers=0, progress=None)
    (images / "BR0000001.tif").write_bytes(b.tiff()[:-300])
    report = validate_workspace(ws, progress=None)
    assert report.provenance["read_here"] == 1
    assert _verdicts(report)["BR0000001.tif"][0] == "fail"


def test_without_a_scan_the_linked_files_are_read_once(collection):
    ws, _ = collection
    report = validate_workspace(ws, progress=None)
    assert report.provenance["read_here"] == 4
    assert len(report) == 4


def test_the_report_files_in_the_workspace(collection):
    ws, images = collection
    (images / "<img src=x onerror=alert(1)>.png").write_bytes(b.png()[:-5])
    report = validate_workspace(ws, [images], progress=None)
    folder = ws.root / "preservation"
    frame = pd.read_parquet(folder / "report.parquet")
    assert list(frame.columns) == list(REPORT_COLUMNS)
    assert dict(frame.dtypes.astype(str)) == {
        k: v.lower() if v != "Int64" else "Int64" for k, v in REPORT_COLUMNS.items()
    }
    assert len(pd.read_csv(folder / "findings.csv")) == len(report.findings_frame())
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<svg" in page
    data = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert data["summary"]["files"] == 5
    loaded = ValidationReport.load(ws)
    assert _verdicts(loaded) == _verdicts(report)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["by_rule"]["INT-03"]["fail"] >= 2


def test_blocking_lists_failing_files_unless_their_rules_are_allowed(collection):
    ws, _ = collection
    report = validate_workspace(ws, progress=None)
    blocked = report.blocking()
    # the PNG named .jpg is an access copy: under `access` the mismatch only warns
    assert set(blocked["key"]) == {"BR0000002.tif"}
    assert "TIF-12" in blocked.set_index("key").loc["BR0000002.tif", "reason"]
    assert report.blocking(allow=["INT-03"]).empty
    assert report.blocking(allow=["TIF-12"]).empty


# -- the command line --------------------------------------------------------------------


def test_cli_exit_codes(tmp_path, capsys):
    good = tmp_path / "BR1.tif"
    good.write_bytes(b.tiff())
    bad = tmp_path / "BR2.tif"
    bad.write_bytes(b.tiff()[:-100])
    assert main(["validate", str(good), "--progress", "none"]) == 0
    assert main(["validate", str(good), str(bad), "--progress", "none"]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out
    assert "TIF-12" in out
    assert "2 files: 1 pass, 0 warn, 1 fail" in out
    assert main(["validate", str(good), "--profile", "no-such-profile"]) == 2
    assert main(["validate"]) == 2
    with pytest.raises(SystemExit) as err:
        main(["validate", "--no-such-option"])
    assert err.value.code == 2


def test_cli_json(tmp_path, capsys):
    (tmp_path / "BR1.png").write_bytes(b.png())
    assert main(["validate", str(tmp_path), "--json", "--profile", "structure"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["files"][0]["verdict"] == "pass"
    assert data["profiles"][0]["name"] == "structure"
    assert data["provenance"]["jpylyzer"]


def test_cli_profiles(tmp_path, capsys):
    assert main(["validate", "--list-profiles"]) == 0
    listing = capsys.readouterr().out
    assert "herbarium-master" in listing
    assert "master-strict" in listing
    assert main(["validate", "--show-profile", "herbarium-master"]) == 0
    text = capsys.readouterr().out
    custom = tmp_path / "ours.toml"
    custom.write_text(
        text.replace('"RES-03" = { severity = "warn"', '"RES-03" = { severity = "fail"'),
        encoding="utf-8",
    )
    assert tomllib.loads(text)["rules"]["RES-03"]["min_ppi"] == 600
    low = tmp_path / "BR0000001.tif"
    low.write_bytes(b.tiff(ppi=400))
    assert main(["validate", str(low), "--profile", str(custom), "--progress", "none"]) == 1


def test_cli_workspace_and_workers(collection, capsys):
    ws, _images = collection
    assert (
        main(["validate", "--workspace", str(ws.root), "--progress", "none", "--workers", "2"]) == 1
    )
    out = capsys.readouterr().out
    assert "report saved in" in out
    assert (ws.root / "preservation" / "report.parquet").is_file()
    assert main(["validate", "--workspace", str(ws.root), "--workers", "0"]) == 2


def test_cli_decode(tmp_path):
    data = bytearray(b.png())
    idat = data.find(b"IDAT")
    data[idat + 6] ^= 0xFF  # inside the zlib stream; the CRC is fixed below
    import struct
    import zlib

    n = struct.unpack_from(">I", data, idat - 4)[0]
    struct.pack_into(">I", data, idat + 4 + n, zlib.crc32(bytes(data[idat : idat + 4 + n])))
    path = tmp_path / "BR1.png"
    path.write_bytes(bytes(data))
    assert main(["validate", str(path), "-p", "structure", "--progress", "none"]) == 0
    assert main(["validate", str(path), "-p", "structure", "--decode", "--progress", "none"]) == 1
