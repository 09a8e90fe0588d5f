"""TIFF and BigTIFF structure: header, IFD chain, tags, strips and tiles (no pixel decoding).

An own walker over the bytes, after JHOVE's TIFF-hul and checkit_tiff
(``docs/preservation.md`` §1.4, ids ``TIF-01`` … ``TIF-26``): every offset is
checked against the file's size before it is followed, IFD chains are followed
with a visited set and a bound, and no value is read whose declared size is
beyond what the file can hold — a TIFF that declares a billion pages or a tag
with 2³² values costs what its bytes cost. tifffile provides the tag names and
compression codes and, with ``decode=True``, decodes every image (its logger is
captured: its warnings become findings).

Examples
--------
>>> import io, numpy, tifffile
>>> from specpub.preservation.structure import check_structure
>>> out = io.BytesIO()
>>> tifffile.imwrite(out, numpy.zeros((8, 8), "uint8"))
>>> good = out.getvalue()
>>> check_structure(good, "tiff").verdict
'pass'
>>> [f.id for f in check_structure(good[:-10], "tiff").findings]
['TIF-12']
"""

from __future__ import annotations

import logging
import math
import re
import struct
from dataclasses import dataclass, field
from typing import Any

from specpub.preservation._buffer import Buffer
from specpub.preservation._metadata import check_icc, check_xmp
from specpub.preservation.structure import Context

__all__ = ["validate_tiff"]

#: Field type → (struct code, size, name). 13 (IFD) is from the TIFF supplements;
#: 16–18 exist only in BigTIFF.
TYPES = {
    1: ("B", 1, "BYTE"),
    2: ("B", 1, "ASCII"),
    3: ("H", 2, "SHORT"),
    4: ("I", 4, "LONG"),
    5: ("I", 8, "RATIONAL"),
    6: ("b", 1, "SBYTE"),
    7: ("B", 1, "UNDEFINED"),
    8: ("h", 2, "SSHORT"),
    9: ("i", 4, "SLONG"),
    10: ("i", 8, "SRATIONAL"),
    11: ("f", 4, "FLOAT"),
    12: ("d", 8, "DOUBLE"),
    13: ("I", 4, "IFD"),
    16: ("Q", 8, "LONG8"),
    17: ("q", 8, "SLONG8"),
    18: ("Q", 8, "IFD8"),
}
_BIG_ONLY = {16, 17, 18}
_SHORT, _LONG, _RATIONAL, _ASCII, _UNDEF, _BYTE = 3, 4, 5, 2, 7, 1

#: Known tags: tag → (allowed types, count rule). Count rule: an int, "spp", or None.
_KNOWN: dict[int, tuple[frozenset[int], Any]] = {
    254: (frozenset({_LONG}), 1),
    255: (frozenset({_SHORT}), 1),
    256: (frozenset({_SHORT, _LONG}), 1),
    257: (frozenset({_SHORT, _LONG}), 1),
    258: (frozenset({_SHORT}), "spp"),
    259: (frozenset({_SHORT}), 1),
    262: (frozenset({_SHORT}), 1),
    266: (frozenset({_SHORT}), 1),
    269: (frozenset({_ASCII}), None),
    270: (frozenset({_ASCII}), None),
    271: (frozenset({_ASCII}), None),
    272: (frozenset({_ASCII}), None),
    273: (frozenset({_SHORT, _LONG, 16}), None),
    274: (frozenset({_SHORT}), 1),
    277: (frozenset({_SHORT}), 1),
    278: (frozenset({_SHORT, _LONG, 16}), 1),
    279: (frozenset({_SHORT, _LONG, 16}), None),
    282: (frozenset({_RATIONAL}), 1),
    283: (frozenset({_RATIONAL}), 1),
    284: (frozenset({_SHORT}), 1),
    296: (frozenset({_SHORT}), 1),
    305: (frozenset({_ASCII}), None),
    306: (frozenset({_ASCII}), 20),
    315: (frozenset({_ASCII}), None),
    317: (frozenset({_SHORT}), 1),
    320: (frozenset({_SHORT}), None),
    322: (frozenset({_SHORT, _LONG}), 1),
    323: (frozenset({_SHORT, _LONG}), 1),
    324: (frozenset({_SHORT, _LONG, 16}), None),
    325: (frozenset({_SHORT, _LONG, 16}), None),
    330: (frozenset({_LONG, 13, 16, 18}), None),
    338: (frozenset({_SHORT}), None),
    339: (frozenset({_SHORT}), "spp"),
    33432: (frozenset({_ASCII}), None),
    # Exif 2.3 §4.6.3: the Exif and GPS IFD pointers are LONG (LONG8/IFD8 in BigTIFF).
    34665: (frozenset({_LONG, 16, 18}), 1),
    34853: (frozenset({_LONG, 16, 18}), 1),
}
# Tags whose values must be inside the file and which this walker reads.
_EXIF_IFD, _GPS_IFD, _INTEROP_IFD, _SUBIFDS = 34665, 34853, 40965, 330
_XMP, _ICC, _DATETIME = 700, 34675, 306
_ASCII_SINGLE = {269, 270, 271, 272, 285, 305, 306, 315, 316, 33432}

MAX_IFDS = 10_000
MAX_ENTRIES_TOTAL = 2_000_000
MAX_VALUE_BYTES = 64 << 20  # never read more than this for one tag
_DATETIME_RE = re.compile(rb"^\d{4}:\d\d:\d\d \d\d:\d\d:\d\d$")


def _tag_name(code: int) -> str:
    try:
        from tifffile import TIFF

        return str(TIFF.TAGS.get(code, "") or "")
    except Exception:  # pragma: no cover - tifffile is a dependency
        return ""


def _known_compressions() -> frozenset[int]:
    try:
        import tifffile

        return frozenset(int(c) for c in tifffile.COMPRESSION)
    except Exception:  # pragma: no cover
        return frozenset({1, 2, 3, 4, 5, 6, 7, 8, 32773, 32946})


@dataclass
class Entry:
    """One IFD entry."""

    tag: int
    type: int
    count: int
    pos: int  # where the entry starts
    data_at: int  # where the value's bytes start (in the entry or at the offset)
    nbytes: int
    inline: bool
    bad: bool = False  # its value lies outside the file (TIF-07)


@dataclass
class Ifd:
    """One image file directory."""

    offset: int
    kind: str  # "main", "sub", "exif", "gps", "interop"
    index: int
    entries: dict[int, Entry] = field(default_factory=dict)
    end: int = 0

    @property
    def label(self) -> str:
        return f"IFD {self.index}" if self.kind == "main" else f"{self.kind} IFD"


class _Walker:
    def __init__(self, buf: Buffer, ctx: Context) -> None:
        self.buf = buf
        self.ctx = ctx
        self.bo = "<"
        self.big = False
        self.visited: set[int] = set()
        self.ifds: list[Ifd] = []
        self.entries_total = 0
        self.structure: list[tuple[int, int, str]] = []  # (start, end, label) of IFDs/values
        self.data: list[tuple[int, int, str]] = []  # strips and tiles

    # -- low level ----------------------------------------------------------------------
    def where(self, ifd: Ifd, tag: int | None = None) -> str:
        if tag is None:
            return ifd.label
        name = _tag_name(tag)
        return f"{ifd.label}, tag {tag}{' ' + name if name else ''}"

    def values(self, e: Entry, limit: int = MAX_VALUE_BYTES) -> list[Any] | None:
        """Numeric values of an entry (``None`` when unreadable or too large)."""
        if (
            e.bad
            or e.type not in TYPES
            or e.nbytes > limit
            or not self.buf.has(e.data_at, e.nbytes)
        ):
            return None
        code = TYPES[e.type][0]
        n = e.count * (2 if e.type in (5, 10) else 1)
        raw = self.buf.slice(e.data_at, e.nbytes)
        try:
            return list(struct.unpack_from(f"{self.bo}{n}{code}", raw, 0))
        except struct.error:
            return None

    def value(self, ifd: Ifd, tag: int, default: Any = None) -> Any:
        e = ifd.entries.get(tag)
        if e is None:
            return default
        vals = self.values(e)
        if not vals:
            return default
        if e.type in (5, 10):
            num, den = vals[0], vals[1]
            return (num, den)
        return vals[0]

    def raw(self, e: Entry, limit: int = MAX_VALUE_BYTES) -> bytes | None:
        if e.bad or e.nbytes > limit or not self.buf.has(e.data_at, e.nbytes):
            return None
        return self.buf.read(e.data_at, e.nbytes)

    # -- header and IFD chain -----------------------------------------------------------
    def header(self) -> int | None:
        buf, ctx = self.buf, self.ctx
        head = buf.read(0, 16)
        if head[:2] not in (b"II", b"MM"):
            ctx.add("TIF-01", "the byte-order mark is neither II nor MM", offset=0)
            return None
        self.bo = "<" if head[:2] == b"II" else ">"
        magic = buf.u16(2, self.bo)
        if magic == 43:
            self.big = True
            ctx.properties["bigtiff"] = True
            if buf.size < 16:
                ctx.add("TIF-01", f"the file ends at byte {buf.size}, inside the BigTIFF header")
                return None
            if buf.u16(4, self.bo) != 8 or buf.u16(6, self.bo) != 0:
                ctx.add(
                    "TIF-01",
                    "BigTIFF header: offset size must be 8 and the reserved field 0",
                    offset=4,
                )
                return None
            first = buf.u64(8, self.bo)
        elif magic == 42:
            ctx.properties["bigtiff"] = False
            if buf.size < 8:
                ctx.add("TIF-01", f"the file ends at byte {buf.size}, inside the TIFF header")
                return None
            first = buf.u32(4, self.bo)
        else:
            ctx.add(
                "TIF-01", f"the magic number is {magic}, not 42 (TIFF) or 43 (BigTIFF)", offset=2
            )
            return None
        return first

    def check_ifd_offset(self, offset: int, what: str, at: int) -> bool:
        ctx = self.ctx
        hdr = 16 if self.big else 8
        if offset == 0:
            ctx.add("TIF-02", f"{what} is 0: the file has no image directory", offset=at)
            return False
        if offset < hdr:
            ctx.add("TIF-02", f"{what} {offset} points into the header", offset=at)
            return False
        if offset >= self.buf.size:
            ctx.add(
                "TIF-02",
                f"{what} {offset} points past the end of the file ({self.buf.size} bytes)",
                offset=at,
            )
            return False
        if offset % 2:
            ctx.add("TIF-02", f"{what} {offset} is odd (IFDs must be word-aligned)", offset=at)
        return True

    def walk_chain(self, first: int) -> None:
        offset, at, index = first, (8 if self.big else 4), 0
        what = "the first IFD offset"
        if not offset:
            self.check_ifd_offset(0, what, at)
            return
        while offset:
            if not self.check_ifd_offset(offset, what, at):
                return
            if offset in self.visited:
                self.ctx.add(
                    "TIF-08",
                    f"the IFD chain loops back to offset {offset} (after {index} IFDs)",
                    offset=at,
                )
                return
            if index >= MAX_IFDS:
                self.ctx.add(
                    "TIF-08", f"more than {MAX_IFDS} IFDs in the chain: stopped", offset=at
                )
                return
            ifd = self.read_ifd(offset, "main", index)
            if ifd is None:
                return
            index += 1
            at = ifd.end - (8 if self.big else 4)
            nxt = self.buf.u64(at, self.bo) if self.big else self.buf.u32(at, self.bo)
            offset = nxt or 0
            what = f"the next-IFD offset of IFD {index - 1}"

    def read_ifd(self, offset: int, kind: str, index: int) -> Ifd | None:
        buf, ctx, bo = self.buf, self.ctx, self.bo
        self.visited.add(offset)
        n = buf.u64(offset, bo) if self.big else buf.u16(offset, bo)
        ifd = Ifd(offset, kind, index)
        if n is None:
            ctx.add(
                "TIF-03",
                "the IFD's entry count lies past the end of the file",
                offset=offset,
                where=ifd.label,
            )
            return None
        head, esize, tail = (8, 20, 8) if self.big else (2, 12, 4)
        end = offset + head + esize * n + tail
        ifd.end = end
        if n == 0:
            ctx.add("TIF-03", "the IFD has no entries", offset=offset, where=ifd.label)
        if end > buf.size:
            fit = max(0, (buf.size - offset - head) // esize)
            ctx.add(
                "TIF-03",
                f"the IFD declares {n} entries ({head + esize * n + tail} bytes) but the file "
                f"ends {end - buf.size} bytes too early",
                offset=offset,
                where=ifd.label,
            )
            n = min(n, fit)
            ifd.end = 0
        self.structure.append((offset, min(end, buf.size), ifd.label))
        prev = -1
        for i in range(n):
            if self.entries_total >= MAX_ENTRIES_TOTAL:
                ctx.add(
                    "TIF-03", f"more than {MAX_ENTRIES_TOTAL} IFD entries: stopped", offset=offset
                )
                break
            self.entries_total += 1
            pos = offset + head + esize * i
            if self.big:
                tag, typ, count = struct.unpack(f"{bo}HHQ", buf.read(pos, 12))
                inline_size, val_at = 8, pos + 12
            else:
                tag, typ, count = struct.unpack(f"{bo}HHI", buf.read(pos, 8))
                inline_size, val_at = 4, pos + 8
            if tag < prev:
                ctx.add(
                    "TIF-04",
                    f"tag {tag} comes after tag {prev} (tags must ascend)",
                    offset=pos,
                    where=self.where(ifd, tag),
                )
            elif tag == prev or tag in ifd.entries:
                ctx.add(
                    "TIF-04",
                    f"tag {tag} appears more than once",
                    offset=pos,
                    where=self.where(ifd, tag),
                )
                prev = max(prev, tag)
                continue
            prev = max(prev, tag)
            if typ not in TYPES or (typ in _BIG_ONLY and not self.big):
                ctx.add(
                    "TIF-05",
                    f"tag {tag} has the unknown field type {typ}; it is skipped",
                    offset=pos,
                    where=self.where(ifd, tag),
                )
                continue
            size = TYPES[typ][1] * count
            if size <= inline_size:
                entry = Entry(tag, typ, count, pos, val_at, size, True)
            else:
                data_at = buf.u64(val_at, bo) if self.big else buf.u32(val_at, bo)
                entry = Entry(tag, typ, count, pos, int(data_at or 0), size, False)
                if data_at is None or data_at + size > buf.size or data_at < 8:
                    ctx.add(
                        "TIF-07",
                        f"the value of tag {tag} ({count} × {TYPES[typ][2]}, {size} bytes at "
                        f"offset {data_at}) lies outside the file ({buf.size} bytes)",
                        offset=pos,
                        where=self.where(ifd, tag),
                    )
                    entry.bad = True
                    ifd.entries[tag] = entry
                    continue
                if data_at % 2:
                    ctx.add(
                        "TIF-22",
                        f"the value of tag {tag} starts at the odd offset {data_at}",
                        offset=pos,
                        where=self.where(ifd, tag),
                    )
                self.structure.append((data_at, data_at + size, self.where(ifd, tag)))
            ifd.entries[tag] = entry
        self.ifds.append(ifd)
        return ifd

    # -- entry checks -------------------------------------------------------------------
    def check_entries(self, ifd: Ifd) -> None:
        ctx = self.ctx
        spp = self.value(ifd, 277, 1) if ifd.kind in ("main", "sub") else None
        for tag, e in ifd.entries.items():
            where = self.where(ifd, tag)
            if e.count == 0:
                ctx.add("TIF-06", f"tag {tag} has a count of 0", offset=e.pos, where=where)
                continue
            if ifd.kind in ("main", "sub") and tag in _KNOWN:
                types, rule = _KNOWN[tag]
                if e.type not in types:
                    names = "/".join(TYPES[t][2] for t in sorted(types))
                    ctx.add(
                        "TIF-17" if tag in (_EXIF_IFD, _GPS_IFD) else "TIF-06",
                        f"tag {tag} has field type {TYPES[e.type][2]}, expected {names}",
                        offset=e.pos,
                        where=where,
                    )
                expected = spp if rule == "spp" else rule
                if isinstance(expected, int) and e.count != expected:
                    if tag == _DATETIME:
                        continue  # reported as TIF-16 with the value
                    ctx.add(
                        "TIF-06",
                        f"tag {tag} has {e.count} values, expected {expected}",
                        offset=e.pos,
                        where=where,
                    )
            if e.type == _ASCII and ifd.kind in ("main", "sub"):
                # TIFF fields only: cameras often pad Exif/GPS strings without a NUL
                self.check_ascii(ifd, e)

    def check_ascii(self, ifd: Ifd, e: Entry) -> None:
        raw = self.raw(e, 1 << 20)
        if raw is None:
            return
        where = self.where(ifd, e.tag)
        if not raw.endswith(b"\x00"):
            self.ctx.add(
                "TIF-09",
                f"the ASCII value of tag {e.tag} does not end with NUL",
                offset=e.data_at,
                where=where,
            )
        elif e.tag in _ASCII_SINGLE and b"\x00" in raw[:-1]:
            self.ctx.add(
                "TIF-09",
                f"the ASCII value of tag {e.tag} holds {raw[:-1].count(0)} NUL bytes before "
                "its end (a single string is expected)",
                offset=e.data_at,
                where=where,
            )

    # -- sub-IFDs ----------------------------------------------------------------------
    def follow_pointer(self, ifd: Ifd, tag: int, kind: str) -> None:
        e = ifd.entries.get(tag)
        if e is None:
            return
        where = self.where(ifd, tag)
        if e.type not in (_LONG, 13, 16, 18) or e.bad:
            return  # reported by check_entries
        offsets = self.values(e, 1 << 20) or []
        for k, off in enumerate(offsets[:1000]):
            label = kind if len(offsets) == 1 else f"{kind} {k}"
            if off == 0 or off < 8 or off >= self.buf.size:
                self.ctx.add(
                    "TIF-17" if tag != _SUBIFDS else "TIF-02",
                    f"tag {tag} points to offset {off}, which holds no IFD (file size "
                    f"{self.buf.size})",
                    offset=e.pos,
                    where=where,
                )
                continue
            if off % 2:
                self.ctx.add(
                    "TIF-17" if tag != _SUBIFDS else "TIF-02",
                    f"tag {tag} points to the odd offset {off}",
                    offset=e.pos,
                    where=where,
                )
            if off in self.visited:
                self.ctx.add(
                    "TIF-08",
                    f"tag {tag} points to an IFD already read ({off})",
                    offset=e.pos,
                    where=where,
                )
                continue
            if len(self.ifds) >= MAX_IFDS:
                return
            sub = self.read_ifd(off, label if kind != "sub" else "sub", len(self.ifds))
            if sub is None:
                continue
            if kind == "sub":
                sub.kind = "sub"
            self.check_entries(sub)
            if kind == "exif":
                self.follow_pointer(sub, _INTEROP_IFD, "interop")

    # -- image checks ------------------------------------------------------------------
    def check_image(self, ifd: Ifd) -> None:
        ctx, where = self.ctx, ifd.label
        has = ifd.entries.__contains__
        for tag, name in (
            (256, "ImageWidth"),
            (257, "ImageLength"),
            (262, "PhotometricInterpretation"),
        ):
            if not has(tag):
                ctx.add("TIF-10", f"{name} (tag {tag}) is missing", offset=ifd.offset, where=where)
        width = int(self.value(ifd, 256, 0) or 0)
        length = int(self.value(ifd, 257, 0) or 0)
        spp = int(self.value(ifd, 277, 1) or 1)
        bps_e = ifd.entries.get(258)
        bps = (self.values(bps_e, 1 << 16) if bps_e else None) or [1]
        planar = int(self.value(ifd, 284, 1) or 1)
        photometric = self.value(ifd, 262)
        compression = int(self.value(ifd, 259, 1) or 1)
        extra = ifd.entries.get(338)
        n_extra = extra.count if extra else 0
        self.check_photometric(ifd, photometric, spp, bps, n_extra)
        self.check_codes(ifd, compression, bps)
        self.check_subfile(ifd)
        dt = ifd.entries.get(_DATETIME)
        if dt is not None and dt.type == _ASCII:
            raw = self.raw(dt, 4096) or b""
            text = raw.rstrip(b"\x00")
            if not _DATETIME_RE.match(text):
                ctx.add(
                    "TIF-16",
                    f"DateTime is {text[:40].decode('latin-1')!r}, not YYYY:MM:DD HH:MM:SS",
                    offset=dt.data_at,
                    where=self.where(ifd, _DATETIME),
                )
        for tag, fid, what, check in (
            (_XMP, "TIF-17", "the XMP packet is not well-formed XML", check_xmp),
            (_ICC, "TIF-18", "the ICC profile is malformed", check_icc),
        ):
            entry = ifd.entries.get(tag)
            raw = self.raw(entry, 64 << 20) if entry is not None else None
            problem = check(raw) if raw is not None else ""
            if problem:
                ctx.add(fid, f"{what}: {problem}", offset=entry.data_at, where=self.where(ifd, tag))
        if width and length:
            self.check_layout(ifd, width, length, spp, bps, planar, compression)

    def check_photometric(self, ifd: Ifd, pi: Any, spp: int, bps: list[int], n_extra: int) -> None:
        ctx, where = self.ctx, self.where(ifd, 262)
        base = spp - n_extra
        if n_extra > spp:
            ctx.add(
                "TIF-15",
                f"ExtraSamples lists {n_extra} samples but SamplesPerPixel is {spp}",
                where=self.where(ifd, 338),
            )
        problem = ""
        if pi in (0, 1) and base != 1:
            problem = (
                f"PhotometricInterpretation {pi} (greyscale) needs 1 colour sample, has {base}"
            )
        elif pi == 2 and base < 3:
            problem = f"PhotometricInterpretation 2 (RGB) needs 3 colour samples, has {base}"
        elif pi == 3:
            if base != 1:
                problem = f"PhotometricInterpretation 3 (palette) needs 1 sample, has {base}"
            elif 320 not in ifd.entries:
                problem = "PhotometricInterpretation 3 (palette) without a ColorMap (320)"
            elif bps and bps[0] <= 16 and ifd.entries[320].count != 3 * (1 << bps[0]):
                problem = (
                    f"the ColorMap has {ifd.entries[320].count} values, expected "
                    f"{3 * (1 << bps[0])} for {bps[0]}-bit samples"
                )
        elif pi == 4 and (base != 1 or (bps and bps[0] != 1)):
            problem = "PhotometricInterpretation 4 (transparency mask) needs one 1-bit sample"
        elif pi == 6 and base != 3:
            problem = f"PhotometricInterpretation 6 (YCbCr) needs 3 samples, has {base}"
        elif pi in (8, 9, 10) and bps and bps[0] not in (8, 16):
            problem = f"PhotometricInterpretation {pi} (CIELab) needs 8 or 16 bits, has {bps[0]}"
        if pi is not None and pi != 3 and 320 in ifd.entries:
            problem = problem or (
                f"a ColorMap (320) is present but PhotometricInterpretation is "
                f"{pi}, not 3 (palette)"
            )
        if problem:
            ctx.add("TIF-15", problem, offset=ifd.offset, where=where)
        if len(set(bps)) > 1 and pi in (2, 6):
            ctx.add(
                "TIF-15",
                f"BitsPerSample differs between samples ({bps})",
                where=self.where(ifd, 258),
            )

    def check_codes(self, ifd: Ifd, compression: int, bps: list[int]) -> None:
        ctx = self.ctx
        if compression not in _known_compressions():
            ctx.add(
                "TIF-25",
                f"Compression {compression} is not a known TIFF compression",
                where=self.where(ifd, 259),
            )
        predictor = self.value(ifd, 317)
        if predictor is not None:
            fmt = int(self.value(ifd, 339, 1) or 1)
            if predictor not in (1, 2, 3, 34892, 34893, 34894, 34895):
                ctx.add(
                    "TIF-25", f"Predictor {predictor} is not defined", where=self.where(ifd, 317)
                )
            elif predictor == 3 and fmt != 3:
                ctx.add(
                    "TIF-25",
                    "Predictor 3 (floating point) on integer samples",
                    where=self.where(ifd, 317),
                )
            elif predictor != 1 and compression in (1, 7, 6, 2, 3, 4, 32773):
                ctx.add(
                    "TIF-25",
                    f"Predictor {predictor} with Compression {compression}, "
                    "which does not use a predictor",
                    where=self.where(ifd, 317),
                )

    def check_subfile(self, ifd: Ifd) -> None:
        nst = self.value(ifd, 254)
        if nst is not None and nst & ~0x1F:
            self.ctx.add(
                "TIF-26", f"NewSubfileType {nst} sets undefined bits", where=self.where(ifd, 254)
            )
        st = self.value(ifd, 255)
        if st is not None and st not in (1, 2, 3):
            self.ctx.add("TIF-26", f"SubfileType {st} is not 1, 2 or 3", where=self.where(ifd, 255))

    def check_layout(
        self,
        ifd: Ifd,
        width: int,
        length: int,
        spp: int,
        bps: list[int],
        planar: int,
        compression: int,
    ) -> None:
        ctx = self.ctx
        strips = 273 in ifd.entries
        tiles = 324 in ifd.entries
        planes = spp if planar == 2 else 1
        if strips and tiles:
            ctx.add(
                "TIF-11",
                "both strips (273) and tiles (324) are defined",
                offset=ifd.offset,
                where=ifd.label,
            )
            return
        if not strips and not tiles:
            ctx.add(
                "TIF-11",
                "neither StripOffsets (273) nor TileOffsets (324) is defined",
                offset=ifd.offset,
                where=ifd.label,
            )
            return
        if strips:
            off_tag, cnt_tag = 273, 279
            rps = int(self.value(ifd, 278, 2**32 - 1) or 2**32 - 1)
            if rps == 0:
                ctx.add("TIF-11", "RowsPerStrip is 0", where=self.where(ifd, 278))
                return
            expected = math.ceil(length / min(rps, length)) * planes
        else:
            off_tag, cnt_tag = 324, 325
            tw = int(self.value(ifd, 322, 0) or 0)
            tl = int(self.value(ifd, 323, 0) or 0)
            if not tw or not tl:
                ctx.add(
                    "TIF-11", "TileWidth (322) or TileLength (323) is missing or 0", where=ifd.label
                )
                return
            if tw % 16 or tl % 16:
                ctx.add(
                    "TIF-14",
                    f"tiles are {tw}×{tl}; TileWidth and TileLength must be multiples of 16",
                    where=self.where(ifd, 322),
                )
            expected = math.ceil(width / tw) * math.ceil(length / tl) * planes
        offs_e = ifd.entries[off_tag]
        cnts_e = ifd.entries.get(cnt_tag)
        kind = "strip" if strips else "tile"
        if cnts_e is None:
            ctx.add(
                "TIF-11",
                f"{_tag_name(off_tag)} without {_tag_name(cnt_tag)} ({cnt_tag})",
                where=self.where(ifd, off_tag),
            )
            return
        if offs_e.count != cnts_e.count:
            ctx.add(
                "TIF-11",
                f"{offs_e.count} {kind} offsets but {cnts_e.count} byte counts",
                where=self.where(ifd, cnt_tag),
            )
        if offs_e.count != expected:
            ctx.add(
                "TIF-11",
                f"{offs_e.count} {kind} offsets, expected {expected} for a {width}×{length} image",
                where=self.where(ifd, off_tag),
            )
        if offs_e.count > 4 * expected + 16:
            return  # absurd counts: do not read millions of bogus offsets
        offsets = self.values(offs_e)
        counts = self.values(cnts_e)
        if offsets is None or counts is None:
            return  # outside the file: already TIF-07
        n = min(len(offsets), len(counts))
        missing = 0
        first_bad = None
        for i in range(n):
            off, cnt = offsets[i], counts[i]
            if cnt == 0:
                continue
            if off < (16 if self.big else 8):
                ctx.add(
                    "TIF-23",
                    f"{kind} {i} has offset {off} (with {cnt} bytes)",
                    offset=offs_e.pos,
                    where=self.where(ifd, off_tag),
                )
                continue
            end = off + cnt
            if end > self.buf.size:
                missing = max(missing, end - self.buf.size)
                if first_bad is None:
                    first_bad = (i, off, cnt)
            self.data.append((off, min(end, max(off, self.buf.size)), f"{ifd.label} {kind} {i}"))
        if first_bad is not None:
            i, off, cnt = first_bad
            ctx.add(
                "TIF-12",
                f"{kind} {i} ({cnt} bytes at offset {off}) extends past the end of the file; "
                f"{missing} bytes of image data are missing — the file is truncated, copy or "
                "export it again",
                offset=off,
                where=self.where(ifd, off_tag),
            )
        if compression == 1 and strips and bps and not ctx.has("TIF-12"):
            self.check_uncompressed_counts(ifd, width, length, spp, bps, planar, counts)
        ctx.properties.setdefault("_data_ranges", 0)

    def check_uncompressed_counts(
        self,
        ifd: Ifd,
        width: int,
        length: int,
        spp: int,
        bps: list[int],
        planar: int,
        counts: list[int],
    ) -> None:
        rps = min(int(self.value(ifd, 278, 2**32 - 1) or length), length)
        bits = bps[0] if bps else 1
        row = math.ceil(width * bits * (1 if planar == 2 else spp) / 8)
        per_plane = math.ceil(length / rps)
        for i, cnt in enumerate(counts):
            k = i % per_plane
            rows = min(rps, length - k * rps)
            need = rows * row
            if 0 < cnt < need:
                self.ctx.add(
                    "TIF-11",
                    f"uncompressed strip {i} holds {cnt} bytes but its {rows} rows need {need}",
                    where=self.where(ifd, 279),
                )
                return

    def check_overlaps(self) -> None:
        """Strips, tiles, IFDs and tag values must not share bytes (one sweep, sorted)."""
        items = sorted(
            [(s, e, lab, True) for s, e, lab in self.data if e > s]
            + [(s, e, lab, False) for s, e, lab in self.structure if e > s]
        )
        last_data: tuple[int, int, str] | None = None
        last_struct: tuple[int, int, str] | None = None
        for start, end, label, is_data in items:
            for prev, prev_is_data in ((last_data, True), (last_struct, False)):
                if prev is None or start >= prev[1]:
                    continue
                span = f"bytes {start}–{min(end, prev[1]) - 1}"
                if is_data != prev_is_data:
                    self.ctx.add("TIF-24", f"{label} overlaps {prev[2]} ({span})", offset=start)
                else:
                    self.ctx.add(
                        "TIF-13",
                        f"{label} overlaps {prev[2]} ({span}): the same bytes are used twice",
                        offset=start,
                    )
            if is_data:
                if last_data is None or end > last_data[1]:
                    last_data = (start, end, label)
            elif last_struct is None or end > last_struct[1]:
                last_struct = (start, end, label)

    # -- properties --------------------------------------------------------------------
    def collect(self) -> None:
        props = self.ctx.properties
        mains = [i for i in self.ifds if i.kind == "main"]
        subs = [i for i in self.ifds if i.kind == "sub"]
        props["pages"] = len(mains)
        props["subifds"] = len(subs)
        full = 0
        reduced = 0
        for ifd in mains:
            nst = int(self.value(ifd, 254, 0) or 0)
            if nst & 1 or nst & 4:
                reduced += 1
            else:
                full += 1
        props["full_resolution_images"] = full
        props["reduced_images"] = reduced + len(subs)
        if len(mains) + len(subs) > 1:
            self.ctx.add(
                "TIF-20",
                f"{len(mains)} images in the IFD chain ({full} full "
                f"resolution) and {len(subs)} in SubIFDs",
            )
        if not mains:
            return
        ifd = mains[0]
        v = self.value
        bps_e = ifd.entries.get(258)
        spp = int(v(ifd, 277, 1) or 1)
        bps = (self.values(bps_e, 1 << 16) if bps_e else None) or [1]
        fmt_e = ifd.entries.get(339)
        sample_format = (self.values(fmt_e, 1 << 16) if fmt_e else None) or [1]
        extra_e = ifd.entries.get(338)
        extra = (self.values(extra_e, 1 << 16) if extra_e else None) or []
        props.update(
            width=v(ifd, 256),
            height=v(ifd, 257),
            samples_per_pixel=spp,
            bits_per_sample=[int(b) for b in bps],
            sample_format=[int(s) for s in sample_format],
            photometric=v(ifd, 262),
            compression=int(v(ifd, 259, 1) or 1),
            predictor=int(v(ifd, 317, 1) or 1),
            planar=int(v(ifd, 284, 1) or 1),
            orientation=v(ifd, 274),
            fill_order=v(ifd, 266),
            tiled=324 in ifd.entries,
            extra_samples=[int(x) for x in extra],
            new_subfile_type=int(v(ifd, 254, 0) or 0),
        )
        xr, yr = v(ifd, 282), v(ifd, 283)
        unit = v(ifd, 296)
        props["resolution_unit"] = {1: "none", 2: "inch", 3: "cm"}.get(unit or 2, str(unit))
        props["resolution_present"] = xr is not None and yr is not None
        if xr is not None and yr is not None:
            props["x_resolution"] = xr[0] / xr[1] if xr[1] else None
            props["y_resolution"] = yr[0] / yr[1] if yr[1] else None
        icc = ifd.entries.get(_ICC)
        props["icc"] = self.raw(icc, 64 << 20) if icc is not None else None
        xmp = ifd.entries.get(_XMP)
        props["xmp"] = self.raw(xmp, 64 << 20) if xmp is not None else None
        exif: dict[str, str] = {}
        for tag, key in (
            (271, "Make"),
            (272, "Model"),
            (305, "Software"),
            (306, "DateTime"),
            (315, "Artist"),
            (33432, "Copyright"),
        ):
            e = ifd.entries.get(tag)
            if e is not None and e.type == _ASCII:
                raw = self.raw(e, 1 << 16)
                if raw:
                    exif[key] = raw.split(b"\x00")[0].decode("utf-8", "replace").strip()
        for sub in self.ifds:
            if sub.kind == "exif":
                for tag, key in ((36867, "DateTimeOriginal"), (36868, "DateTimeDigitized")):
                    e = sub.entries.get(tag)
                    if e is not None and e.type == _ASCII:
                        raw = self.raw(e, 4096)
                        if raw:
                            exif[key] = raw.split(b"\x00")[0].decode("latin-1").strip()
        props["exif"] = exif
        profiles = []
        for tag, name in (
            (_EXIF_IFD, "Exif"),
            (34735, "GeoTIFF"),
            (37398, "TIFF/EP"),
            (50706, "DNG"),
        ):
            if tag in ifd.entries:
                profiles.append(name)
        props["tiff_profiles"] = profiles
        if profiles:
            self.ctx.add("TIF-21", f"TIFF profiles: {', '.join(profiles)}", where=ifd.label)


def validate_tiff(buf: Buffer, ctx: Context) -> None:
    """Validate a TIFF or BigTIFF (see the module docstring); findings go into ``ctx``."""
    w = _Walker(buf, ctx)
    first = w.header()
    if first is None:
        return
    w.walk_chain(first)
    if not w.ifds:
        return
    for ifd in list(w.ifds):
        w.check_entries(ifd)
        w.follow_pointer(ifd, _EXIF_IFD, "exif")
        w.follow_pointer(ifd, _GPS_IFD, "gps")
        w.follow_pointer(ifd, _SUBIFDS, "sub")
    for ifd in w.ifds:
        if ifd.kind in ("main", "sub"):
            w.check_image(ifd)
    w.check_overlaps()
    ctx.properties.pop("_data_ranges", None)
    w.collect()
    if ctx.decode:
        _decode(buf, ctx)


def _decode(buf: Buffer, ctx: Context) -> None:
    """Decode every image with tifffile; its exceptions and logged warnings are findings."""
    import tifffile

    from specpub.preservation._buffer import BufferIO

    props = ctx.properties
    w, h = props.get("width") or 0, props.get("height") or 0
    bits = sum(props.get("bits_per_sample") or [8])
    if w * h * max(bits, 1) // 8 > ctx.decode_limit:
        ctx.add(
            "STR-02",
            f"not decoded: {w}×{h} pixels exceed the decode limit "
            f"({ctx.decode_limit} bytes); raise decode_limit to check it",
        )
        return
    handler = _Collect()
    logger = logging.getLogger("tifffile")
    logger.addHandler(handler)
    needs_pillow = False
    try:
        with tifffile.TiffFile(BufferIO(buf)) as tf:
            for i, page in enumerate(tf.pages):
                if i >= 64:
                    break
                try:
                    page.asarray()
                except Exception as err:
                    if "imagecodecs" in str(err):
                        needs_pillow = True  # a codec tifffile lacks here: Pillow's libtiff
                        break
                    ctx.add(
                        "TIF-19",
                        f"image {i} does not decode: {type(err).__name__}: {str(err)[:200]}",
                        where=f"IFD {i}",
                    )
    except Exception as err:
        ctx.add("TIF-19", f"tifffile cannot read the file: {type(err).__name__}: {str(err)[:200]}")
    finally:
        logger.removeHandler(handler)
    if needs_pillow:
        from specpub.preservation._jpeg import decode_with_pillow

        decode_with_pillow(buf, ctx, "TIF-19", "TIFF")
    elif ctx.has("TIF-19"):
        for message in handler.messages[:5]:
            ctx.add("TIF-19", f"tifffile: {message[:200]}")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
