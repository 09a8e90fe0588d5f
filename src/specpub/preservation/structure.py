"""Structural validators, one per format, registered by format name.

A validator is a function ``validator(buf, ctx)`` over a file's bytes already in
memory (:class:`~specpub.preservation._buffer.Buffer`): it walks the format's
structure — TIFF IFDs, JPEG markers, PNG chunks, JP2 boxes — and reports what it
finds into the :class:`Context` (findings with a stable id and evidence, and the
technical *properties* that the policy profiles judge: bit depth, colour,
compression, resolution, ICC profile …). Validators never open files, never
raise for a bad file, and bound every loop and allocation by the file's size,
so a hostile file costs at most a read of it.

They register by format name (the names of
:mod:`specpub.preservation.identify`), the way
:mod:`specpub.sandbox.faults` registers fault profiles::

    @register_validator("gif")
    def gif(buf, ctx): ...

Built in: ``tiff``, ``bigtiff``, ``dng``, ``tiff-ep`` (one TIFF walker), ``jpeg``,
``png``, ``apng``, ``jp2``, ``jpx``, ``jpm``, ``jph``, ``j2k`` (jpylyzer).

Examples
--------
>>> result = check_structure(b"\\x89PNG\\r\\n\\x1a\\n", "png")
>>> [f.id for f in result.findings]
['PNG-12']
>>> result.verdict
'fail'
>>> sorted(validators())[:3]
['apng', 'bigtiff', 'dng']
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from specpub.errors import InputError
from specpub.preservation._buffer import Buffer
from specpub.preservation.findings import (
    FINDING_TYPES,
    Finding,
    structural_severity,
    worst,
)

__all__ = [
    "Context",
    "StructureResult",
    "check_structure",
    "get_validator",
    "register_validator",
    "validators",
]

#: At most this many findings of one id are kept per file (the rest are counted).
MAX_FINDINGS_PER_ID = 20


@dataclass
class Context:
    """What a validator reports into: findings, properties, and the options of the run.

    Attributes
    ----------
    format
        The identified format's short name.
    name
        The file's name (for messages; may be ``""``).
    decode
        Whether to decode the pixel data fully (slow, optional).
    findings
        The findings so far.
    properties
        Technical facts for the policy profiles (see :mod:`specpub.preservation.policy`).

    Examples
    --------
    >>> ctx = Context("tiff")
    >>> ctx.add("TIF-01", "no TIFF header", offset=0)
    >>> ctx.findings[0].severity
    'fail'
    """

    format: str
    name: str = ""
    decode: bool = False
    decode_limit: int = 4 << 30
    findings: list[Finding] = field(default_factory=list)
    properties: dict[str, Any] = field(default_factory=dict)
    _counts: Counter = field(default_factory=Counter, repr=False)

    def add(
        self, finding_id: str, message: str, *, offset: int | None = None, where: str = ""
    ) -> None:
        """Record a structural finding (its severity comes from its tier)."""
        if finding_id not in FINDING_TYPES:  # a programming error, caught by the tests
            raise KeyError(f"unknown finding id {finding_id!r}")
        self._counts[finding_id] += 1
        if self._counts[finding_id] > MAX_FINDINGS_PER_ID:
            return
        self.findings.append(
            Finding(
                finding_id,
                structural_severity(finding_id),
                message,
                offset=offset,
                where=where,
                rule=FINDING_TYPES[finding_id].rule,
            )
        )

    def has(self, finding_id: str) -> bool:
        """Whether a finding with this id was recorded."""
        return self._counts[finding_id] > 0

    def finish(self) -> None:
        """Add a note to the last kept finding of each id whose repeats were dropped."""
        for fid, n in self._counts.items():
            if n > MAX_FINDINGS_PER_ID:
                self.findings.append(
                    Finding(
                        fid,
                        structural_severity(fid),
                        f"… and {n - MAX_FINDINGS_PER_ID} more {fid} findings in this file",
                        rule=FINDING_TYPES[fid].rule,
                    )
                )


@dataclass
class StructureResult:
    """The structural verdict on one file.

    Attributes
    ----------
    format
        The format the file was validated as.
    findings
        Structural findings (severity from their tier: not-well-formed and invalid
        are ``fail``).
    properties
        Technical facts read from the structure.

    Examples
    --------
    >>> r = StructureResult("png", [], {})
    >>> r.verdict, r.well_formed, r.valid
    ('pass', True, True)
    """

    format: str
    findings: list[Finding]
    properties: dict[str, Any]

    @property
    def verdict(self) -> str:
        """``pass``, ``warn`` or ``fail`` from the structural findings alone."""
        sev = worst(f.severity for f in self.findings)
        return "pass" if sev == "info" else sev

    @property
    def well_formed(self) -> bool:
        """No not-well-formed finding (JHOVE's first tier)."""
        return not any(FINDING_TYPES[f.id].tier == "nwf" for f in self.findings)

    @property
    def valid(self) -> bool:
        """Well-formed and no invalid finding (JHOVE's second tier)."""
        return self.well_formed and not any(
            FINDING_TYPES[f.id].tier == "inv" for f in self.findings
        )


Validator = Callable[[Buffer, Context], None]

_REGISTRY: dict[str, Validator | str] = {}


def register_validator(
    fmt: str, target: Validator | str | None = None, *, replace: bool = False
) -> Any:
    """Register a structural validator for format ``fmt`` (usable as a decorator).

    Parameters
    ----------
    fmt
        A format short name as :func:`specpub.preservation.identify.identify` returns it.
    target
        The function ``validator(buf, ctx)``, or its import path ``"module:function"``
        (imported on first use).
    replace
        Allow replacing an existing registration.

    Examples
    --------
    >>> register_validator("tiff", lambda buf, ctx: None)
    Traceback (most recent call last):
    ...
    ValueError: a validator for 'tiff' is already registered (pass replace=True)
    """

    def add(func: Validator | str) -> Any:
        if fmt in _REGISTRY and not replace:
            raise ValueError(f"a validator for {fmt!r} is already registered (pass replace=True)")
        _REGISTRY[fmt] = func
        return func

    return add if target is None else add(target)


def validators() -> dict[str, str]:
    """Format → the validator's import path.

    Examples
    --------
    >>> validators()["png"]
    'specpub.preservation._png:validate_png'
    """
    return {
        k: v if isinstance(v, str) else f"{v.__module__}:{v.__qualname__}"
        for k, v in _REGISTRY.items()
    }


def get_validator(fmt: str) -> Validator | None:
    """The validator registered for ``fmt`` (``None`` when there is none).

    Examples
    --------
    >>> get_validator("gif") is None
    True
    """
    target = _REGISTRY.get(fmt)
    if target is None or callable(target):
        return target
    module, _, attr = target.partition(":")
    try:
        func = getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise InputError(
            f"the validator for {fmt!r} cannot be imported from {target!r} ({err})",
            fix="reinstall specpub (make venv), or register another validator",
        ) from err
    _REGISTRY[fmt] = func
    return func


def check_structure(
    data: Any,
    fmt: str,
    *,
    size: int | None = None,
    name: str = "",
    decode: bool = False,
    decode_limit: int = 4 << 30,
) -> StructureResult:
    """Validate the structure of one file's bytes as format ``fmt``.

    Parameters
    ----------
    data
        The whole file: ``bytes``, ``bytearray``, ``memoryview``, ``mmap``, or a reader
        with ``size`` and ``read_at(offset, n)``.
    fmt
        The format, as identified by signature (``tiff``, ``jpeg``, ``png``, ``jp2`` …).
    size
        The file's size (checked against ``data``).
    name
        The file name, for messages.
    decode
        Also decode the pixel data (truncated-image loading off).
    decode_limit
        Decode only images whose decoded size is at most this many bytes.

    Returns
    -------
    StructureResult

    Examples
    --------
    >>> r = check_structure(b"\\xff\\xd8\\xff\\xe0\\x00\\x10JFIF\\x00\\x01\\x01", "jpeg")
    >>> [f.id for f in r.findings]
    ['JPG-04']
    >>> check_structure(b"GIF89a", "gif").findings[0].id
    'STR-00'
    """
    buf = Buffer(data, size)
    ctx = Context(fmt, name=name, decode=decode, decode_limit=decode_limit)
    if buf.size == 0:
        ctx.add("FILE-01", "the file is empty (0 bytes); export or copy it again", offset=0)
        return StructureResult(fmt, ctx.findings, ctx.properties)
    validator = get_validator(fmt)
    if validator is None:
        ctx.add(
            "STR-00",
            f"specpub has no structural validator for the format {fmt!r}; its structure "
            "was not checked",
        )
        return StructureResult(fmt, ctx.findings, ctx.properties)
    try:
        validator(buf, ctx)
    except Exception as err:  # a validator bug must not lose the file's other findings
        ctx.add(
            "STR-01",
            f"the {fmt} validator stopped with an internal error ({type(err).__name__}: "
            f"{err}); the file's structure could not be fully checked — please report it",
        )
    ctx.finish()
    return StructureResult(fmt, ctx.findings, ctx.properties)


_JPEG2000 = ("jp2", "jpx", "jpm", "jph", "j2k")
for _fmt in ("tiff", "bigtiff", "dng", "tiff-ep"):
    register_validator(_fmt, "specpub.preservation._tiff:validate_tiff")
register_validator("jpeg", "specpub.preservation._jpeg:validate_jpeg")
for _fmt in ("png", "apng"):
    register_validator(_fmt, "specpub.preservation._png:validate_png")
for _fmt in _JPEG2000:
    register_validator(_fmt, "specpub.preservation._jp2:validate_jp2")


# -- the media scan's analyser ------------------------------------------------------------

#: Manifest columns the ``structure`` analyser fills (name → pandas dtype).
ANALYSER_COLUMNS = {
    "structure_verdict": "string",
    "well_formed": "boolean",
    "valid": "boolean",
}


def portable(properties: dict[str, Any]) -> dict[str, Any]:
    """The properties with embedded blocks replaced by summaries (JSON-ready).

    The ICC profile becomes ``icc_summary`` (colour space, description, size, what is
    malformed), the XMP packet its parsed fields (``_xmp_fields``): what the policy
    rules need, so that a profile can judge a file later without reading it again.

    Examples
    --------
    >>> portable({"icc": None, "xmp": None, "width": 3})
    {'width': 3}
    """
    from specpub.preservation._metadata import check_icc, icc_info, xmp_fields

    out: dict[str, Any] = {}
    for key, value in properties.items():
        if key == "icc":
            if value is not None:
                summary = icc_info(value) or {}
                summary["size"] = len(value)
                summary["problem"] = check_icc(value)
                out["icc_summary"] = {**summary, **(properties.get("icc_summary") or {})}
        elif key == "xmp":
            if value is not None:
                out["_xmp_fields"] = xmp_fields(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            continue
        elif isinstance(value, tuple):
            out[key] = list(value)
        else:
            out[key] = value
    return out


def analyse(item: Any) -> Any:
    """The media scan's ``structure`` analyser: structural checks on the scan's single read.

    Registered as ``structure`` (``specpub scan --analyser structure``); the scan hands it
    a :class:`specpub.media.analysers.ScanItem` whose bytes were read once for fixity.
    Findings go to the manifest; the portable properties and findings go to
    ``media/metadata.jsonl`` under ``structure``, from which ``specpub validate
    --workspace`` judges each file under any profile without reading it again.
    """
    from specpub.media.analysers import AnalyserResult

    source = item.read if item.read is not None else item.data
    result = check_structure(
        source, item.format, size=item.size, name=str(item.path).rsplit("/", 1)[-1]
    )
    findings = [
        {
            **f.as_dict(),
            "evidence": " ".join(
                x for x in (f.where, f"offset {f.offset}" if f.offset is not None else "") if x
            ),
        }
        for f in result.findings
    ]
    return AnalyserResult(
        columns={
            "structure_verdict": result.verdict,
            "well_formed": result.well_formed,
            "valid": result.valid,
        },
        findings=findings,
        nested={
            "format": result.format,
            "properties": portable(result.properties),
            "findings": [f.as_dict() for f in result.findings],
        },
    )
