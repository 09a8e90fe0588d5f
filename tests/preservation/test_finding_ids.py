"""Every structural finding id is produced by a generated fixture (and a guard test checks it).

Each fixture breaks exactly one thing in an otherwise valid file made by
tifffile, Pillow or the byte-level builders, and the test asserts that the
expected id is reported — with evidence (an offset or a place in the structure).
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from specpub.preservation import findings as catalogue
from specpub.preservation import structure
from specpub.preservation.structure import check_structure
from specpub.preservation.validation import validate_file

from . import builders as b
from . import jp2build as j

PRODUCED: set[str] = set()


def _s(fmt: str, data: bytes, **kw) -> list:
    return check_structure(data, fmt, **kw).findings


def _ifd_offset(data: bytes) -> int:
    return struct.unpack_from("<I", data, 4)[0]


def _loop() -> bytes:
    first = b.build_tiff()
    return b.build_tiff(next_ifd=_ifd_offset(first))


def _jpeg_edit(edit: Callable[[bytearray, list], bytes | bytearray]) -> bytes:
    data = bytearray(b.jpeg())
    return bytes(edit(data, b.jpeg_segments(bytes(data))))


def _seg(segs: list, marker: int) -> tuple[int, int, int]:
    return next(s for s in segs if s[1] == marker)


def _without(data: bytearray, segs: list, marker: int) -> bytearray:
    out = bytearray(data)
    for off, _, length in sorted((s for s in segs if s[1] == marker), reverse=True):
        del out[off : off + 2 + length]
    return out


def _icc_seq(data: bytearray, segs: list) -> bytearray:
    off = _seg(segs, 0xE2)[0]
    data[off + 4 + 12] = 2  # chunk 2 of 1
    return data


def _exif_garbage(data: bytearray, segs: list) -> bytes:
    app1 = b"\xff\xe1" + struct.pack(">H", 2 + 6 + 10) + b"Exif\x00\x00" + b"NOTATIFF!!"
    off = _seg(segs, 0xE0)
    pos = off[0] + 2 + off[2]
    return bytes(data[:pos]) + app1 + bytes(data[pos:])


def _second_soi(data: bytearray, segs: list) -> bytes:
    off = _seg(segs, 0xE0)
    pos = off[0] + 2 + off[2]
    return bytes(data[:pos]) + b"\xff\xd8" + bytes(data[pos:])


def _junk(data: bytearray, segs: list) -> bytes:
    off = _seg(segs, 0xE0)
    pos = off[0] + 2 + off[2]
    return bytes(data[:pos]) + b"\x00\x01\x02" + bytes(data[pos:])


def _precision12(data: bytearray, segs: list) -> bytearray:
    data[_seg(segs, 0xC0)[0] + 4] = 12
    return data


def _png_edit(edit) -> bytes:
    return b.edit_png(b.png(), edit)


def _insert_before(chunks, name: bytes, new) -> None:
    i = next(k for k, c in enumerate(chunks) if c[0] == name)
    chunks.insert(i, new)


def _png_minimal(*extra_before_idat, ctype=2, plte=None, split_idat=False, after=()) -> bytes:
    chunks = [(b"IHDR", b.ihdr(ctype=ctype))]
    chunks += list(extra_before_idat)
    if plte is not None:
        chunks.append((b"PLTE", plte))
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[ctype]
    data = b.idat(channels=channels)
    if split_idat:
        chunks += [(b"IDAT", data[:5]), (b"tEXt", b"a\x00b"), (b"IDAT", data[5:])]
    else:
        chunks.append((b"IDAT", data))
    chunks += list(after)
    chunks.append((b"IEND", b""))
    return b.build_png(chunks)


def _flip_last(data: bytes) -> bytes:
    out = bytearray(data)
    out[-1] ^= 0xFF
    return bytes(out)


def _crashing(buf, ctx):
    raise RuntimeError("boom")


def _changed_file(tmp: Path, monkeypatch) -> list:
    """A file whose identity (size, mtime, inode) differs after the read: it changed."""
    path = tmp / "growing.tif"
    path.write_bytes(b.build_tiff())
    from specpub.media import _read

    real = _read.Identity.of
    calls = {"n": 0}

    def of(st):
        calls["n"] += 1
        ident = real(st)
        # the identity taken after the read sees a new modification time
        return (
            ident
            if calls["n"] == 1
            else _read.Identity(ident.size, ident.mtime_ns + 1, ident.inode)
        )

    monkeypatch.setattr(_read.Identity, "of", staticmethod(of))
    return validate_file(path, profile="structure").findings


#: finding id → function(tmp_path, monkeypatch) returning the findings of a fixture.
FIXTURES: dict[str, Callable] = {
    # -- files -------------------------------------------------------------------------
    "FILE-01": lambda t, m: _s("tiff", b""),
    "FILE-02": lambda t, m: validate_file(t, profile="structure").findings,
    "FILE-03": lambda t, m: validate_file(t / "missing.tif", profile="structure").findings,
    "FILE-04": _changed_file,
    "STR-00": lambda t, m: _s("gif", b"GIF89a" + bytes(20)),
    "STR-01": lambda t, m: (
        m.setitem(structure._REGISTRY, "crashy", _crashing),
        _s("crashy", b"x"),
    )[1],
    "STR-02": lambda t, m: _s("tiff", b.tiff(), decode=True, decode_limit=10),
    # -- TIFF --------------------------------------------------------------------------
    "TIF-01": lambda t, m: _s("tiff", b.build_tiff(header=b"II\x29\x00")),
    "TIF-02": lambda t, m: _s("tiff", b.build_tiff(first_ifd=5000)),
    "TIF-03": lambda t, m: _s("tiff", b.build_tiff()[:-20]),
    "TIF-04": lambda t, m: _s("tiff", b.build_tiff(b.base_entries()[::-1], sort=False)),
    "TIF-05": lambda t, m: _s(
        "tiff",
        b.build_tiff([*b.base_entries(), [305, 7, b"abcdefgh"]]).replace(
            b"\x31\x01\x07\x00", b"\x31\x01\x63\x00"
        ),
    ),
    "TIF-06": lambda t, m: _s("tiff", b.build_tiff(b.set_entry(b.base_entries(), 256, 4, [8, 8]))),
    "TIF-07": lambda t, m: _s(
        "tiff",
        b.build_tiff([*b.base_entries(), [305, 2, b"soft\x00"]], count_override={305: 100000}),
    ),
    "TIF-08": lambda t, m: _s("tiff", _loop()),
    "TIF-09": lambda t, m: _s("tiff", b.build_tiff([*b.base_entries(), [305, 2, b"scanner"]])),
    "TIF-10": lambda t, m: _s("tiff", b.build_tiff(b.drop(b.base_entries(), 262))),
    "TIF-11": lambda t, m: _s("tiff", b.build_tiff(b.drop(b.base_entries(), 279))),
    "TIF-12": lambda t, m: _s("tiff", b.tiff()[:-100]),
    "TIF-13": lambda t, m: _s(
        "tiff",
        b.build_tiff(
            b.set_entry(
                b.set_entry(b.set_entry(b.base_entries(), 273, 4, [8, 8]), 279, 4, [32, 32]),
                278,
                3,
                4,
            )
        ),
    ),
    "TIF-14": lambda t, m: _s(
        "tiff",
        b.build_tiff(
            [
                *b.drop(b.base_entries(), 273, 278, 279),
                [322, 3, 8],
                [323, 3, 8],
                [324, 4, b.DATA],
                [325, 4, 64],
            ]
        ),
    ),
    "TIF-15": lambda t, m: _s("tiff", b.build_tiff(b.set_entry(b.base_entries(), 262, 3, 2))),
    "TIF-16": lambda t, m: _s(
        "tiff", b.build_tiff([*b.base_entries(), [306, 2, b"2024-01-31 10:00:00\x00"]])
    ),
    "TIF-17": lambda t, m: _s(
        "tiff", b.build_tiff([*b.base_entries(), [700, 1, b"<x:xmpmeta><a></x:xmpmeta>"]])
    ),
    "TIF-18": lambda t, m: _s("tiff", b.build_tiff([*b.base_entries(), [34675, 7, bytes(200)]])),
    "TIF-19": lambda t, m: _s("tiff", _corrupt_deflate(), decode=True),
    "TIF-20": lambda t, m: _s("tiff", b.build_tiff(second_ifd=b.base_entries())),
    "TIF-21": lambda t, m: _s("tiff", b.build_tiff([*b.base_entries(), [34735, 3, [1, 1, 0, 0]]])),
    "TIF-22": lambda t, m: _s("tiff", b.build_tiff(odd_values=True)),
    "TIF-23": lambda t, m: _s("tiff", b.build_tiff(b.set_entry(b.base_entries(), 273, 4, 4))),
    "TIF-24": lambda t, m: _s("tiff", b.build_tiff(b.set_entry(b.base_entries(), 279, 4, 80))),
    "TIF-25": lambda t, m: _s("tiff", b.build_tiff(b.set_entry(b.base_entries(), 259, 3, 12345))),
    "TIF-26": lambda t, m: _s("tiff", b.build_tiff([*b.base_entries(), [254, 4, 256]])),
    # -- JPEG --------------------------------------------------------------------------
    "JPG-01": lambda t, m: _s("jpeg", b"\xff\xd8\x00" + b.jpeg()[3:]),
    "JPG-02": lambda t, m: _s("jpeg", _jpeg_edit(_junk)),
    "JPG-03": lambda t, m: _s("jpeg", bytes(_jpeg_edit(lambda d, s: _without(d, s, 0xDB)))),
    "JPG-04": lambda t, m: _s("jpeg", b.jpeg()[:-100]),
    "JPG-05": lambda t, m: _s("jpeg", b.jpeg() + b"trailing"),
    "JPG-06": lambda t, m: _s("jpeg", bytes(_jpeg_edit(lambda d, s: _without(d, s, 0xE0)))),
    "JPG-07": lambda t, m: _s("jpeg", bytes(_jpeg_edit(_icc_seq))),
    "JPG-09": lambda t, m: _s("jpeg", bytes(_jpeg_edit(_precision12)), decode=True),
    "JPG-10": lambda t, m: _s("jpeg", _jpeg_edit(_second_soi)),
    "JPG-11": lambda t, m: _s("jpeg", _jpeg_edit(_exif_garbage)),
    # -- PNG ---------------------------------------------------------------------------
    "PNG-01": lambda t, m: _s("png", b"\x89PNG\n\n\x1a\n" + b.png()[8:]),
    "PNG-02": lambda t, m: _s("png", _png_edit(lambda c: c.insert(0, (b"gAMA", bytes(4))))),
    "PNG-03": lambda t, m: _s(
        "png", b.build_png([(b"IHDR", b.ihdr(ctype=1)), (b"IDAT", b.idat()), (b"IEND", b"")])
    ),
    "PNG-04": lambda t, m: _s("png", _flip_last(b.png())),
    "PNG-05": lambda t, m: _s("png", _png_minimal(split_idat=True)),
    "PNG-06": lambda t, m: _s("png", _png_edit(lambda c: c.__setitem__(-1, (b"IEND", b"x")))),
    "PNG-07": lambda t, m: _s("png", _png_minimal(ctype=0, plte=bytes(6))),
    "PNG-08": lambda t, m: _s("png", _png_minimal(after=[(b"gAMA", bytes(4))])),
    "PNG-09": lambda t, m: _s(
        "png", _png_edit(lambda c: _insert_before(c, b"IDAT", (b"sRGB", b"\x00")))
    ),
    "PNG-10": lambda t, m: _s("png", _png_minimal((b"ABCD", b"x"))),
    "PNG-11": lambda t, m: _s(
        "png",
        b.build_png([(b"IHDR", b.ihdr()), (b"IDAT", b.idat(filter_type=9)), (b"IEND", b"")]),
        decode=True,
    ),
    "PNG-12": lambda t, m: _s("png", b.png()[:-30]),
    "PNG-13": lambda t, m: _s("png", b.png() + b"tail"),
    "PNG-14": lambda t, m: _s("png", _png_minimal((b"ab1d", b"x"))),
    "PNG-15": lambda t, m: _s("png", _png_minimal((b"pHYs", bytes(8)))),
    "PNG-16": lambda t, m: _s(
        "png", _png_minimal((b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00<x><y></x>"))
    ),
    # -- JPEG 2000 ----------------------------------------------------------------------
    "JP2-00": lambda t, m: _s("jp2", j.zero_resolution(j.jp2())),
    "JP2-01": lambda t, m: _s("jp2", j.jp2()[:11] + b"\x0b" + j.jp2()[12:]),
    "JP2-02": lambda t, m: _s("jp2", j.jp2().replace(b"ftypjp2 ", b"ftypjpx ", 1)),
    "JP2-03": lambda t, m: _s("jp2", j.jp2().replace(b"jp2h", b"jp2x", 1)),
    "JP2-04": lambda t, m: _s("jp2", _bad_box_length()),
    "JP2-05": lambda t, m: _s("jp2", j.jp2().replace(b"\xff\x4f\xff\x51", b"\xff\x4f\xff\x50", 1)),
    "JP2-06": lambda t, m: _s("jp2", _ihdr_height(j.jp2())),
    "JP2-07": lambda t, m: _s("jp2", _colr_meth2_no_icc(j.jp2())),
    "JP2-08": lambda t, m: _s(
        "jp2", j.add_to_header(j.jp2(), b"") + j.make_box(b"xml ", b"<a><b></a>")
    ),
    "JP2-11": lambda t, m: _s("jp2", j.starve_tile(j.jp2()), decode=True),
    "JP2-12": lambda t, m: _s("jp2", j.jp2()[:-1]),
}


def _corrupt_deflate() -> bytes:
    data = bytearray(b.tiff((64, 64), "uint8", compression="zlib", icc=None))
    # the compressed strip sits after the IFD (tifffile writes the IFD first)
    for i in range(len(data) - 200, len(data) - 100):
        data[i] ^= 0x5A
    return bytes(data)


def _bad_box_length() -> bytes:
    data = bytearray(j.jp2())
    c = j.box(data, b"ihdr")
    data[c : c + 4] = struct.pack(">I", 25)
    return bytes(data)


def _ihdr_height(data: bytes) -> bytes:
    p = bytearray(data)
    i = j.box(p, b"ihdr") + 8
    p[i : i + 4] = struct.pack(">I", 65)
    return bytes(p)


def _colr_meth2_no_icc(data: bytes) -> bytes:
    p = bytearray(data)
    c = j.box(p, b"colr") + 8
    p[c] = 2
    return bytes(p)


def test_every_finding_id_has_a_fixture():
    """The guard: a finding id that no fixture produces is dead (or untested) code."""
    assert set(FIXTURES) == set(catalogue.FINDING_TYPES), (
        "fixtures missing for "
        f"{sorted(set(catalogue.FINDING_TYPES) - set(FIXTURES))}, unknown ids "
        f"{sorted(set(FIXTURES) - set(catalogue.FINDING_TYPES))}"
    )


@pytest.mark.parametrize("finding_id", sorted(FIXTURES))
def test_fixture_produces_its_finding(finding_id, tmp_path, monkeypatch):
    findings = FIXTURES[finding_id](tmp_path, monkeypatch)
    ids = [f.id for f in findings]
    assert finding_id in ids, f"{finding_id} not in {ids}"
    found = next(f for f in findings if f.id == finding_id)
    assert found.message
    assert found.severity == catalogue.structural_severity(finding_id) or finding_id.startswith(
        "FILE"
    )
    PRODUCED.add(finding_id)


def test_guard_every_finding_id_was_produced():
    """Runs after the parametrised tests (same module, file order): all ids were seen."""
    missing = set(catalogue.FINDING_TYPES) - PRODUCED
    if len(PRODUCED) == 0:
        pytest.skip("run with the whole module (the parametrised tests fill PRODUCED)")
    assert not missing, f"finding ids never produced: {sorted(missing)}"


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("tiff", b.tiff()),
        ("tiff", b.pillow("TIFF", "RGB", compression="tiff_lzw")),
        ("tiff", b.tiff((16, 16), "uint8", icc=None, compression="zlib")),
        ("tiff", b.tiff((40, 40, 3), "uint8", tile=(16, 16))),
        ("bigtiff", b.tiff(bigtiff=True)),
        ("tiff", b.build_tiff()),
        ("tiff", b.build_tiff(bo=">")),
        ("jpeg", b.jpeg()),
        ("jpeg", b.jpeg(progressive=True)),
        ("png", b.png()),
        ("png", b.pillow("PNG", "I;16")),
        ("jp2", j.jp2()),
    ],
)
def test_valid_generated_files_have_no_failing_finding(fmt, data):
    result = check_structure(data, fmt, decode=True)
    assert result.verdict == "pass", [(f.id, f.message) for f in result.findings]


def test_jp2_sub_box_running_past_its_superbox_has_an_offset():
    data = bytearray(j.resolution(j.jp2(), 600))
    resc = j.box(data, b"resc")
    struct.pack_into(">I", data, resc, 40)  # longer than its 'res ' superbox
    finding = next(f for f in check_structure(bytes(data), "jp2").findings if f.id == "JP2-04")
    assert finding.offset == resc
    assert "past the end of the 'res ' box" in finding.message


def test_evidence_points_at_the_problem():
    data = b.tiff()
    findings = check_structure(data[:-100], "tiff").findings
    trunc = next(f for f in findings if f.id == "TIF-12")
    assert trunc.offset is not None
    assert 0 < trunc.offset < len(data)
    assert "StripOffsets" in trunc.where
    assert "missing" in trunc.message
    png = b.png()
    crc = next(f for f in check_structure(_flip_last(png), "png").findings if f.id == "PNG-04")
    assert crc.offset == len(png) - 4
    assert crc.where == "chunk IEND"
    jpg = check_structure(b.jpeg()[:-100], "jpeg").findings[0]
    assert jpg.id == "JPG-04"
    assert jpg.offset is not None
