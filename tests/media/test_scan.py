"""The scan: process pool, chunks, incremental re-scan, removed files, links, analysers, saving."""

from __future__ import annotations

import concurrent.futures as cf
import json
import os

import pandas as pd
import pytest

from specpub.errors import InputError
from specpub.media import MANIFEST_COLUMNS, MediaManifest, register_analyser, scan
from specpub.media.analysers import AnalyserResult, unregister_analyser
from specpub.specimens import link_media, load_specimens
from specpub.workspace import Workspace

from . import _images as im


@pytest.fixture
def collection(tmp_path):
    media = tmp_path / "media"
    (media / "masters").mkdir(parents=True)
    im.tiff(media / "masters" / "BR0001.tif")
    im.jpeg(media / "BR0001.jpg", metadata=True)
    im.png16(media / "BR0002_lab.png")
    im.jp2(media / "BR0003.jp2")
    (media / "stray.jpg").write_bytes(b"")
    (media / "readme.txt").write_text("not media")
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber,institutionCode\nBR0001,BR\nBR0002,BR\nBR0003,BR\nBR0004,BR\n")
    ws = Workspace.create(tmp_path / "ws")
    sp = load_specimens(table, progress=None)
    sp.save(ws)
    link_media(sp, [media], progress=None).save(ws)
    return ws, media


def test_scan_joins_files_to_their_specimens(collection):
    ws, _media = collection
    m = scan(workspace=ws, workers=0, progress=None)
    f = m.to_frame().set_index("key")
    assert sorted(f.index) == [
        "BR0001.jpg",
        "BR0001.tif",
        "BR0002_lab.png",
        "BR0003.jp2",
        "stray.jpg",
    ]
    assert f.loc["BR0001.tif", "catalogNumber"] == "BR0001"
    assert f.loc["BR0001.tif", "role"] == "master"
    assert int(f.loc["BR0002_lab.png", "_row"]) == 3
    assert f.loc["BR0002_lab.png", "role"] == "label"
    assert pd.isna(f.loc["stray.jpg", "_row"])
    assert f.loc["stray.jpg", "error_code"] == "empty"
    assert f.loc["BR0001.jpg", "exif_make"] == "Phase One"
    assert list(m.frame.columns[: len(MANIFEST_COLUMNS)]) == list(MANIFEST_COLUMNS)


def test_manifest_is_saved_in_plain_files(collection):
    ws, _ = collection
    m = scan(workspace=ws, workers=0, progress=None)
    folder = ws.root / "media"
    frame = pd.read_parquet(folder / "manifest.parquet")
    assert len(frame) == 5
    assert set(MANIFEST_COLUMNS) <= set(frame.columns)
    assert len(pd.read_csv(folder / "manifest.csv")) == 5
    lines = [json.loads(x) for x in (folder / "metadata.jsonl").read_text().splitlines()]
    assert any(rec["facts"]["exif"].get("Exif.Image.Make") == "Phase One" for rec in lines)
    findings = pd.read_csv(folder / "findings.csv")
    assert "MEDIA-READ" in set(findings["id"])  # the empty stray.jpg
    md5_lines = (folder / "manifest-md5.txt").read_text().splitlines()
    assert len(md5_lines) == 4
    assert all(len(x.split("  ")[0]) == 32 for x in md5_lines)
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["files"] == 5
    assert summary["errors_by_code"] == {"empty": 1}
    back = MediaManifest.load(ws)
    pd.testing.assert_frame_equal(back.frame, m.frame)
    assert back.nested.keys() == m.nested.keys()


def test_incremental_rescan_reads_only_new_and_changed_files_and_reports_removed(collection):
    ws, media = collection
    first = scan(workspace=ws, workers=0, progress=None)
    assert first.info["scan"]["files_read"] == 5
    again = scan(workspace=ws, workers=0, progress=None)
    # unchanged files are not read again; the failed one (empty) is retried
    assert again.info["scan"]["files_read"] == 1
    assert again.info["scan"]["files_unchanged"] == 4
    pd.testing.assert_frame_equal(
        again.frame.drop(columns=["scanned_at"]), first.frame.drop(columns=["scanned_at"])
    )
    im.jpeg(media / "BR0004.jpg")  # new
    im.jpeg(media / "BR0001.jpg", size=(80, 60))  # changed (size)
    (media / "BR0003.jp2").unlink()  # removed
    third = scan(workspace=ws, workers=0, progress=None)
    assert third.info["scan"]["files_read"] == 3  # new + changed + the empty one
    assert third.removed["key"].tolist() == ["BR0003.jp2"]
    assert third.removed["catalogNumber"].tolist() == ["BR0003"]
    f = third.frame.set_index("key")
    assert int(f.loc["BR0001.jpg", "width"]) == 80
    assert "BR0003.jp2" not in f.index
    assert len(pd.read_csv(ws.root / "media" / "removed.csv")) == 1


def test_rescan_notices_same_size_same_mtime_but_new_inode(collection):
    ws, media = collection
    scan(workspace=ws, workers=0, progress=None)
    path = media / "BR0001.jpg"
    st = path.stat()
    data = path.read_bytes()
    new = media / "new.tmp"
    new.write_bytes(data[:-4] + b"\x00\x00\xff\xd9")  # same size
    os.utime(new, ns=(st.st_atime_ns, st.st_mtime_ns))  # same mtime
    new.replace(path)  # a new inode under the old name (a copy tool replacing the file)
    m = scan(workspace=ws, workers=0, progress=None)
    assert m.info["scan"]["files_read"] == 2  # it + the empty file


def test_full_rescan_and_new_analyser_read_again(collection):
    ws, _ = collection
    scan(workspace=ws, workers=0, progress=None)
    assert (
        scan(workspace=ws, workers=0, incremental=False, progress=None).info["scan"]["files_read"]
        == 5
    )


def test_process_pool_gives_the_same_manifest(collection):
    _ws, media = collection
    inline = scan([media], workers=0, progress=None).frame
    pooled = scan([media], workers=2, chunk_size=2, progress=None).frame
    pd.testing.assert_frame_equal(
        inline.drop(columns=["scanned_at"]), pooled.drop(columns=["scanned_at"])
    )


def test_any_executor(collection):
    _, media = collection
    with cf.ProcessPoolExecutor(2) as ex:
        m = scan([media], executor=ex, progress=None)
    assert len(m) == 5
    assert m.frame["md5"].notna().sum() == 4


def _explode(item):
    if item.path.endswith("BR0003.jp2"):
        raise RuntimeError("boom")
    return AnalyserResult(
        columns={"demo_kind": item.family, "demo_head": bytes(item.read_at(0, 2)).hex()},
        findings=[
            {
                "id": "DEMO-1",
                "severity": "info",
                "message": f"width {item.columns['width']}",
                "evidence": "",
            }
        ],
        nested={"seen": True},
    )


def test_registered_analyser_shares_the_read_and_its_results_are_stored(collection):
    ws, media = collection
    register_analyser(
        "demo", _explode, columns={"demo_kind": "string", "demo_head": "string"}, replace=True
    )
    try:
        m = scan(workspace=ws, analysers=("facts", "demo"), workers=2, progress=None)
    finally:
        unregister_analyser("demo")
    f = m.frame.set_index("key")
    assert f.loc["BR0001.tif", "demo_kind"] == "tiff"
    assert f.loc["BR0001.tif", "demo_head"] == "4949"
    assert f.loc["BR0001.tif", "analysers"] == "facts,demo"
    tif_findings = json.loads(f.loc["BR0001.tif", "findings"])
    assert {
        "id": "DEMO-1",
        "severity": "info",
        "message": "width 32",
        "evidence": "",
        "analyser": "demo",
    } in tif_findings
    # the analyser that raised: a fail finding, the row and its fixity are kept
    jp2 = json.loads(f.loc["BR0003.jp2", "findings"])
    assert [x["id"] for x in jp2] == ["MEDIA-ANALYSER"]
    assert "boom" in jp2[0]["message"]
    assert f.loc["BR0003.jp2", "md5"]
    assert pd.isna(f.loc["stray.jpg", "demo_kind"])  # declared column exists everywhere
    assert m.nested[str(media / "BR0001.jpg")]["demo"] == {"seen": True}


def test_errors_say_what_to_do(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        scan([tmp_path / "nope"], workers=0, progress=None)
    ws = Workspace.create(tmp_path / "ws")
    with pytest.raises(InputError, match="no linked media folders"):
        scan(workspace=ws, workers=0, progress=None)
    with pytest.raises(InputError, match="no analyser named 'nope'"):
        scan([tmp_path], analysers=("nope",), workers=0, progress=None)


def test_progress_counts_files_and_reports_bytes(collection):
    _, media = collection

    class Bar:
        def __init__(self):
            self.n, self.status, self.total = 0, "", None

        def update(self, n=1):
            self.n += n

        def set_postfix_str(self, text):
            self.status = text

        def close(self):
            pass

    bar = Bar()
    scan([media], workers=0, progress=bar)
    assert (bar.total, bar.n) == (5, 5)
    assert "MB/s" in bar.status


def test_chunks_are_bounded_for_a_million_files():
    from specpub.media._scan import _auto_chunk, _chunks

    assert _auto_chunk(1_000_000, 2) == 256
    assert _auto_chunk(10, 2) == 1
    paths = [f"/m/{i}" for i in range(10)]
    sizes = dict.fromkeys(paths, 600 << 20)
    assert [len(c) for c in _chunks(paths, sizes, 8)] == [1] * 10  # 1 GiB per task at most


def test_a_crashing_reader_costs_one_file_not_the_scan(tmp_path):
    for i in range(4):
        im.jpeg(tmp_path / f"ok{i}.jpg")
    (tmp_path / "crash.jpg").write_bytes(b"\xff\xd8\xff")
    register_analyser("crash", "tests.media.test_scan:_crash_on_crash", replace=True)
    try:
        m = scan([tmp_path], analysers=("facts", "crash"), workers=2, chunk_size=5, progress=None)
    finally:
        unregister_analyser("crash")
    codes = dict(zip(m.frame["key"], m.frame["error_code"].fillna(""), strict=True))
    assert codes.pop("crash.jpg") == "crashed"
    assert set(codes.values()) == {""}


def _crash_on_crash(item):
    if item.path.endswith("crash.jpg"):
        os._exit(9)  # what a segfaulting C library does to its process
    return None


@pytest.fixture
def clean(collection):
    ws, media = collection
    (media / "stray.jpg").unlink()  # no unreadable file: the tree can be skipped as a whole
    return ws, media


def test_an_unchanged_tree_is_recognised_without_reading_the_table(clean):
    ws, _media = clean
    first = scan(workspace=ws, workers=0, progress=None)
    again = scan(workspace=ws, workers=0, progress=None)
    assert again.info["scan"]["files_read"] == 0
    assert again.info["scan"]["files_unchanged"] == 4
    assert "frame" not in vars(again)  # not read yet: the walk was the whole cost
    pd.testing.assert_frame_equal(again.frame, first.frame)
    assert again.summary()["files"] == 4
    assert again.nested.keys() == first.nested.keys()
    saved = json.loads((ws.root / "media" / "summary.json").read_text())
    assert saved["scan"]["files_read"] == 0
    assert saved["tree"]["files"] == 4


def test_any_change_to_the_tree_or_its_links_falls_back_to_the_row_by_row_plan(clean):
    ws, media = clean
    scan(workspace=ws, workers=0, progress=None)
    path = media / "BR0001.jpg"
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))  # touched: same bytes
    m = scan(workspace=ws, workers=0, progress=None)
    assert m.info["scan"]["files_read"] == 1
    # linked again to a table where BR0002 is another row: the links are not those saved
    table = ws.root.parent / "t2.csv"
    table.write_text("catalogNumber,institutionCode\nBR0002,BR\nBR0001,BR\nBR0003,BR\n")
    sp = load_specimens(table, progress=None)
    sp.save(ws)
    link_media(sp, [media], progress=None).save(ws)
    m = scan(workspace=ws, workers=0, progress=None)
    assert m.info["scan"]["files_read"] == 0
    assert "frame" in vars(m)
    assert int(m.frame.set_index("key").loc["BR0002_lab.png", "_row"]) == 2  # was 3
    (media / "BR0003.jp2").unlink()
    m = scan(workspace=ws, workers=0, progress=None)
    assert m.removed["key"].tolist() == ["BR0003.jp2"]
    assert len(m) == 3


def test_a_metadata_only_scan_is_completed_by_the_next_scan_with_fixity(clean):
    ws, _media = clean
    quick = scan(workspace=ws, workers=0, progress=None, fixity=False)
    assert quick.frame["md5"].isna().all()
    assert quick.frame["width"].notna().all()
    assert (
        scan(workspace=ws, workers=0, progress=None, fixity=False).info["scan"]["files_read"] == 0
    )
    full = scan(workspace=ws, workers=0, progress=None)
    assert full.info["scan"]["files_read"] == 4
    assert full.frame["md5"].notna().all()


def test_the_same_image_under_two_names_is_a_duplicate_finding(clean):
    ws, media = clean
    (media / "BR0003.jpg").write_bytes((media / "BR0001.jpg").read_bytes())  # a copy slip
    m = scan(workspace=ws, workers=0, progress=None)
    dups = m.duplicates()
    assert dups["key"].tolist() == ["BR0001.jpg", "BR0003.jpg"]
    assert dups["catalogNumber"].iloc[0] == "BR0001"
    assert m.summary()["duplicate_files"] == 2
    saved = pd.read_csv(ws.root / "media" / "findings.csv")
    dup = saved[saved["id"] == "MEDIA-DUPLICATE"]
    assert sorted(dup["key"]) == ["BR0001.jpg", "BR0003.jpg"]
    assert str(media / "BR0003.jpg") in dup.set_index("key").loc["BR0001.jpg", "message"]
    (media / "BR0003.jpg").unlink()
    assert scan(workspace=ws, workers=0, progress=None).duplicates().empty
