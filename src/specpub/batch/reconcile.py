"""Reconcile a batch: compare the ledger with what the repository holds, and fix the ledger.

The ICEDIG pilot's log disagreed with Zenodo both ways (701 more records
published than logged). :func:`reconcile` asks the repository, not the log:

1. **Marker search.** Every ledger record's marker (``dwc:catalogNumber`` +
   ``dwc:institutionCode``) is looked up with chunked OR queries
   (:meth:`~specpub.repository.protocol.RepositoryClient.find_by_markers`),
   paced by the target's *search* limit (30/min on zenodo.org), never one
   search per record.
2. **Draft sweep.** The caller's unpublished drafts (``is_published:false``,
   paged, 100 per page) are listed to catch orphan drafts carrying a marker of
   this batch that the marker search missed.
3. **Direct GETs.** A record the ledger knows by id but that no search returned
   is fetched by id: a GET has no index lag, so only a 404 counts as "gone".

Index lag: a fresh draft may be invisible to search for seconds (zenodo-api.md
§2.5, §3.2). Records whose ledger id is known are checked by GET (no lag).
Records whose create request's outcome is unknown (``creating``/``ambiguous``)
and that no search found are searched again after ``index_lag`` seconds; only
if they are still absent are they put back to ``planned``. Drafts are never
decided "without files" from a search result (drafts have no indexed files).

Classification (one finding per marker, plus one per extra server record):

``published``
    The server has it published and the ledger agrees.
``ledger-behind``
    Published (or drafted) on the server, but the ledger did not know: the
    ledger **adopts** the server's id, DOI and links.
``draft``
    An unpublished draft carries the marker; the ledger points at it (adopted
    if it did not).
``missing`` (serious)
    The ledger says published but the server has nothing: the record is put
    back to ``planned`` for a re-run.
``lost-draft``
    The ledger had a draft id that the server no longer has: back to ``planned``.
``not-created``
    Nothing on either side (never sent, or a create that never arrived).
``duplicate-published`` (serious)
    Several *published* records carry one marker: reported, never deleted.
    Versions of one record (same concept id, or ids that the ledger's later
    revisions point at) are not duplicates.
``orphan-draft``
    A draft carrying the marker that the ledger does not point at (an extra
    draft from a retried create, or one left beside a published record):
    deletable with ``delete_orphans=True``.
``checksum-mismatch`` (serious)
    A file's server MD5 (or its presence) differs from the ledger's scan.
``unconfirmed``
    The record's GET answered 404 twice, but the repository's health could
    not be confirmed (records seen moments before no longer answer either:
    an outage such as Zenodo's of May 2019, which answered 404 to
    everything). Nothing is corrected for it, nor for unknown creates that
    no search found; run reconcile again when the repository is healthy.

A correcting (or deleting) reconciliation holds the ledger's run lock, so it
never races a runner publishing from the same ledger.

Outage safety: "missing" and "lost-draft" put records back to ``planned``,
and a re-run then publishes them again, so a 404 alone never decides it.
The 404ed ids are fetched again after ``confirm_delay`` seconds, and up to
three records that reconcile has just seen (published ones first) are
fetched too; only if those answer is the repository taken to be healthy.

Examples
--------
>>> f = Finding("BR|BR1", 3, "ledger-behind", ledger_state="creating", remote_id="17")
>>> f.serious, f.cleanable
(False, False)
>>> ReconcileResult([f], batch=1).summary().splitlines()[0]
'reconcile batch 1: 1 records checked; ledger-behind 1'
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from specpub._display import FrameResult
from specpub.batch._lock import RunLock
from specpub.batch._paced import CHECK_RETRY, check_pacer, paced_call
from specpub.batch.pacing import Pacer
from specpub.batch.retry import RetryPolicy
from specpub.errors import NotFound, RepositoryError
from specpub.repository.protocol import Marker, RemoteRecord, RepositoryClient
from specpub.sandbox.config import RateLimit

__all__ = [
    "CATEGORIES",
    "SERIOUS",
    "Finding",
    "ReconcileResult",
    "delete_orphan_drafts",
    "reconcile",
]

#: Every finding category, in report order.
CATEGORIES = (
    "published",
    "ledger-behind",
    "draft",
    "missing",
    "lost-draft",
    "not-created",
    "duplicate-published",
    "orphan-draft",
    "checksum-mismatch",
    "unconfirmed",
)
#: Categories that need a person's attention.
SERIOUS = frozenset({"missing", "duplicate-published", "checksum-mismatch"})

_PAGE = 100
_MAX_WINDOW = 10_000


@dataclass(frozen=True)
class Finding:
    """One row of a reconciliation.

    Attributes
    ----------
    marker
        The marker key (``institution|catalog``).
    record_id
        The local ledger record id (``None`` for an extra server record).
    category
        One of :data:`CATEGORIES`.
    ledger_state, ledger_state_after
        The ledger's state before and after reconciliation.
    remote_id
        The server record this finding is about.
    server_ids
        Every server record id found for the marker.
    action
        What was done: ``adopted``, ``re-run``, ``deleted``, ``none``, ...
    detail
        Human-readable explanation.

    Examples
    --------
    >>> Finding("BR|A", None, "orphan-draft", remote_id="12").cleanable
    True
    >>> Finding("BR|B", 4, "missing").serious
    True
    """

    marker: str
    record_id: int | None
    category: str
    ledger_state: str | None = None
    ledger_state_after: str | None = None
    remote_id: str | None = None
    server_ids: tuple[str, ...] = ()
    action: str = "none"
    detail: str = ""

    @property
    def serious(self) -> bool:
        """Whether a person should look at this."""
        return self.category in SERIOUS

    @property
    def cleanable(self) -> bool:
        """Whether the server record is a draft that may be deleted."""
        return self.category == "orphan-draft"


@dataclass
class ReconcileResult(FrameResult):
    """The outcome of :func:`reconcile`.

    Examples
    --------
    >>> r = ReconcileResult([Finding("|A", 1, "missing", action="re-run")], batch=2)
    >>> r.ok, r.counts()
    (False, {'missing': 1})
    >>> r.to_frame()[["marker", "category", "serious"]].values.tolist()
    [['|A', 'missing', True]]
    """

    findings: list[Finding]
    batch: int | None = None
    searches: int = 0
    gets: int = 0
    deleted: list[str] = field(default_factory=list)
    corrected: int = 0
    elapsed: float = 0.0
    #: Why the repository's health could not be confirmed (``None``: it was, or no 404).
    unconfirmed_reason: str | None = None

    @property
    def ok(self) -> bool:
        """True when no finding is serious and none is left unconfirmed."""
        return not any(f.serious or f.category == "unconfirmed" for f in self.findings)

    def counts(self) -> dict[str, int]:
        """Findings per category (categories with none left out), in :data:`CATEGORIES` order."""
        c = collections.Counter(f.category for f in self.findings)
        return {k: c[k] for k in CATEGORIES if c[k]}

    def by_category(self, category: str) -> list[Finding]:
        """The findings of one category."""
        return [f for f in self.findings if f.category == category]

    def to_frame(self) -> pd.DataFrame:
        """One row per finding (marker, record_id, category, states, ids, action, detail)."""
        cols = [
            "marker",
            "record_id",
            "category",
            "serious",
            "ledger_state",
            "ledger_state_after",
            "remote_id",
            "server_ids",
            "action",
            "detail",
        ]
        rows = []
        for f in self.findings:
            row = asdict(f)
            row["server_ids"] = " ".join(f.server_ids)
            row["serious"] = f.serious
            rows.append(row)
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> str:
        """A few lines for people."""
        checked = len({f.marker for f in self.findings if f.record_id is not None})
        counts = ", ".join(f"{k} {v}" for k, v in self.counts().items()) or "nothing found"
        lines = [f"reconcile batch {self.batch}: {checked} records checked; {counts}"]
        lines.append(
            f"  ledger corrected for {self.corrected} records; {len(self.deleted)} drafts "
            f"deleted; {self.searches} searches, {self.gets} GETs, {self.elapsed:.1f}s"
        )
        orphans = [f for f in self.findings if f.cleanable and f.action != "deleted"]
        if orphans:
            lines.append(
                f"  {len(orphans)} orphan drafts left on the server "
                "(delete them with delete_orphans=True / --delete-orphans)"
            )
        unsure = self.by_category("unconfirmed")
        if unsure:
            lines.append(
                f"  UNCONFIRMED {len(unsure)} records: the repository looks unhealthy "
                f"({self.unconfirmed_reason}); nothing was corrected for them. "
                "Run reconcile again when the repository answers normally."
            )
        for f in self.findings:
            if f.serious:
                lines.append(f"  SERIOUS {f.category}: {f.marker} {f.detail}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (the CLI's ``--json``)."""
        return {
            "batch": self.batch,
            "ok": self.ok,
            "counts": self.counts(),
            "corrected": self.corrected,
            "deleted": list(self.deleted),
            "searches": self.searches,
            "gets": self.gets,
            "unconfirmed_reason": self.unconfirmed_reason,
            "findings": [
                {**asdict(f), "server_ids": list(f.server_ids), "serious": f.serious}
                for f in self.findings
            ],
        }

    def __repr__(self) -> str:
        counts = ", ".join(f"{k}={v}" for k, v in self.counts().items())
        return f"ReconcileResult(batch={self.batch}, {counts or 'empty'}, ok={self.ok})"


# ----------------------------------------------------------------- ledger edits
def _move(ledger: Any, rid: int, to: str, **kw: Any) -> None:
    """Move a record to ``to`` by the shortest legal path of the ledger's state machine."""
    from specpub.batch.ledger import TRANSITIONS

    current = ledger.record(rid).state
    if current == to and to != "created":
        return
    if to in TRANSITIONS[current] and current != to:
        ledger.transition(rid, to, **kw)
        return
    if current == "planned":
        ledger.transition(rid, "creating")
    elif current != "ambiguous":
        ledger.transition(rid, "ambiguous", step="reconcile")
    ledger.transition(rid, to, **kw)


def _force_replan(ledger: Any, rid: int) -> None:
    """Put a *published* record back to ``planned`` (the state machine has no such move).

    Plain SQL on the ledger file, in one transaction: the server no longer
    holds the record, so the ledger's published facts are wrong.
    """
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    conn = sqlite3.connect(ledger.path, timeout=30.0, isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "UPDATE records SET state='planned', step=NULL, remote_id=NULL, concept_id=NULL, "
            "bucket=NULL, doi=NULL, concept_doi=NULL, html_url=NULL, published_at=NULL, "
            "attempts=0, reason=NULL, retryable=NULL, field_messages=NULL, updated_at=? "
            "WHERE record_id=?",
            (now, int(rid)),
        )
        conn.execute(
            "UPDATE files SET state='planned', server_checksum=NULL, remote_file_id=NULL, "
            "updated_at=? WHERE record_id=?",
            (now, int(rid)),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def _note(ledger: Any, batch: int | None, rid: int | None, detail: Mapping[str, Any]) -> None:
    ledger.record_event(batch, rid, "reconcile", "note", kind="note", detail=dict(detail))


# ----------------------------------------------------------------- the algorithm
def _sort_key(rec: RemoteRecord) -> tuple[str, int, str]:
    rid = rec.id
    return (rec.created or "", int(rid) if rid.isdigit() else 0, rid)


def _file_problems(rec: RemoteRecord, planned: Mapping[str, tuple[int, str]]) -> list[str]:
    if rec.files is None:
        return []
    remote = {f.key: f for f in rec.files}
    problems = []
    for key, (size, md5) in sorted(planned.items()):
        got = remote.get(key)
        if got is None:
            problems.append(f"{key}: missing on the server")
        elif got.md5 is not None and got.md5.lower() != md5.lower():
            problems.append(f"{key}: server md5 {got.md5} != local {md5}")
        elif got.size is not None and size is not None and int(got.size) != int(size):
            problems.append(f"{key}: server size {got.size} != local {size}")
    for key in sorted(set(remote) - set(planned)):
        problems.append(f"{key}: extra file on the server")
    return problems


async def reconcile(
    ledger: Any,
    client: RepositoryClient,
    batch: int | None = None,
    *,
    delete_orphans: bool = False,
    correct_ledger: bool = True,
    sweep: bool = True,
    index_lag: float = 15.0,
    search_limits: Sequence[RateLimit] | None = None,
    chunk_size: int = 40,
    check_files: bool = True,
    progress: Any = None,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
    confirm_delay: float = 1.0,
) -> ReconcileResult:
    """Compare a batch's ledger with the repository, correct the ledger, optionally clean up.

    Parameters
    ----------
    ledger
        A :class:`~specpub.batch.ledger.Ledger`.
    client
        A :class:`~specpub.repository.protocol.RepositoryClient` for the batch's target.
    batch
        The batch id (``None``: the ledger's latest batch).
    delete_orphans
        Delete the orphan drafts found (never a published record, never a
        draft the ledger points at).
    correct_ledger
        Adopt what the server has and mark lost records for a re-run
        (``False``: only report).
    sweep
        Also list all own unpublished drafts (``is_published:false``).
    index_lag
        Seconds to wait before searching again for records whose create
        outcome is unknown and that no search found (0: do not search again).
    search_limits
        Pace of the searches when no ``pacer`` is given (default: the
        target's documented search limit, 30/min on zenodo.org; ``()``: none).
    chunk_size
        Markers per ``find_by_markers`` call (one OR query each).
    check_files
        Compare the server's file MD5s of published records with the ledger.
        Search results of published records carry their files (Zenodo and
        the sandbox), so this costs nothing extra; a published record whose
        result has no files is fetched with one GET (``False``: skip those).
    progress
        ``"auto"``, ``"text"``, ``None`` or a tqdm-like object (see
        :func:`specpub.progress.make_progress`).
    pacer
        The :class:`~specpub.batch.pacing.Pacer` to share (wire its
        ``on_response`` into the client). Default: one with the target's
        documented limits (``Pacer.for_target``), searches paced by its
        search limits, GETs and deletes by its general limits.
    retry
        Retries of 429 and 5xx answers (default: 4 attempts, backoff up to 8 s).
    confirm_delay
        Seconds to wait before GETting the records that answered 404 a second
        time. A 404 counts as "gone" only when it repeats *and* records seen
        moments ago can still be fetched (a repository outage, like Zenodo's
        of May 2019, answers 404 to everything); otherwise the findings are
        ``unconfirmed`` and nothing is corrected for them.

    Returns
    -------
    ReconcileResult

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> class EmptyRepository:  # holds nothing: every marker comes back empty
    ...     async def find_by_markers(self, markers):
    ...         return {m: [] for m in markers}
    ...     async def search(self, query, **kwargs):
    ...         return []
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> b = led.create_batch(target="embedded", api="legacy")
    >>> rid, _ = led.add_record(b, Marker("A1", "BR"), payload={})
    >>> _ = led.transition(rid, "creating")  # the create's answer was lost
    >>> res = asyncio.run(reconcile(led, EmptyRepository(), b, index_lag=0, search_limits=()))
    >>> res.counts(), led.record(rid).state  # never arrived: planned again
    ({'not-created': 1}, 'planned')
    >>> led.close()
    """
    from specpub.progress import make_progress

    started = time.monotonic()
    if batch is None:
        ids = ledger.batch_ids()
        if not ids:
            return ReconcileResult([], batch=None)
        batch = ids[-1]
    info = ledger.batch(batch)
    pacer = check_pacer(info.target, pacer, search_limits=search_limits)
    policy = retry or CHECK_RETRY

    async def call(func: Any, *args: Any, endpoint: str = "api", **kwargs: Any) -> Any:
        return await paced_call(
            pacer, func, *args, endpoint=endpoint, retry=policy, client=client, **kwargs
        )

    frame = ledger.records(batch=batch)
    frame = frame[frame["revision"] == 0] if "revision" in frame.columns else frame
    recs = [ledger.record(int(rid)) for rid in frame["record_id"].tolist()]
    by_marker: dict[Marker, Any] = {r.marker: r for r in recs}
    result = ReconcileResult([], batch=batch)
    found: dict[Marker, dict[str, RemoteRecord]] = {m: {} for m in by_marker}
    # A runner working on this ledger meanwhile would race the corrections (a record
    # put back to planned while its create is in flight is created twice).
    lock = RunLock(ledger.path) if (correct_ledger or delete_orphans) else None
    if lock is not None:
        lock.__enter__()
    bar = make_progress(progress, total=len(recs), description="reconcile")

    async def search_markers(markers: list[Marker]) -> None:
        for i in range(0, len(markers), max(1, chunk_size)):
            chunk = markers[i : i + chunk_size]
            t = time.monotonic()
            hits = await call(client.find_by_markers, chunk, endpoint="search")
            result.searches += 1
            ledger.record_event(
                batch, None, "search", "ok", duration=time.monotonic() - t,
                detail={"purpose": "reconcile", "markers": len(chunk)},
            )  # fmt: skip
            for marker, records in hits.items():
                if marker in found:
                    for rec in records:
                        found[marker][rec.id] = rec

    try:
        await search_markers(list(by_marker))
        # 2. sweep own drafts for orphans carrying this batch's markers
        if sweep:
            page = 1
            while page * _PAGE <= _MAX_WINDOW:
                hits = await call(
                    client.search, "is_published:false", page=page, size=_PAGE, sort="newest",
                    endpoint="search",
                )  # fmt: skip
                result.searches += 1
                for rec in hits:
                    if rec.marker in found and not rec.is_published:
                        found[rec.marker].setdefault(rec.id, rec)
                if len(hits) < _PAGE:
                    break
                page += 1
        # 3. GET what the ledger knows by id but no search returned (no index lag for GET)
        gone: set[str] = set()
        for rec in recs:
            if rec.remote_id and rec.remote_id not in found[rec.marker]:
                try:
                    got = await call(client.get, rec.remote_id)
                    found[rec.marker][got.id] = got
                except NotFound:
                    gone.add(rec.remote_id)
                result.gets += 1
        # Published records from search may lack files: GET them to compare checksums.
        for rec in recs if check_files else ():
            for rid, remote in list(found[rec.marker].items()):
                if remote.is_published and remote.files is None:
                    with contextlib.suppress(NotFound):
                        found[rec.marker][rid] = await call(client.get, rid)
                    result.gets += 1
        # A 404 is an outage symptom until confirmed: ask again, and check the
        # repository still serves records it served moments ago.
        doubt = None
        if gone:
            doubt = await _confirm_gone(client, call, found, gone, recs, result, confirm_delay)
            result.unconfirmed_reason = doubt
        # Index lag: unknown creates that nothing found get a second look later.
        unsure = [
            r.marker
            for r in recs
            if not found[r.marker]
            and not r.remote_id
            and (r.state == "creating" or (r.state == "ambiguous" and r.step == "create"))
        ]
        if unsure and index_lag > 0:
            await asyncio.sleep(index_lag)
            await search_markers(unsure)

        # 4. classify and correct. Ids that other ledger rows of the same marker
        # point at (edits, new versions: revision > 0) are versions, not duplicates.
        known_ids: dict[str, set[str]] = {}
        rows = ledger.query(
            "SELECT marker_key, remote_id, concept_id FROM records "
            "WHERE target=? AND remote_id IS NOT NULL",
            [info.target],
        )
        for key, rid, cid in rows.itertuples(index=False):
            known_ids.setdefault(key, set()).update(x for x in (rid, cid) if x)
        for rec in recs:
            known = known_ids.get(rec.marker.key, set()) - {rec.remote_id}
            _classify(
                ledger, rec, found[rec.marker], gone, result, correct_ledger, batch, known,
                doubt,
            )  # fmt: skip
            bar.update(1)
        # 5. delete orphan drafts
        if delete_orphans:
            await _delete_orphans(ledger, client, result, pacer, policy)
    finally:
        bar.close()
        if lock is not None:
            lock.__exit__()
    result.elapsed = time.monotonic() - started
    return result


async def delete_orphan_drafts(
    ledger: Any,
    client: RepositoryClient,
    result: ReconcileResult,
    *,
    pacer: Pacer | None = None,
    retry: RetryPolicy | None = None,
) -> list[str]:
    """Delete the orphan drafts a reconciliation found; returns the ids deleted.

    Never deletes a published record or a draft any ledger record points at
    (checked again against the ledger right before each delete). A draft that
    is already gone (404) counts as deleted. The findings are updated in place
    (``action="deleted"``). The deletes go through ``pacer`` (default: one
    without limits, which still honours 429) with ``retry`` for 429 and 5xx.
    Holds the ledger's run lock meanwhile: a runner could be adopting one of
    these drafts (:class:`~specpub.errors.InputError` if one is running).

    Examples
    --------
    >>> import asyncio, tempfile, pathlib
    >>> from specpub.batch.ledger import Ledger
    >>> class Repo:
    ...     async def delete_draft(self, record_id):
    ...         print("DELETE", record_id)
    >>> led = Ledger.open(pathlib.Path(tempfile.mkdtemp()) / "ledger.sqlite")
    >>> res = ReconcileResult([Finding("|A", None, "orphan-draft", remote_id="12")], batch=1)
    >>> asyncio.run(delete_orphan_drafts(led, Repo(), res))
    DELETE 12
    ['12']
    >>> led.close()
    """
    with RunLock(ledger.path):
        return await _delete_orphans(
            ledger, client, result, pacer if pacer is not None else Pacer(), retry or CHECK_RETRY
        )


async def _delete_orphans(
    ledger: Any,
    client: RepositoryClient,
    result: ReconcileResult,
    pacer: Pacer,
    policy: RetryPolicy,
) -> list[str]:
    pointed = set(ledger.records()["remote_id"].dropna().astype(str))
    done = []
    for i, f in enumerate(result.findings):
        if not f.cleanable or f.action == "deleted" or f.remote_id is None:
            continue
        if f.remote_id in pointed:
            continue
        t = time.monotonic()
        await paced_call(pacer, client.delete_draft, f.remote_id, retry=policy, client=client)
        ledger.record_event(
            result.batch, f.record_id, "delete_draft", "ok", duration=time.monotonic() - t,
            detail={"purpose": "reconcile", "remote_id": f.remote_id},
        )  # fmt: skip
        result.deleted.append(f.remote_id)
        done.append(f.remote_id)
        result.findings[i] = Finding(**{**asdict(f), "action": "deleted"})
    return done


def _classify(
    ledger: Any,
    rec: Any,
    server: Mapping[str, RemoteRecord],
    gone: set[str],
    result: ReconcileResult,
    correct: bool,
    batch: int,
    known: set[str] = frozenset(),  # type: ignore[assignment]
    doubt: str | None = None,
) -> None:
    marker = rec.marker.key
    ids = tuple(sorted(server, key=lambda i: _sort_key(server[i])))
    published = sorted((r for r in server.values() if r.is_published), key=_sort_key)
    drafts = sorted((r for r in server.values() if not r.is_published), key=_sort_key)
    before = rec.state
    add = result.findings.append
    changed = False

    def finding(category: str, **kw: Any) -> None:
        add(Finding(marker, rec.record_id, category, ledger_state=before, server_ids=ids, **kw))

    if doubt is not None and (
        (rec.remote_id is not None and rec.remote_id in gone)
        or (not server and before in ("creating", "ambiguous"))
    ):
        # The repository may be down: neither a 404 nor an empty search proves anything.
        what = (
            f"GET {rec.remote_id} answered 404 twice"
            if rec.remote_id in gone
            else "no search found the record"
        )
        finding(
            "unconfirmed", ledger_state_after=before, remote_id=rec.remote_id,
            detail=f"{what}, but the repository's health is not confirmed ({doubt}); "
            "nothing corrected",
        )  # fmt: skip
        return
    if published:
        keep = next((r for r in published if r.id == rec.remote_id), published[0])
        if before == "published" and rec.remote_id == keep.id:
            category, action = "published", "none"
        else:
            category, action = "ledger-behind", "adopted" if correct else "none"
            if correct:
                if before == "published":
                    _force_replan(ledger, rec.record_id)
                    ledger.transition(rec.record_id, "creating")
                _move(
                    ledger, rec.record_id, "published", remote_id=keep.id,
                    concept_id=keep.concept_id, doi=keep.doi, concept_doi=keep.concept_doi,
                    html_url=keep.html_url,
                )  # fmt: skip
                changed = True
        problems = _file_problems(keep, _planned_files(ledger, rec.record_id))
        after = ledger.record(rec.record_id).state
        finding(
            category, ledger_state_after=after, remote_id=keep.id, action=action,
            detail=f"doi {keep.doi}" + ("" if rec.remote_id in (None, keep.id)
                                        else f" (ledger had id {rec.remote_id})"),
        )  # fmt: skip
        if problems:
            finding(
                "checksum-mismatch", ledger_state_after=after, remote_id=keep.id,
                detail="; ".join(problems),
            )  # fmt: skip
        versions = [
            o
            for o in published
            if o.id != keep.id
            and (o.id in known or (o.concept_id and o.concept_id == keep.concept_id))
        ]
        for other in published:
            if other.id != keep.id and other not in versions:
                finding(
                    "duplicate-published", ledger_state_after=after, remote_id=other.id,
                    detail=f"a second published record (doi {other.doi}) besides {keep.id}",
                )  # fmt: skip
        for d in drafts:
            if d.id in known or (d.concept_id and d.concept_id == keep.concept_id):
                continue  # an open new version / edit the ledger plans: not an orphan
            finding(
                "orphan-draft", ledger_state_after=after, remote_id=d.id,
                detail=f"draft left beside published record {keep.id}",
            )  # fmt: skip
    elif drafts:
        keep = next((r for r in drafts if r.id == rec.remote_id), drafts[-1])
        if before == "published":
            category, action = "missing", "re-run" if correct else "none"
            detail = f"the ledger says published ({rec.doi}); the server has only drafts"
            if correct:
                _force_replan(ledger, rec.record_id)
                _move(ledger, rec.record_id, "created", remote_id=keep.id, bucket=keep.bucket)
                ledger.reset_files(rec.record_id)
                changed, action = True, "adopted draft"
        elif rec.remote_id == keep.id and before not in ("planned", "creating", "ambiguous"):
            category, action, detail = "draft", "none", "the ledger points at this draft"
        else:
            category, action = "draft", "adopted" if correct else "none"
            detail = "adopted the server's draft" + (
                f" (ledger had id {rec.remote_id})" if rec.remote_id else ""
            )
            if correct:
                _move(ledger, rec.record_id, "created", remote_id=keep.id, bucket=keep.bucket)
                ledger.reset_files(rec.record_id)
                changed = True
        after = ledger.record(rec.record_id).state
        finding(category, ledger_state_after=after, remote_id=keep.id, action=action,
                detail=detail)  # fmt: skip
        for d in drafts:
            if d.id != keep.id:
                finding(
                    "orphan-draft", ledger_state_after=after, remote_id=d.id,
                    detail=f"extra draft beside {keep.id}",
                )  # fmt: skip
    else:
        if before == "published":
            category, detail = (
                "missing",
                (
                    f"the ledger says published as {rec.remote_id} ({rec.doi}); "
                    "the server has no record with this marker"
                ),
            )
            if correct:
                _force_replan(ledger, rec.record_id)
                changed = True
        elif rec.remote_id:
            category = "lost-draft"
            detail = f"draft {rec.remote_id} is gone from the server" + (
                "" if rec.remote_id in gone else " (not found by search)"
            )
            if correct:
                _move(ledger, rec.record_id, "planned", reset_remote=True)
                ledger.reset_files(rec.record_id)
                changed = True
        elif before in ("creating", "ambiguous"):
            category, detail = "not-created", "the create never reached the server"
            if correct:
                _move(ledger, rec.record_id, "planned", reset_remote=True)
                changed = True
        else:
            category, detail = "not-created", f"not sent yet ({before})"
        after = ledger.record(rec.record_id).state
        action = "re-run" if changed else "none"
        finding(category, ledger_state_after=after, remote_id=rec.remote_id, action=action,
                detail=detail)  # fmt: skip
    if changed:
        result.corrected += 1
        _note(
            ledger, batch, rec.record_id,
            {"from": before, "to": ledger.record(rec.record_id).state, "server_ids": list(ids)},
        )  # fmt: skip


async def _confirm_gone(
    client: RepositoryClient,
    call: Any,
    found: Mapping[Marker, dict[str, RemoteRecord]],
    gone: set[str],
    recs: Sequence[Any],
    result: ReconcileResult,
    delay: float,
) -> str | None:
    """Re-check 404s; return why the repository's health is unconfirmed (``None``: healthy).

    Ids that answer the second GET are moved from ``gone`` to ``found``.
    """
    if delay > 0:
        await asyncio.sleep(delay)
    for rec in recs:
        if rec.remote_id not in gone:
            continue
        result.gets += 1
        try:
            got = await call(client.get, rec.remote_id)
        except NotFound:
            continue
        except RepositoryError as err:
            return f"GET {rec.remote_id} failed again: {err}"
        gone.discard(rec.remote_id)
        found[rec.marker][got.id] = got
    if not gone:
        return None
    seen = [r for hits in found.values() for r in hits.values() if r.id not in gone]
    seen.sort(key=lambda r: not r.is_published)  # published records cannot vanish
    probes = [r.id for r in seen[:3]]
    if not probes:
        result.searches += 1
        try:
            hits = await call(client.search, "*", size=1, endpoint="search")
        except RepositoryError as err:
            return f"a search failed: {err}"
        if not hits:
            return "no record of the repository could be fetched to compare"
        probes = [hits[0].id]
    for rid in probes:
        result.gets += 1
        try:
            await call(client.get, rid)
        except RepositoryError as err:
            return f"record {rid}, seen moments ago, answered {err.status or 'an error'}"
    return None


def _planned_files(ledger: Any, rid: int) -> dict[str, tuple[int, str]]:
    return {f.key: (f.size, f.md5) for f in ledger.record_files(rid)}


def _dump(result: ReconcileResult) -> str:  # pragma: no cover - debugging aid
    return json.dumps(result.to_json(), indent=2, default=str)
