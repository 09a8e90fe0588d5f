"""The demo images: promised properties, broken files, names, determinism."""

from __future__ import annotations

import csv
import hashlib
import io
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import tifffile
from PIL import Image, ImageCms, ImageFile

from specpub.demo import BROKEN_KINDS, DemoCollection, generate_collection
from specpub.demo import normalise_catalogue_number as norm
from specpub.demo._files import srgb_icc

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dwc": "http://rs.tdwg.org/dwc/terms/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
}


def tree_hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def good(demo, role=None):
    return [f for f in demo.files if f.broken is None and (role is None or f.role == role)]


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    kwargs = dict(specimens=5, image_size=(240, 340), messiness=0.6)
    a = generate_collection(tmp_path / "a", seed=3, **kwargs)
    b = generate_collection(tmp_path / "b", seed=3, **kwargs)
    c = generate_collection(tmp_path / "c", seed=4, **kwargs)
    ha, hb, hc = (tree_hashes(d.folder) for d in (a, b, c))
    assert ha == hb
    assert len(ha) > 12  # table, manifest and images of every kind
    assert ha["specimens.csv"] != hc["specimens.csv"]
    # Pixels differ too: compare the first good master of each run.
    ma = Image.open(a.folder / good(a, "master")[0].path)
    mc = Image.open(c.folder / good(c, "master")[0].path)
    assert ma.tobytes() != mc.tobytes()
    # The manifest records the hashes of what is on disk.
    for f in a.files:
        assert ha[f.path] == f.sha256
        assert (a.folder / f.path).stat().st_size == f.bytes


def test_masters_have_the_promised_properties(demo_collection):
    masters = good(demo_collection, "master")
    assert {f.compression for f in masters} == {"none", "lzw"}
    assert {f.bits_per_sample for f in masters} == {8, 16}
    icc = srgb_icc()
    assert icc[36:40] == b"acsp"
    assert icc[24:36] == bytes.fromhex("07e3000100010000" + "0" * 8)
    for f in masters:
        path = demo_collection.folder / f.path
        with tifffile.TiffFile(path) as tf:
            page = tf.pages.first
            tags = page.tags
            assert page.compression == (5 if f.compression == "lzw" else 1)
            assert page.bitspersample == f.bits_per_sample
            assert page.samplesperpixel == 3
            assert page.photometric == 2
            assert (page.imagewidth, page.imagelength) == (f.width, f.height)
            assert 282 in tags
            assert 283 in tags
            assert 296 in tags
            assert tags[282].value == (600, 1)
            assert tags[296].value == 2
            assert page.iccprofile == icc
            profile = ImageCms.ImageCmsProfile(io.BytesIO(page.iccprofile))
            assert ImageCms.getProfileDescription(profile).strip() == "sRGB IEC61966-2.1"
            assert profile.profile.xcolor_space.strip() == "RGB"
            assert tags[271].value == "Demo Imaging"
            assert 306 in tags
            assert 33432 in tags
            xmp = ET.fromstring(
                tags[700].value.decode("utf-8").split("?>", 1)[1].rsplit("<?", 1)[0]
            )
            assert xmp.find(".//dc:identifier", NS).text == f.barcode
            # tifffile decodes LZW only with imagecodecs (not installed); Pillow does.
            pixels = page.asarray() if f.compression == "none" else None
        if pixels is None:
            with Image.open(path) as im:
                im.load()
                pixels = np.asarray(im)
        assert pixels.shape == (f.height, f.width, 3)
        assert pixels.dtype == (np.uint16 if f.bits_per_sample == 16 else np.uint8)
        if f.bits_per_sample == 16:
            assert np.any(pixels & 0xFF), "16-bit data is not just 8-bit data scaled"


def test_access_copies_carry_exif_xmp_icc(demo_collection):
    copies = good(demo_collection, "access") + good(demo_collection, "label")
    assert copies
    for f in copies:
        with Image.open(demo_collection.folder / f.path) as im:
            im.load()
            assert im.format == "JPEG"
            assert im.mode == "RGB"
            assert im.info["dpi"] == (600, 600)
            assert im.info["icc_profile"]
            exif = im.getexif()
            assert exif[271] == "Demo Imaging"
            assert exif[272] == "HerbScan 600"
            assert exif[315].startswith("Imaging team")
            assert "(c)" in exif[33432]
            assert float(exif[282]) == 600.0
            assert exif[296] == 2
            original = exif.get_ifd(0x8769)[36867]
            assert len(original) == 19
            assert original[4] == ":"
            root = ET.fromstring(im.info["xmp"].split(b"?>", 1)[1].rsplit(b"<?", 1)[0])
            assert root.find(".//dc:identifier", NS).text == f.barcode
            assert root.find(".//dwc:catalogNumber", NS).text == f.barcode
            assert root.find(".//dc:title/rdf:Alt/rdf:li", NS).text.startswith(
                f"Herbarium specimen {f.barcode}"
            )
            assert "creativecommons.org" in root.find(".//xmpRights:WebStatement", NS).text


def test_segmentations_are_label_masks(demo_collection):
    masks = good(demo_collection, "segmentation")
    assert masks
    for f in masks:
        assert f.name.endswith("_lab.png")
        with Image.open(demo_collection.folder / f.path) as im:
            assert im.format == "PNG"
            assert im.mode == "L"
            values = set(np.unique(np.asarray(im)).tolist())
        assert values == {0, 255}


def test_broken_files_are_broken_as_promised(demo_collection):
    demo = demo_collection
    kinds = {b.kind: b for b in demo.broken}
    assert set(kinds) == set(BROKEN_KINDS)
    for b in demo.broken:
        assert b.reason == BROKEN_KINDS[b.kind]
        assert b.path.is_file()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False

    for kind in ("truncated_tiff", "truncated_jpeg"):
        with pytest.raises(OSError, match="truncated"), Image.open(kinds[kind].path) as im:
            im.load()

    path = kinds["truncated_tiff"].path
    with tifffile.TiffFile(path) as tf:  # the header still parses ...
        page = tf.pages.first
        ends = [o + c for o, c in zip(page.dataoffsets, page.databytecounts, strict=True)]
        assert max(ends) > path.stat().st_size  # ... but strips run past the end (TIF-12)

    assert not kinds["truncated_jpeg"].path.read_bytes().endswith(b"\xff\xd9")

    with tifffile.TiffFile(kinds["tiff_no_icc"].path) as tf:
        assert 34675 not in tf.pages.first.tags
        assert tf.pages.first.tags[282].value == (600, 1)

    with tifffile.TiffFile(kinds["low_resolution"].path) as tf:
        page = tf.pages.first
        assert page.tags[282].value == (72, 1)
        assert page.imagewidth < 300 / 2

    assert kinds["zero_byte"].path.stat().st_size == 0
    assert kinds["zero_byte"].path.suffix == ".jpg"

    data = kinds["png_as_jpg"].path.read_bytes()
    assert kinds["png_as_jpg"].path.suffix == ".jpg"
    assert data.startswith(b"\x89PNG\r\n\x1a\n")

    orphan = kinds["orphan"]
    assert orphan.index is None
    with Image.open(orphan.path) as im:
        im.load()  # a good image ...
    with open(demo.table, encoding="utf-8", newline="") as fh:
        numbers = [norm(r["catalogNumber"]) for r in csv.DictReader(fh) if r["catalogNumber"]]
    assert not any(norm(orphan.path.stem).startswith(n) for n in numbers)  # ... of no specimen


def test_file_names_start_with_the_clean_barcode(demo_collection):
    demo = demo_collection
    rows = demo.manifest["rows"]
    with open(demo.table, encoding="utf-8", newline="") as fh:
        table = list(csv.DictReader(fh))
    messy = demo.rows_with("catalogNumber_formatted")
    assert messy
    for f in demo.files:
        assert f.name.startswith(f.barcode)
        assert f.barcode.startswith("DEMO")
        assert f.barcode[4:].isdigit()
        # The linker's default rule, applied independently.
        expected = [
            i
            for i, r in enumerate(table)
            if r["catalogNumber"]
            and norm(f.name.rsplit(".", 1)[0]).startswith(norm(r["catalogNumber"]))
        ]
        assert list(f.expected_rows) == expected
    for i in messy:
        files = [f for f in demo.files if f.index == i]
        assert files
        assert all(" " not in f.name and i in f.expected_rows for f in files)
    (missing,) = demo.rows_with("catalogNumber_missing")
    assert all(f.expected_rows == () for f in demo.files if f.index == missing)
    (dup,) = demo.rows_with("catalogNumber_duplicate")
    assert rows[dup]["imaged"] is False
    source = rows[dup]["details"]["catalogNumber_duplicate"]["of_index"]
    assert any(set(f.expected_rows) == {source, dup} for f in demo.files)
    # Sub-folders by role.
    folders = {
        "master": "masters",
        "access": "access",
        "label": "access",
        "segmentation": "segmentations",
    }
    for f in demo.files:
        assert f.path.split("/")[0] == folders[f.role]


def test_load_round_trip_and_summary(demo_collection, tmp_path):
    again = DemoCollection.load(demo_collection.folder)
    assert again.files == demo_collection.files
    assert again.defects == demo_collection.defects
    assert [b.path for b in again.broken] == [b.path for b in demo_collection.broken]
    text = demo_collection.summary()
    assert str(demo_collection.table) in text
    assert "truncated_jpeg" in text
    frame = demo_collection.to_frame()
    assert len(frame) == len(demo_collection.files)
    from specpub.errors import InputError

    with pytest.raises(InputError, match="no demo manifest"):
        DemoCollection.load(tmp_path)


def test_no_broken_and_format_subsets(tmp_path):
    demo = generate_collection(
        tmp_path, specimens=3, image_size=(200, 290), broken=False, formats=("jpeg",)
    )
    assert demo.broken == []
    assert {f.role for f in demo.files} <= {"access", "label"}
    assert list(demo.masters.iterdir()) == []
    for f in demo.files:
        with Image.open(demo.folder / f.path) as im:
            im.load()


def test_progress_object_counts_sheets(tmp_path):
    class Counter:
        def __init__(self):
            self.n = 0
            self.closed = False

        def update(self, n=1):
            self.n += n

        def close(self):
            self.closed = True

    bar = Counter()
    demo = generate_collection(
        tmp_path, specimens=4, image_size=(150, 210), broken=False, progress=bar
    )
    imaged = sum(1 for r in demo.manifest["rows"] if r["imaged"])
    assert bar.n == imaged
    assert bar.closed


def test_embedded_profile_behaves_like_littlecms_srgb():
    ours = ImageCms.ImageCmsProfile(io.BytesIO(srgb_icc()))
    reference = ImageCms.createProfile("sRGB")
    lab = ImageCms.createProfile("LAB")
    im = Image.new("RGB", (4, 1))
    im.putpixel((0, 0), (255, 0, 0))
    im.putpixel((1, 0), (10, 200, 30))
    im.putpixel((2, 0), (128, 128, 128))
    im.putpixel((3, 0), (240, 236, 223))
    a = ImageCms.applyTransform(im, ImageCms.buildTransform(ours, lab, "RGB", "LAB"))
    b = ImageCms.applyTransform(im, ImageCms.buildTransform(reference, lab, "RGB", "LAB"))
    assert a.tobytes() == b.tobytes()
    assert len(srgb_icc()) % 4 == 0
    assert int.from_bytes(srgb_icc()[:4], "big") == len(srgb_icc())
