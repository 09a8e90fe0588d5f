"""JPEG 2000 structure through jpylyzer, the community's JP2 validator.

jpylyzer (openpreserve/jpylyzer, LGPL-3.0+, used unmodified as a library) runs
its box and codestream validation (143 named tests) over the bytes already in
memory. Each failed test becomes a finding, grouped under the ids of
``docs/preservation.md`` §1.4 (``JP2-01`` signature … ``JP2-08`` XML/comments,
``JP2-12`` truncation) with the test's path in jpylyzer's tree as evidence
(``where="jpylyzer: contiguousCodestreamBox/foundEOCMarker"``). The format
decides jpylyzer's mode: JP2 (and JPX/JPM, which then fail the JP2 brand tests),
JPH, raw codestreams as J2C (or JHC for ``.jhc`` files).

The properties the policy profiles read come from jpylyzer's output too: image
header, colour specification (METH, enumCS, the ICC profile's colour space and
description), capture/display resolution, COD transformation (5-3 reversible =
lossless) and the XMP packet of the XML box.

Examples
--------
>>> from specpub.preservation.structure import check_structure
>>> [f.id for f in check_structure(b"\\x00\\x00\\x00\\x0cjP  \\r\\n\\x87\\x0b", "jp2").findings][:1]
['JP2-01']
"""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
from typing import Any

from specpub.preservation._buffer import Buffer
from specpub.preservation.structure import Context

__all__ = ["jpylyzer_version", "validate_jp2"]

_OPTIONS = {"verboseFlag": False, "nullxmlFlag": False, "packetmarkersFlag": False}

_BY_TEST = {
    "JP2-01": {
        "firstBoxIsSignatureBox",
        "containsSignatureBox",
        "signatureIsValid",
        "noMoreThanOneSignatureBox",
    },
    "JP2-02": {
        "secondBoxIsFileTypeBox",
        "containsFileTypeBox",
        "brandIsValid",
        "minorVersionIsValid",
        "compatibilityListIsValid",
        "noMoreThanOneFileTypeBox",
    },
    "JP2-03": {
        "containsJP2HeaderBox",
        "containsContiguousCodestreamBox",
        "noMoreThanOneJP2HeaderBox",
        "containsImageHeaderBox",
        "containsColourSpecificationBox",
        "firstJP2HeaderBoxIsImageHeaderBox",
        "locationJP2HeaderBoxIsValid",
        "noMoreThanOneImageHeaderBox",
        "containsBitsPerComponentBox",
        "noMoreThanOneBitsPerComponentBox",
        "colourSpecificationBoxesAreContiguous",
        "paletteAndComponentMappingBoxesOnlyTogether",
        "noMoreThanOnePaletteBox",
        "noMoreThanOneComponentMappingBox",
        "noMoreThanOneChannelDefinitionBox",
        "noMoreThanOneResolutionBox",
        "noMoreThanOneCaptureResolutionBox",
        "noMoreThanOneDisplayResolutionBox",
        "containsCaptureOrDisplayResolutionBox",
        "containsOneListBox",
        "containsOneURLBox",
    },
    "JP2-04": {"boxLengthIsValid"},
    "JP2-06": {
        "heightConsistentWithSIZ",
        "widthConsistentWithSIZ",
        "nCConsistentWithSIZ",
        "bPCSignConsistentWithSIZ",
        "lsizConsistentWithCsiz",
    },
    "JP2-07": {
        "methIsValid",
        "enumCSIsValid",
        "iccSizeIsValid",
        "approxIsValid",
        "precIsValid",
        "iccNoLUTBasedProfile",
        "colPrimsIsValid",
        "transfCIsValid",
        "matCoeffsIsValid",
    },
    "JP2-08": {
        "containsWellformedXML",
        "commentIsValid",
        "locHasNullTerminator",
        "locIsUTF8",
        "rcomIsValid",
    },
    "JP2-12": {
        "foundEOCMarker",
        "foundExpectedNumberOfTileParts",
        "foundExpectedNumberOfTiles",
        "foundNextTilePartOrEOC",
    },
}
_ID_OF = {test: fid for fid, tests in _BY_TEST.items() for test in tests}
_TEXT_BOXES = {"xmlBox", "urlBox", "com"}


def jpylyzer_version() -> str:
    """The installed jpylyzer's version (recorded in the report's provenance).

    Examples
    --------
    >>> jpylyzer_version() != ""
    True
    """
    try:
        from importlib.metadata import version

        return version("jpylyzer")
    except Exception:  # pragma: no cover
        return "unknown"


def _mode(ctx: Context) -> tuple[str, str]:
    name = ctx.name.lower()
    if ctx.format == "jph":
        return "jph", "JP2"
    if ctx.format == "j2k":
        return ("jhc" if name.endswith(".jhc") else "j2c"), "contiguousCodestreamBox"
    return "jp2", "JP2"


def _failed(tests: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for child in tests:
        if len(child):
            out.extend(_failed(child, (*path, child.tag)))
        elif child.text == "False" or child.text is False:
            out.append((*path, child.tag))
    return out


def _finding_id(path: tuple[str, ...]) -> str:
    test = path[-1]
    if test in _ID_OF:
        return _ID_OF[test]
    if any(box in _TEXT_BOXES for box in path[:-1]):
        return "JP2-08"
    if (
        "contiguousCodestreamBox" in path[:-1]
        or "tilePart" in path[:-1]
        or path[:1] in (("siz",), ("cod",), ("qcd",))
    ):
        return "JP2-05"
    if "colourSpecificationBox" in path[:-1]:
        return "JP2-07"
    return "JP2-03"  # any other box-level test: the box structure


def _find(tree: Any, path: str) -> Any:
    node = tree.find(path)
    return None if node is None else node.text


#: Superboxes whose children the box walk checks (JP2 header, resolution, UUID info).
_SUPERBOXES = {b"jp2h", b"res ", b"uinf"}
_MAX_BOXES = 100_000


def walk_boxes(buf: Buffer, ctx: Context) -> None:
    """Check every box's length against its parent (the file, or a superbox), with offsets.

    jpylyzer checks the boxes it knows; this walk also catches a sub-box running past its
    superbox (a corrupted length inside ``jp2h``), and says where: ``JP2-04`` with the
    byte offset, or ``JP2-12`` when a top-level box runs past the end of the file
    (truncation).
    """
    stack = [(0, buf.size, "the file", 0)]
    seen = 0
    while stack:
        pos, end, parent, depth = stack.pop()
        while pos < end:
            seen += 1
            if seen > _MAX_BOXES:
                return
            if pos + 8 > end:
                ctx.add(
                    "JP2-12" if depth == 0 else "JP2-04",
                    f"{end - pos} bytes at the end of {parent} are too few for a box header",
                    offset=pos,
                    where=f"box in {parent}",
                )
                break
            length = buf.u32(pos, ">") or 0
            kind = buf.read(pos + 4, 4)
            text = kind.decode("latin-1")
            name = text if text.isascii() and text.isprintable() else "0x" + kind.hex()
            header = 8
            if length == 1:
                length = buf.u64(pos + 8, ">") or 0
                header = 16
            elif length == 0:
                length = end - pos  # the last box runs to the end
            if length < header:
                ctx.add(
                    "JP2-04",
                    f"the {name!r} box declares {length} bytes, less than its header",
                    offset=pos,
                    where=f"box {name}",
                )
                break
            if pos + length > end:
                truncated = depth == 0
                ctx.add(
                    "JP2-12" if truncated else "JP2-04",
                    f"the {name!r} box ({length} bytes at offset {pos}) runs "
                    f"{pos + length - end} bytes past the end of {parent}"
                    + (": the file is truncated" if truncated else ""),
                    offset=pos,
                    where=f"box {name}",
                )
                break
            if kind in _SUPERBOXES and depth < 4:
                stack.append((pos + header, pos + length, f"the {name!r} box", depth + 1))
            pos += length


def validate_jp2(buf: Buffer, ctx: Context) -> None:
    """Validate JPEG 2000 with jpylyzer (see the module docstring); findings go into ``ctx``."""
    from jpylyzer import boxvalidator

    mode, box = _mode(ctx)
    if box == "JP2":
        walk_boxes(buf, ctx)
    data = buf.view.obj if buf.view is not None and len(buf.view.obj) == buf.size else None
    if data is None or not isinstance(data, (bytes, bytearray)):
        data = buf.read(0, buf.size)
    options = {**_OPTIONS, "validationFormat": mode}
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):
            result = boxvalidator.BoxValidator(options, box, bytes(data)).validate()
    except Exception as err:
        ctx.add(
            "JP2-00",
            f"jpylyzer could not analyse the file ({type(err).__name__}: "
            f"{str(err)[:200]}); it is not a valid {mode.upper()}",
            where="jpylyzer",
        )
        return
    ctx.properties["jpylyzer_mode"] = mode
    ctx.properties["jpylyzer_valid"] = bool(result.isValid)
    for path in _failed(result.tests):
        fid = _finding_id(path)
        ctx.add(
            fid,
            f"jpylyzer test {path[-1]} failed ({mode.upper()} validation)",
            where="jpylyzer: " + "/".join(path),
        )
    if not result.isValid and not ctx.findings:
        ctx.add("JP2-13", f"jpylyzer judged the file not a valid {mode.upper()}", where="jpylyzer")
    _collect(result.characteristics, ctx, box == "JP2")
    if ctx.decode and not any(f.id == "JP2-12" for f in ctx.findings):
        from specpub.preservation._jpeg import decode_with_pillow

        decode_with_pillow(buf, ctx, "JP2-11", "JPEG2000")


def _collect(props_tree: Any, ctx: Context, boxed: bool) -> None:
    props = ctx.properties
    head = "jp2HeaderBox/imageHeaderBox/" if boxed else "siz/"
    cs = "contiguousCodestreamBox/" if boxed else ""
    width = _find(props_tree, head + ("width" if boxed else "xsiz"))
    height = _find(props_tree, head + ("height" if boxed else "ysiz"))
    n_comp = _find(props_tree, head + ("nC" if boxed else "csiz"))
    depth = _find(props_tree, head + "bPCDepth") if boxed else _find(props_tree, "siz/ssizDepth")
    try:
        comps = int(n_comp) if n_comp is not None else None
        props.update(
            width=int(width) if width is not None else None,
            height=int(height) if height is not None else None,
            samples_per_pixel=comps,
        )
        if depth is not None and comps:
            props["bits_per_sample"] = [int(depth)] * comps
    except (TypeError, ValueError):
        pass
    transformation = _find(props_tree, cs + "cod/transformation")
    if transformation is not None:
        props["jp2_transformation"] = (
            "5-3 reversible"
            if str(transformation) in ("1", "5-3 reversible")
            else "9-7 irreversible"
        )
    props["compression"] = "jpeg2000"
    colr = "jp2HeaderBox/colourSpecificationBox/"
    meth = _find(props_tree, colr + "meth")
    props["jp2_meth"] = None if meth is None else int(meth)
    enum_cs = _find(props_tree, colr + "enumCS")
    props["jp2_enumcs"] = None if enum_cs is None else int(enum_cs)
    icc_space = _find(props_tree, colr + "icc/colourSpace")
    if icc_space is not None:
        desc = _find(props_tree, colr + "icc/description") or b""
        props["icc_summary"] = {
            "colour_space": (
                icc_space.decode("latin-1") if isinstance(icc_space, bytes) else str(icc_space)
            ).strip(),
            "description": (desc.decode("latin-1") if isinstance(desc, bytes) else str(desc)).strip(
                "\x00 "
            ),
        }
    props["icc"] = None
    if props.get("jp2_enumcs") in (16, 18):
        props["colour"] = "rgb"
    elif props.get("jp2_enumcs") == 17 or props.get("samples_per_pixel") in (1, 2):
        props["colour"] = "gray"
    elif props.get("samples_per_pixel") in (3, 4):
        props["colour"] = "rgb"
    props["alpha"] = (props.get("samples_per_pixel") or 0) in (2, 4)
    res = "jp2HeaderBox/resolutionBox/"
    for kind, x, y in (
        ("captureResolutionBox", "hRescInPixelsPerInch", "vRescInPixelsPerInch"),
        ("displayResolutionBox", "hResdInPixelsPerInch", "vResdInPixelsPerInch"),
    ):
        hx = _find(props_tree, res + kind + "/" + x)
        vy = _find(props_tree, res + kind + "/" + y)
        if hx is not None and vy is not None:
            props.update(
                resolution_present=True,
                resolution_unit="inch",
                x_resolution=float(hx),
                y_resolution=float(vy),
            )
            break
    else:
        props["resolution_present"] = False
    xml_box = props_tree.find("xmlBox")
    if xml_box is not None and len(xml_box):
        props["xmp"] = ET.tostring(xml_box[0])
