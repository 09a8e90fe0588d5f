"""Planning: turn records to publish into ledger rows, split into batches.

A :class:`~specpub.records.spec.RecordSpec` (defined by the records layer,
re-exported here) is one record as the batch engine receives it: its
idempotency marker, the API payload(s) (the marker must already be in the
payload's custom fields ``dwc:catalogNumber`` / ``dwc:institutionCode``),
the files as scanned (:class:`FileSpec`: path, key, size, mtime, MD5,
SHA-256) and an optional title.

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
>>> from specpub.repository.protocol import Marker
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

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch.ledger import Ledger
from specpub.errors import InputError
from specpub.records.spec import FileSpec, RecordSpec

if TYPE_CHECKING:  # pragma: no cover
    from specpub.workspace import Workspace

__all__ = [
    "FileSpec",
    "PlanResult",
    "RecordSpec",
    "plan_edits",
    "plan_new_versions",
    "plan_records",
]


@dataclass
class PlanResult(FrameResult):
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

    def to_frame(self) -> pd.DataFrame:
        """Records per outcome (``added``, ``updated``, ``unchanged``, ``skipped``).

        Examples
        --------
        >>> PlanResult(added=2).to_frame().values.tolist()
        [['added', 2], ['updated', 0], ['unchanged', 0], ['skipped', 0]]
        """
        counts = {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
        }
        return pd.DataFrame({"outcome": list(counts), "records": list(counts.values())})

    def __str__(self) -> str:
        return self.summary()


def _ledger_for(where: Workspace | Ledger | str | Path) -> tuple[Ledger, bool]:
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


@dataclass(frozen=True)
class _Place:
    """Where one record's plan goes: a batch (``None``: the next new one) and its revision."""

    batch_id: int | None
    revision: int = 0
    base_remote_id: str | None = None


#: What a placement rule answers instead of a place: a reason to skip, or "nothing changed".
_UNCHANGED = "unchanged"


def _place_create(ledger: Ledger, spec: RecordSpec, target: str, api: str) -> _Place | str:
    """A first publication: a new record, or the unsent plan of the same marker updated."""
    existing = ledger.record_by_marker(target, spec.marker, revision=0)
    if existing is None:
        return _Place(None)
    if existing.api != api:
        return f"planned for the {existing.api} api already"
    return _Place(existing.batch_id)


def _place_change(
    ledger: Ledger, spec: RecordSpec, target: str, api: str, operation: str, files: list[Any]
) -> _Place | str:
    """An edit or a new version: a new revision of a published record (or its unsent plan)."""
    latest = ledger.record_by_marker(target, spec.marker)
    if latest is None:
        return f"not in the ledger for {target}"
    if latest.state == "planned" and latest.revision > 0:
        return _Place(latest.batch_id, latest.revision, latest.base_remote_id)
    if latest.state != "published":
        return f"revision {latest.revision} is {latest.state}, not published"
    same_payload = ledger.payload(latest.record_id) == json.loads(
        json.dumps(spec.payload(api), sort_keys=True, default=str)
    )
    old_files = sorted((f.key, f.md5) for f in ledger.record_files(latest.record_id))
    new_files = sorted((f["key"], f["md5"]) for f in files)
    if same_payload and (operation == "edit" or old_files == new_files):
        return _UNCHANGED
    return _Place(None, latest.revision + 1, latest.remote_id)


def _plan(
    workspace: Workspace | Ledger | str | Path,
    records: Iterable[RecordSpec],
    *,
    target: str,
    api: str,
    operation: str,
    batch_size: int,
    label: str | None,
    settings: Mapping[str, Any] | None,
) -> PlanResult:
    """Write ``records`` into the ledger as ``operation`` (create, edit or new_version).

    Every record is checked first (nothing is written if one is bad). New rows
    go into new batches of at most ``batch_size``; updated plans stay in their batch.
    """
    specs = _checked(records, api, batch_size, need_files=operation != "edit")
    ledger, owned = _ledger_for(workspace)
    result = PlanResult()
    current: int | None = None
    in_current = 0
    try:
        for spec in specs:
            files = [f.as_row() for f in spec.files] if operation != "edit" else []
            if operation == "create":
                place = _place_create(ledger, spec, target, api)
            else:
                place = _place_change(ledger, spec, target, api, operation, files)
            if place == _UNCHANGED:
                result.unchanged += 1
                continue
            if isinstance(place, str):
                result.skipped.append((spec.marker.key, place))
                continue
            batch_id = place.batch_id
            if batch_id is None:
                if current is None or in_current >= batch_size:
                    current = ledger.create_batch(
                        target=target, api=api, settings=settings, label=label
                    )
                    result.batch_ids.append(current)
                    in_current = 0
                batch_id = current
                in_current += 1
            rid, changed = ledger.add_record(
                batch_id,
                spec.marker,
                payload=spec.payload(api),
                files=files,
                title=spec.display_title(api),
                revision=place.revision,
                operation=operation,
                base_remote_id=place.base_remote_id,
            )
            result.record_ids.append(rid)
            if place.batch_id is None:
                result.added += 1
                continue
            if changed:
                result.updated += 1
            else:
                result.unchanged += 1
            if batch_id not in result.batch_ids:
                result.batch_ids.append(batch_id)
    finally:
        if owned:
            ledger.close()
    result.batch_ids.sort()
    return result


def plan_records(
    workspace: Workspace | Ledger | str | Path,
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
    return _plan(
        workspace, records, target=target, api=api, operation="create",
        batch_size=batch_size, label=label, settings=settings,
    )  # fmt: skip


def plan_edits(
    workspace: Workspace | Ledger | str | Path,
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
    >>> from specpub.repository.protocol import Marker
    >>> ws = Workspace.create(pathlib.Path(tempfile.mkdtemp()))
    >>> spec = RecordSpec(Marker("Z9"), legacy={"metadata": {"custom":
    ...     {"dwc:catalogNumber": ["Z9"]}}})
    >>> plan_edits(ws, [spec], target="embedded").skipped
    [('|Z9', 'not in the ledger for embedded')]
    """
    return _plan(
        workspace, records, target=target, api=api, operation="edit", batch_size=batch_size,
        label=label or "edit", settings={"operation": "edit"},
    )  # fmt: skip


def plan_new_versions(
    workspace: Workspace | Ledger | str | Path,
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
    return _plan(
        workspace, records, target=target, api=api, operation="new_version",
        batch_size=batch_size, label=label or "new version", settings={"operation": "new_version"},
    )  # fmt: skip
