"""Every bad input becomes a row with an error or a finding: the scan never aborts or hangs,
and its memory does not follow a hostile file's declared sizes."""

from __future__ import annotations

import hashlib
import os
import resource
import struct
import zlib

import pytest

from specpub.media import inspect, scan
from specpub.media._read import ReadError, read_file

from . import _images as im


def row_of(path, **kw):
    (row,) = inspect([path], **kw)
    return row


def test_zero_byte_file(tmp_path):
    (tmp_path / "e.tif").write_bytes(b"")
    row = row_of(tmp_path / "e.tif")
    assert (row["error_code"], row["size"]) == ("empty", 0)
    assert "empty" in row["error"]


def test_missing_file(tmp_path):
    row = row_of(tmp_path / "nope.jpg")
    assert row["error_code"] == "missing"
    assert "does not exist" in row["error"]


def test_non_image_file(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("this is a text file, saved with the wrong extension\n")
    row = row_of(path)
    assert row["error"] == ""
    assert row["format"] == "unknown"
    assert row["md5"] == hashlib.md5(path.read_bytes()).hexdigest()
    assert [f["id"] for f in row["findings"]] == ["ID-00"]


def test_permission_denied_is_a_row(tmp_path, monkeypatch):
    path = im.jpeg(tmp_path / "locked.jpg")
    if os.geteuid() != 0:
        path.chmod(0)
    else:  # root reads anything: make open() fail the way it fails for a museum's scan user
        real_open = os.open

        def deny(p, *a, **k):
            if os.fspath(p) == str(path):
                raise PermissionError(13, "Permission denied", str(p))
            return real_open(p, *a, **k)

        monkeypatch.setattr(os, "open", deny)
    row = row_of(path)
    assert row["error_code"] == "permission"
    assert "read access" in row["error"]


def test_symlink_loop_and_broken_link(tmp_path):
    os.symlink(tmp_path / "b.jpg", tmp_path / "a.jpg")
    os.symlink(tmp_path / "a.jpg", tmp_path / "b.jpg")
    os.symlink(tmp_path / "gone.jpg", tmp_path / "dangling.jpg")
    m = scan([tmp_path], workers=0, progress=None)
    codes = dict(zip(m.frame["key"], m.frame["error_code"], strict=True))
    assert codes == {"a.jpg": "symlink-loop", "b.jpg": "symlink-loop", "dangling.jpg": "missing"}


def test_folder_symlink_loop_does_not_hang_the_walk(tmp_path):
    (tmp_path / "sub").mkdir()
    im.jpeg(tmp_path / "sub" / "a.jpg")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    m = scan([tmp_path], workers=0, progress=None)
    assert m.frame["key"].tolist() == ["a.jpg"]


def test_fifo_and_directory_named_like_images_never_block(tmp_path):
    os.mkfifo(tmp_path / "pipe.tif")
    (tmp_path / "folder.jpg").mkdir()
    rows = inspect([tmp_path / "pipe.tif", tmp_path / "folder.jpg"])
    assert [r["error_code"] for r in rows] == ["not-regular", "not-regular"]
    assert "FIFO" in rows[0]["error"]
    assert "folder" in rows[1]["error"]
    # walking the folder: the FIFO is reported, the folder is descended into (empty)
    m = scan([tmp_path], workers=0, progress=None)
    assert m.frame["error_code"].tolist() == ["not-regular"]


def test_file_that_grows_while_read_is_reported(tmp_path):
    path = im.tiff(tmp_path / "a.tif", im.rgb16(300, 300))

    def append(chunk, offset):  # another process still writing the file
        with open(path, "ab") as fh:
            fh.write(b"x")

    with pytest.raises(ReadError) as err:
        read_file(path, consumers=[append])
    assert err.value.code == "changed"
    assert "changed while it was read" in str(err.value)


def test_file_that_disappears_while_read_is_still_read_once(tmp_path):
    path = im.tiff(tmp_path / "a.tif")
    data = path.read_bytes()
    with read_file(path, consumers=[lambda chunk, off: path.unlink(missing_ok=True)]) as fr:
        assert fr.sha256 == hashlib.sha256(data).hexdigest()


def test_file_removed_between_walk_and_read(tmp_path, monkeypatch):
    import specpub.media._scan as scan_mod

    im.jpeg(tmp_path / "a.jpg")
    im.jpeg(tmp_path / "b.jpg")
    real_walk = scan_mod.walk

    def walk_then_delete(*a, **k):
        found = real_walk(*a, **k)
        (tmp_path / "b.jpg").unlink()
        return found

    monkeypatch.setattr(scan_mod, "walk", walk_then_delete)
    m = scan([tmp_path], workers=0, progress=None)
    assert dict(zip(m.frame["key"], m.frame["error_code"], strict=True)) == {
        "a.jpg": "",
        "b.jpg": "missing",
    }


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.99])
def test_truncated_files_are_rows_with_findings(tmp_path, fraction):
    sources = [
        im.tiff(tmp_path / "a.tif", im.rgb16(64, 64)),
        im.jpeg(tmp_path / "b.jpg"),
        im.png16(tmp_path / "c.png"),
        im.jp2(tmp_path / "d.jp2"),
    ]
    for src in sources:
        data = src.read_bytes()
        cut = tmp_path / f"cut_{src.name}"
        cut.write_bytes(data[: max(1, int(len(data) * fraction))])
        row = row_of(cut)
        assert row["error"] == ""
        assert row["md5"] == hashlib.md5(cut.read_bytes()).hexdigest()
    # JPEG and PNG cut anywhere lose their end-of-file signature
    for name in ("b.jpg", "c.png"):
        row = row_of(tmp_path / f"cut_{name}")
        assert "ID-02" in [f["id"] for f in row["findings"]]


def _ifd_loop_tiff() -> bytes:
    """A classic TIFF whose IFD points back to itself."""
    entries = [
        (256, 3, 1, 1),
        (257, 3, 1, 1),
        (258, 3, 1, 8),
        (262, 3, 1, 1),
        (273, 4, 1, 8),
        (277, 3, 1, 1),
        (278, 3, 1, 1),
        (279, 4, 1, 1),
    ]
    ifd = struct.pack("<H", len(entries))
    for tag, typ, cnt, val in entries:
        ifd += struct.pack("<HHII", tag, typ, cnt, val)
    ifd += struct.pack("<I", 8)  # next IFD = itself
    return b"II*\x00" + struct.pack("<I", 8) + ifd


def test_ifd_loop_and_a_billion_declared_pages(tmp_path):
    loop = tmp_path / "loop.tif"
    loop.write_bytes(_ifd_loop_tiff())
    row = row_of(loop)
    assert row["pages"] == 1
    assert "MEDIA-TIFF-CHAIN" in [f["id"] for f in row["findings"]]
    # PageNumber says 1e9 pages and tifffile's shaped metadata declares a huge series
    huge = im.tiff(
        tmp_path / "huge.tif",
        extratags=[
            (297, "H", 2, (0, 65535), True),
            (270, "s", 0, '{"shape": [1000000000, 24, 32, 3]}', True),
        ],
    )
    row = row_of(huge)
    assert (row["error"], row["pages"], row["width"]) == ("", 1, 32)


def test_huge_declared_dimensions_and_counts_cost_nothing(tmp_path):
    # ImageWidth/Length 4e9, StripByteCounts 4e9, a 2 GB PNG chunk, a 1 GB iCCP
    tif = bytearray(_ifd_loop_tiff())
    struct.pack_into("<I", tif, 8 + 2 + 8, 0xFFFFFFFF)
    (tmp_path / "wide.tif").write_bytes(bytes(tif))
    ihdr = struct.pack(">IIBBBBB", 0x7FFFFFFF, 0x7FFFFFFF, 16, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
        + struct.pack(">I", 0x7FFFFFF0)
        + b"iCCP"
        + bytes(40)
    )
    (tmp_path / "claims.png").write_bytes(png)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = inspect([tmp_path / "wide.tif", tmp_path / "claims.png"])
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 200
    assert rows[1]["width"] == 0x7FFFFFFF
    assert "MEDIA-PNG-CHUNK" in [f["id"] for f in rows[1]["findings"]]


@pytest.mark.slow
def test_4gb_sparse_file_is_streamed_in_bounded_memory(tmp_path):
    path = tmp_path / "sparse.tif"
    with open(path, "wb") as fh:
        fh.write(b"II*\x00\x08\x00\x00\x00")
        fh.truncate(4 << 30)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    row = row_of(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert row["error"] == ""
    assert row["size"] == 4 << 30
    assert row["format"] == "tiff"
    assert grown_mb < 100, f"memory grew by {grown_mb:.0f} MB"
    # the same digest as a streamed hashlib pass
    md5 = hashlib.md5()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(16 << 20), b""):
            md5.update(block)
    assert row["md5"] == md5.hexdigest()


def test_large_file_streamed_reads_only_its_ends_twice(tmp_path):
    path = im.tiff(tmp_path / "a.tif", im.rgb16(1200, 1000))  # ~7 MB
    small = row_of(path)
    streamed = row_of(path, buffer_limit=1 << 20)
    for key in ("md5", "sha256", "width", "height", "bits_per_sample", "icc_description", "ppi"):
        assert streamed[key] == small[key]
    assert streamed["bytes_reread"] < 64 << 10


def test_hostile_corpus_files_never_abort_the_scan(tmp_path):
    """Random bytes behind every signature: each file is a row, none raises."""
    import random

    rng = random.Random(7)
    heads = [
        b"II*\x00",
        b"MM\x00*",
        b"II+\x00\x08\x00\x00\x00",
        b"\xff\xd8\xff\xe0",
        b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00",
        b"\x89PNG\r\n\x1a\n",
        b"\x00\x00\x00\x0cjP  \r\n\x87\n",
        b"\xff\x4f\xff\x51",
    ]
    for i in range(120):
        head = heads[i % len(heads)]
        body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 600)))
        (tmp_path / f"f{i:03d}.tif").write_bytes(head + body)
    m = scan([tmp_path], workers=0, progress=None)
    assert len(m) == 120
    assert (m.frame["error_code"].fillna("").isin(["", "empty"])).all()
    assert m.frame["md5"].notna().all()
