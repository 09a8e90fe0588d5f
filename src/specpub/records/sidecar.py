"""The JSON-LD sidecar: a specimen's full Darwin Core row, uploaded with its images.

Zenodo's custom fields hold only a whitelist of terms; everything else a
label says (the collector's number, remarks, verbatim coordinates, …) would
be lost on the way to the DOI. The sidecar carries **every column of the
row, exactly as the table gave it**, as JSON-LD with the Darwin Core, Dublin
Core and Audubon Core contexts (columns that map to no term keep their own
name under ``col:``), plus what specpub did: the values it published
differently (each correction with the original) and the record's files with
their Audubon Core facts (format, dimensions, capture device and date, SHA-256).
It is uploaded as one more file of the record, so its checksum is in the
ledger like any other file's, as the ICEDIG pilot did by hand.

The content is deterministic (no time stamps): building the records again
gives the same bytes, so planning again changes nothing.

Examples
--------
>>> import json, tempfile, pathlib
>>> from specpub.records.model import Record
>>> writer = SidecarWriter(pathlib.Path(tempfile.mkdtemp()), source="icedig.csv")
>>> rec = Record(catalog_number="BR1", row=2)
>>> spec = writer.write("BR1.jsonld", rec, RowInputLike(2, {"catalogNumber": "BR1",
...                     "setID": "BR", "basisOfRecord": "PRESERVED_SPECIMEN"}))
>>> writer.close()  # sidecars are written in batches: flush the last one
>>> doc = json.loads(spec.path.read_text())
>>> doc["dwc:catalogNumber"], doc["col:setID"], doc["@type"]
('BR1', 'BR', 'dwc:PreservedSpecimen')
>>> spec.key, spec.size == spec.path.stat().st_size
('BR1.jsonld', True)
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpub.records.identifiers import is_url
from specpub.records.jsontext import dumps_compact
from specpub.records.spec import FileSpec

__all__ = ["CONTEXT", "RowInputLike", "SidecarWriter", "read_sidecar", "sidecar_document"]

#: The JSON-LD context of every sidecar.
CONTEXT: dict[str, str] = {
    "dwc": "http://rs.tdwg.org/dwc/terms/",
    "dwciri": "http://rs.tdwg.org/dwc/iri/",
    "dcterms": "http://purl.org/dc/terms/",
    "ac": "http://rs.tdwg.org/ac/terms/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "gbif": "http://rs.gbif.org/terms/1.0/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "col": "urn:specpub:column:",
    "specpub": "urn:specpub:",
}
_BY_NAMESPACE = {v: k for k, v in CONTEXT.items()}
_PREFIX = '{"@context":' + dumps_compact(CONTEXT) + ","
_UNSAFE = re.compile(r"[/\\\x00-\x1f]")
# Columns the specimens stage adds; they are not part of the table.
_INTERNAL = frozenset({"eventDate_verbatim", "eventDate_edtf"})


@dataclass
class RowInputLike:
    """The part of a row the sidecar needs (``row``, ``raw`` values, ``source``).

    Examples
    --------
    >>> RowInputLike(5, {"catalogNumber": "A"}).raw["catalogNumber"]
    'A'
    """

    row: int | None
    raw: dict[str, str]
    source: str | None = None
    files: tuple[Any, ...] = field(default_factory=tuple)


def _key_of(column: str, uris: Mapping[str, str]) -> str:
    uri = uris.get(column)
    if uri is None:
        from specpub.specimens.terms import TERMS

        uri = TERMS.get(column, "")
    for namespace, prefix in _BY_NAMESPACE.items():
        if uri.startswith(namespace) and prefix not in ("col", "specpub"):
            return f"{prefix}:{uri[len(namespace) :]}"
    return f"col:{column}"


def sidecar_document(
    record: Any,
    raw: Mapping[str, str],
    *,
    row: int | None,
    source: str | None = None,
    uris: Mapping[str, str] | None = None,
    files: Any = (),
    key_cache: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The JSON-LD document of one record (see the module docstring).

    Examples
    --------
    >>> from specpub.records.model import Record, Correction
    >>> rec = Record(catalog_number="E1", corrections=[Correction("geodeticDatum", "Dms", None,
    ...              "GEODETIC_DATUM_INVALID")])
    >>> doc = sidecar_document(rec, {"catalogNumber": "E1", "geodeticDatum": "Dms"}, row=7)
    >>> doc["specpub:corrections"][0]["specpub:published"] is None
    True
    """
    uris = uris or {}
    occurrence = raw.get("occurrenceID", "").strip()
    ident = occurrence if is_url(occurrence) else None
    basis = raw.get("basisOfRecord", "").strip()
    from specpub.specimens.values import normalise_basis_of_record

    cls = normalise_basis_of_record(basis) if basis else None
    doc: dict[str, Any] = {"@context": CONTEXT}
    if ident:
        doc["@id"] = ident
    # a class of the basisOfRecord vocabulary, except the non-occurrence ones
    doc["@type"] = f"dwc:{cls}" if cls and cls not in ("Event", "Taxon") else "dwc:Occurrence"
    keys = key_cache if key_cache is not None else {}
    for column, value in raw.items():
        if column.startswith("_") or column in _INTERNAL:
            continue
        key = keys.get(column)
        if key is None:
            key = keys[column] = _key_of(column, uris)
        doc[key] = value
    doc["specpub:source"] = {"specpub:file": source, "specpub:row": row}
    if record.corrections:
        doc["specpub:corrections"] = [
            {
                "specpub:term": _key_of(c.term, uris),
                "specpub:original": c.original,
                "specpub:published": c.published,
                "specpub:reason": c.reason,
            }
            for c in record.corrections
        ]
    media = []
    for f in files:
        spec = f.spec
        item: dict[str, Any] = {
            "@type": "dcterms:Image" if f.is_image else "dcterms:Dataset",
            "dcterms:identifier": spec.key,
            "dcterms:format": f.mime,
            "dcterms:extent": f"{spec.size} bytes",
            "ac:hashFunction": "MD5",
            "ac:hashValue": spec.md5,
        }
        if spec.sha256:
            item["specpub:sha256"] = spec.sha256
        if ident:
            item["ac:associatedSpecimenReference"] = ident
        if f.role:
            item["ac:subtypeLiteral"] = f.role
        if f.width and f.height:
            item["exif:PixelXDimension"] = f.width
            item["exif:PixelYDimension"] = f.height
        if f.device:
            item["ac:captureDevice"] = f.device
        if f.created:
            item["ac:digitizationDate"] = f.created
        for term, value in getattr(f, "embedded", ()):
            item.setdefault(term, value)
        media.append(item)
    if media:
        doc["specpub:media"] = media
    return doc


class SidecarWriter:
    """Writes one JSON-LD sidecar per record into ``folder``.

    Parameters
    ----------
    folder
        Where the files go (a workspace's ``records/sidecars``).
    source
        The table's file name (recorded in each sidecar).
    uris
        Column → term IRI (from the table's mapping); other columns are ``col:NAME``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> w = SidecarWriter(pathlib.Path(tempfile.mkdtemp()))
    >>> w.safe_key("UPS V/123 .jsonld")
    'UPS V_123 .jsonld'
    """

    def __init__(
        self, folder: Path, *, source: str | None = None, uris: Mapping[str, str] | None = None
    ) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Building again into a folder of sidecars: a sidecar whose bytes are the same is
        # left as it is (its time stamp too), which is cheaper than writing it again.
        with os.scandir(self.folder) as entries:
            self._rebuilding = next(entries, None) is not None
        self._folder = self.folder.resolve()
        self._root = str(self._folder)
        self.source = source
        self.uris = dict(uris or {})
        self._keys: dict[str, str] = {}
        # Written in batches from this thread: writer threads were measured slower (each
        # I/O call hands the GIL over and the builder waits for it back).
        self._batch: list[tuple[str, bytes]] = []

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        _write_all(batch, keep_same=self._rebuilding)

    def close(self) -> None:
        """Write what is still buffered (every sidecar is on disk when this returns).

        The writer can be used again afterwards.
        """
        self._flush()

    def __enter__(self) -> SidecarWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def safe_key(key: str) -> str:
        """A file key without path separators or control characters."""
        return _UNSAFE.sub("_", key).strip() or "record.jsonld"

    def key_for(
        self,
        template: Any,
        values: Mapping[str, str],
        raw: Mapping[str, str],
        inst: Mapping[str, str],
        inp: Any,
    ) -> str:
        """The sidecar's file key for one record (the preset's ``[sidecar] name``)."""
        env = {
            **values,
            "institution": inst.get("name", ""),
            "institution.code": inst.get("code", ""),
        }
        del raw, inp
        return self.safe_key(template.render(env.get))

    def write(self, key: str, record: Any, inp: Any) -> FileSpec:
        """Write the sidecar of ``record``; returns its :class:`FileSpec` (path, size, hashes)."""
        doc = sidecar_document(
            record,
            inp.raw,
            row=inp.row,
            source=getattr(inp, "source", None) or self.source,
            uris=self.uris,
            files=getattr(inp, "files", ()),
            key_cache=self._keys,
        )
        # '{"@context":{…},' is the same for every sidecar: encoded once
        del doc["@context"]
        data = (_PREFIX + dumps_compact(doc)[1:] + "\n").encode("utf-8")
        path = f"{self._root}/{key}"
        self._batch.append((path, data))
        if len(self._batch) >= _BATCH:
            self._flush()
        return FileSpec(
            path=self._folder / key,  # the same path (a key has no "/"); joining is cheaper
            key=key,
            size=len(data),
            md5=hashlib.md5(data, usedforsecurity=False).hexdigest(),
            mtime=None,
            sha256=hashlib.sha256(data).hexdigest(),
        )


#: Sidecars written together.
_BATCH = 64


_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write_all(batch: list[tuple[str, bytes]], *, keep_same: bool = False) -> None:
    """Write each file with three system calls (``open()`` adds an ``fstat`` and an
    ``ioctl`` per file and its buffer objects: a third of the cost for 2 kB files).

    With ``keep_same``, a file that already holds exactly these bytes is not written again
    (truncating and rewriting a file makes ext4 flush it, and costs more than reading it).
    """
    for path, data in batch:
        if keep_same and _holds(path, data):
            continue
        fd = os.open(path, _FLAGS, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def _holds(path: str, data: bytes) -> bool:
    """Whether the file at ``path`` holds exactly ``data``."""
    try:
        fd = os.open(path, _READ)
    except OSError:
        return False
    try:
        if os.fstat(fd).st_size != len(data):
            return False
        return os.read(fd, len(data) + 1) == data
    except OSError:
        return False
    finally:
        os.close(fd)


_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def read_sidecar(data: bytes | str | Path) -> dict[str, str]:
    """The table row back from a sidecar: column name → value as given.

    ``dwc:catalogNumber`` comes back as ``catalogNumber``, ``col:setID`` as ``setID``.

    Examples
    --------
    >>> read_sidecar(b'{"@context": {}, "dwc:catalogNumber": "A1", "col:setID": "B",'
    ...              b' "specpub:source": {}}')
    {'catalogNumber': 'A1', 'setID': 'B'}
    """
    if isinstance(data, Path):
        data = data.read_bytes()
    doc = json.loads(data)
    out = {}
    for key, value in doc.items():
        if key.startswith(("@", "specpub:")) or not isinstance(value, str):
            continue
        out[key.split(":", 1)[1] if ":" in key else key] = value
    return out
