"""JPEG structure: a marker walk from SOI to EOI (ISO/IEC 10918-1, JFIF, Exif).

Checks ``JPG-01`` … ``JPG-11`` of ``docs/preservation.md`` §1.4: the SOI
signature, every marker and segment length, the frame header (SOF), quantisation
and Huffman tables before the first scan, the entropy-coded data of every scan
up to the next marker, **EOI reached before the end of the file** (a JPEG cut
short in its scan data still opens in most viewers and still yields its
metadata: this is the truncation test), bytes after EOI, JFIF/Exif first, the
ICC profile's APP2 chunks (sequence complete, profile parses), and the Exif and
XMP blocks. The walk costs one pass over the bytes (a regular-expression search
through the entropy-coded data) and bounded work per segment.

Examples
--------
>>> import io
>>> from PIL import Image
>>> from specpub.preservation.structure import check_structure
>>> out = io.BytesIO(); Image.new("RGB", (16, 16)).save(out, "JPEG")
>>> good = out.getvalue()
>>> check_structure(good, "jpeg").verdict
'pass'
>>> [f.id for f in check_structure(good[:-40], "jpeg").findings]
['JPG-04']
>>> [f.id for f in check_structure(good + b"junk", "jpeg").findings]
['JPG-05']
"""

from __future__ import annotations

import re
import struct
import warnings

from specpub.preservation._buffer import Buffer
from specpub.preservation._metadata import check_icc, check_xmp, read_exif
from specpub.preservation.structure import Context

__all__ = ["MARKERS", "validate_jpeg"]

#: Marker byte → name.
MARKERS: dict[int, str] = {
    **{0xC0 + i: f"SOF{i}" for i in range(16) if i not in (4, 8, 12)},
    0xC4: "DHT",
    0xC8: "JPG",
    0xCC: "DAC",
    **{0xD0 + i: f"RST{i}" for i in range(8)},
    0xD8: "SOI",
    0xD9: "EOI",
    0xDA: "SOS",
    0xDB: "DQT",
    0xDC: "DNL",
    0xDD: "DRI",
    0xDE: "DHP",
    0xDF: "EXP",
    **{0xE0 + i: f"APP{i}" for i in range(16)},
    **{0xF0 + i: f"JPG{i}" for i in range(14)},
    0xFE: "COM",
    0x01: "TEM",
}
_SOF = {m for m, name in MARKERS.items() if name.startswith("SOF")}
_HUFFMAN_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7}
# The next marker after entropy-coded data: FF followed by neither 00 (stuffing),
# an RST marker, nor another FF (fill).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_MAX_SEGMENTS = 1_000_000


def _name(marker: int) -> str:
    return MARKERS.get(marker, f"0x{marker:02X}")


class _Walk:
    def __init__(self, buf: Buffer, ctx: Context) -> None:
        self.buf = buf
        self.ctx = ctx
        self.props = ctx.properties
        self.first_segment: str | None = None
        self.sof: int | None = None
        self.sof_count = 0
        self.dqt = 0
        self.dht = 0
        self.scans = 0
        self.icc_chunks: dict[int, tuple[int, bytes]] = {}
        self.icc_total: set[int] = set()
        self.icc_at: int | None = None
        self.meta_problems: list[str] = []

    def run(self) -> None:
        buf, ctx = self.buf, self.ctx
        if buf.read(0, 3) != b"\xff\xd8\xff":
            ctx.add(
                "JPG-01",
                f"the file starts with {buf.read(0, 3).hex(' ')}, not FF D8 FF (SOI)",
                offset=0,
            )
            return
        pos = 2
        for _ in range(_MAX_SEGMENTS):
            if pos >= buf.size:
                self.truncated(pos, "the file ends before the EOI marker")
                return
            if buf.u8(pos) != 0xFF:
                nxt = buf.search(_NEXT_MARKER, pos)
                junk = (nxt[0] if nxt else buf.size) - pos
                ctx.add(
                    "JPG-02",
                    f"{junk} bytes that are not a marker at offset {pos} (expected FF)",
                    offset=pos,
                )
                if nxt is None:
                    self.truncated(buf.size, "no marker follows the junk bytes")
                    return
                pos = nxt[0]
            while buf.u8(pos + 1) == 0xFF:  # fill bytes
                pos += 1
            marker = buf.u8(pos + 1)
            if marker is None:
                self.truncated(pos, "the file ends inside a marker")
                return
            name = _name(marker)
            if marker == 0xD9:
                self.eoi(pos)
                return
            if marker == 0xD8:
                ctx.add(
                    "JPG-10", "a second SOI marker inside the file", offset=pos, where="marker SOI"
                )
                pos += 2
                continue
            if marker == 0x01 or 0xD0 <= marker <= 0xD7:
                if marker != 0x01:
                    ctx.add(
                        "JPG-10",
                        f"{name} outside the entropy-coded data",
                        offset=pos,
                        where=f"marker {name}",
                    )
                pos += 2
                continue
            if marker == 0x00 or marker not in MARKERS:
                ctx.add("JPG-02", f"FF {marker:02X} is not a JPEG marker", offset=pos)
            length = buf.u16(pos + 2, ">")
            if length is None:
                self.truncated(pos, f"the file ends inside the {name} marker's length")
                return
            if length < 2:
                ctx.add(
                    "JPG-02",
                    f"the {name} segment declares a length of {length} (at least 2)",
                    offset=pos,
                    where=f"marker {name}",
                )
                pos += 4
                continue
            end = pos + 2 + length
            if end > buf.size:
                self.truncated(
                    pos,
                    f"the {name} segment ({length} bytes) runs past the end of the file",
                    where=f"marker {name}",
                )
                return
            if self.first_segment is None and marker != 0xFE:
                self.first_segment = name
                self.check_first(pos, marker)
            self.segment(pos, marker, length)
            pos = end
            if marker == 0xDA:
                nxt = buf.search(_NEXT_MARKER, pos)
                if nxt is None:
                    self.truncated(pos, f"scan {self.scans} runs to the end of the file")
                    return
                pos = nxt[0]
        ctx.add("JPG-02", f"more than {_MAX_SEGMENTS} segments: stopped", offset=pos)

    # -- events ------------------------------------------------------------------------
    def truncated(self, pos: int, why: str, where: str = "") -> None:
        self.ctx.add(
            "JPG-04",
            f"{why}: the JPEG is truncated (no EOI marker); copy or export it again",
            offset=pos,
            where=where or "EOI",
        )
        self.finish()

    def eoi(self, pos: int) -> None:
        after = self.buf.size - pos - 2
        if after > 0:
            self.ctx.add(
                "JPG-05",
                f"{after} bytes after the EOI marker (a second image, a thumbnail or junk)",
                offset=pos + 2,
                where="after EOI",
            )
        if self.scans == 0:
            self.ctx.add(
                "JPG-03",
                "EOI reached without any scan (SOS): the file holds no image",
                offset=pos,
                where="marker EOI",
            )
        self.finish()

    def check_first(self, pos: int, marker: int) -> None:
        head = self.buf.read(pos + 4, 6)
        if marker == 0xE0 and head[:5] == b"JFIF\x00":
            return
        if marker == 0xE1 and head == b"Exif\x00\x00":
            return
        self.ctx.add(
            "JPG-06",
            f"the first segment is {_name(marker)}, not JFIF APP0 or Exif APP1",
            offset=pos,
            where=f"marker {_name(marker)}",
        )

    def segment(self, pos: int, marker: int, length: int) -> None:
        body_at = pos + 4
        n = length - 2
        name = _name(marker)
        where = f"marker {name}"
        ctx = self.ctx
        if marker in _SOF:
            self.sof_count += 1
            if self.sof is not None and marker != 0xDE:
                ctx.add("JPG-10", f"a second frame header ({name})", offset=pos, where=where)
                return
            self.sof = marker
            body = self.buf.read(body_at, n)
            if len(body) < 6:
                ctx.add(
                    "JPG-03",
                    f"the {name} frame header is {len(body)} bytes long",
                    offset=pos,
                    where=where,
                )
                return
            precision, height, width, comps = struct.unpack_from(">BHHB", body, 0)
            if n != 6 + 3 * comps:
                ctx.add(
                    "JPG-03",
                    f"the {name} frame header is {n} bytes, expected "
                    f"{6 + 3 * comps} for {comps} components",
                    offset=pos,
                    where=where,
                )
            if width == 0 or comps == 0 or precision not in (2, 8, 12, 16):
                ctx.add(
                    "JPG-03",
                    f"the {name} frame header declares width {width}, "
                    f"{comps} components, {precision}-bit precision",
                    offset=pos,
                    where=where,
                )
            if height == 0:
                ctx.add(
                    "JPG-03",
                    f"the {name} frame header declares height 0 (a DNL marker "
                    "is needed, which few readers support)",
                    offset=pos,
                    where=where,
                )
            self.props.update(
                width=width,
                height=height,
                samples_per_pixel=comps,
                bits_per_sample=[precision] * comps,
                jpeg_process=name,
            )
        elif marker == 0xDB:
            self.dqt += 1
            self.check_tables(pos, n, where, "DQT")
        elif marker == 0xC4:
            self.dht += 1
            self.check_tables(pos, n, where, "DHT")
        elif marker == 0xDA:
            self.scans += 1
            if self.sof is None:
                ctx.add(
                    "JPG-10", "a scan (SOS) before any frame header (SOF)", offset=pos, where=where
                )
            elif self.scans == 1:
                if not self.dqt and self.sof not in (0xC3, 0xC7, 0xCB, 0xCF):
                    ctx.add(
                        "JPG-03",
                        "no quantisation table (DQT) before the first scan",
                        offset=pos,
                        where=where,
                    )
                if not self.dht and self.sof in _HUFFMAN_SOF:
                    ctx.add(
                        "JPG-03",
                        "no Huffman table (DHT) before the first scan",
                        offset=pos,
                        where=where,
                    )
            ns = self.buf.u8(body_at)
            if ns is None or n != 4 + 2 * ns:
                ctx.add(
                    "JPG-03",
                    f"the SOS header is {n} bytes, expected {4 + 2 * (ns or 0)}",
                    offset=pos,
                    where=where,
                )
        elif marker == 0xE0:
            self.app0(body_at, n)
        elif marker == 0xE1:
            self.app1(pos, body_at, n)
        elif marker == 0xE2:
            self.app2(pos, body_at, n)
        elif marker == 0xEE:
            body = self.buf.read(body_at, n)
            if body[:5] == b"Adobe" and len(body) >= 12:
                self.props["adobe_transform"] = body[11]

    def check_tables(self, pos: int, n: int, where: str, kind: str) -> None:
        body = self.buf.read(pos + 4, n)
        i = 0
        while i < len(body):
            if kind == "DQT":
                size = 1 + 64 * (2 if body[i] >> 4 else 1)
            elif i + 17 > len(body):
                size = len(body) + 1
            else:
                size = 17 + sum(body[i + 1 : i + 17])
            if i + size > len(body):
                self.ctx.add(
                    "JPG-03",
                    f"a {kind} table runs past the end of its segment",
                    offset=pos,
                    where=where,
                )
                return
            i += size

    def app0(self, at: int, n: int) -> None:
        body = self.buf.read(at, min(n, 16))
        if body[:5] == b"JFIF\x00" and len(body) >= 12:
            major, minor, units, xd, yd = struct.unpack_from(">BBBHH", body, 5)
            self.props["jfif"] = {
                "version": f"{major}.{minor:02d}",
                "units": units,
                "x_density": xd,
                "y_density": yd,
            }

    def app1(self, pos: int, at: int, n: int) -> None:
        head = self.buf.read(at, 29)
        if head[:6] == b"Exif\x00\x00":
            fields, problem = read_exif(self.buf.read(at + 6, n - 6))
            self.props.setdefault("exif", {}).update(fields)
            if problem:
                self.ctx.add(
                    "JPG-11", f"Exif block: {problem}", offset=pos, where="marker APP1 Exif"
                )
        elif head == b"http://ns.adobe.com/xap/1.0/\x00":
            raw = self.buf.read(at + 29, n - 29)
            self.props["xmp"] = raw
            problem = check_xmp(raw)
            if problem:
                self.ctx.add(
                    "JPG-11",
                    f"the XMP packet is not well-formed XML: {problem}",
                    offset=pos,
                    where="marker APP1 XMP",
                )

    def app2(self, pos: int, at: int, n: int) -> None:
        head = self.buf.read(at, 14)
        if head[:12] != b"ICC_PROFILE\x00" or len(head) < 14:
            return
        seq, total = head[12], head[13]
        self.icc_at = self.icc_at if self.icc_at is not None else pos
        self.icc_total.add(total)
        if seq in self.icc_chunks or seq == 0 or seq > total:
            self.ctx.add(
                "JPG-07",
                f"ICC chunk {seq} of {total} is repeated or out of range",
                offset=pos,
                where="marker APP2 ICC_PROFILE",
            )
            return
        self.icc_chunks[seq] = (pos, self.buf.read(at + 14, n - 14))

    def finish(self) -> None:
        props = self.props
        props.setdefault("compression", "jpeg")
        comps = props.get("samples_per_pixel")
        transform = props.get("adobe_transform")
        if comps == 1:
            props["colour"] = "gray"
        elif comps == 3:
            props["colour"] = "rgb"  # YCbCr-coded colour decodes to RGB
        elif comps == 4:
            props["colour"] = "cmyk" if transform in (None, 0) else "ycck"
        if self.icc_chunks or self.icc_total:
            total = max(self.icc_total) if self.icc_total else 0
            if len(self.icc_total) > 1 or sorted(self.icc_chunks) != list(range(1, total + 1)):
                self.ctx.add(
                    "JPG-07",
                    f"ICC profile chunks {sorted(self.icc_chunks)} of "
                    f"{sorted(self.icc_total)}: the sequence is incomplete",
                    offset=self.icc_at,
                    where="marker APP2 ICC_PROFILE",
                )
            else:
                icc = b"".join(self.icc_chunks[i][1] for i in range(1, total + 1))
                problem = check_icc(icc)
                if problem:
                    self.ctx.add(
                        "JPG-07",
                        f"the ICC profile is malformed: {problem}",
                        offset=self.icc_at,
                        where="marker APP2 ICC_PROFILE",
                    )
                props["icc"] = icc
        props.setdefault("icc", None)
        jfif = props.get("jfif")
        exif = props.get("exif") or {}
        if jfif and jfif["units"] in (1, 2):
            unit = "inch" if jfif["units"] == 1 else "cm"
            props.update(
                resolution_present=True,
                resolution_unit=unit,
                x_resolution=jfif["x_density"],
                y_resolution=jfif["y_density"],
            )
        elif exif.get("XResolution") and exif.get("YResolution"):
            unit = {1: "none", 2: "inch", 3: "cm"}.get(exif.get("ResolutionUnit", 2), "none")
            props.update(
                resolution_present=True,
                resolution_unit=unit,
                x_resolution=exif["XResolution"],
                y_resolution=exif["YResolution"],
            )
        else:
            props["resolution_present"] = False
        if exif.get("Orientation") is not None:
            props["orientation"] = exif["Orientation"]
        props["exif"] = exif


def validate_jpeg(buf: Buffer, ctx: Context) -> None:
    """Validate a JPEG (see the module docstring); findings go into ``ctx``."""
    _Walk(buf, ctx).run()
    if ctx.decode and not ctx.has("JPG-04"):
        decode_with_pillow(buf, ctx, "JPG-09", "JPEG")


def decode_with_pillow(buf: Buffer, ctx: Context, finding_id: str, fmt: str) -> None:
    """Decode the image fully with Pillow (truncated-image loading off); errors are findings."""
    from PIL import Image, ImageFile

    from specpub.preservation._buffer import BufferIO

    w = ctx.properties.get("width") or 0
    h = ctx.properties.get("height") or 0
    spp = ctx.properties.get("samples_per_pixel") or 4
    if w * h * spp * 2 > ctx.decode_limit:
        ctx.add(
            "STR-02",
            f"not decoded: {w}×{h} pixels exceed the decode limit "
            f"({ctx.decode_limit} bytes); raise decode_limit to check it",
        )
        return
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False  # never pad a truncated image silently
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(BufferIO(buf), formats=[fmt]) as im:
                for frame in range(min(getattr(im, "n_frames", 1), 64)):
                    im.seek(frame)
                    im.load()
    except Image.DecompressionBombError as err:
        ctx.add("STR-02", f"not decoded: {err}")
    except Exception as err:
        ctx.add(finding_id, f"the image does not decode: {type(err).__name__}: {str(err)[:200]}")
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before
