"""Generated image fixtures for the media-scan tests (every format and field the scan reads)."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pyexiv2
import tifffile
from PIL import Image

from specpub.media._icc import _demo_profile

ICC_ECI = _demo_profile("eciRGB v2")
ICC_GREY = _demo_profile("Gray Gamma 2.2", b"GRAY")


def rgb16(h: int = 24, w: int = 32) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 65535, (h, w, 3), dtype=np.uint16)


def tiff(
    path: Path,
    data: np.ndarray | None = None,
    *,
    compression: str | None = None,
    resolution: tuple[float, float] | None = (600, 600),
    unit: str = "INCH",
    icc: bytes | None = ICC_ECI,
    bigtiff: bool = False,
    tile: tuple[int, int] | None = None,
    pages: int = 1,
    extratags: list | None = None,
    planar: str | None = None,
    byteorder: str = "<",
) -> Path:
    data = rgb16() if data is None else data
    photometric = "rgb" if data.ndim == 3 and data.shape[-1] in (3, 4) else "minisblack"
    kwargs = {"iccprofile": icc} if icc else {}
    with tifffile.TiffWriter(path, bigtiff=bigtiff, byteorder=byteorder) as tw:
        for i in range(pages):
            tw.write(
                data,
                photometric=photometric,
                compression=compression,
                resolution=resolution if (resolution and i == 0) else None,
                resolutionunit=unit if (resolution and i == 0) else None,
                tile=tile,
                planarconfig=planar,
                extratags=extratags if i == 0 else None,
                metadata=None,
                **(kwargs if i == 0 else {}),
            )
    return path


def tiff_lzw(path: Path) -> Path:
    """An 8-bit LZW TIFF (Pillow's libtiff writer; tifffile needs imagecodecs for LZW)."""
    Image.new("RGB", (40, 30), (10, 200, 30)).save(
        path, "TIFF", compression="tiff_lzw", dpi=(400, 400)
    )
    return path


def dng(path: Path) -> Path:
    """A TIFF with DNGVersion 1.4 in IFD0 (a DNG as far as identification goes)."""
    tags = [(50706, "B", 4, (1, 4, 0, 0), True), (50708, "s", 0, "specpub camera", True)]
    return tiff(path, extratags=tags)


def with_metadata(data: bytes, *, exif=None, xmp=None, iptc=None) -> bytes:
    """The same image with Exif/XMP/IPTC written by exiv2."""
    with pyexiv2.ImageData(data) as img:
        if exif:
            img.modify_exif(exif)
        if xmp:
            img.modify_xmp(xmp)
        if iptc:
            img.modify_iptc(iptc)
        return img.get_bytes()


EXIF = {
    "Exif.Image.Make": "Phase One",
    "Exif.Image.Model": "IQ4 150MP",
    "Exif.Image.Software": "Capture One 23",
    "Exif.Image.DateTime": "2026:03:04 10:11:12",
    "Exif.Image.Artist": "Digitisation Team",
    "Exif.Image.Copyright": "Meise Botanic Garden",
    "Exif.Image.Orientation": "1",
    "Exif.Photo.DateTimeOriginal": "2026:03:04 09:08:07",
}
XMP = {
    "Xmp.dc.identifier": "BR0000013087944",
    "Xmp.dc.rights": "CC BY 4.0",
    "Xmp.xmpRights.UsageTerms": "Attribution required",
    "Xmp.xmpRights.WebStatement": "https://creativecommons.org/licenses/by/4.0/",
    "Xmp.xmp.CreateDate": "2026-03-04T09:08:07",
    "Xmp.iptc.CountryCode": "BE",
}
IPTC = {
    "Iptc.Application2.ObjectName": "BR0000013087944",
    "Iptc.Application2.Byline": ["S. De Smedt"],
    "Iptc.Application2.Copyright": "Meise Botanic Garden",
    "Iptc.Application2.Credit": "Meise",
}


def jpeg(
    path: Path,
    *,
    size: tuple[int, int] = (64, 48),
    mode: str = "RGB",
    dpi: tuple[int, int] | None = (300, 300),
    icc: bytes | None = None,
    progressive: bool = False,
    metadata: bool = False,
) -> Path:
    buf = io.BytesIO()
    kwargs = {}
    if dpi:
        kwargs["dpi"] = dpi
    if icc:
        kwargs["icc_profile"] = icc
    Image.new(mode, size, 128 if mode == "L" else (200, 100, 50)[: len(mode)]).save(
        buf, "JPEG", progressive=progressive, quality=90, **kwargs
    )
    data = buf.getvalue()
    if metadata:
        data = with_metadata(data, exif=EXIF, xmp=XMP, iptc=IPTC)
    path.write_bytes(data)
    return path


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png16(path: Path, *, w: int = 16, h: int = 8, ppm: int | None = 23622, icc=ICC_ECI) -> Path:
    """A 16-bit RGB PNG with pHYs (23622 px/m = 600 ppi) and an iCCP profile."""
    raw = b"".join(b"\x00" + bytes(range(w * 6)) for _ in range(h))
    parts = [b"\x89PNG\r\n\x1a\n", _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))]
    if icc:
        parts.append(_chunk(b"iCCP", b"eciRGB v2\x00\x00" + zlib.compress(icc)))
    if ppm:
        parts.append(_chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)))
    parts += [_chunk(b"IDAT", zlib.compress(raw)), _chunk(b"IEND", b"")]
    path.write_bytes(b"".join(parts))
    return path


def png(path: Path, mode: str = "RGBA", *, metadata: bool = False, dpi=(300, 300)) -> Path:
    buf = io.BytesIO()
    Image.new(mode, (20, 10)).save(buf, "PNG", dpi=dpi)
    data = buf.getvalue()
    if metadata:
        data = with_metadata(data, exif=EXIF, xmp=XMP)
    path.write_bytes(data)
    return path


def jp2(path: Path, *, lossless: bool = True, tile: tuple[int, int] | None = None) -> Path:
    Image.new("RGB", (48, 32), (1, 2, 3)).save(
        path, "JPEG2000", irreversible=not lossless, tile_size=tile, no_jp2=False
    )
    return path


def j2k(path: Path) -> Path:
    Image.new("L", (20, 10)).save(path, "JPEG2000", no_jp2=True)
    return path


def jp2_with_boxes(path: Path, *, brand: bytes = b"jp2 ", ppi: int = 600, icc=ICC_ECI) -> Path:
    """A JP2 whose header carries an ICC ``colr`` box and a capture resolution box."""
    buf = io.BytesIO()
    Image.new("RGB", (48, 32)).save(buf, "JPEG2000")
    data = buf.getvalue()
    codestream = data[data.index(b"jp2c") - 4 :]

    def box(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", 8 + len(body)) + kind + body

    ppm = round(ppi / 0.0254)
    resc = box(b"resc", struct.pack(">HHHHbb", ppm, 1, ppm, 1, 0, 0))
    ihdr = box(b"ihdr", struct.pack(">IIHBBBB", 32, 48, 3, 7, 7, 0, 0))
    colr = box(b"colr", b"\x02\x00\x00" + icc)
    jp2h = box(b"jp2h", ihdr + colr + box(b"res ", resc))
    ftyp = box(b"ftyp", brand + b"\x00\x00\x00\x00" + brand + b"jp2 ")
    path.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\n" + ftyp + jp2h + codestream)
    return path
