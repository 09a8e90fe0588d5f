"""The scan on real data (SPECPUB_REAL_DATA): Meise and NHM herbarium sheets, and the real
TROM algae archive whose 2,951 images are named by URL (served here from 127.0.0.1)."""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from urllib.parse import urlsplit

import pytest

from specpub.cli import main
from specpub.media import _pool, scan
from specpub.specimens import MediaLinks
from specpub.workspace import Workspace

from ._server import ImageServer

pytestmark = pytest.mark.real_data


@pytest.fixture(autouse=True)
def _no_pool_left():
    yield
    _pool.shutdown()


def _published_sha256(real_data):
    """The SHA-256 of each real image as SOURCES.md records it (computed by someone else)."""
    text = (real_data / "data" / "real" / "SOURCES.md").read_text()
    found = dict(re.findall(r"\| images/(\S+) \| [\d,]+ \| ([0-9a-f]{64}) \|", text))
    found["two_sheets.JPG"] = re.search(
        r"two_sheets\.JPG.*?SHA-256: ([0-9a-f]{64})", text, re.S
    ).group(1)
    return found


def test_real_herbarium_sheets_scan_linked_with_their_published_checksums(real_data, tmp_path):
    images = real_data / "data" / "real" / "images"
    published = _published_sha256(real_data)
    assert len(published) == 6
    barcodes = sorted(p.stem for p in images.glob("BR*.jpg"))
    table = tmp_path / "sheets.csv"
    table.write_text("catalogNumber,institutionCode\n" + "".join(f"{b},BR\n" for b in barcodes))
    ws = tmp_path / "ws"
    assert main(["load", str(table), "-w", str(ws), "--media", str(images), "--json"]) == 0
    m = scan(workspace=ws, workers=2, progress=None)
    f = m.frame.set_index("key")
    assert sorted(f.index) == sorted(published)
    for key, sha in published.items():
        assert f.loc[key, "sha256"] == sha  # the published value: one read gave the right hash
        data = (images / key).read_bytes()
        assert f.loc[key, "md5"] == hashlib.md5(data).hexdigest()
        assert int(f.loc[key, "size"]) == len(data)
    assert (f["error"].fillna("") == "").all()
    assert set(f["format"]) == {"jpeg"}
    for b in barcodes:
        assert f.loc[f"{b}.jpg", "catalogNumber"] == b
        assert int(f.loc[f"{b}.jpg", "width"]) > 2000
    nhm = f.loc["two_sheets.JPG"]
    assert (int(nhm["width"]), int(nhm["height"])) == (6000, 4000)
    assert str(nhm["exif_make"]).startswith("Canon")
    assert pd_isna(nhm["catalogNumber"])  # no barcode in its name: not linked
    assert m.duplicates().empty
    again = scan(workspace=ws, workers=2, progress=None)
    assert again.info["scan"]["files_read"] == 0


def pd_isna(value):
    import pandas as pd

    return bool(pd.isna(value))


def _jpeg(seed: int) -> bytes:
    from PIL import Image

    img = Image.new("RGB", (16, 12), ((seed * 7) % 256, (seed // 256) % 256, seed % 256))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90, comment=f"TROM test image {seed}".encode())
    return buf.getvalue()


def test_real_trom_archive_every_image_named_by_url_is_fetched_linked_and_scanned(
    real_data, tmp_path
):
    archive = real_data / "data" / "real" / "tables" / "dwca-trom_algae-v1.25.zip"
    with zipfile.ZipFile(archive) as z:
        rows = list(
            csv.DictReader(io.TextIOWrapper(z.open("multimedia.txt"), "utf-8"), delimiter="\t")
        )
    urls = sorted({r["identifier"] for r in rows})
    occurrences_with_images = {r["id"] for r in rows}
    assert len(rows) == 2951
    assert len(occurrences_with_images) == 2844
    ws = Workspace.create(tmp_path / "ws")
    with ImageServer() as server:
        served = {}
        for i, url in enumerate(urls):
            parts = urlsplit(url)
            served[url] = server.files[f"{parts.path}?{parts.query}"] = _jpeg(i)
        assert main(["load", str(archive), "-w", str(ws.root), "--json"]) == 0
        code = main(
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
        assert code == 0
        assert all(p.startswith("/felles/") for p, _ in server.requests)  # never the real host
    links = MediaLinks.load(ws).links
    linked = links[links["path"].astype(str).str.len() > 0]
    assert linked["_row"].nunique() == 2844  # none is "no linked file" any more
    m = scan(workspace=ws, workers=2, progress=None)
    assert m.info["scan"]["files_read"] == 0  # fetch-media analysed each download as it came
    assert len(m) == len(urls)
    assert (m.frame["error"].fillna("") == "").all()
    assert set(m.frame["format"]) == {"jpeg"}
    md5s = set(m.frame["md5"])
    assert md5s == {hashlib.md5(b).hexdigest() for b in served.values()}
    assert m.frame["catalogNumber"].notna().all()
