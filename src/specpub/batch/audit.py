"""Post-publication audit: re-check every file of every published record.

For each record the ledger says is published, the audit asks the repository
for the record's files (one GET per record, paced by the target's global
limit) and compares each file's key, size and MD5 with what the local scan
recorded in the ledger. With ``verify_local=True`` it also re-reads the local
files and re-computes their MD5 (did the master change since the upload?).

Statuses per file: ``ok``, ``mismatch`` (size or MD5 differs), ``missing``
(in the ledger, not on the server), ``extra`` (on the server, not in the
ledger), ``local-changed`` (the local file no longer has the scanned MD5),
and per record ``error`` (the GET failed, e.g. 404 for a vanished record: a
404 alone is not proof, ``specpub reconcile`` confirms it). The GETs go through
the shared :class:`~specpub.batch.pacing.Pacer` and are retried on 429 and 5xx.

A refused token (401/403) stops the audit at the first answer: the error is
raised, nothing is reported (every further request would be refused too, and
a report of error rows would hide the earlier good one). The audit is a run of
its own in the ledger (``runs`` table, kind ``audit``).

Examples
--------
>>> r = AuditResult([AuditRow(1, "BR|A", "7", "a.jpg", "mismatch", "0" * 32, "f" * 32, 3, 3)])
>>> r.ok, r.counts()
(False, {'mismatch': 1})
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._paced import CheckRun
from specpub.batch.pacing import Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import NotFound, RepositoryError, classify
from specpub.limits import RateLimit
from specpub.repository.protocol import RepositoryClient

__all__ = ["AuditResult", "AuditRow", "audit"]

_STATUSES = ("ok", "mismatch", "missing", "extra", "local-changed", "error")


@dataclass(frozen=True)
class AuditRow:
    """One file (or one failed record) of an audit.

    Examples
    --------
    >>> AuditRow(1, "BR|A", "7", "a.jpg", "missing", detail="not on the server").status
    'missing'
    """

    record_id: int
    marker: str
    remote_id: str | None
    key: str | None
    status: str
    local_md5: str | None = None
    remote_md5: str | None = None
    local_size: int | None = None
    remote_size: int | None = None
    detail: str = ""


@dataclass
class AuditResult(FrameResult):
    """The outcome of :func:`audit`: one row per file checked.

    Examples
    --------
    >>> AuditResult([]).summary()
    'audit batch None: 0 records, 0 files: all files match'
    """

    rows: list[AuditRow]
    batch: int | None = None
    records: int = 0
    elapsed: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every file matches."""
        return all(r.status == "ok" for r in self.rows)

    def counts(self) -> dict[str, int]:
        """Rows per status."""
        c = collections.Counter(r.status for r in self.rows)
        return {k: c[k] for k in _STATUSES if c[k]}

    def problems(self) -> list[AuditRow]:
        """The rows that are not ``ok``."""
        return [r for r in self.rows if r.status != "ok"]

    def to_frame(self) -> pd.DataFrame:
        """One row per file."""
        cols = list(AuditRow.__dataclass_fields__)
        return pd.DataFrame([asdict(r) for r in self.rows], columns=cols)

    def summary(self) -> str:
        """A few lines for people."""
        files = sum(1 for r in self.rows if r.key is not None)
        head = f"audit batch {self.batch}: {self.records} records, {files} files: "
        if self.ok:
            return head + "all files match"
        lines = [head + ", ".join(f"{k} {v}" for k, v in self.counts().items())]
        for r in self.problems()[:50]:
            lines.append(f"  {r.status}: {r.marker} record {r.remote_id} {r.key or ''} {r.detail}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the CLI's ``--json``)."""
        return {
            "batch": self.batch,
            "ok": self.ok,
            "records": self.records,
            "counts": self.counts(),
            "problems": [asdict(r) for r in self.problems()],
        }

    def __repr__(self) -> str:
        return f"AuditResult(batch={self.batch}, records={self.records}, {self.counts()})"


def _md5_of(path: Path) -> str | None:
    try:
        h = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None


async def audit(
    ledger: Any,
    client: RepositoryClient,
    batch: int | None = None,
    *,
    verify_local: bool = False,
    concurrency: int = 4,
    rate_limits: Sequence[RateLimit] | None = None,
    progress: Any = None,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
) -> AuditResult:
    """Re-check the files of every published record of a batch against the ledger.

    Parameters
    ----------
    ledger
        A :class:`~specpub.batch.ledger.Ledger`.
    client
        A client for the batch's target.
    batch
        The batch id (``None``: the latest batch).
    verify_local
        Also re-hash the local files (reads every byte again).
    concurrency
        GETs in flight at once.
    rate_limits
        Pace of the GETs when no ``pacer`` is given (default: the target's
        documented limits; ``()``: none).
    progress
        See :func:`specpub.progress.make_progress`.
    pacer
        The :class:`~specpub.batch.pacing.Pacer` to share (default: one
        with the target's documented limits).
    retry
        Retries of 429 and 5xx answers (default: 4 attempts, backoff up to 8 s).

    Returns
    -------
    AuditResult

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> from specpub.repository.protocol import Marker, RemoteFile
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> b = led.create_batch(target="embedded", api="legacy")
    >>> rid, _ = led.add_record(b, Marker("A1"), payload={},
    ...     files=[{"key": "a.jpg", "path": "/m/a.jpg", "size": 3, "md5": "a" * 32}])
    >>> for state in ("creating", "created", "uploaded", "publishing", "published"):
    ...     _ = led.transition(rid, state, remote_id="7")
    >>> class Repo:
    ...     async def list_files(self, record_id):
    ...         return [RemoteFile("a.jpg", 3, "b" * 32)]
    >>> res = asyncio.run(audit(led, Repo(), b, rate_limits=()))
    >>> res.counts()
    {'mismatch': 1}
    >>> led.close()
    """
    from specpub.progress import make_progress

    started = time.monotonic()
    if not ledger.batch_ids():
        return AuditResult([], batch=None)
    check = CheckRun(
        ledger, client, ledger.latest_batch(batch), kind="audit", pacer=pacer,
        limits=rate_limits, retry=retry,
    )  # fmt: skip
    frame = ledger.records(batch=check.batch, state="published")
    recs = [ledger.record(int(r)) for r in frame["record_id"].tolist()]
    rows: list[AuditRow] = []
    sem = asyncio.Semaphore(max(1, concurrency))
    bar = make_progress(progress, total=len(recs), description="audit")

    async def one(rec: Any) -> list[AuditRow]:
        async with sem:
            try:
                remote_files = await check.call(
                    "list_files", client.list_files, rec.remote_id, record_id=rec.record_id
                )
            except RepositoryError as err:
                if classify(err).stop:
                    raise
                hint = " (not proof that it is gone: `specpub reconcile` confirms it)"
                text = str(err) + (hint if isinstance(err, NotFound) else "")
                return [AuditRow(rec.record_id, rec.marker.key, rec.remote_id, None, "error",
                                 detail=text)]  # fmt: skip
        return _compare(rec, ledger.record_files(rec.record_id), remote_files)

    async def verify(rows_: list[AuditRow]) -> list[AuditRow]:
        out = []
        for row in rows_:
            if verify_local and row.status == "ok" and row.key is not None:
                path = next(f.path for f in ledger.record_files(row.record_id) if f.key == row.key)
                now = await asyncio.to_thread(_md5_of, Path(path))
                if now != row.local_md5:
                    text = f"local file {path} now has md5 {now}"
                    row = AuditRow(**{**asdict(row), "status": "local-changed", "detail": text})
            out.append(row)
        return out

    with ledger.run("audit", batch_ids=[check.batch], target=check.info.target,
                    api=check.info.api) as run:  # fmt: skip
        tasks: list[asyncio.Future[list[AuditRow]]] = []
        try:
            if recs:  # the first alone: a refused token stops the audit after one request
                rows.extend(await verify(await one(recs[0])))
                bar.update(1)
            tasks = [asyncio.ensure_future(one(r)) for r in recs[1:]]
            for coro in asyncio.as_completed(tasks):
                rows.extend(await verify(await coro))
                bar.update(1)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            run.outcome, run.message = "stopped", "the token was refused"
            raise
        finally:
            bar.close()
        rows.sort(key=lambda r: (r.record_id, r.key or ""))
        result = AuditResult(
            rows, batch=check.batch, records=len(recs), elapsed=time.monotonic() - started
        )
        run.outcome = "ok" if result.ok else "incomplete"
        run.detail = {"records": len(recs), "counts": result.counts()}
    return result


def _compare(rec: Any, local_files: Sequence[Any], remote_files: Sequence[Any]) -> list[AuditRow]:
    """One row per file of a record: the ledger's scan against the server's list."""
    local = {f.key: f for f in local_files}
    remote = {f.key: f for f in remote_files}
    out = []
    for key in sorted(set(local) | set(remote)):
        lf, rf = local.get(key), remote.get(key)
        base = dict(record_id=rec.record_id, marker=rec.marker.key, remote_id=rec.remote_id,
                    key=key)  # fmt: skip
        if rf is None:
            out.append(AuditRow(**base, status="missing", local_md5=lf.md5,
                                local_size=lf.size, detail="not on the server"))  # fmt: skip
            continue
        if lf is None:
            out.append(AuditRow(**base, status="extra", remote_md5=rf.md5,
                                remote_size=rf.size, detail="not in the ledger"))  # fmt: skip
            continue
        problems = []
        if rf.md5 is None or rf.md5.lower() != lf.md5.lower():
            problems.append(f"md5 {rf.md5} != {lf.md5}")
        if rf.size is not None and int(rf.size) != int(lf.size):
            problems.append(f"size {rf.size} != {lf.size}")
        out.append(AuditRow(**base, status="mismatch" if problems else "ok", local_md5=lf.md5,
                            remote_md5=rf.md5, local_size=lf.size, remote_size=rf.size,
                            detail="; ".join(problems)))  # fmt: skip
    return out
