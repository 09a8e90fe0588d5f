"""Per-file analysers, registered by name, that share the scan's single read of each file.

The media scan reads each file once (:mod:`specpub.media._read`): MD5 and
SHA-256 come from that read, and the same bytes are then handed to each
analyser the scan was asked to run, in order. An analyser is a function that
receives a :class:`ScanItem` and returns an :class:`AnalyserResult` (or a plain
dict of column values). Analysers register by name, the way papermill
registers engines and ``specpub.sandbox.faults`` registers fault profiles::

    from specpub.media.analysers import AnalyserResult, register_analyser

    @register_analyser("structure", columns={"structure_verdict": "string"})
    def structure(item):
        if item.family != "png":
            return AnalyserResult()
        ...
        return AnalyserResult(columns={"structure_verdict": "pass"},
                              findings=[{"id": "PNG-04", "severity": "fail",
                                         "message": "bad CRC in IDAT", "evidence": "offset 57"}])

and a scan runs it with ``scan(..., analysers=("facts", "structure"))``
(``specpub scan --analyser structure``). ``facts`` — identification, technical
facts, ICC, Exif/XMP/IPTC — is built in and always runs first.

Where results go
    ``columns`` become manifest columns (declare them at registration so every
    manifest has them, with their pandas dtype); ``findings`` are collected per
    file in the manifest's ``findings`` column (JSON) and in ``media/findings.csv``,
    each with the analyser's name; ``nested`` is stored per file in
    ``media/metadata.jsonl`` under the analyser's name.

Worker processes
    The scan runs on worker processes (or a Dask cluster): an analyser must be
    a module-level function in an importable module. Register it with its import
    path (``register_analyser("structure", "specpub.preservation.structure:analyse",
    columns=...)``) to have it imported lazily, in the worker, on first use. An
    analyser must never raise for a bad file: return a finding. (If it raises all
    the same, the scan records the exception as a ``MEDIA-ANALYSER`` finding of
    severity ``fail`` and carries on.)

Examples
--------
>>> sorted(ANALYSERS)[:1]
['facts']
>>> @register_analyser("demo-size", columns={"demo_kib": "Float64"}, replace=True)
... def demo_size(item):
...     return {"demo_kib": item.size / 1024}
>>> get_analyser("demo-size").columns
{'demo_kib': 'Float64'}
>>> unregister_analyser("demo-size")
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from specpub.errors import InputError

__all__ = [
    "ANALYSERS",
    "Analyser",
    "AnalyserResult",
    "ScanItem",
    "get_analyser",
    "register_analyser",
    "unregister_analyser",
]


@dataclass
class ScanItem:
    """What an analyser receives: one file, already read once.

    Attributes
    ----------
    path
        The file's path (as scanned).
    size
        Its size in bytes.
    identification
        :class:`specpub.preservation.identify.Identification` (format by signature).
    read
        The :class:`specpub.media._read.FileRead`: ``data`` (a ``memoryview`` of the whole
        file, or ``None`` for files above the scan's buffer limit), ``head``,
        ``read_at(offset, n)`` and ``open()`` (a seekable binary file object).
    columns
        The columns earlier analysers produced for this file (``facts`` first: width,
        height, compression … see :data:`specpub.media.manifest.MANIFEST_COLUMNS`).

    Examples
    --------
    >>> from specpub.preservation.identify import identify
    >>> item = ScanItem("/x.png", 8, identify(b"\\x89PNG\\r\\n\\x1a\\n"), None)
    >>> item.format, item.family, item.puid
    ('png', 'png', 'fmt/11')
    """

    path: str
    size: int
    identification: Any
    read: Any
    columns: dict[str, Any] = field(default_factory=dict)

    @property
    def format(self) -> str:
        """The format's short name (``tiff``, ``bigtiff``, ``jpeg``, ``png``, ``jp2`` …)."""
        return self.identification.format

    @property
    def family(self) -> str:
        """``tiff``, ``jpeg``, ``png``, ``jpeg2000`` … (see ``identify``)."""
        return self.identification.family

    @property
    def puid(self) -> str:
        """The PRONOM identifier (``""`` when there is none)."""
        return self.identification.puid

    @property
    def data(self) -> memoryview | None:
        """The whole file in memory, or ``None`` when it was streamed (see ``read``)."""
        return None if self.read is None else self.read.data

    def open(self) -> Any:
        """A seekable binary file object over the bytes already read."""
        return self.read.open()

    def read_at(self, offset: int, n: int) -> bytes:
        """Up to ``n`` bytes at ``offset`` (served from the read; short at the end)."""
        return self.read.read_at(offset, n)


@dataclass
class AnalyserResult:
    """What an analyser returns: manifest columns, findings, nested data.

    Findings are dicts with ``id`` (stable, e.g. ``TIF-12``), ``severity`` (``fail``,
    ``warn``, ``info``), ``message`` (what is wrong and what to do) and ``evidence``
    (byte offset, tag, marker, chunk…).

    Examples
    --------
    >>> AnalyserResult(columns={"a": 1}).findings
    []
    """

    columns: dict[str, Any] = field(default_factory=dict)
    findings: list[dict[str, Any]] = field(default_factory=list)
    nested: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Analyser:
    """A registered analyser: its name, function (or import path), declared columns.

    Examples
    --------
    >>> get_analyser("facts").name
    'facts'
    """

    name: str
    target: Callable[[ScanItem], Any] | str
    columns: Mapping[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def function(self) -> Callable[[ScanItem], Any]:
        """The callable, imported on first use when registered by import path."""
        if callable(self.target):
            return self.target
        module, _, attr = str(self.target).partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as err:
            raise InputError(
                f"the analyser {self.name!r} cannot be imported from {self.target!r} ({err})",
                fix="install the package that provides it, or run the scan without it",
            ) from err

    @property
    def spec(self) -> str:
        """``module:attr`` of the function (what worker processes import)."""
        if isinstance(self.target, str):
            return self.target
        return f"{self.target.__module__}:{self.target.__qualname__}"


#: The registry: name → :class:`Analyser`.
ANALYSERS: dict[str, Analyser] = {}


def register_analyser(
    name: str,
    target: Callable[[ScanItem], Any] | str | None = None,
    *,
    columns: Mapping[str, str] | None = None,
    description: str = "",
    replace: bool = False,
) -> Any:
    """Register an analyser under ``name`` (usable as a decorator).

    Parameters
    ----------
    name
        The name users pass in ``analysers=`` / ``--analyser``.
    target
        The function, or its import path ``"package.module:function"``.
    columns
        Manifest columns it fills, with their pandas dtype (``"string"``, ``"Int64"``,
        ``"Float64"``, ``"boolean"``).
    description
        One line for ``specpub scan --help`` and the docs.
    replace
        Allow replacing an existing registration.

    Examples
    --------
    >>> register_analyser("facts", lambda item: {})
    Traceback (most recent call last):
    ...
    ValueError: an analyser named 'facts' is already registered (pass replace=True)
    """

    def add(func: Callable[[ScanItem], Any] | str) -> Any:
        if name in ANALYSERS and not replace:
            raise ValueError(
                f"an analyser named {name!r} is already registered (pass replace=True)"
            )
        ANALYSERS[name] = Analyser(name, func, dict(columns or {}), description)
        return func

    return add if target is None else add(target)


def unregister_analyser(name: str) -> None:
    """Remove a registration (built-in ``facts`` cannot be removed).

    Examples
    --------
    >>> unregister_analyser("no-such-analyser")
    """
    if name != "facts":
        ANALYSERS.pop(name, None)


def get_analyser(name: str) -> Analyser:
    """The analyser registered as ``name``.

    Raises
    ------
    InputError
        No analyser of that name.

    Examples
    --------
    >>> get_analyser("nope")
    Traceback (most recent call last):
    ...
    specpub.errors.InputError: no analyser named 'nope'. Fix: use one of: facts...
    """
    try:
        return ANALYSERS[name]
    except KeyError:
        raise InputError(
            f"no analyser named {name!r}",
            fix=f"use one of: {', '.join(sorted(ANALYSERS))}",
        ) from None


def normalise_result(result: Any) -> AnalyserResult:
    """Accept an :class:`AnalyserResult`, a dict of columns, or ``None``."""
    if result is None:
        return AnalyserResult()
    if isinstance(result, AnalyserResult):
        return result
    if isinstance(result, Mapping):
        return AnalyserResult(columns=dict(result))
    raise TypeError(f"an analyser returned {type(result).__name__}, not an AnalyserResult")


register_analyser(
    "facts",
    "specpub.media._facts:facts",
    description="format by signature, technical facts, ICC, Exif/XMP/IPTC (always runs first)",
)
register_analyser(
    "structure",
    "specpub.preservation.structure:analyse",
    columns={"structure_verdict": "string", "well_formed": "boolean", "valid": "boolean"},
    description="structural validation per format (TIFF/JPEG/PNG/JP2), issue 10",
)
