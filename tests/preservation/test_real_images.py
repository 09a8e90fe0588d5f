"""The real herbarium images: intact ones pass structurally; a master made from one passes
``master``; corrupted copies fail (truncated, CRC flipped, IFD offset past the end, a JPEG
renamed ``.tif``)."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from specpub.preservation import validate, validate_bytes

pytestmark = pytest.mark.real_data


@pytest.fixture(scope="module")
def images(real_data):
    return sorted((real_data / "data" / "real" / "images").iterdir())


@pytest.fixture(scope="module")
def master(images):
    """A 16-bit RGB TIFF with the JPEG's own ICC profile (eciRGB v2) at 600 ppi."""
    source = next(p for p in images if p.name == "BR0000015189608.jpg")
    with Image.open(source) as im:
        icc = im.info["icc_profile"]
        im = im.reduce(2)
        pixels = np.asarray(im, dtype="uint16") * 257
    out = io.BytesIO()
    tifffile.imwrite(
        out,
        pixels,
        photometric="rgb",
        resolution=(600, 600),
        resolutionunit="INCH",
        metadata=None,
        extratags=[(34675, 7, len(icc), icc, True)],
    )
    return out.getvalue()


def test_intact_real_images_pass_structurally(images):
    report = validate(images, profile="structure", progress=None)
    verdicts = {r.key: r.verdict for r in report}
    assert "fail" not in verdicts.values(), verdicts
    # two_sheets.JPG carries 1952 bytes of a previous image's scan data after its EOI: a
    # true warning (JPG-05), not a failure.
    assert {k for k, v in verdicts.items() if v == "warn"} <= {"two_sheets.JPG"}


def test_real_access_copies_under_access(images):
    report = validate(images, profile="access", progress=None)
    assert all(r.verdict in ("pass", "warn") for r in report)


def test_master_made_from_a_real_image_passes_master(master):
    result = validate_bytes(master, "BR0000015189608.tif", profile="master", decode=True)
    assert result.verdict == "pass", [(f.id, f.message) for f in result.findings]
    assert result.properties["bits_per_sample"] == [16, 16, 16]
    herbarium = validate_bytes(master, "BR0000015189608.tif", profile="herbarium-master")
    assert herbarium.verdict != "fail"


def test_truncated_master_fails(master):
    result = validate_bytes(master[: len(master) // 2], "BR0000015189608.tif")
    assert result.verdict == "fail"
    assert "TIF-12" in {f.id for f in result.findings}


def test_master_with_ifd_offset_past_the_end_fails(master):
    data = bytearray(master)
    data[4:8] = struct.pack("<I", len(data) + 1000)
    result = validate_bytes(bytes(data), "BR0000015189608.tif")
    assert result.verdict == "fail"
    assert "TIF-02" in {f.id for f in result.findings}


def test_truncated_real_jpeg_fails(images):
    data = images[0].read_bytes()
    result = validate_bytes(data[:-5000], images[0].name, profile="access")
    assert result.verdict == "fail"
    assert {"JPG-04", "ID-02"} <= {f.id for f in result.findings}


def test_real_jpeg_renamed_tif_fails(images):
    data = images[0].read_bytes()
    for profile in ("structure", "master"):
        result = validate_bytes(data, images[0].stem + ".tif", profile=profile)
        assert result.verdict == "fail"
        assert "ID-03" in {f.id for f in result.findings}


def test_png_from_a_real_image_with_a_flipped_crc_fails(images):
    with Image.open(images[1]) as im:
        small = im.reduce(8)
        out = io.BytesIO()
        small.save(out, "PNG", icc_profile=im.info.get("icc_profile"), dpi=(600, 600))
    data = bytearray(out.getvalue())
    assert validate_bytes(bytes(data), "BR1.png", profile="structure").verdict == "pass"
    idat = data.find(b"IDAT")
    length = struct.unpack_from(">I", data, idat - 4)[0]
    crc_at = idat + 4 + length
    assert (
        struct.unpack_from(">I", data, crc_at)[0]
        == zlib.crc32(bytes(data[idat : idat + 4 + length])) & 0xFFFFFFFF
    )
    data[crc_at] ^= 0x01
    result = validate_bytes(bytes(data), "BR1.png", profile="structure")
    assert result.verdict == "fail"
    assert "PNG-04" in {f.id for f in result.findings}
