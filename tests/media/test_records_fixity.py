"""build_records takes each file's fixity from the media scan and never reads an image twice."""

from __future__ import annotations

import hashlib

import pytest

import specpub
from specpub.media import scan
from specpub.records.spec import FileSpec

from . import _images as im


@pytest.fixture
def scanned(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    for i in range(3):
        im.jpeg(media / f"BR{i}.jpg", size=(30 + i, 20))
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber,institutionCode\nBR0,BR\nBR1,BR\nBR2,BR\n")
    ws = tmp_path / "ws"
    specpub.load(ws, table, media=[media], progress=None)
    scan(workspace=ws, workers=0, progress=None)
    return ws, media


def test_no_image_is_read_again_after_a_scan(scanned, monkeypatch):
    ws, media = scanned
    reads = []
    real = FileSpec.from_path.__func__

    def counting(cls, path, key=None):
        reads.append(str(path))
        return real(cls, path, key)

    monkeypatch.setattr(FileSpec, "from_path", classmethod(counting))
    records = specpub.build_records(ws, progress=None)
    assert reads == []
    files = {f.key: f for spec in records.specs for f in spec.files}
    data = (media / "BR1.jpg").read_bytes()
    assert files["BR1.jpg"].md5 == hashlib.md5(data).hexdigest()
    assert files["BR1.jpg"].sha256 == hashlib.sha256(data).hexdigest()
    assert files["BR1.jpg"].size == len(data)
    # a file changed since the scan is read again (the scan is stale for it), only that one
    im.jpeg(media / "BR2.jpg", size=(99, 20))
    records = specpub.build_records(ws, progress=None)
    assert [p.rsplit("/", 1)[-1] for p in reads] == ["BR2.jpg"]
    files = {f.key: f for spec in records.specs for f in spec.files}
    assert files["BR2.jpg"].md5 == hashlib.md5((media / "BR2.jpg").read_bytes()).hexdigest()


def test_without_a_scan_build_records_hashes_each_file_once(tmp_path, monkeypatch):
    media = tmp_path / "media"
    media.mkdir()
    im.jpeg(media / "BR0.jpg")
    table = tmp_path / "t.csv"
    table.write_text("catalogNumber,institutionCode\nBR0,BR\n")
    specpub.load(tmp_path / "ws", table, media=[media], progress=None)
    reads = []
    real = FileSpec.from_path.__func__
    monkeypatch.setattr(
        FileSpec,
        "from_path",
        classmethod(lambda cls, p, key=None: reads.append(p) or real(cls, p, key)),
    )
    records = specpub.build_records(tmp_path / "ws", progress=None)
    assert len(reads) == 1
    assert (
        records.specs[0].files[0].md5 == hashlib.md5((media / "BR0.jpg").read_bytes()).hexdigest()
    )
