"""Write demo image files: TIFF masters, JPEG access copies, PNG masks, broken files.

Masters follow the preservation rules of ``docs/preservation.md`` §2 (sRGB ICC
profile, 600 ppi resolution tags with an inch unit, 8 or 16 bits per sample,
uncompressed or LZW); the deliberately broken files violate exactly one of them.
No file holds the time of writing: timestamps come from the seed.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import tifffile
from PIL import Image, ImageCms

MAKE = "Demo Imaging"
MODEL = "HerbScan 600"
SOFTWARE = "specpub.demo"


#: Profile description of the embedded profile: the name preservation allowlists use.
ICC_DESCRIPTION = "sRGB IEC61966-2.1"


def _mluc(text: str) -> bytes:
    """An ICC v4 multiLocalizedUnicode tag holding ``text`` (en-US)."""
    body = text.encode("utf-16-be")
    header = b"mluc" + struct.pack(">III", 0, 1, 12)  # reserved, 1 record, 12 bytes each
    return header + struct.pack(">2s2sII", b"en", b"US", len(body), 28) + body


def _replace_tag(icc: bytes, signature: bytes, data: bytes) -> bytes:
    """Return ``icc`` with tag ``signature`` replaced, tag data re-laid out (4-byte aligned)."""
    count = struct.unpack(">I", icc[128:132])[0]
    entries = [struct.unpack(">4sII", icc[132 + 12 * i : 144 + 12 * i]) for i in range(count)]
    blobs: dict[tuple[int, int], bytes] = {}
    for sig, off, size in entries:
        blobs.setdefault((off, size), data if sig == signature else icc[off : off + size])
    position = 132 + 12 * count
    new_offset: dict[tuple[int, int], int] = {}
    body = bytearray()
    for key in sorted(blobs):
        pad = (-position) % 4
        body += b"\0" * pad
        position += pad
        new_offset[key] = position
        body += blobs[key]
        position += len(blobs[key])
    body += b"\0" * ((-position) % 4)
    table = struct.pack(">I", count) + b"".join(
        struct.pack(">4sII", sig, new_offset[(off, size)], len(blobs[(off, size)]))
        for sig, off, size in entries
    )
    out = bytearray(icc[:128]) + table + body
    out[0:4] = struct.pack(">I", len(out))
    return bytes(out)


@lru_cache(maxsize=1)
def srgb_icc() -> bytes:
    """The sRGB ICC profile embedded in every colour-managed demo image.

    Made by LittleCMS (``ImageCms.createProfile("sRGB")``), with two changes:
    the description is ``"sRGB IEC61966-2.1"`` (the name preservation
    allowlists use, instead of LittleCMS's ``"sRGB built-in"``), and the
    creation time in the header (bytes 24-35) is fixed, so that files are
    byte-identical between runs. The profile ID (bytes 84-99) stays zero,
    meaning "not computed".
    """
    data = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = bytearray(_replace_tag(data, b"desc", _mluc(ICC_DESCRIPTION)))
    data[24:36] = struct.pack(">6H", 2019, 1, 1, 0, 0, 0)
    return bytes(data)


@dataclass(frozen=True)
class ImageMeta:
    """Embedded metadata of one image."""

    title: str
    identifier: str
    rights: str
    artist: str
    datetime: str  # EXIF form 'YYYY:MM:DD HH:MM:SS'
    scientific_name: str
    institution: str
    license_url: str

    @property
    def copyright(self) -> str:
        """ASCII form for the TIFF/EXIF Copyright tag (which must be 7-bit)."""
        text = self.rights.replace("©", "(c)")
        return f"{text} ({self.license_url})".encode("ascii", "replace").decode("ascii")


def xmp_packet(meta: ImageMeta) -> bytes:
    """An XMP packet with Dublin Core, XMP rights and Darwin Core fields."""
    e = {k: escape(str(v)) for k, v in vars(meta).items()}
    iso = meta.datetime.replace(":", "-", 2).replace(" ", "T")
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        '  <rdf:Description rdf:about=""\n'
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"\n'
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"\n'
        '    xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/"\n'
        '    xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"\n'
        '    xmlns:dwc="http://rs.tdwg.org/dwc/terms/">\n'
        f'   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{e["title"]}</rdf:li>'
        "</rdf:Alt></dc:title>\n"
        f"   <dc:identifier>{e['identifier']}</dc:identifier>\n"
        f"   <dc:creator><rdf:Seq><rdf:li>{e['artist']}</rdf:li></rdf:Seq></dc:creator>\n"
        f'   <dc:rights><rdf:Alt><rdf:li xml:lang="x-default">{e["rights"]}</rdf:li>'
        "</rdf:Alt></dc:rights>\n"
        f"   <xmp:CreateDate>{escape(iso)}</xmp:CreateDate>\n"
        f"   <xmpRights:WebStatement>{e['license_url']}</xmpRights:WebStatement>\n"
        f'   <xmpRights:UsageTerms><rdf:Alt><rdf:li xml:lang="x-default">{e["license_url"]}'
        "</rdf:li></rdf:Alt></xmpRights:UsageTerms>\n"
        f"   <Iptc4xmpCore:Location>{e['institution']}</Iptc4xmpCore:Location>\n"
        f"   <dwc:catalogNumber>{e['identifier']}</dwc:catalogNumber>\n"
        f"   <dwc:scientificName>{e['scientific_name']}</dwc:scientificName>\n"
        f"   <dwc:institutionCode>{e['institution']}</dwc:institutionCode>\n"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return text.encode("utf-8")


def tiff_bytes(
    pixels: np.ndarray,
    *,
    compression: str,
    dpi: int,
    meta: ImageMeta,
    icc: bool = True,
) -> bytes:
    """Encode an RGB master as TIFF bytes.

    ``pixels`` is ``(h, w, 3)`` uint8 or uint16. Uncompressed files are written by
    tifffile (IFD first, like most scanner software); LZW needs libtiff, so
    8-bit LZW files are written by Pillow.
    """
    if compression == "lzw":
        if pixels.dtype != np.uint8:
            raise ValueError("LZW masters are written 8-bit only (tifffile needs imagecodecs)")
        buf = io.BytesIO()
        info = {
            271: MAKE,
            272: MODEL,
            305: SOFTWARE,
            306: meta.datetime,
            315: meta.artist,
            33432: meta.copyright,
            700: xmp_packet(meta),
        }
        kwargs = {"icc_profile": srgb_icc()} if icc else {}
        Image.fromarray(pixels, "RGB").save(
            buf, "TIFF", compression="tiff_lzw", dpi=(dpi, dpi), tiffinfo=info, **kwargs
        )
        return buf.getvalue()
    if compression != "none":
        raise ValueError(f"unknown compression {compression!r}")
    buf = io.BytesIO()
    xmp = xmp_packet(meta)
    extratags = [
        (271, "s", 0, MAKE, True),
        (272, "s", 0, MODEL, True),
        (315, "s", 0, meta.artist, True),
        (33432, "s", 0, meta.copyright, True),
        (700, "B", len(xmp), xmp, True),
    ]
    tifffile.imwrite(
        buf,
        pixels,
        photometric="rgb",
        compression=None,
        resolution=(dpi, dpi),
        resolutionunit="INCH",
        iccprofile=srgb_icc() if icc else None,
        software=SOFTWARE,
        datetime=meta.datetime,
        metadata=None,
        extratags=extratags,
    )
    return buf.getvalue()


def jpeg_bytes(image: Image.Image, *, dpi: int, meta: ImageMeta, quality: int = 88) -> bytes:
    """Encode an access copy: JPEG with EXIF, XMP and the sRGB ICC profile."""
    exif = Image.Exif()
    exif[271] = MAKE
    exif[272] = MODEL
    exif[305] = SOFTWARE
    exif[306] = meta.datetime
    exif[315] = meta.artist
    exif[33432] = meta.copyright
    exif[282] = float(dpi)
    exif[283] = float(dpi)
    exif[296] = 2
    sub = exif.get_ifd(0x8769)
    sub[36867] = meta.datetime  # DateTimeOriginal
    sub[36868] = meta.datetime  # DateTimeDigitized
    buf = io.BytesIO()
    image.save(
        buf,
        "JPEG",
        quality=quality,
        dpi=(dpi, dpi),
        exif=exif,
        xmp=xmp_packet(meta),
        icc_profile=srgb_icc(),
    )
    return buf.getvalue()


def png_bytes(image: Image.Image, *, dpi: int) -> bytes:
    """Encode a segmentation mask (or any image) as PNG with a pHYs chunk."""
    buf = io.BytesIO()
    image.save(buf, "PNG", dpi=(dpi, dpi))
    return buf.getvalue()


def to_16bit(pixels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Widen 8-bit pixels to 16 bits with seeded low-order detail (not just ×257)."""
    wide = pixels.astype(np.uint16) << 8
    return wide | rng.integers(0, 256, size=pixels.shape, dtype=np.uint16)


def write(path: Path, data: bytes) -> None:
    """Write bytes to ``path``, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
