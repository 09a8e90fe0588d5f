"""Identification by signature (specpub.preservation.identify): formats, PUIDs, mismatches."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image

from specpub.preservation.identify import FORMATS, identify, identify_file

from . import _images as im


def _jpeg_bytes(**kw) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG", **kw)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("make", "name", "fmt", "puid"),
    [
        (lambda p: im.tiff(p), "a.tif", "tiff", "fmt/353"),
        (lambda p: im.tiff(p, byteorder=">"), "a.tif", "tiff", "fmt/353"),
        (lambda p: im.tiff(p, bigtiff=True), "a.tif", "bigtiff", "fmt/1917"),
        (im.dng, "a.dng", "dng", "fmt/730"),
        (
            lambda p: im.tiff(p, extratags=[(37398, "B", 4, (1, 0, 0, 0), True)]),
            "a.tif",
            "tiff-ep",
            "fmt/154",
        ),
        (im.png16, "a.png", "png", "fmt/12"),
        (lambda p: im.png(p, metadata=True), "a.png", "png", "fmt/13"),
        (im.jp2, "a.jp2", "jp2", "x-fmt/392"),
        (lambda p: im.jp2_with_boxes(p, brand=b"jpx "), "a.jpx", "jpx", "fmt/151"),
        (lambda p: im.jp2_with_boxes(p, brand=b"jpm "), "a.jpm", "jpm", "fmt/463"),
        (im.j2k, "a.j2k", "j2k", "fmt/1794"),
    ],
)
def test_formats_by_signature(tmp_path, make, name, fmt, puid):
    path = make(tmp_path / name)
    found = identify_file(path)
    assert (found.format, found.puid) == (fmt, puid)
    assert found.basis == "signature"
    assert found.extension_ok is True
    assert found.findings == ()


def test_jfif_versions_and_exif_jpeg():
    jfif = _jpeg_bytes()
    assert identify(jfif).puid == "fmt/43"  # Pillow writes JFIF 1.01
    for minor, puid in ((0, "fmt/42"), (1, "fmt/43"), (2, "fmt/44")):
        data = jfif[:11] + bytes([1, minor]) + jfif[13:]
        assert identify(data).puid == puid
    exif_jpeg = im.with_metadata(_jpeg_bytes(), exif={"Exif.Image.Make": "X"})
    found = identify(exif_jpeg)
    assert found.format == "jpeg"
    assert found.puid in {"x-fmt/391", "fmt/645", "fmt/1507", "fmt/43"}


def test_exif_only_jpeg_gets_the_exif_puid():
    exif = Image.Exif()
    exif[0x8769] = {0x9000: b"0230"}
    data = _jpeg_bytes(exif=exif)
    # drop the JFIF APP0 so Exif comes first
    app0_len = struct.unpack(">H", data[4:6])[0]
    data = data[:2] + data[4 + app0_len :]
    found = identify(data)
    assert (found.puid, found.version) == ("fmt/1507", "0230")


@pytest.mark.parametrize(
    ("content", "name"),
    [("png", "sheet.jpg"), ("jpeg", "sheet.tif"), ("tiff", "sheet.png"), ("jp2", "sheet.jpg")],
)
def test_extension_mismatch_is_a_finding(tmp_path, content, name):
    maker = {"png": im.png16, "jpeg": im.jpeg, "tiff": im.tiff, "jp2": im.jp2}[content]
    src = maker(tmp_path / f"x.{content}")
    path = tmp_path / name
    path.write_bytes(src.read_bytes())
    found = identify_file(path)
    assert found.format == content
    assert found.extension_ok is False
    (finding,) = [f for f in found.findings if f.id == "ID-03"]
    assert finding.severity == "warn"
    assert "does not match the content" in finding.message
    assert FORMATS[content].extensions[0] in finding.message  # says what to rename it to


def test_truncated_jpeg_and_png_lose_their_eof_signature(tmp_path):
    data = im.jpeg(tmp_path / "a.jpg").read_bytes()
    assert identify(data).eof_signature is True
    cut = identify(data[: len(data) // 2])
    assert cut.eof_signature is False
    assert [f.id for f in cut.findings] == ["ID-02"]
    png = im.png16(tmp_path / "a.png").read_bytes()
    assert identify(png).eof_signature is True
    assert identify(png[:-2]).findings[0].id == "ID-02"
    # only the head of the file: no verdict on the end
    assert identify(png[:100], size=len(png)).eof_signature is None


def test_unknown_empty_and_other_formats():
    assert identify(b"").format == "empty"
    unknown = identify(b"hello world, not an image", name="x.jpg")
    assert unknown.format == "unknown"
    assert unknown.findings[0].id == "ID-00"
    assert unknown.extension_ok is None
    assert identify(b"GIF87a" + bytes(10)).puid == "fmt/3"
    assert identify(b"RIFF\x00\x00\x00\x00WEBPVP8 ").format == "webp"
    assert identify(b"\x00\x00\x00\x18ftypheic" + bytes(8)).format == "heif"
    assert identify(b"%PDF-1.7\n").version == "1.7"


def test_hostile_tiff_headers_do_not_raise():
    # IFD offset past the end, absurd entry counts, truncated entries
    for data in (
        b"II*\x00\xff\xff\xff\xff",
        b"II*\x00\x08\x00\x00\x00\xff\xff" + bytes(20),
        b"MM\x00*\x00\x00\x00\x08\x00\x05",
        b"II*\x00",
    ):
        assert identify(data).format == "tiff"


def test_as_dict_is_json_ready():
    import json

    d = identify(b"GIF89a" + bytes(10), name="a.png").as_dict()
    assert json.loads(json.dumps(d))["findings"][0]["id"] == "ID-03"
    assert d["mime"] == "image/gif"


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_PREFIXES = [
    b"\xff\xd8\xff",
    b"II",
    b"\x89PNG",
    b"II*\x00",
    b"MM\x00*",
    b"II+\x00",
    b"\xff\xd8\xff\xe1",
    b"\xff\xd8\xff\xe0",
    b"\x89PNG\r\n\x1a\n",
    b"\x00\x00\x00\x0cjP  \r\n\x87\n",
    b"",
]


@settings(max_examples=300, deadline=None)
@given(prefix=st.sampled_from(_PREFIXES), rest=st.binary(max_size=300))
def test_identify_never_raises_on_fuzzed_headers(prefix, rest):
    found = identify(prefix + rest, name="x.tif")
    assert found.format in FORMATS
