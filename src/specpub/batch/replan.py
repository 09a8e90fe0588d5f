"""Re-plan records whose files changed after planning (``specpub replan``).

A master image re-exported after ``specpub plan`` makes its record fail at
publish ("file X changed since it was planned"): publishing the planned MD5
would be a lie, publishing the new bytes unplanned would break fixity. The fix
is to plan the new checksums. :func:`replan_changed_files` re-reads every file
of the records that are not published yet and whose files differ from the plan
(size or modification time, then MD5), and updates the plan through
:meth:`~specpub.batch.ledger.Ledger.add_record`:

* a record the server never saw simply follows its new plan;
* a record whose draft is on the server keeps that draft: the changed files
  are planned again with their new checksums (the next ``publish`` replaces
  them in the draft and checks the draft's file list before publishing);
  this is the ledger's logged move ``replan``.

Published records are not touched (a changed file of a published record is a
new version: :func:`specpub.batch.plan.plan_new_versions`), nor records caught
mid-request (``publish`` resolves those first). A file that is gone cannot be
re-planned: it is reported.

Examples
--------
>>> import tempfile
>>> from specpub.workspace import Workspace
>>> ws = Workspace.create(tempfile.mkdtemp())
>>> replan_changed_files(ws).summary()
're-planned 0 records (0 files with new checksums); 0 files missing'
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from specpub.batch.ledger import Ledger, LedgerFile

__all__ = ["ReplanResult", "replan_changed_files"]

#: States whose plan may still change (see :meth:`Ledger.add_record`).
_REPLANNABLE = ("planned", "created", "uploading", "uploaded", "failed")


@dataclass
class ReplanResult:
    """What :func:`replan_changed_files` did.

    Examples
    --------
    >>> r = ReplanResult(replanned=[(1, "BR|A", ["a.jpg"])], missing=[(2, "BR|B", "/m/b.jpg")])
    >>> r.ok, r.summary().splitlines()[0]
    (False, 're-planned 1 records (1 files with new checksums); 1 files missing')
    """

    replanned: list[tuple[int, str, list[str]]] = field(default_factory=list)
    missing: list[tuple[int, str, str]] = field(default_factory=list)
    skipped: list[tuple[int, str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is left that a person must fix (no missing file)."""
        return not self.missing

    def summary(self) -> str:
        """One line, plus one per missing file."""
        files = sum(len(keys) for _, _, keys in self.replanned)
        lines = [
            f"re-planned {len(self.replanned)} records ({files} files with new checksums); "
            f"{len(self.missing)} files missing"
        ]
        for _, marker, path in self.missing[:20]:
            lines.append(f"  missing: {marker} {path} (put it back, or plan the record again "
                         "without it: `specpub load`, then `specpub plan`)")  # fmt: skip
        for _, marker, why in self.skipped[:20]:
            lines.append(f"  not re-planned: {marker}: {why}")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per record touched or reported."""
        rows = [(r, m, "replanned", " ".join(k)) for r, m, k in self.replanned]
        rows += [(r, m, "missing", p) for r, m, p in self.missing]
        rows += [(r, m, "skipped", w) for r, m, w in self.skipped]
        return pd.DataFrame(rows, columns=["record_id", "marker", "action", "detail"])


def _md5(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _rescan(f: LedgerFile) -> dict[str, Any] | None:
    """The file's row as it is now (re-hashed only when size or time changed); None if gone."""
    path = Path(f.path)
    try:
        st = path.stat()
    except OSError:
        return None
    row = {"key": f.key, "path": f.path, "size": f.size, "mtime": f.mtime, "md5": f.md5,
           "sha256": f.sha256}  # fmt: skip
    if st.st_size == f.size and (f.mtime is None or abs(st.st_mtime - f.mtime) <= 1e-3):
        return row
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            sha.update(chunk)
    return {**row, "size": st.st_size, "mtime": st.st_mtime, "md5": _md5(path),
            "sha256": sha.hexdigest()}  # fmt: skip


def replan_changed_files(workspace: Any, batch: int | Sequence[int] | None = None) -> ReplanResult:
    """Plan the new checksums of the changed files of unpublished records.

    Parameters
    ----------
    workspace
        A :class:`~specpub.workspace.Workspace`, a :class:`Ledger` or a ledger path.
    batch
        One batch id, several, or ``None`` for all.

    Returns
    -------
    ReplanResult
    """
    owned = not isinstance(workspace, Ledger)
    if isinstance(workspace, Ledger):
        ledger = workspace
    else:
        ledger = Ledger.open(getattr(workspace, "ledger_path", workspace))
    result = ReplanResult()
    try:
        ids = (
            ledger.batch_ids()
            if batch is None
            else ([batch] if isinstance(batch, int) else list(batch))
        )
        for bid in ids:
            for rid in ledger.record_ids(batch=bid):
                _replan_one(ledger, ledger.record(rid), result)
    finally:
        if owned:
            ledger.close()
    return result


def _replan_one(ledger: Ledger, rec: Any, result: ReplanResult) -> None:
    files = ledger.record_files(rec.record_id)
    rows, changed, gone = [], [], []
    for f in files:
        row = _rescan(f)
        if row is None:
            gone.append(f.path)
            continue
        rows.append(row)
        if (row["md5"], row["size"]) != (f.md5, f.size):
            changed.append(f.key)
    if not changed and not gone:
        return
    if rec.state not in _REPLANNABLE:
        why = "published (a changed file makes a new version)" if rec.is_done else (
            f"caught mid-request ({rec.state}): run publish first, then replan again"
        )  # fmt: skip
        result.skipped.append((rec.record_id, rec.marker_key, why))
        return
    if gone:
        result.missing += [(rec.record_id, rec.marker_key, p) for p in gone]
        return
    ledger.add_record(
        rec.batch_id, rec.marker, payload=ledger.payload(rec.record_id), files=rows,
        title=rec.title, revision=rec.revision, operation=rec.operation,
        base_remote_id=rec.base_remote_id,
    )  # fmt: skip
    result.replanned.append((rec.record_id, rec.marker_key, changed))
