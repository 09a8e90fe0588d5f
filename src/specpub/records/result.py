"""The records of a workspace: what :func:`specpub.records.build_records` returns and saves.

Workspace files (plain, readable by pandas without specpub)::

    records/records.parquet   one row per built record: marker, row, status, title,
                              the legacy and native payloads (JSON text), files (JSON)
    records/findings.csv      every finding: record, row, severity, code, api, field,
                              message, fix
    records/skipped.csv       specimens without a publishable record: _row,
                              catalogNumber, reason, fix
    records/summary.json      counts, the preset, the terms left to the sidecars
    records/preset.toml       the preset as applied (overrides included)
    records/sidecars/         one JSON-LD file per record

Examples
--------
>>> import tempfile
>>> from specpub.records.mapping import build_one
>>> rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "X"})
>>> recs = Records([BuiltRecord.from_record(rec)], skipped=None)
>>> recs.summary()["built"], recs.to_frame()["status"].tolist()
(1, ['blocked'])
>>> recs.findings()["code"].tolist()
['INSTITUTION_UNNAMED', 'FILES_NONE', 'FILES_NONE']
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from specpub._display import FrameResult
from specpub.errors import InputError
from specpub.records.checks import check_files, check_payload
from specpub.records.jsontext import dumps, dumps_ascii
from specpub.records.media import MediaFile
from specpub.records.model import Correction, Finding, Record
from specpub.records.payloads import to_legacy, to_native
from specpub.records.spec import FileSpec, RecordSpec
from specpub.repository.protocol import Marker
from specpub.workspace import Workspace, atomic_write_bytes, atomic_write_text

__all__ = ["APIS", "FINDING_COLUMNS", "SKIPPED_COLUMNS", "BuiltRecord", "Records"]

APIS = ("legacy", "native")
#: Columns of :meth:`Records.findings`.
FINDING_COLUMNS = ["record", "row", "severity", "code", "api", "field", "message", "fix"]
#: Columns of :attr:`Records.skipped`.
SKIPPED_COLUMNS = ["_row", "catalogNumber", "reason", "fix"]
_STAGE = "records"


def _file_row(f: MediaFile | FileSpec) -> dict[str, Any]:
    media = f if isinstance(f, MediaFile) else None
    spec = media.spec if media else f
    row = spec.as_row()
    if media is not None:
        row.update(
            role=media.role,
            mime=media.mime,
            group=media.group,
            width=media.width,
            height=media.height,
            device=media.device,
            created=media.created,
        )
    return row


def _text_or_none(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return None
    return str(value)


def _media_from_row(row: Mapping[str, Any]) -> MediaFile:
    spec = FileSpec(
        path=Path(row["path"]),
        key=row["key"],
        size=int(row["size"]),
        md5=row["md5"],
        mtime=row.get("mtime"),
        sha256=row.get("sha256"),
    )
    return MediaFile(
        spec,
        role=row.get("role") or "other",
        group=row.get("group") or "other",
        mime=row.get("mime") or "application/octet-stream",
        width=row.get("width"),
        height=row.get("height"),
        device=row.get("device") or "",
        created=row.get("created"),
    )


@lru_cache(maxsize=64)
def _communities_note(communities: tuple[str, ...]) -> str:
    """The note of every record sent to ``communities`` (one string shared by them all)."""
    return (
        f"communities {', '.join(communities)} are requested on the legacy API at publish; "
        "the native API needs a review request per record after the draft exists"
    )


_SEP = "\x1e"  # between the packed JSON texts (never in JSON text: control characters are escaped)


_dumps = dumps  # json.dumps(value, ensure_ascii=False); key order is the builder's


class BuiltRecord:
    """One record as it will be deposited: both payloads, files, sidecar, findings.

    A record built for a large collection is kept *packed* (its payloads and file lists
    as LZ4-compressed JSON, about 2 kB instead of some 25 kB of Python objects): the
    attributes below are decoded when read. A record made with :meth:`from_record` is
    kept as objects.

    Attributes
    ----------
    marker, row
        The record's idempotency marker and source row.
    legacy, native
        The two payloads (from the same :class:`~specpub.records.model.Record`).
    files
        The images (:class:`~specpub.records.media.MediaFile`).
    sidecar
        The JSON-LD sidecar (``None`` when the preset has none).
    corrections
        Values published differently from the table (originals in the sidecar).
    findings
        The preset's and the Zenodo-side checks' findings, for both APIs.
    communities
        The communities the record is submitted to.

    Examples
    --------
    >>> from specpub.records.mapping import build_one
    >>> built = BuiltRecord.from_record(build_one({"catalogNumber": "A1",
    ...                                            "institutionCode": "X"})[0])
    >>> packed = built.packed()
    >>> packed.native == built.native, len(packed.findings) == len(built.findings)
    (True, True)
    """

    __slots__ = (
        "_data",
        "_n_files",
        "_packed",
        "_title",
        "communities",
        "findings",
        "marker",
        "row",
    )

    def __init__(
        self,
        marker: Marker,
        row: int | None,
        legacy: dict[str, Any] | None = None,
        native: dict[str, Any] | None = None,
        files: Sequence[MediaFile] = (),
        sidecar: FileSpec | None = None,
        corrections: Sequence[Correction] = (),
        findings: Sequence[Finding] = (),
        communities: Sequence[str] = (),
        *,
        packed: bytes | None = None,
        title: str | None = None,
        n_files: int | None = None,
    ) -> None:
        self.marker = marker
        self.row = row
        self.findings = list(findings)
        self.communities = list(communities)
        self._packed = packed
        self._data: dict[str, Any] | None = None
        if packed is None:
            self._data = {
                "legacy": legacy or {},
                "native": native or {},
                "files": list(files),
                "sidecar": sidecar,
                "corrections": list(corrections),
            }
        self._title = title
        self._n_files = n_files

    def __repr__(self) -> str:
        return f"<BuiltRecord {self.marker.key} row {self.row}: {self.status()}>"

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # A packed record is pickled as plain values (the records of a chunk travel from a
        # worker process this way): a third of the default's cost to write and to read.
        if self._packed is None:
            return (
                _unpickle_objects,
                (
                    self.marker,
                    self.row,
                    self._data,
                    self.findings,
                    self.communities,
                    self._title,
                    self._n_files,
                ),
            )
        return (
            _unpickle_packed,
            (
                self.marker.catalog_number,
                self.marker.institution_code,
                self.row,
                [_finding_values(f) for f in self.findings],
                self.communities,
                self._packed,
                self._title,
                self._n_files,
            ),
        )

    def _repr_html_(self) -> str:
        from specpub.records.preview import record_html

        return record_html(self, fragment=True)

    # -- the heavy parts, decoded when asked --------------------------------------------
    def _texts(self) -> list[str]:
        assert self._packed is not None
        return _unpack(self._packed).decode("utf-8").split(_SEP)

    def _unpacked(self) -> dict[str, Any]:
        if self._data is not None:
            return self._data
        legacy, native, files, sidecar, corrections = self._texts()
        side = json.loads(sidecar) if sidecar else None
        return {
            "legacy": json.loads(legacy),
            "native": json.loads(native),
            "files": [_media_from_row(f) for f in json.loads(files)],
            "sidecar": _media_from_row(side).spec if side else None,
            "corrections": [Correction(**c) for c in json.loads(corrections)],
        }

    @property
    def legacy(self) -> dict[str, Any]:
        """The legacy deposit body ``{"metadata": {...}}``."""
        if self._data is not None:
            return self._data["legacy"]
        return json.loads(self._texts()[0])

    @property
    def native(self) -> dict[str, Any]:
        """The native InvenioRDM draft body."""
        if self._data is not None:
            return self._data["native"]
        return json.loads(self._texts()[1])

    @property
    def files(self) -> list[MediaFile]:
        """The record's images."""
        return self._unpacked()["files"]

    @property
    def sidecar(self) -> FileSpec | None:
        """The JSON-LD sidecar (``None`` when the preset has none)."""
        return self._unpacked()["sidecar"]

    @property
    def corrections(self) -> list[Correction]:
        """Values published differently from the table."""
        return self._unpacked()["corrections"]

    def unpacked(self) -> BuiltRecord:
        """This record with its parts decoded once (for reading it many times).

        Examples
        --------
        >>> from specpub.records.mapping import build_one
        >>> b = BuiltRecord.from_record(build_one({"catalogNumber": "A1"})[0]).packed()
        >>> b.unpacked().files == b.files
        True
        """
        if self._data is not None:
            return self
        data = self._unpacked()
        return BuiltRecord(
            self.marker,
            self.row,
            data["legacy"],
            data["native"],
            data["files"],
            data["sidecar"],
            data["corrections"],
            self.findings,
            self.communities,
            title=self._title,
        )

    def packed(self) -> BuiltRecord:
        """This record with its heavy parts packed (a copy; the same record if already).

        Examples
        --------
        >>> from specpub.records.mapping import build_one
        >>> b = BuiltRecord.from_record(build_one({"catalogNumber": "A1"})[0]).packed()
        >>> b.legacy["metadata"]["custom"]["dwc:catalogNumber"]
        ['A1']
        """
        if self._packed is not None:
            return self
        row = self.to_row()
        return BuiltRecord(
            self.marker,
            self.row,
            findings=self.findings,
            communities=self.communities,
            packed=_pack_row(row),
            title=row["title"],
            n_files=row["n_files"],
        )

    @classmethod
    def from_record(
        cls, record: Record, media: Sequence[MediaFile] = (), *, check: bool = True
    ) -> BuiltRecord:
        """Render ``record``'s payloads and run every check on them.

        Examples
        --------
        >>> from specpub.records.mapping import build_one
        >>> rec, _ = build_one({"catalogNumber": "A1", "institutionCode": "X"})
        >>> BuiltRecord.from_record(rec).legacy["metadata"]["custom"]["dwc:catalogNumber"]
        ['A1']
        """
        built = cls(
            marker=record.marker,
            row=record.row,
            legacy=to_legacy(record),
            native=to_native(record),
            files=list(media) or [MediaFile(f) for f in record.files],
            sidecar=record.sidecar,
            corrections=list(record.corrections),
            findings=list(record.findings),
            communities=list(record.communities),
        )
        if check:
            built.check()
        return built

    @property
    def catalog_number(self) -> str:
        """The specimen's catalogue number."""
        return self.marker.catalog_number

    @property
    def title(self) -> str:
        """The record's title."""
        if self._title is None:
            self._title = str(self.native.get("metadata", {}).get("title", ""))
        return self._title

    @property
    def n_files(self) -> int:
        """How many files the record uploads (images and sidecar), without decoding it."""
        if self._n_files is None:
            self._n_files = len(self.all_files)
        return self._n_files

    @property
    def all_files(self) -> list[FileSpec]:
        """The files to upload (images, then the sidecar)."""
        data = self._unpacked()
        sidecar = data["sidecar"]
        return [f.spec for f in data["files"]] + ([sidecar] if sidecar else [])

    def check(self) -> list[Finding]:
        """Run the Zenodo-side checks on both payloads and the files; adds to :attr:`findings`."""
        key, row = self.marker.key, self.row
        found: list[Finding] = []
        memo: dict[Any, Any] = {}
        data = self._unpacked()
        files = [f.spec for f in data["files"]] + ([data["sidecar"]] if data["sidecar"] else [])
        file_findings: list[Finding] | None = None
        for api in APIS:
            found += check_payload(data[api], api, record=key, row=row, memo=memo)
            file_findings = _check_files_for(api, files, file_findings, key, row)
            found += file_findings
        if self.communities:
            found.append(
                Finding(
                    key,
                    row,
                    "info",
                    "COMMUNITIES_NOT_IN_BODY",
                    "communities",
                    _communities_note(tuple(self.communities)),
                    "publish through the legacy API to include "
                    "the records in the communities at once",
                    "native",
                )
            )
        self.findings.extend(found)
        return found

    def payload(self, api: str) -> dict[str, Any]:
        """The body for ``api`` (``legacy`` or ``native``)."""
        if api not in APIS:
            raise InputError(f"unknown api {api!r}", field="api", fix="use legacy or native")
        if self._data is not None:
            return self._data[api]
        return json.loads(self._texts()[0 if api == "legacy" else 1])

    def errors(self, api: str | None = None) -> list[Finding]:
        """Findings of severity ``error`` (for one API, or either)."""
        return [
            f
            for f in self.findings
            if f.severity == "error" and (api is None or f.api in ("", api))
        ]

    def status(self, api: str | None = None) -> str:
        """``blocked``, ``warned`` or ``ready`` (for one API, or the worse of both)."""
        if self.errors(api):
            return "blocked"
        if any(
            f.severity == "warning" and (api is None or f.api in ("", api)) for f in self.findings
        ):
            return "warned"
        return "ready"

    def spec(self) -> RecordSpec:
        """The :class:`RecordSpec` the batch engine plans (both payloads, all files)."""
        data = self._unpacked()
        files = [f.spec for f in data["files"]] + ([data["sidecar"]] if data["sidecar"] else [])
        return RecordSpec(
            marker=self.marker,
            legacy=data["legacy"],
            native=data["native"],
            files=tuple(files),
            title=self.title,
        )

    # -- persistence -----------------------------------------------------------------
    def to_row(self) -> dict[str, Any]:
        """The row :meth:`Records.save` writes (payloads and file lists as JSON text)."""
        if self._packed is not None:
            legacy, native, files, sidecar, corrections = self._texts()
        else:
            data = self._data or {}
            legacy, native = _dumps(data["legacy"]), _dumps(data["native"])
            files = dumps([_file_row(f) for f in data["files"]])
            sidecar = dumps_ascii(_file_row(data["sidecar"])) if data["sidecar"] else ""
            corrections = dumps([c.__dict__ for c in data["corrections"]])
        return {
            "_row": self.row,
            "catalogNumber": self.marker.catalog_number,
            "institutionCode": self.marker.institution_code,
            "marker": self.marker.key,
            "status": self.status(),
            "status_legacy": self.status("legacy"),
            "status_native": self.status("native"),
            "title": self.title,
            "legacy": legacy,
            "native": native,
            "files": files,
            "sidecar": sidecar or None,
            "corrections": corrections,
            "communities": dumps_ascii(self.communities),
            "n_files": self.n_files,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any], findings: Sequence[Finding] = ()) -> BuiltRecord:
        """Rebuild (packed) from a saved row; no checks are run again."""
        return cls(
            marker=Marker(row["catalogNumber"], _text_or_none(row.get("institutionCode"))),
            row=None if pd.isna(row.get("_row")) else int(row["_row"]),
            findings=findings,
            communities=json.loads(row.get("communities") or "[]"),
            packed=_pack_row(row),
            title=row.get("title"),
            n_files=None if pd.isna(row.get("n_files")) else int(row["n_files"]),
        )


def _check_files_for(
    api: str, files: list[FileSpec], other: list[Finding] | None, record: str, row: int | None
) -> list[Finding]:
    """:func:`check_files` for ``api``, once the other API's file findings are ``other``
    (``None``: not checked yet). The file rules are the same for both APIs but the legacy one
    on ``/`` in a key: files the other API found nothing on, none with a ``/``, are fine."""
    if other is None or other or not files or any("/" in f.key for f in files):
        return check_files(files, api, record=record, row=row)
    return []


def _finding_values(f: Finding) -> tuple[Any, ...]:
    return (f.record, f.row, f.severity, f.code, f.field, f.message, f.fix, f.api)


def _unpickle_packed(
    catalog: str,
    institution: str | None,
    row: int | None,
    findings: list[tuple[Any, ...]],
    communities: list[str],
    packed: bytes,
    title: str | None,
    n_files: int | None,
) -> BuiltRecord:
    return BuiltRecord(
        Marker(catalog, institution),
        row,
        findings=[Finding(*values) for values in findings],
        communities=communities,
        packed=packed,
        title=title,
        n_files=n_files,
    )


def _unpickle_objects(
    marker: Marker,
    row: int | None,
    data: dict[str, Any],
    findings: list[Finding],
    communities: list[str],
    title: str | None,
    n_files: int | None,
) -> BuiltRecord:
    return BuiltRecord(
        marker,
        row,
        findings=findings,
        communities=communities,
        title=title,
        n_files=n_files,
        **data,
    )


def _pack_row(row: Mapping[str, Any]) -> bytes:
    texts = [row["legacy"], row["native"], row["files"], row.get("sidecar") or ""]
    texts.append(row.get("corrections") or "[]")
    data = _SEP.join(texts).encode("utf-8")
    # LZ4 (pyarrow's): a tenth of zlib's time on 5 kB texts, whose cost is mostly set-up
    return len(data).to_bytes(4, "little") + _LZ4.compress(data, asbytes=True)


def _unpack(packed: bytes) -> bytes:
    size = int.from_bytes(packed[:4], "little")
    return _LZ4.decompress(packed[4:], decompressed_size=size, asbytes=True)


_LZ4 = pa.Codec("lz4")


class Records(FrameResult):
    """The records built from a specimen table, with their findings.

    Attributes
    ----------
    built
        One :class:`BuiltRecord` per specimen that could be built (publishable or not).
    skipped
        Specimens with no publishable record: ``_row``, ``catalogNumber``,
        ``reason``, ``fix`` (not built, or built and blocked).
    left_out_terms
        Term → number of records whose value is in the sidecar only.
    warnings
        Notes about the preset and the table (e.g. a template term the table lacks).
    preset
        The name of the preset applied.
    """

    def __init__(
        self,
        built: Sequence[BuiltRecord],
        skipped: pd.DataFrame | None = None,
        *,
        left_out_terms: Mapping[str, int] | None = None,
        warnings: Sequence[str] = (),
        preset: str | None = None,
        preset_toml: str | None = None,
        specimens: int | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        self.built = list(built)
        self.inputs = dict(inputs or {})
        self._not_built = (
            skipped.reindex(columns=SKIPPED_COLUMNS)
            if skipped is not None
            else pd.DataFrame(columns=SKIPPED_COLUMNS)
        )
        self.left_out_terms = dict(left_out_terms or {})
        self.warnings = list(warnings)
        self.preset = preset
        self.preset_toml = preset_toml
        self.specimens = (
            specimens if specimens is not None else len(self.built) + len(self._not_built)
        )

    # -- views --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.built)

    def __iter__(self) -> Iterator[BuiltRecord]:
        return iter(self.built)

    def __getitem__(self, catalog_number: str) -> BuiltRecord:
        """The record of a catalogue number (``KeyError`` if there is none).

        Examples
        --------
        >>> from specpub.records.mapping import build_one
        >>> recs = Records([BuiltRecord.from_record(build_one({"catalogNumber": "A1"})[0])])
        >>> recs["A1"].catalog_number
        'A1'
        """
        for built in self.built:
            if built.catalog_number == catalog_number:
                return built
        raise KeyError(catalog_number)

    def publishable(self, api: str | None = None) -> list[BuiltRecord]:
        """Records with no error for ``api`` (or for either API)."""
        return [b for b in self.built if not b.errors(api)]

    def specs_for(self, api: str) -> list[RecordSpec]:
        """The :class:`RecordSpec` of every record publishable on ``api``."""
        return [b.spec() for b in self.publishable(api)]

    @property
    def specs(self) -> list[RecordSpec]:
        """The specs of the records publishable on both APIs."""
        return [b.spec() for b in self.publishable()]

    @property
    def skipped(self) -> pd.DataFrame:
        """Specimens without a publishable record (not built, or blocked), with reasons."""
        rows = []
        for b in self.built:
            errors = b.errors()
            if errors:
                first = errors[0]
                more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
                api = (
                    f" [{first.api} API]"
                    if first.api and not b.errors("native" if first.api == "legacy" else "legacy")
                    else ""
                )
                rows.append(
                    {
                        "_row": b.row,
                        "catalogNumber": b.catalog_number,
                        "reason": f"{first.code}{api}: {first.field}: {first.message}{more}",
                        "fix": first.fix,
                    }
                )
        blocked = pd.DataFrame(rows, columns=SKIPPED_COLUMNS)
        frames = [f for f in (self._not_built, blocked) if len(f)]
        if not frames:
            return pd.DataFrame(columns=SKIPPED_COLUMNS)
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values("_row", kind="stable").reset_index(drop=True)

    def findings(self) -> pd.DataFrame:
        """Every finding of every record (:data:`FINDING_COLUMNS`)."""
        rows = [f.as_row() for b in self.built for f in b.findings]
        return pd.DataFrame(rows, columns=FINDING_COLUMNS)

    def to_frame(self) -> pd.DataFrame:
        """One row per built record: catalogue number, row, status (both APIs), title,
        files, errors, warnings, corrections.

        Examples
        --------
        >>> Records([]).to_frame().columns.tolist()[:4]
        ['catalogNumber', '_row', 'status', 'status_legacy']
        """
        rows = []
        for b in self.built:
            severities = Counter(f.severity for f in b.findings)
            rows.append(
                {
                    "catalogNumber": b.catalog_number,
                    "_row": b.row,
                    "status": b.status(),
                    "status_legacy": b.status("legacy"),
                    "status_native": b.status("native"),
                    "title": b.title,
                    "files": b.n_files,
                    "errors": severities.get("error", 0),
                    "warnings": severities.get("warning", 0),
                    "corrections": len(b.corrections),
                }
            )
        cols = [
            "catalogNumber",
            "_row",
            "status",
            "status_legacy",
            "status_native",
            "title",
            "files",
            "errors",
            "warnings",
            "corrections",
        ]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict[str, Any]:
        """Counts for display: specimens, built, ready, warned, blocked, skipped, files.

        Examples
        --------
        >>> Records([]).summary()["built"]
        0
        """
        status = Counter(b.status() for b in self.built)
        codes = Counter(
            f.code for b in self.built for f in b.findings if f.severity in ("error", "warning")
        )
        skipped = self.skipped
        return {
            "preset": self.preset,
            "specimens": self.specimens,
            "built": len(self.built),
            "ready": status.get("ready", 0),
            "warned": status.get("warned", 0),
            "blocked": status.get("blocked", 0),
            "not_built": len(self._not_built),
            "publishable": {api: len(self.publishable(api)) for api in APIS},
            "records": len(self.publishable()),
            "files": sum(b.n_files for b in self.publishable()),
            "skipped": len(skipped),
            "skipped_by_reason": (
                skipped["reason"].str.split(":").str[0].value_counts().to_dict()
                if len(skipped)
                else {}
            ),
            "findings_by_code": dict(codes.most_common()),
            "corrections": sum(len(b.corrections) for b in self.built),
            "left_out_terms": dict(sorted(self.left_out_terms.items())),
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (
            f"<Records ({s['preset']}): {s['built']} built of {s['specimens']} specimens; "
            f"{s['ready']} ready, {s['warned']} warned, {s['blocked']} blocked, "
            f"{s['not_built']} not built>"
        )

    # -- persistence -----------------------------------------------------------------
    def save(self, workspace: Workspace | str | Path) -> Path:
        """Save to the workspace's ``records/`` folder (see the module docstring).

        Examples
        --------
        >>> import tempfile
        >>> folder = Records([]).save(tempfile.mkdtemp())
        >>> sorted(p.name for p in folder.iterdir() if p.is_file())
        ['findings.csv', 'records.parquet', 'skipped.csv', 'summary.json']
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open_or_create(workspace)
        folder = ws.stage_dir(_STAGE)
        import io

        frame = pd.DataFrame([b.to_row() for b in self.built])
        buf = io.BytesIO()
        frame.to_parquet(buf, index=False, compression="zstd")
        atomic_write_bytes(folder / "records.parquet", buf.getvalue())
        atomic_write_text(folder / "findings.csv", self.findings().to_csv(index=False))
        atomic_write_text(folder / "skipped.csv", self.skipped.to_csv(index=False))
        summary = self.summary()
        summary["not_built_rows"] = json.loads(self._not_built.to_json(orient="records"))
        summary["inputs"] = self.inputs
        ws.write_json(_STAGE, "summary.json", summary)
        if self.preset_toml:
            atomic_write_text(folder / "preset.toml", self.preset_toml)
        return folder

    @classmethod
    def load(cls, workspace: Workspace | str | Path) -> Records:
        """Load what :meth:`save` wrote (an :class:`InputError` if nothing was).

        Examples
        --------
        >>> import tempfile
        >>> Records.load(Workspace.create(tempfile.mkdtemp()))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...no built records. Fix: run `specpub records ...
        """
        ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
        folder = ws.root / _STAGE
        if not (folder / "records.parquet").is_file():
            raise InputError(
                "the workspace has no built records",
                file=str(ws.root),
                fix=f"run `specpub records --workspace {ws.root} --preset NAME` first",
            )
        frame = pd.read_parquet(folder / "records.parquet")
        findings = pd.read_csv(folder / "findings.csv", dtype=str, keep_default_na=False)
        by_record: dict[str, list[Finding]] = {}
        for r in findings.itertuples(index=False):
            by_record.setdefault(r.record, []).append(
                Finding(
                    r.record,
                    int(r.row) if r.row else None,
                    r.severity,
                    r.code,
                    r.field,
                    r.message,
                    r.fix,
                    r.api,
                )
            )
        built = [
            BuiltRecord.from_row(row, by_record.get(row["marker"], ()))
            for row in frame.to_dict("records")
        ]
        summary = ws.read_json(_STAGE, "summary.json")
        not_built = pd.DataFrame(summary.get("not_built_rows", []), columns=SKIPPED_COLUMNS)
        toml = folder / "preset.toml"
        return cls(
            built,
            not_built,
            left_out_terms=summary.get("left_out_terms", {}),
            warnings=summary.get("warnings", []),
            preset=summary.get("preset"),
            preset_toml=toml.read_text(encoding="utf-8") if toml.is_file() else None,
            specimens=summary.get("specimens"),
            inputs=summary.get("inputs", {}),
        )
