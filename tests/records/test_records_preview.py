"""Previews: a landing-like page per record and a paged gallery; table values escaped, no
script; TIFF masters as cached JPEG thumbnails; a diff for an edit."""

from __future__ import annotations

import re

import numpy as np
import pytest
import tifffile
from PIL import Image

from specpub.errors import InputError
from specpub.records import build_workspace_records
from specpub.records.preview import preview
from specpub.records.spec import FileSpec
from specpub.records.thumbnails import thumbnail


@pytest.fixture
def built(collection, tmp_path):
    ws = collection.workspace(tmp_path / "ws")
    return ws, build_workspace_records(ws, collection.preset(tmp_path, "icedig-benchmark"))


def test_pages_and_gallery(built, tmp_path):
    ws, records = built
    result = preview(records, tmp_path / "out", workspace=ws, page_size=2)
    assert result.pages == 3
    assert len(result.record_pages) == 5
    assert (tmp_path / "out" / "index.html").is_file()
    page = (tmp_path / "out" / "records").glob("BR0000013-*.html").__next__().read_text()
    for text in (
        "Herbarium specimen image of Quercus robur L.",
        "Meise Botanic Garden",
        "Fagaceae",
        "dwc:decimalLatitude",
        "50.93",
        "4711",
        "Creative Commons",
        "http://www.botanicalcollections.be/specimen/BR0000013",
        "BR0000013.json",
    ):
        assert text in page, text
    assert "Payload (native API)" in page


def test_no_script_from_a_table_cell_reaches_a_page(built, tmp_path):
    ws, records = built
    result = preview(records, tmp_path / "out", workspace=ws)
    for path in [*result.record_pages, *result.gallery_pages]:
        text = path.read_text(encoding="utf-8")
        assert "Content-Security-Policy" in text
        assert "default-src 'none'" in text
        body = text.split("</head>", 1)[1]
        assert not re.search(r"<script|<img[^>]+onerror|href=['\"]?javascript:", body, re.I)
    e_page = next(p for p in result.record_pages if p.name.startswith("E00633257"))
    assert "&lt;script&gt;alert(2)&lt;/script&gt;Lijiang" in e_page.read_text()


def test_tiff_masters_get_cached_jpeg_thumbnails(built, tmp_path):
    ws, records = built
    first = preview(records, tmp_path / "out", workspace=ws)
    assert first.thumbnails_made == 8
    assert first.missing_thumbnails == {}
    again = preview(records, tmp_path / "out2", workspace=ws)
    assert again.thumbnails_made == 0
    assert again.thumbnails_cached == 8
    cache = ws.root / "records" / "thumbnails"
    tif = records["BR0000013"].files[1].spec
    with Image.open(cache / f"{tif.md5}-256.jpg") as im:
        assert im.format == "JPEG"
        assert max(im.size) <= 256


@pytest.mark.parametrize("kind", ["rgb16", "gray16", "rgba-png", "cmyk-jpeg"])
def test_thumbnails_of_other_image_kinds(tmp_path, kind):
    path = (
        tmp_path
        / {"rgb16": "a.tif", "gray16": "b.tif", "rgba-png": "c.png", "cmyk-jpeg": "d.jpg"}[kind]
    )
    if kind == "rgb16":
        tifffile.imwrite(
            path, (np.random.default_rng(0).random((600, 400, 3)) * 65535).astype("uint16")
        )
    elif kind == "gray16":
        tifffile.imwrite(path, np.arange(600 * 400, dtype="uint16").reshape(600, 400))
    elif kind == "rgba-png":
        Image.new("RGBA", (400, 600), (10, 20, 30, 128)).save(path)
    else:
        Image.new("CMYK", (400, 600), (10, 20, 30, 0)).save(path)
    thumb = thumbnail(FileSpec.from_path(path), tmp_path / "cache")
    assert thumb.path is not None, thumb.error
    with Image.open(thumb.path) as im:
        assert im.mode in ("RGB", "L")
        assert max(im.size) == 256


def test_a_corrupt_image_is_a_note_not_a_crash(built, tmp_path):
    ws, records = built
    tif = records["BR0000013"].files[1].spec
    tif.path.write_bytes(b"II*\x00" + b"\x00" * 64)  # damaged after the records were built
    result = preview(records, tmp_path / "out", workspace=ws)
    assert "BR0000013.tif" in result.missing_thumbnails
    page = next(p for p in result.record_pages if p.name.startswith("BR0000013"))
    assert "BR0000013.tif" in page.read_text()


def test_one_record_and_an_unknown_catalogue_number(built, tmp_path):
    ws, records = built
    result = preview(records, tmp_path / "out", workspace=ws, record="K000587145")
    assert len(result.record_pages) == 1
    with pytest.raises(InputError, match="did you mean 'K000587145'"):
        preview(records, tmp_path / "out", workspace=ws, record="K00058714")


def test_an_edit_shows_what_changes(built, tmp_path):
    ws, records = built
    br = records["BR0000013"]
    old = {**br.native, "metadata": {**br.native["metadata"], "title": "Old title"}}
    result = preview(
        records, tmp_path / "out", workspace=ws, previous={br.marker.key: old}, record="BR0000013"
    )
    page = result.record_pages[0].read_text()
    assert "Changes against the published record" in page
    assert "<del>Old title</del>" in page
    assert "<ins>Herbarium specimen image of Quercus robur L." in page


def test_a_record_shows_itself_in_a_notebook(built):
    _, records = built
    html = records["E00633257"]._repr_html_()
    assert html.startswith("<div class='specpub-preview'><style>.specpub-preview")
    assert "<html" not in html
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;Lijiang" in html
