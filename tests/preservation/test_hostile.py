"""Hostile input: huge declared counts, loops, a 2 GB chunk, 0 bytes, folders, FIFOs, sparse files.

Each is a finding in the report; none crashes, hangs, or makes memory grow with
what the file *declares* (peak memory is measured with ``tracemalloc``).
"""

from __future__ import annotations

import os
import struct
import tracemalloc

import pytest

from specpub.preservation import check_structure, validate, validate_file

from . import builders as b


def _peak(func):
    tracemalloc.start()
    try:
        result = func()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def _ids(findings):
    return {f.id for f in findings}


def test_tiff_declaring_65535_entries_and_4g_values():
    data = bytearray(b"II*\x00\x08\x00\x00\x00" + struct.pack("<H", 65535))
    data += struct.pack("<HHII", 273, 4, 0xFFFFFFFF, 8) * 200  # 200 entries present, 4G values
    result, peak = _peak(lambda: check_structure(bytes(data), "tiff"))
    assert {"TIF-03", "TIF-07"} <= _ids(result.findings) or "TIF-04" in _ids(result.findings)
    assert peak < 8 << 20


def test_tiff_strip_count_of_two_billion():
    entries = b.set_entry(b.base_entries(), 273, 4, [8])
    data = b.build_tiff(entries, count_override={273: 2_000_000_000, 279: 2_000_000_000})
    result, peak = _peak(lambda: check_structure(data, "tiff"))
    assert "TIF-07" in _ids(result.findings)
    assert peak < 8 << 20


def test_bigtiff_with_absurd_counts_and_offsets():
    head = b"II+\x00\x08\x00\x00\x00" + struct.pack("<Q", 16)
    ifd = struct.pack("<Q", 2**60) + struct.pack("<HHQQ", 256, 16, 2**62, 2**63)
    result, peak = _peak(lambda: check_structure(head + ifd, "bigtiff"))
    assert "TIF-03" in _ids(result.findings)
    assert peak < 8 << 20


def test_tiff_ifd_loop_and_self_loop():
    first = b.build_tiff()
    at = struct.unpack_from("<I", first, 4)[0]
    looping = b.build_tiff(next_ifd=at)
    assert "TIF-08" in _ids(check_structure(looping, "tiff").findings)
    sub_loop = b.build_tiff([*b.base_entries(), [330, 4, at]])
    assert "TIF-08" in _ids(check_structure(sub_loop, "tiff").findings)


def test_png_chunk_claiming_two_gigabytes():
    data = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0x7FFFFFF0) + b"IDAT" + bytes(100)
    result, peak = _peak(lambda: check_structure(data, "png"))
    assert "PNG-12" in _ids(result.findings)
    assert peak < 8 << 20
    too_long = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 0xFFFFFFFF) + b"IDAT" + bytes(100)
    assert "PNG-14" in _ids(check_structure(too_long, "png").findings)


def test_jpeg_segment_running_past_the_end():
    data = b"\xff\xd8\xff\xe1\xff\xff" + bytes(50)
    assert "JPG-04" in _ids(check_structure(data, "jpeg").findings)


def test_jpeg_of_only_fill_bytes():
    data = b"\xff\xd8" + b"\xff" * 100_000
    result, peak = _peak(lambda: check_structure(data, "jpeg"))
    assert "JPG-04" in _ids(result.findings)
    assert peak < 8 << 20


def test_zero_bytes_directory_fifo_missing(tmp_path):
    (tmp_path / "empty.tif").write_bytes(b"")
    os.mkfifo(tmp_path / "pipe.tif")
    (tmp_path / "dir.tif").mkdir()
    os.symlink(tmp_path / "nowhere.tif", tmp_path / "broken.tif")
    report = validate(
        [
            tmp_path / "empty.tif",
            tmp_path / "pipe.tif",
            tmp_path / "dir.tif",
            tmp_path / "broken.tif",
            tmp_path / "missing.tif",
        ],
        profile="structure",
        progress=None,
    )
    got = {r.key: [f.id for f in r.findings] for r in report}
    assert got["empty.tif"] == ["FILE-01"] or "FILE-01" in got["empty.tif"]
    assert got["pipe.tif"] == ["FILE-02"]
    assert "dir.tif" not in got  # a folder given explicitly is walked: it is empty
    assert got["broken.tif"] == ["FILE-02"]
    assert got["missing.tif"] == ["FILE-03"]
    assert report.exit_code == 1


def test_fifo_inside_a_walked_folder_does_not_hang(tmp_path):
    os.mkfifo(tmp_path / "pipe.png")
    (tmp_path / "ok.png").write_bytes(b.png())
    report = validate([tmp_path], profile="structure", progress=None)
    assert {r.key: r.verdict for r in report} == {"ok.png": "pass", "pipe.png": "fail"}


def test_big_sparse_file_is_read_on_demand(tmp_path):
    path = tmp_path / "sparse.tif"
    with open(path, "wb") as fh:
        fh.write(b"II*\x00" + struct.pack("<I", 1 << 30))
        fh.truncate(300 << 20)  # 300 MiB of holes (streamed): the IFD offset points past the end
    result, peak = _peak(lambda: validate_file(path, profile="structure"))
    assert "TIF-02" in _ids(result.findings)
    assert peak < 32 << 20


@pytest.mark.parametrize("fmt", ["tiff", "bigtiff", "jpeg", "png", "jp2", "apng", "j2k"])
def test_every_validator_survives_tiny_inputs(fmt):
    for data in (b"\x00", b"II", b"\xff\xd8", b"\x89PNG", b"\x00\x00\x00\x0cjP  "):
        result = check_structure(data, fmt)
        assert result.verdict == "fail"
        assert "STR-01" not in _ids(result.findings)


def test_decode_never_pads_a_truncated_image_even_if_the_user_allowed_it():
    from PIL import ImageFile

    from specpub.preservation._buffer import Buffer
    from specpub.preservation._jpeg import decode_with_pillow
    from specpub.preservation.structure import Context

    data = b.jpeg(size=(64, 48))
    cut = data[: len(data) - 60]  # scan data cut short, no EOI
    ctx = Context("jpeg", decode=True)
    ImageFile.LOAD_TRUNCATED_IMAGES = True  # a notebook may have set this
    try:
        decode_with_pillow(Buffer(cut), ctx, "JPG-09", "JPEG")
        assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # restored afterwards
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = False
    assert "JPG-09" in _ids(ctx.findings)
