"""``specpub scan`` and ``specpub inspect`` from the command line."""

from __future__ import annotations

import json

import pandas as pd

from specpub.cli import main

from . import _images as im


def test_scan_then_rescan_from_the_cli(tmp_path, capsys):
    media = tmp_path / "media"
    media.mkdir()
    im.tiff(media / "BR1.tif")
    im.jpeg(media / "BR1.jpg")
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber\nBR1\n")
    ws = tmp_path / "ws"
    assert main(["load", str(table), "--workspace", str(ws), "--media", str(media), "--json"]) == 0
    capsys.readouterr()
    assert main(["scan", "--workspace", str(ws), "--workers", "0", "--progress", "none"]) == 0
    out = capsys.readouterr().out
    assert "Scanned 2 files" in out
    assert "2 read" in out
    assert "Linked to specimens: 2" in out
    frame = pd.read_parquet(ws / "media" / "manifest.parquet")
    assert sorted(frame["catalogNumber"]) == ["BR1", "BR1"]
    assert main(["scan", "--workspace", str(ws), "--workers", "0", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["scan"]["files_read"] == 0
    assert summary["scan"]["files_unchanged"] == 2


def test_scan_usage_errors_exit_2(tmp_path, capsys):
    assert main(["scan", "--workspace", str(tmp_path / "ws"), str(tmp_path / "nope")]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["scan", "--workspace", str(tmp_path / "ws"), "--workers", "-1"]) == 2
    assert (
        main(["scan", "--workspace", str(tmp_path / "ws"), "--analyser", "nope", str(tmp_path)])
        == 2
    )
    assert "no analyser named" in capsys.readouterr().err


def test_inspect_json_and_text(tmp_path, capsys):
    path = im.jpeg(tmp_path / "a.jpg", metadata=True)
    assert main(["inspect", str(path), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert (row["format"], row["puid"], row["exif_model"]) == ("jpeg", "fmt/43", "IQ4 150MP")
    assert row["metadata"]["xmp"]["Xmp.dc.identifier"] == "BR0000013087944"
    (tmp_path / "b.png").write_bytes(path.read_bytes())
    assert main(["inspect", str(path), str(tmp_path / "b.png")]) == 0
    out = capsys.readouterr().out
    assert "Make               Phase One" in out
    assert "[warn] ID-03" in out  # a JPEG named .png
    assert main(["inspect", str(tmp_path / "missing.tif")]) == 1
    assert "does not exist" in capsys.readouterr().out
