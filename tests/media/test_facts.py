"""Per-file facts of every format the scan reads, on generated images (one test per field group)."""

from __future__ import annotations

import pytest

from specpub.media import inspect

from . import _images as im


def one(path, **kw):
    (row,) = inspect([path], **kw)
    assert row["error"] == "", row["error"]
    return row


@pytest.mark.parametrize(
    ("make", "expect"),
    [
        (
            lambda p: im.tiff(p),
            dict(
                width=32,
                height=24,
                bits_per_sample=16,
                samples_per_pixel=3,
                photometric="rgb",
                colour_mode="RGB",
                compression="none",
                compression_code=1,
                planar_config="contig",
                pages=1,
                tiled=False,
            ),
        ),
        (lambda p: im.tiff(p, bigtiff=True), dict(format="bigtiff", bits_per_sample=16, pages=1)),
        (lambda p: im.tiff(p, compression="zlib"), dict(compression="deflate", compression_code=8)),
        (lambda p: im.tiff(p, compression="adobe_deflate"), dict(compression="deflate")),
        (im.tiff_lzw, dict(compression="lzw", compression_code=5, bits_per_sample=8, ppi=400.0)),
        (lambda p: im.tiff(p, tile=(16, 16)), dict(tiled=True, tile_width=16, tile_height=16)),
        (lambda p: im.tiff(p, pages=4), dict(pages=4)),
        (lambda p: im.tiff(p, planar="separate"), dict(planar_config="separate")),
        (
            lambda p: im.tiff(p, im.rgb16()[..., 0], icc=im.ICC_GREY),
            dict(
                samples_per_pixel=1,
                photometric="minisblack",
                colour_mode="L",
                icc_colour_space="GRAY",
                icc_description="Gray Gamma 2.2",
            ),
        ),
        (lambda p: im.tiff(p, byteorder=">"), dict(width=32, bits_per_sample=16)),
        (im.dng, dict(format="dng", format_version="1.4.0.0", puid="fmt/730", width=32)),
    ],
)
def test_tiff_facts(tmp_path, make, expect):
    row = one(make(tmp_path / ("x.dng" if make is im.dng else "x.tif")))
    assert {k: row[k] for k in expect} == expect


def test_tiff_resolution_units_and_absence(tmp_path):
    inch = one(im.tiff(tmp_path / "a.tif", resolution=(600, 600)))
    assert (inch["x_resolution"], inch["resolution_unit"], inch["ppi"]) == (600.0, "inch", 600.0)
    cm = one(im.tiff(tmp_path / "b.tif", resolution=(100, 50), unit="CENTIMETER"))
    assert (cm["resolution_unit"], cm["ppi"], cm["ppi_y"]) == ("cm", 254.0, 127.0)
    from PIL import Image

    Image.new("RGB", (4, 4)).save(tmp_path / "c.tif", "TIFF")  # no resolution tags at all
    none = one(tmp_path / "c.tif")
    # tifffile's page.resolution says (1, 1) for missing tags: the scan reports them absent
    assert none["x_resolution"] is None
    assert none["ppi"] is None
    assert none["resolution_unit"] == ""


def test_tiff_icc_and_embedded_metadata(tmp_path):
    path = im.tiff(tmp_path / "m.tif")
    path.write_bytes(im.with_metadata(path.read_bytes(), exif=im.EXIF, xmp=im.XMP, iptc=im.IPTC))
    row = one(path)
    assert row["icc_present"] is True
    assert row["icc_description"] == "eciRGB v2"
    assert row["icc_colour_space"] == "RGB"
    assert row["icc_size"] == len(im.ICC_ECI)
    assert row["exif_make"] == "Phase One"
    assert row["exif_model"] == "IQ4 150MP"
    assert row["exif_software"] == "Capture One 23"
    assert row["exif_datetime"] == "2026:03:04 10:11:12"
    assert row["exif_datetime_original"] == "2026:03:04 09:08:07"
    assert row["exif_artist"] == "Digitisation Team"
    assert row["exif_copyright"] == "Meise Botanic Garden"
    assert row["exif_orientation"] == 1
    assert row["xmp_identifier"] == "BR0000013087944"
    assert row["xmp_rights"] == "CC BY 4.0"
    assert row["xmp_usage_terms"] == "Attribution required"
    assert row["xmp_web_statement"] == "https://creativecommons.org/licenses/by/4.0/"
    assert row["xmp_create_date"] == "2026-03-04T09:08:07"
    assert row["xmp_iptc_core"] == "CountryCode=BE"
    assert row["iptc_object_name"] == "BR0000013087944"
    assert row["iptc_byline"] == "S. De Smedt"
    assert row["iptc_credit"] == "Meise"
    assert row["metadata"]["exif"]["Exif.Image.Make"] == "Phase One"
    assert row["metadata"]["iptc"]["Iptc.Application2.Copyright"] == "Meise Botanic Garden"


def test_bigtiff_metadata_without_exiv2(tmp_path):
    """exiv2 cannot open BigTIFF: the baseline tags come from tifffile instead."""
    tags = [
        (271, "s", 0, "Hasselblad", True),
        (272, "s", 0, "H6D", True),
        (306, "s", 0, "2026:01:01 00:00:00", True),
        (274, "H", 1, 1, True),
    ]
    row = one(im.tiff(tmp_path / "b.tif", bigtiff=True, extratags=tags))
    assert (row["exif_make"], row["exif_model"], row["exif_datetime"], row["exif_orientation"]) == (
        "Hasselblad",
        "H6D",
        "2026:01:01 00:00:00",
        1,
    )
    assert not [f for f in row["findings"] if f["severity"] != "info"]


@pytest.mark.parametrize(
    ("kw", "expect"),
    [
        (
            dict(),
            dict(
                bits_per_sample=8,
                samples_per_pixel=3,
                colour_mode="RGB",
                photometric="ycbcr",
                compression="jpeg-baseline",
                ppi=300.0,
                resolution_unit="inch",
                width=64,
                height=48,
            ),
        ),
        (dict(progressive=True), dict(compression="jpeg-progressive")),
        (dict(mode="L"), dict(samples_per_pixel=1, colour_mode="L")),
        (dict(mode="CMYK"), dict(samples_per_pixel=4, colour_mode="CMYK")),
        (dict(dpi=None), dict(ppi=None)),
        (dict(icc=im.ICC_ECI), dict(icc_present=True, icc_description="eciRGB v2")),
    ],
)
def test_jpeg_facts(tmp_path, kw, expect):
    row = one(im.jpeg(tmp_path / "a.jpg", **kw))
    assert {k: row[k] for k in expect} == expect
    assert row["format"] == "jpeg"
    assert row["mime"] == "image/jpeg"


def test_jpeg_embedded_metadata(tmp_path):
    row = one(im.jpeg(tmp_path / "a.jpg", metadata=True))
    assert row["exif_make"] == "Phase One"
    assert row["exif_datetime_original"] == "2026:03:04 09:08:07"
    assert row["xmp_identifier"] == "BR0000013087944"
    assert row["iptc_copyright"] == "Meise Botanic Garden"


def test_jpeg_exif_resolution_without_jfif(tmp_path):
    from PIL import Image

    exif = Image.Exif()
    exif[282], exif[283], exif[296] = 200.0, 200.0, 3  # 200 px/cm
    path = tmp_path / "e.jpg"
    Image.new("RGB", (8, 8)).save(path, "JPEG", exif=exif)
    data = path.read_bytes()
    app0 = int.from_bytes(data[4:6], "big")
    path.write_bytes(data[:2] + data[4 + app0 :])  # no JFIF: Exif only
    row = one(path)
    assert (row["x_resolution"], row["resolution_unit"], row["ppi"]) == (200.0, "cm", 508.0)


def test_png_facts(tmp_path):
    row = one(im.png16(tmp_path / "a.png"))
    assert (row["width"], row["height"], row["bits_per_sample"], row["samples_per_pixel"]) == (
        16,
        8,
        16,
        3,
    )
    assert (row["colour_mode"], row["compression"], row["interlaced"]) == ("RGB", "deflate", False)
    assert row["resolution_unit"] == "metre"
    assert row["ppi"] == pytest.approx(600, abs=0.01)
    assert row["icc_description"] == "eciRGB v2"
    rgba = one(im.png(tmp_path / "b.png", metadata=True))
    assert (rgba["colour_mode"], rgba["samples_per_pixel"]) == ("RGBA", 4)
    assert rgba["exif_make"] == "Phase One"
    assert rgba["xmp_rights"] == "CC BY 4.0"
    grey = one(im.png(tmp_path / "c.png", "L", dpi=None))
    assert (grey["colour_mode"], grey["ppi"], grey["resolution_unit"]) == ("L", None, "")


def test_jpeg2000_facts(tmp_path):
    lossless = one(im.jp2(tmp_path / "a.jp2"))
    assert (lossless["format"], lossless["width"], lossless["height"]) == ("jp2", 48, 32)
    assert (lossless["bits_per_sample"], lossless["samples_per_pixel"]) == (8, 3)
    assert (lossless["compression"], lossless["photometric"], lossless["tiled"]) == (
        "jpeg2000-lossless",
        "srgb",
        False,
    )
    lossy = one(im.jp2(tmp_path / "b.jp2", lossless=False, tile=(16, 16)))
    assert (lossy["compression"], lossy["tiled"], lossy["tile_width"]) == (
        "jpeg2000-lossy",
        True,
        16,
    )
    boxes = one(im.jp2_with_boxes(tmp_path / "c.jp2"))
    assert boxes["icc_description"] == "eciRGB v2"
    assert boxes["photometric"] == "icc"
    assert boxes["ppi"] == pytest.approx(600, abs=0.01)
    raw = one(im.j2k(tmp_path / "d.j2k"))
    assert (raw["format"], raw["puid"], raw["width"], raw["samples_per_pixel"]) == (
        "j2k",
        "fmt/1794",
        20,
        1,
    )
    assert raw["findings"] == []


def test_fixity_matches_hashlib(tmp_path):
    import hashlib

    path = im.tiff(tmp_path / "a.tif", im.rgb16(200, 300))
    row = one(path)
    data = path.read_bytes()
    assert row["md5"] == hashlib.md5(data).hexdigest()
    assert row["sha256"] == hashlib.sha256(data).hexdigest()
    assert row["size"] == len(data)
    assert row["bytes_reread"] == 0


def test_without_pyexiv2_exif_comes_from_pillow_and_the_gap_is_said(tmp_path, monkeypatch):
    import sys

    path = im.jpeg(tmp_path / "a.jpg", metadata=True)
    monkeypatch.setitem(sys.modules, "pyexiv2", None)  # the optional `exif` extra is missing
    row = one(path)
    assert (row["exif_make"], row["exif_datetime_original"]) == ("Phase One", "2026:03:04 09:08:07")
    assert row["xmp_identifier"] == ""
    assert "MEDIA-NO-EXIV2" in [f["id"] for f in row["findings"]]
