"""fetch-media against a real HTTP server on 127.0.0.1: bounded, retried, resumable,
checksummed in the same read, linked, scanned."""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

import pandas as pd
import pytest

from specpub.cli import main
from specpub.media import MediaManifest, scan
from specpub.media.fetch import fetch_media
from specpub.specimens import MediaLinks, load_specimens
from specpub.workspace import Workspace

from . import _images as im
from ._server import ImageServer


@pytest.fixture
def server():
    with ImageServer() as srv:
        yield srv


def _workspace(tmp_path, server, n=6, column="associatedMedia"):
    rows = []
    for i in range(n):
        data = im.jpeg(tmp_path / f"src{i}.jpg", size=(40 + i, 30), metadata=(i == 0)).read_bytes()
        server.files[f"/img/BR{i:04d}.jpg"] = data
        rows.append(f"BR{i:04d},{server.url}/img/BR{i:04d}.jpg")
    table = tmp_path / "t.csv"
    table.write_text(f"catalogNumber,{column}\n" + "\n".join(rows) + "\n")
    ws = Workspace.create(tmp_path / "ws")
    load_specimens(table, progress=None).save(ws)
    return ws


def test_fetches_links_checksums_and_scans_in_one_read(tmp_path, server):
    ws = _workspace(tmp_path, server)
    result = fetch_media(ws, columns=["associatedMedia"], progress=None, backoff=0.01)
    f = result.to_frame()
    assert f["status"].tolist() == ["fetched"] * 6
    for row in f.itertuples():
        data = server.files[row.url.replace(server.url, "")]
        assert row.md5 == hashlib.md5(data).hexdigest()
        assert row.sha256 == hashlib.sha256(data).hexdigest()
        assert Path(row.path).read_bytes() == data
        assert row.key.startswith(row.catalogNumber + "_")
        assert row.key.endswith(".jpg")
    # the links now point at the cached files
    links = MediaLinks.load(ws).links
    assert sorted(links["catalogNumber"]) == [f"BR{i:04d}" for i in range(6)]
    assert (links["rule"] == "url").all()
    assert links["path"].str.contains("media/cache").all()
    # the manifest already holds them: a scan finds nothing to read
    manifest = MediaManifest.load(ws)
    assert len(manifest) == 6
    assert manifest.frame.set_index("catalogNumber").loc["BR0000", "exif_make"] == "Phase One"
    again = scan(workspace=ws, workers=0, progress=None)
    assert again.info["scan"]["files_read"] == 0
    assert again.info["scan"]["files_unchanged"] == 6
    # and a second fetch downloads nothing
    assert fetch_media(ws, columns=["associatedMedia"], progress=None).summary()["cached"] == 6
    assert len(server.requests) == 6


def test_transient_failures_are_retried_and_permanent_ones_reported(tmp_path, server):
    ws = _workspace(tmp_path, server, n=4)
    server.fail["/img/BR0001.jpg"] = 2  # 503 twice, then fine
    server.status["/img/BR0002.jpg"] = 404
    server.status["/img/BR0003.jpg"] = 500  # never recovers
    result = fetch_media(ws, columns=["associatedMedia"], retries=3, backoff=0.01, progress=None)
    f = result.to_frame().set_index("catalogNumber")
    assert f.loc["BR0000", "status"] == "fetched"
    assert (f.loc["BR0001", "status"], f.loc["BR0001", "attempts"]) == ("fetched", 3)
    assert f.loc["BR0002", "status"] == "failed"
    assert f.loc["BR0002", "attempts"] == 1
    assert "404" in f.loc["BR0002", "error"]
    assert "URL" in f.loc["BR0002", "fix"]
    assert f.loc["BR0003", "status"] == "failed"
    assert f.loc["BR0003", "attempts"] == 4
    assert "run the same command again" in f.loc["BR0003", "fix"]
    saved = pd.read_csv(ws.root / "media" / "fetch.csv")
    assert sorted(saved["status"]) == ["failed", "failed", "fetched", "fetched"]
    # the failed ones stay online-only: no path in the links
    links = MediaLinks.load(ws).links.set_index("catalogNumber")
    assert "BR0002" not in links.index


def test_interrupted_download_resumes_with_a_range_request(tmp_path, server):
    ws = _workspace(tmp_path, server, n=1)
    data = im.tiff(tmp_path / "big.tif", im.rgb16(300, 300)).read_bytes()
    server.files["/img/BR0000.jpg"] = data
    server.cut["/img/BR0000.jpg"] = len(data) // 3
    result = fetch_media(ws, columns=["associatedMedia"], backoff=0.01, progress=None)
    row = result.to_frame().iloc[0]
    assert row["status"] == "fetched"
    assert row["md5"] == hashlib.md5(data).hexdigest()
    assert server.requests[1] == ("/img/BR0000.jpg", f"bytes={len(data) // 3}-")


def test_connections_per_host_are_bounded(tmp_path, server):
    ws = _workspace(tmp_path, server, n=8)
    server.hold = threading.Event()
    timer = threading.Timer(0.5, server.hold.set)
    timer.start()
    fetch_media(ws, columns=["associatedMedia"], concurrency=8, per_host=2, progress=None)
    timer.cancel()
    assert server.peak <= 2
    assert len(server.requests) == 8


def test_size_limit_and_non_http_urls(tmp_path, server):
    ws = _workspace(tmp_path, server, n=2)
    table = tmp_path / "t.csv"
    table.write_text(table.read_text() + "BR9,file:///etc/passwd\n")
    load_specimens(table, progress=None).save(ws)
    result = fetch_media(ws, columns=["associatedMedia"], max_bytes=100, progress=None)
    f = result.to_frame().set_index("catalogNumber")
    assert f.loc["BR0000", "status"] == "failed"
    assert "larger than the limit" in f.loc["BR0000", "error"]
    assert list(ws.root.joinpath("media", "cache").glob("*.part")) == []
    assert "not an http(s) URL" in f.loc["BR9", "error"]


def test_trom_style_multimedia_links_are_fetched_through_a_mirror(tmp_path, server):
    """A Darwin Core Archive whose multimedia extension names each image by URL."""
    from tests.specimens._archives import write_media_dwca

    occ, media = "id,catalogNumber\n", "id,identifier\n"
    for i in range(3):
        data = im.jpeg(tmp_path / f"m{i}.jpg").read_bytes()
        server.files[f"/felles/bilder/web_hent_bilde.php?id={i}&type=jpeg"] = data
        occ += f"urn:catalog:TROM:A:{i},A {i}\n"
        media += f"urn:catalog:TROM:A:{i},https://www.unimus.no/felles/bilder/web_hent_bilde.php?id={i}&type=jpeg\n"
    archive = write_media_dwca(tmp_path / "dwca.zip", occ, media)
    ws = Workspace.create(tmp_path / "ws")
    assert main(["load", str(archive), "-w", str(ws.root), "--json"]) == 0
    assert (
        main(
            [
                "fetch-media",
                "-w",
                str(ws.root),
                "--progress",
                "none",
                "--json",
                "--mirror",
                f"https://www.unimus.no/={server.url}/",
            ]
        )
        == 0
    )
    links = MediaLinks.load(ws).links
    assert links["path"].str.endswith(".jpg").all()
    assert len(links) == 3
    assert all(p.startswith("/felles/") for p, _ in server.requests)  # never the real host


def test_cli_exit_codes(tmp_path, server, capsys):
    ws = _workspace(tmp_path, server, n=2)
    server.status["/img/BR0001.jpg"] = 410
    code = main(
        [
            "fetch-media",
            "-w",
            str(ws.root),
            "--column",
            "associatedMedia",
            "--progress",
            "none",
            "--retries",
            "0",
        ]
    )
    assert code == 3
    out = capsys.readouterr().out
    assert "1 fetched" in out
    assert "410" in out
    assert main(["fetch-media", "-w", str(ws.root), "--column", "nope"]) == 2
    assert main(["fetch-media", "-w", str(ws.root), "--mirror", "nonsense"]) == 2
    capsys.readouterr()
    code = main(
        [
            "fetch-media",
            "-w",
            str(ws.root),
            "--column",
            "associatedMedia",
            "--json",
            "--retries",
            "0",
        ]
    )
    assert code == 3
    summary = json.loads(capsys.readouterr().out)
    assert (summary["cached"], summary["failed"]) == (1, 1)
