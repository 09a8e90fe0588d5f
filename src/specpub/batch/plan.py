"""Planning: turn records to publish into ledger rows, split into batches.

A :class:`RecordSpec` is one record as the batch engine receives it from
the records layer: its idempotency marker, the API payload(s) (the marker
must already be in the payload's custom fields ``dwc:catalogNumber`` /
``dwc:institutionCode``), the files as scanned (:class:`FileSpec`: path,
key, size, mtime, MD5, SHA-256) and an optional title.

:func:`plan_records` validates every record first (nothing is written if
one is bad), then writes the new ones into the ledger in batches of
``batch_size`` records. Planning is idempotent: the marker is the natural key
per target, so planning the same records again adds nothing; a changed
payload or file list replaces the plan of a record that was not sent yet
(or that failed before the server knew it), and is ignored for a record
already sent (changing a published record is an edit or a new version:
:func:`plan_edits`, :func:`plan_new_versions`).

Examples
--------
>>> import tempfile, pathlib
>>> from specpub.workspace import Workspace
>>> ws = Workspace.create(pathlib.Path(tempfile.mkdtemp()) / "ws")
>>> img = ws.root / "BR1.jpg"; _ = img.write_bytes(b"jpeg")
>>> spec = RecordSpec(
...     marker=Marker("BR1", "BR"),
...     legacy={"metadata": {"title": "BR1",
...             "custom": {"dwc:catalogNumber": ["BR1"], "dwc:institutionCode": ["BR"]}}},
...     files=(FileSpec.from_path(img),),
... )
>>> result = plan_records(ws, [spec], target="embedded", api="legacy")
>>> result.added, result.batch_ids
(1, [1])
>>> plan_records(ws, [spec], target="embedded", api="legacy").unchanged
1
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from specpub.batch.ledger import Ledger
from specpub.errors import InputError
from specpub.repository.protocol import Marker

__all__ = [
    "FileSpec",
    "PlanResult",
    "RecordSpec",
    "plan_edits",
    "plan_new_versions",
    "plan_records",
]

#: Zenodo accepts at most this many files per record.
MAX_FILES_PER_RECORD = 100


@dataclass(frozen=True)
class FileSpec:
    """One file of a record, as scanned.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.jpg"; _ = p.write_bytes(b"abc")
    >>> f = FileSpec.from_path(p)
    >>> f.key, f.size, f.md5
    ('a.jpg', 3, '900150983cd24fb0d6963f7d28e17f72')
    """

    path: Path
    key: str
    size: int
    md5: str
    mtime: float | None = None
    sha256: str | None = None

    @classmethod
    def from_path(cls, path: Path | str, key: str | None = None) -> FileSpec:
        """Scan ``path`` once: size, mtime, MD5 and SHA-256.

        Examples
        --------
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x.tif"; _ = p.write_bytes(b"tiff")
        >>> FileSpec.from_path(p, key="BR1_a.tif").key
        'BR1_a.tif'
        """
        path = Path(path)
        md5, sha = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                md5.update(chunk)
                sha.update(chunk)
        st = path.stat()
        return cls(
            path=path.resolve(),
            key=key or path.name,
            size=st.st_size,
            md5=md5.hexdigest(),
            mtime=st.st_mtime,
            sha256=sha.hexdigest(),
        )

    def as_row(self) -> dict[str, Any]:
        """The mapping :meth:`Ledger.add_record` expects.

        Examples
        --------
        >>> FileSpec(Path("/m/a.jpg"), "a.jpg", 3, "AB" * 16).as_row()["md5"]
        'abababababababababababababababab'
        """
        return {
            "key": self.key,
            "path": str(self.path),
            "size": self.size,
            "mtime": self.mtime,
            "md5": self.md5.lower(),
            "sha256": self.sha256,
        }


@dataclass(frozen=True)
class RecordSpec:
    """One record to publish.

    Parameters
    ----------
    marker
        The idempotency marker; it must be in the payload's custom fields.
    legacy, native
        The API bodies (``{"metadata": {...}}`` for the legacy API, the full
        draft body for the native API). At least the one for the batch's API.
    files
        The files as scanned.
    title
        For display in reports (defaults to the payload's title).

    Examples
    --------
    >>> spec = RecordSpec(Marker("X1"), native={"custom_fields": {"dwc:catalogNumber": ["X1"]},
    ...                                         "metadata": {"title": "X"}})
    >>> spec.payload("native")["metadata"]["title"]
    'X'
    >>> spec.display_title("native")
    'X'
    """

    marker: Marker
    legacy: Mapping[str, Any] | None = None
    native: Mapping[str, Any] | None = None
    files: Sequence[FileSpec] = field(default_factory=tuple)
    title: str | None = None

    def payload(self, api: str) -> Mapping[str, Any]:
        """The body for ``api`` (``InputError`` if the record has none).

        Examples
        --------
        >>> RecordSpec(Marker("X"), legacy={"metadata": {}}).payload("native")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: field 'native payload': record |X has no native payload. Fix: ...
        """
        body = self.legacy if api == "legacy" else self.native
        if body is None:
            raise InputError(
                f"record {self.marker.key} has no {api} payload",
                field=f"{api} payload",
                fix=f"build {api} payloads with the records layer, or choose the other api",
            )
        return body

    def display_title(self, api: str) -> str | None:
        """The title shown in reports.

        Examples
        --------
        >>> RecordSpec(Marker("X"), legacy={"metadata": {"title": "T"}}).display_title("legacy")
        'T'
        """
        if self.title:
            return self.title
        body = self.legacy if api == "legacy" else self.native
        meta = (body or {}).get("metadata") or {}
        return meta.get("title") if isinstance(meta, Mapping) else None

    def check(self, api: str, *, need_files: bool = True) -> None:
        """Raise :class:`InputError` if the record cannot be sent as planned.

        Examples
        --------
        >>> custom = {"dwc:catalogNumber": ["Y"]}
        >>> spec = RecordSpec(Marker("X"), legacy={"metadata": {"custom": custom}})
        >>> spec.check("legacy")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        specpub.errors.InputError: ...the payload's marker |Y must equal the record's marker |X...
        """
        where = f"record {self.marker.key}"
        body = self.payload(api)
        custom = (
            (body.get("metadata") or {}).get("custom")
            if api == "legacy"
            else body.get("custom_fields")
        )
        found = Marker.from_custom_fields(custom)
        if found != self.marker:
            place = "metadata.custom" if api == "legacy" else "custom_fields"
            raise InputError(
                f"{where}: the payload's marker {found.key if found else 'is missing; it'} "
                f"must equal the record's marker {self.marker.key}",
                field=f"{place}.dwc:catalogNumber",
                fix="build the payload with the same catalogNumber/institutionCode as the marker",
            )
        keys = [f.key for f in self.files]
        if need_files and not keys:
            raise InputError(
                f"{where} has no files; Zenodo publishes no metadata-only records",
                fix="link at least one image to the specimen",
            )
        if len(keys) != len(set(keys)):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            raise InputError(
                f"{where}: file key(s) {', '.join(dup)} appear twice",
                fix="give every file of a record a distinct name",
            )
        if len(keys) > MAX_FILES_PER_RECORD:
            raise InputError(
                f"{where} has {len(keys)} files; the limit is {MAX_FILES_PER_RECORD}",
                fix="split the record or drop derivative files",
            )
        for f in self.files:
            if f.size <= 0:
                raise InputError(
                    f"{where}: file {f.key} is empty; the repository rejects empty files",
                    file=str(f.path),
                    fix="rescan the media folder or remove the file",
                )
            if len(f.md5) != 32:
                raise InputError(
                    f"{where}: file {f.key} has no valid MD5 ({f.md5!r})",
                    file=str(f.path),
                    fix="compute fixity with the media scan (or FileSpec.from_path)",
                )


@dataclass
class PlanResult:
    """What planning did.

    Examples
    --------
    >>> r = PlanResult(batch_ids=[1], added=2, updated=0, unchanged=1)
    >>> r.total
    3
    >>> print(r.summary())
    planned 3 records: 2 added, 0 updated, 1 unchanged, 0 skipped (batches 1)
    """

    batch_ids: list[int] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Records looked at.

        Examples
        --------
        >>> PlanResult(added=1, skipped=[("|X", "why")]).total
        2
        """
        return self.added + self.updated + self.unchanged + len(self.skipped)

    def summary(self) -> str:
        """One line of text.

        Examples
        --------
        >>> PlanResult(batch_ids=[2], added=5).summary()
        'planned 5 records: 5 added, 0 updated, 0 unchanged, 0 skipped (batches 2)'
        """
        batches = ", ".join(map(str, self.batch_ids)) or "none"
        return (
            f"planned {self.total} records: {self.added} added, {self.updated} updated, "
            f"{self.unchanged} unchanged, {len(self.skipped)} skipped (batches {batches})"
        )

    def __str__(self) -> str:
        return self.summary()


def _ledger_for(where: Any) -> tuple[Ledger, bool]:
    if isinstance(where, Ledger):
        return where, False
    if hasattr(where, "ledger_path"):
        return Ledger.open(where.ledger_path), True
    return Ledger.open(Path(where)), True


def _check_api(api: str) -> None:
    if api not in ("legacy", "native"):
        raise InputError(f"unknown api {api!r}", field="api", fix="use 'legacy' or 'native'")


def _checked(
    records: Iterable[RecordSpec], api: str, batch_size: int, *, need_files: bool = True
) -> list[RecordSpec]:
    """The records as a list, each checked; one record per marker; a sane batch size."""
    _check_api(api)
    if batch_size < 1:
        raise InputError("batch_size must be at least 1", field="batch_size", fix="use e.g. 10000")
    specs = list(records)
    seen: set[str] = set()
    for spec in specs:
        spec.check(api, need_files=need_files)
        if spec.marker.key in seen:
            raise InputError(
                f"record {spec.marker.key} appears twice in the records to plan",
                fix="make catalogNumber/institutionCode unique, or drop the duplicate",
            )
        seen.add(spec.marker.key)
    return specs


def plan_records(
    workspace: Any,
    records: Iterable[RecordSpec],
    *,
    target: str,
    api: str = "legacy",
    batch_size: int = 10_000,
    settings: Mapping[str, Any] | None = None,
    label: str | None = None,
) -> PlanResult:
    """Write records to publish into the workspace's ledger.

    Parameters
    ----------
    workspace
        A :class:`~specpub.workspace.Workspace`, a :class:`Ledger` or a ledger path.
    records
        The records (all are validated before anything is written).
    target, api
        Where and through which API they will be published.
    batch_size
        New records are grouped in batches of at most this many.
    settings, label
        Saved with each new batch (never secrets).

    Returns
    -------
    PlanResult
        Batch ids touched, counts of added/updated/unchanged records.

    Raises
    ------
    InputError
        A record cannot be sent as planned (marker not in its payload, no
        files, duplicate keys, empty files, ...); nothing is written then.

    Examples
    --------
    >>> import tempfile
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(tempfile.mkdtemp())
    >>> plan_records(ws, [], target="embedded").summary()
    'planned 0 records: 0 added, 0 updated, 0 unchanged, 0 skipped (batches none)'
    """
    specs = _checked(records, api, batch_size)
    ledger, owned = _ledger_for(workspace)
    result = PlanResult()
    try:
        current: int | None = None
        in_current = 0
        for spec in specs:
            existing = ledger.record_by_marker(target, spec.marker, revision=0)
            if existing is None:
                if current is None or in_current >= batch_size:
                    current = ledger.create_batch(
                        target=target, api=api, settings=settings, label=label
                    )
                    result.batch_ids.append(current)
                    in_current = 0
                batch_id = current
                in_current += 1
            else:
                batch_id = existing.batch_id
                if existing.api != api:
                    result.skipped.append(
                        (spec.marker.key, f"planned for the {existing.api} api already")
                    )
                    continue
            rid, changed = ledger.add_record(
                batch_id,
                spec.marker,
                payload=spec.payload(api),
                files=[f.as_row() for f in spec.files],
                title=spec.display_title(api),
            )
            result.record_ids.append(rid)
            if existing is None:
                result.added += 1
            elif changed:
                result.updated += 1
                if batch_id not in result.batch_ids:
                    result.batch_ids.append(batch_id)
            else:
                result.unchanged += 1
                if batch_id not in result.batch_ids:
                    result.batch_ids.append(batch_id)
    finally:
        if owned:
            ledger.close()
    result.batch_ids.sort()
    return result


def _plan_changes(
    workspace: Any,
    records: Iterable[RecordSpec],
    *,
    target: str,
    api: str,
    operation: str,
    batch_size: int,
    label: str | None,
) -> PlanResult:
    specs = _checked(records, api, batch_size, need_files=operation == "new_version")
    ledger, owned = _ledger_for(workspace)
    result = PlanResult()
    try:
        current: int | None = None
        in_current = 0
        for spec in specs:
            latest = ledger.record_by_marker(target, spec.marker)
            if latest is None:
                result.skipped.append((spec.marker.key, f"not in the ledger for {target}"))
                continue
            if latest.state == "published":
                base = latest
                revision = latest.revision + 1
            elif latest.revision > 0 and latest.state == "planned":
                base = None
                revision = latest.revision
            else:
                result.skipped.append(
                    (
                        spec.marker.key,
                        f"revision {latest.revision} is {latest.state}, not published",
                    )
                )
                continue
            files = [f.as_row() for f in spec.files] if operation == "new_version" else []
            if base is not None:
                same_payload = ledger.payload(base.record_id) == json.loads(
                    json.dumps(spec.payload(api), sort_keys=True, default=str)
                )
                old_files = sorted((f.key, f.md5) for f in ledger.record_files(base.record_id))
                new_files = sorted((f["key"], f["md5"]) for f in files)
                if same_payload and (operation == "edit" or old_files == new_files):
                    result.unchanged += 1
                    continue
                if current is None or in_current >= batch_size:
                    current = ledger.create_batch(
                        target=target,
                        api=api,
                        label=label or operation.replace("_", " "),
                        settings={"operation": operation},
                    )
                    result.batch_ids.append(current)
                    in_current = 0
                in_current += 1
                batch_id = current
                base_remote = base.remote_id
            else:
                batch_id = latest.batch_id
                base_remote = latest.base_remote_id
            rid, changed = ledger.add_record(
                batch_id,
                spec.marker,
                payload=spec.payload(api),
                files=files,
                title=spec.display_title(api),
                revision=revision,
                operation=operation,
                base_remote_id=base_remote,
            )
            result.record_ids.append(rid)
            if base is not None:
                result.added += 1
            elif changed:
                result.updated += 1
            else:
                result.unchanged += 1
    finally:
        if owned:
            ledger.close()
    result.batch_ids.sort()
    return result


def plan_edits(
    workspace: Any,
    records: Iterable[RecordSpec],
    *,
    target: str,
    api: str = "legacy",
    batch_size: int = 10_000,
    label: str | None = None,
) -> PlanResult:
    """Plan metadata edits of published records (edit → full-metadata PUT → publish).

    Only records whose latest revision is published and whose payload
    changed get a new revision (``operation='edit'``); files are not touched
    (Zenodo locks the files of an edit draft: use :func:`plan_new_versions`).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(pathlib.Path(tempfile.mkdtemp()))
    >>> spec = RecordSpec(Marker("Z9"), legacy={"metadata": {"custom":
    ...     {"dwc:catalogNumber": ["Z9"]}}})
    >>> plan_edits(ws, [spec], target="embedded").skipped
    [('|Z9', 'not in the ledger for embedded')]
    """
    return _plan_changes(
        workspace,
        records,
        target=target,
        api=api,
        operation="edit",
        batch_size=batch_size,
        label=label,
    )


def plan_new_versions(
    workspace: Any,
    records: Iterable[RecordSpec],
    *,
    target: str,
    api: str = "legacy",
    batch_size: int = 10_000,
    label: str | None = None,
) -> PlanResult:
    """Plan new versions of published records (newversion → PUT → file changes → publish).

    The new version gets the full metadata and exactly ``files``: files of
    the previous version that changed or were removed are deleted from the
    new draft, new or changed ones uploaded, unchanged ones kept.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from specpub.workspace import Workspace
    >>> ws = Workspace.create(pathlib.Path(tempfile.mkdtemp()))
    >>> plan_new_versions(ws, [], target="embedded").total
    0
    """
    return _plan_changes(
        workspace,
        records,
        target=target,
        api=api,
        operation="new_version",
        batch_size=batch_size,
        label=label,
    )
